// The page at phone width and by keyboard: nothing wider than the screen, every control named for
// assistive technology, and a run started without the mouse. Screenshots of the main views are kept
// as test artefacts (test-results/screenshots/).
import { expect, test } from '@playwright/test';
import { fillRun, pickTinyModel } from './helpers';

test('at phone width the page fits the screen, every control has a name, and Run works from the keyboard', async ({ page }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await pickTinyModel(page);
  await fillRun(page, { dim: 4, steps: 3, batchSize: 2, seqLen: 8 });
  // Epochs as an alternative to steps: the toy task has 256 training sentences, so 1 epoch of 2 is 128 steps.
  await page.getByLabel('or epochs').fill('1');
  await expect(page.getByLabel('Steps', { exact: true })).toHaveValue('128');
  await page.getByLabel('Steps', { exact: true }).fill('3');
  await expect(page.getByLabel('or epochs')).toHaveValue('0.02');
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, button, textarea')].filter((el) => {
    const e = el as HTMLInputElement;
    if (e.type === 'hidden') return false;
    const name = (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('title') || (e.tagName === 'BUTTON' && e.textContent?.trim());
    return !name;
  }).map((el) => el.outerHTML.slice(0, 120)));
  expect(unnamed).toEqual([]);

  // Keyboard only: focus the Run button by tabbing from the Steps field, then press Enter.
  await page.getByLabel('Steps', { exact: true }).focus();
  let guard = 0;
  while (!(await page.evaluate(() => document.activeElement?.textContent === 'Run')) && guard++ < 40) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'test-results/screenshots/phone.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: 'test-results/screenshots/laptop.png', fullPage: true });
});
