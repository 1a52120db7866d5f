// The backend panel's live WebGPU counts: during a short run on WebGPU (tiny BERT, SwiftShader) the
// panel shows the work asked of the GPU per training step, counted at the API in the worker, with
// no GPU buffer created per step (the engine's upload ring and fused optimizer).
import { expect, test } from '@playwright/test';
import { fillRun, pickTinyModel } from './helpers';

test('the backend panel shows the WebGPU work per training step during a run', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await pickTinyModel(page);
  await page.getByLabel('Adapter type').selectOption('houlsby');
  await fillRun(page, { dim: 8, sparsity: 0, steps: 8, batchSize: 4, seqLen: 16 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const counts = page.getByTestId('gpu-counts');
  await expect(counts).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  expect(Number(await counts.getAttribute('data-dispatches'))).toBeGreaterThan(0);
  expect(Number(await counts.getAttribute('data-buffers-created'))).toBe(0);
  await expect(page.getByTestId('gpu-pipelines')).toContainText('this run');
});
