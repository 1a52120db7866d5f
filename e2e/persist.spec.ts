// Runs survive a reload (IndexedDB): a finished one as it was, renamed and deleted ones as the user
// left them, and one cut off mid-training as "interrupted" with the steps it had recorded.
import { expect, test } from '@playwright/test';
import { fillRun, pickTinyModel } from './helpers';

test('a reload keeps the runs, their names and deletions, and marks a run cut off mid-training as interrupted', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await pickTinyModel(page);
  await fillRun(page, { dim: 4, batchSize: 2, seqLen: 8, steps: 3 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const rows = page.getByTestId('run-row');
  const finished = { losses: await rows.first().getAttribute('data-losses'), cells: await rows.first().locator('td').allTextContents() };
  await expect(page.getByTestId('try-it')).toBeVisible();
  await expect(page.getByRole('button', { name: /^Download the adapter of / })).toHaveCount(1);

  // Rename the finished run; start a long one and reload while it trains.
  await page.getByRole('button', { name: /^Rename / }).first().click();
  await page.getByLabel(/^New name for /).fill('my first run');
  await page.getByLabel(/^New name for /).press('Enter');
  await expect(rows.first().locator('td').nth(1)).toHaveText('my first run');
  await page.getByLabel('Steps', { exact: true }).fill('500');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(async () => (JSON.parse((await rows.nth(1).getAttribute('data-losses'))!) as number[]).length, { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await page.waitForTimeout(1500); // past the save delay
  await page.reload();

  await expect(rows).toHaveCount(2);
  await expect(rows.first().locator('td').nth(1)).toHaveText('my first run');
  await expect(rows.first().locator('td').nth(2)).toHaveText('done');
  expect(await rows.first().getAttribute('data-losses')).toBe(finished.losses);
  expect((await rows.first().locator('td').allTextContents()).slice(3, 8)).toEqual(finished.cells.slice(3, 8));
  await expect(rows.nth(1).locator('td').nth(2)).toHaveText('interrupted');
  expect((JSON.parse((await rows.nth(1).getAttribute('data-losses'))!) as number[]).length).toBeGreaterThanOrEqual(3);
  await expect(page.getByTestId('storage-error')).toHaveCount(0);
  // The restored finished run has no adapter in the new worker: no Try it, no downloads, and the page says why.
  await page.getByRole('button', { name: /^Delete / }).nth(1).click();
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId('not-kept')).toContainText('no longer holds');
  await expect(page.getByTestId('try-it')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Download the adapter of / })).toHaveCount(0);

  await page.reload();
  await expect(rows).toHaveCount(1);
  await expect(rows.first().locator('td').nth(1)).toHaveText('my first run');
});
