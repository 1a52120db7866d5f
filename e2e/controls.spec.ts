// Driving a run from the page: pause holds it (no new steps), resume continues, stop ends it and
// keeps what was recorded; a run that fails (the loss overflows) says why, and the next run starts
// cleanly. Meanwhile the main thread stays responsive: no long task over 100 ms while the run streams.
import { expect, test, type Page } from '@playwright/test';
import { fillRun, pickTinyModel } from './helpers';
const steps = async (page: Page) => (JSON.parse((await page.getByTestId('run-row').last().getAttribute('data-losses'))!) as number[]).length;

async function tinySetup(page: Page) {
  // Long tasks are recorded from the start; the test reads those of the training window.
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration }); }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto('/');
  await pickTinyModel(page);
  await fillRun(page, { dim: 4, batchSize: 2, seqLen: 8 });
}

test('pause holds a run, resume continues it, stop ends it and keeps its curve; no long task while it streams', async ({ page }) => {
  test.setTimeout(300_000);
  await tinySetup(page);
  await page.getByLabel('Steps', { exact: true }).fill('400');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(() => steps(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  // The streaming window: the run alone updates the page (no clicks, no screenshots) for 8 s.
  const windowStart = await page.evaluate(() => performance.now());
  await page.waitForTimeout(8000);
  const windowEnd = await page.evaluate(() => performance.now());
  expect(await steps(page)).toBeGreaterThan(3);
  await page.screenshot({ path: 'test-results/screenshots/training.png', fullPage: true });

  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('run-progress')).toContainText('paused');
  const held = await steps(page);
  await page.waitForTimeout(3000);
  // At most the steps already queued when pause arrived (the loss lag) are reported after it.
  expect(await steps(page)).toBeLessThanOrEqual(held + 2);
  const whilePaused = await steps(page);
  await page.waitForTimeout(2000);
  expect(await steps(page)).toBe(whilePaused);

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect.poll(() => steps(page), { timeout: 60_000 }).toBeGreaterThan(whilePaused + 2);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'stopped');
  const kept = await steps(page);
  expect(kept).toBeGreaterThan(whilePaused + 2);
  expect(kept).toBeLessThan(400);
  await expect(page.getByTestId('run-row').last().locator('td').nth(2)).toHaveText('stopped');

  const longTasks = await page.evaluate(([a, b]) => (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((t) => t.start >= a! && t.start <= b!), [windowStart, windowEnd]);
  console.log(`long tasks while streaming ${((windowEnd - windowStart) / 1000).toFixed(1)} s: ${JSON.stringify(longTasks.map((t) => Math.round(t.duration)))}`);
  expect(longTasks.filter((t) => t.duration > 100)).toEqual([]);
});

// The engine's own overflow check (a loss that becomes NaN) is train.test.ts's: the controls can no longer ask for a learning
// rate outside its setting's range, which resolveRun refuses before training.
test('a run with a setting out of its range fails with the reason, keeps its record, and the next run starts cleanly', async ({ page }) => {
  test.setTimeout(300_000);
  await tinySetup(page);
  await page.getByLabel('Steps', { exact: true }).fill('6');
  await page.getByLabel('Learning rate').fill('1e30');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'failed', { timeout: 120_000 });
  await expect(progress).toContainText('failed: train.learningRate must be a number above 0 and at most 1, got 1e+30');
  await page.screenshot({ path: 'test-results/screenshots/failed-run.png', fullPage: true });

  await page.getByLabel('Learning rate').fill('0.001');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).locator('td').nth(2)).toHaveText('failed');
  await expect(rows.nth(1).locator('td').nth(2)).toHaveText('done');
  expect(await steps(page)).toBe(6);
  await page.screenshot({ path: 'test-results/screenshots/after-failure.png', fullPage: true });
});

test('a worker crash is shown, ends the run as failed, and the engine comes back with the model for the next run', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('model-label')).toContainText('default');
  await fillRun(page, { dim: 4, batchSize: 2, seqLen: 8, steps: 300 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect.poll(() => steps(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(1);
  // An uncaught error inside the worker, as a crash of the engine would raise.
  const worker = page.workers().find((w) => w.url().includes('worker'))!;
  await worker.evaluate(() => { setTimeout(() => { throw new Error('simulated engine crash'); }, 0); });
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-status', 'failed');
  await expect(progress).toContainText('The engine worker crashed');
  await expect(page.getByTestId('crash-notice')).toContainText('The engine was restarted and the model and tasks loaded back');
  await expect(page.getByTestId('model-label')).toContainText('default');
  const recorded = await steps(page);
  expect(recorded).toBeGreaterThanOrEqual(1);

  await page.getByLabel('Steps', { exact: true }).fill('2');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await page.screenshot({ path: 'test-results/screenshots/after-crash.png', fullPage: true });
});
