// The paper's comparison in one click: a standard Houlsby adapter and its Large-Sparse ×2
// counterpart run one after the other on WebGPU; both end overlaid, and their non-zero budgets differ
// only by the bias terms the wider bottleneck adds (2 adapters × 2 layers × (2d − d) down-biases). While
// the first trains, the second waits as queued and can be cancelled. axe-core scans the page (WCAG 2.1
// A/AA) on open, during a pruned run and with the comparison shown.
import { expect, test } from '@playwright/test';
import { expectAccessible, fillRun, pickTinyModel } from './helpers';

test('Large-Sparse vs standard queues two runs and shows equal budgets', async ({ page }, testInfo) => {
  test.setTimeout(400_000);
  await page.goto('/');
  await pickTinyModel(page);
  await expectAccessible(page, 'on open');
  await fillRun(page, { dim: 8, sparsity: 0, steps: 3, batchSize: 4, seqLen: 16 });
  await page.getByRole('button', { name: 'Large-Sparse ×2 vs standard' }).click();
  const comparison = page.getByTestId('comparison');
  await expect(comparison).toHaveAttribute('data-gain', /.+/, { timeout: 360_000 });
  const standard = Number(await comparison.getAttribute('data-standard'));
  const large = Number(await comparison.getAttribute('data-large'));
  expect(large - standard).toBe(2 * 2 * 8);
  await expect(page.getByTestId('run-row')).toHaveCount(2);
  await expectAccessible(page, 'with a comparison shown');
  await page.screenshot({ path: testInfo.outputPath('comparison.png'), fullPage: true });
});

test("the comparison's second run waits as queued in the runs panel and can be cancelled before it starts", async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await pickTinyModel(page);
  await fillRun(page, { dim: 4, steps: 400, batchSize: 2, seqLen: 8 });
  await page.getByRole('button', { name: 'Large-Sparse ×2 vs standard' }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'running');
  // During a run that has pruned: the density heatmap (coloured cells, a scrolling region) is on the page.
  await expect(page.getByTestId('density-grid')).toBeVisible();
  await expectAccessible(page, 'during a run');
  await expect(page.getByRole('region', { name: /Density kept per tensor/ })).toHaveAttribute('tabindex', '0');
  const queued = page.getByTestId('queued-run');
  await expect(queued).toHaveCount(1);
  await expect(queued).toContainText('(Large-Sparse ×2): queued (next)');
  await expect(page.getByTestId('run-row').nth(1).locator('td').nth(2)).toHaveText('queued');
  await queued.getByRole('button', { name: /^Cancel / }).click();
  await expect(page.getByTestId('run-queue')).toHaveCount(0);
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'stopped');
  await expect(page.getByTestId('run-row')).toHaveCount(1);
});
