// A browser without WebGPU (Chromium with the feature switched off stands in for browsers that
// lack it): the engine falls back to WebGL or the CPU, the page says so, and still computes correctly.
import { expect, test } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config';

test.use({ launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS.filter((a) => !a.includes('webgpu')), '--disable-features=WebGPU'] } });

test('without WebGPU the page falls back to another backend and says so', async ({ page }) => {
  await page.goto('/');
  const backend = page.getByTestId('backend-name');
  await expect(backend).toHaveText(/^(webgl|cpu)$/);
  await expect(page.getByTestId('backend-warning')).toContainText('WebGPU is not available');
  console.log(`without WebGPU the engine chose: ${await backend.textContent()}`);
  await page.getByRole('button', { name: 'Check numerics against CPU' }).click();
  await expect(page.getByTestId('selfcheck-result')).toHaveAttribute('data-passed', 'true');
});

test('the WASM backend loads its binaries from the app and computes correctly', async ({ page }) => {
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('backend-name')).toHaveText('wasm');
  await page.getByRole('button', { name: 'Check numerics against CPU' }).click();
  await expect(page.getByTestId('selfcheck-result')).toHaveAttribute('data-passed', 'true');
});
