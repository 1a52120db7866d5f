// The compute path in a real browser: the engine worker starts tfjs on WebGPU, the page reports the
// adapter, and the numbers WebGPU computes (a matrix product and the gradient of
// matMul → GELU → layer norm → softmax cross-entropy) match tfjs's CPU backend.
import { expect, test } from '@playwright/test';

const TOLERANCE = 1e-4;

test('the engine runs on WebGPU and matches the CPU backend within 1e-4 relative', async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'SparseAdapter Playground' })).toBeVisible();
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  // Headless Chromium on a machine without a GPU gets SwiftShader, a fallback adapter; the page must say so.
  const fallback = await page.getByTestId('adapter-fallback').textContent();
  if (fallback === 'yes') await expect(page.getByTestId('backend-warning')).toContainText('software fallback');
  console.log(`adapter: ${await page.getByTestId('adapter-info').textContent()} (fallback: ${fallback})`);

  await page.getByRole('button', { name: 'Check numerics against CPU' }).click();
  const result = page.getByTestId('selfcheck-result');
  await expect(result).toBeVisible();
  expect(await result.getAttribute('data-backend')).toBe('webgpu');
  const quantities = ['product', 'loss', 'gradX', 'gradW', 'gradGamma', 'gradBeta'];
  for (const name of quantities) {
    const value = Number(await page.getByTestId(`relerr-${name}`).textContent());
    console.log(`webgpu vs cpu, ${name}: relative error ${value.toExponential(2)}`);
    expect(value, `${name} relative error`).toBeLessThanOrEqual(TOLERANCE);
  }
  expect(Number(await result.getAttribute('data-max-rel-err'))).toBeLessThanOrEqual(TOLERANCE);
  await expect(result).toContainText('Passed');
  expect(consoleErrors).toEqual([]);
});
