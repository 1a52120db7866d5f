// What the e2e specs share: the tiny BERT fixture as files to pick, and the page set up with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

export const TINY = join(process.cwd(), 'src', 'engine', 'fixtures', 'tiny-bert');

/** One file of the tiny model, as Playwright's setInputFiles takes it. */
export const tinyFile = (name: string) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(TINY, name)) });

/** Picks the tiny model in the page (after the default one has loaded, so it cannot replace it). */
export async function pickTinyModel(page: Page): Promise<void> {
  await expect(page.getByTestId('model-label')).toContainText('default');
  await page.getByLabel('Model files').setInputFiles([tinyFile('config.json'), tinyFile('vocab.txt'), tinyFile('model.safetensors')]);
  await expect(page.getByTestId('model-parameters')).toContainText('84,320');
}

/** Fills the controls that size a run; only the ones given. */
export async function fillRun(page: Page, run: { dim?: number; sparsity?: number; steps?: number; batchSize?: number; seqLen?: number }): Promise<void> {
  if (run.dim !== undefined) await page.getByLabel('Bottleneck').fill(String(run.dim));
  if (run.sparsity !== undefined) await page.getByLabel('Sparsity').fill(String(run.sparsity));
  if (run.steps !== undefined) await page.getByLabel('Steps', { exact: true }).fill(String(run.steps));
  if (run.batchSize !== undefined) await page.getByLabel('Batch size').fill(String(run.batchSize));
  if (run.seqLen !== undefined) await page.getByLabel('Sequence length').fill(String(run.seqLen));
}

/** Scans the page with axe-core (WCAG 2.1 A and AA rules) and fails on serious or critical violations, listing them. */
export async function expectAccessible(page: Page, when: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = bad.map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes): ${v.help}; e.g. ${v.nodes[0]?.target.join(' ')}: ${v.nodes[0]?.failureSummary?.replace(/\s+/g, ' ')}`);
  expect(described, `accessibility ${when}`).toEqual([]);
}
