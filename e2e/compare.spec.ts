// The paper's comparison in one click: a standard Houlsby adapter and its Large-Sparse ×2
// counterpart run one after the other on WebGPU; both end overlaid, and their non-zero budgets differ
// only by the bias terms the wider bottleneck adds (2 adapters × 2 layers × (2d − d) down-biases).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const TINY = join(process.cwd(), 'src', 'engine', 'fixtures', 'tiny-bert');
const file = (name: string) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(TINY, name)) });

test('Large-Sparse vs standard queues two runs and shows equal budgets', async ({ page }, testInfo) => {
  test.setTimeout(400_000);
  await page.goto('/');
  await expect(page.getByTestId('model-label')).toContainText('default');
  await page.getByLabel('Model files').setInputFiles([file('config.json'), file('vocab.txt'), file('model.safetensors')]);
  await expect(page.getByTestId('model-parameters')).toContainText('84,320');
  await page.getByLabel('Bottleneck').fill('8');
  await page.getByLabel('Sparsity').fill('0');
  await page.getByLabel('Steps', { exact: true }).fill('3');
  await page.getByLabel('Batch size').fill('4');
  await page.getByLabel('Sequence length').fill('16');
  await page.getByRole('button', { name: 'Large-Sparse ×2 vs standard' }).click();
  const comparison = page.getByTestId('comparison');
  await expect(comparison).toHaveAttribute('data-gain', /.+/, { timeout: 360_000 });
  const standard = Number(await comparison.getAttribute('data-standard'));
  const large = Number(await comparison.getAttribute('data-large'));
  expect(large - standard).toBe(2 * 2 * 8);
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await page.screenshot({ path: testInfo.outputPath('comparison.png'), fullPage: true });
});
