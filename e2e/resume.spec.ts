// Resume after a reload: a run checkpointed as the page hides, cut off by a reload, resumed (once its
// model, the user's own files, is picked again) ends with the same losses and dev accuracy as an
// uninterrupted run of the same settings (WebGPU: within 1e-5 relative).
import { expect, test } from '@playwright/test';
import { fillRun, pickTinyModel } from './helpers';

const STEPS = 30;

test('a run reloaded mid-training resumes from its checkpoint and ends as an uninterrupted run does', async ({ page }) => {
  test.setTimeout(400_000);
  await page.goto('/');
  await pickTinyModel(page);
  await fillRun(page, { dim: 4, batchSize: 2, seqLen: 8, steps: STEPS });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const rows = page.getByTestId('run-row');
  const losses = async (row: number) => JSON.parse((await rows.nth(row).getAttribute('data-losses'))!) as number[];
  await expect.poll(async () => (await losses(0)).length, { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  // The page hides: the worker checkpoints at its next step boundary.
  await page.evaluate(() => dispatchEvent(new Event('pagehide')));
  await expect(rows.first()).toHaveAttribute('data-checkpoint', /^\d+$/, { timeout: 60_000 });
  const checkpoint = Number(await rows.first().getAttribute('data-checkpoint'));
  expect(checkpoint).toBeLessThan(STEPS);
  await page.waitForTimeout(1500); // past the save delay
  await page.reload();

  await expect(rows).toHaveCount(1);
  await expect(rows.first().locator('td').nth(2)).toHaveText('interrupted');
  // The default model loads by itself; the run trained on the user's files, so Resume asks for them.
  await expect(page.getByTestId('model-label')).toContainText('default');
  await page.getByRole('button', { name: /^Resume / }).click();
  await expect(page.getByTestId('resume-notice')).toContainText('pick its files again');
  await pickTinyModel(page);
  await page.getByRole('button', { name: /^Resume / }).click();
  await expect(rows.first().locator('td').nth(2)).toHaveText('done', { timeout: 300_000 });
  const resumed = { losses: await losses(0), accuracy: await rows.first().locator('td').nth(5).textContent() };
  expect(resumed.losses).toHaveLength(STEPS);

  // The same settings, uninterrupted.
  await page.getByRole('button', { name: 'Use settings' }).first().click();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(rows.nth(1).locator('td').nth(2)).toHaveText('done', { timeout: 300_000 });
  const straight = { losses: await losses(1), accuracy: await rows.nth(1).locator('td').nth(5).textContent() };
  const final = { resumed: resumed.losses.at(-1)!, straight: straight.losses.at(-1)! };
  console.log(`resumed from step ${checkpoint}: final loss ${final.resumed} vs uninterrupted ${final.straight}; dev accuracy ${resumed.accuracy} vs ${straight.accuracy}`);
  expect(Math.abs(final.resumed - final.straight)).toBeLessThanOrEqual(1e-5 * Math.abs(final.straight));
  for (let i = 0; i < STEPS; i++) expect(Math.abs(resumed.losses[i]! - straight.losses[i]!), `step ${i + 1}`).toBeLessThanOrEqual(1e-5 * Math.abs(straight.losses[i]!) + 1e-7);
  expect(resumed.accuracy).toBe(straight.accuracy);
});
