// Runs survive a reload (IndexedDB): a finished one as it was, renamed and deleted ones as the user
// left them, and one cut off mid-training as "interrupted" with the steps it had recorded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const TINY = join(process.cwd(), 'src', 'engine', 'fixtures', 'tiny-bert');
const file = (name: string) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(TINY, name)) });

test('a reload keeps the runs, their names and deletions, and marks a run cut off mid-training as interrupted', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('model-label')).toContainText('default');
  await page.getByLabel('Model files').setInputFiles([file('config.json'), file('vocab.txt'), file('model.safetensors')]);
  await expect(page.getByTestId('model-parameters')).toContainText('84,320');
  await page.getByLabel('Bottleneck').fill('4');
  await page.getByLabel('Batch size').fill('2');
  await page.getByLabel('Sequence length').fill('8');
  await page.getByLabel('Steps', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const rows = page.getByTestId('run-row');
  const finished = { losses: await rows.first().getAttribute('data-losses'), cells: await rows.first().locator('td').allTextContents() };

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

  await page.getByRole('button', { name: /^Delete / }).nth(1).click();
  await expect(rows).toHaveCount(1);
  await page.reload();
  await expect(rows).toHaveCount(1);
  await expect(rows.first().locator('td').nth(1)).toHaveText('my first run');
});
