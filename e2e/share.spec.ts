// Share links in the browser: a run's link, opened in a fresh browser context, shows the same
// settings and results without training, and "Run it again" only fills the controls. Hostile and
// broken links are reported as text and change nothing.
import { readFileSync } from 'node:fs';
import { deflateSync } from 'fflate';
import { expect, test } from '@playwright/test';
import { defaultRunSettings, type RunSettings } from '../src/engine/settings';
import { fillRun, pickTinyModel } from './helpers';

const linkOf = (json: string) => `/#share=1.${Buffer.from(deflateSync(new TextEncoder().encode(json))).toString('base64url')}`;

test('a shared run reopens in a fresh browser with its settings and results, and runs nothing by itself', async ({ page, browser }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await pickTinyModel(page);
  await fillRun(page, { dim: 8, sparsity: 0.5, steps: 4, batchSize: 4, seqLen: 16 });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  const row = page.getByTestId('run-row').first();
  const original = {
    settings: JSON.parse((await row.getAttribute('data-settings'))!) as RunSettings,
    losses: JSON.parse((await row.getAttribute('data-losses'))!) as number[],
    cells: await row.locator('td').allTextContents(),
  };

  await page.getByRole('button', { name: 'Share this run' }).click();
  const url = await page.getByLabel('Share link').inputValue();
  expect(url.length).toBeLessThan(8 * 1024);
  await expect(page.getByTestId('share-bar').getByRole('status')).toContainText('characters');

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(url);
  const shared = other.getByTestId('run-row');
  await expect(shared).toHaveCount(1);
  await expect(shared.locator('td').nth(2)).toHaveText('shared');
  expect(JSON.parse((await shared.getAttribute('data-settings'))!)).toEqual(original.settings);
  const losses = JSON.parse((await shared.getAttribute('data-losses'))!) as number[];
  expect(losses).toEqual(original.losses.map((l) => Number(l.toPrecision(4))));
  const cells = await shared.locator('td').allTextContents();
  // Label, budget, % of PLM, dev accuracy, last loss (4 digits, so rounding cannot show) and time agree.
  for (const i of [1, 3, 4, 5, 6, 7]) expect(cells[i], `column ${i}`).toBe(original.cells[i]);
  await expect(other.getByTestId('share-notice')).toHaveCount(0);
  await other.screenshot({ path: 'test-results/screenshots/shared-run.png', fullPage: true });

  // "Run it again" fills the controls and starts nothing.
  await other.getByRole('button', { name: 'Run it again' }).click();
  await expect(other.getByLabel('Steps', { exact: true })).toHaveValue('4');
  await expect(other.getByLabel('Bottleneck')).toHaveValue('8');
  await expect(other.getByLabel('Sparsity')).toHaveValue('0.5');
  await other.waitForTimeout(1000);
  await expect(other.getByTestId('run-row')).toHaveCount(1);
  await fresh.close();
});

test('a hostile link is shown as text with what could not be used; a broken one changes nothing', async ({ page }) => {
  const hostile = JSON.stringify({ v: 1, runs: [{ label: '<img src=x onerror="window.__pwned=1">', settings: { task: 'file:secret.csv', adapter: { kind: 'lora', dim: 1e9 }, prune: { sparsity: '<b>bold</b>' }, largeSparse: 2, train: { steps: 7 } } }] });
  await page.goto(linkOf(hostile));
  const notice = page.getByTestId('share-notice');
  await expect(notice).toContainText('the run used your sender\'s own file "secret.csv", which a link cannot carry; using the toy task');
  await expect(notice).toContainText('adapter.dim 1000000000 is not valid');
  await expect(notice).toContainText('prune.sparsity "<b>bold</b>" is not valid');
  await expect(notice).toContainText('8 train settings are missing; using the defaults (batchSize = 16');
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  await expect(page.getByTestId('run-row').locator('td').nth(1)).toHaveText('<img src=x onerror="window.__pwned=1">');
  expect(await page.locator('img[src="x"], b').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  // What was valid was taken.
  await expect(page.getByLabel('Steps', { exact: true })).toHaveValue('7');
  await expect(page.getByLabel('Large-Sparse factor k')).toHaveValue('2');
  await expect(page.getByLabel('Rank')).toHaveValue('8');

  // A broken link pasted into the same tab: reported, and the run already open stays.
  await page.goto('/#share=1.eJyrVi');
  await expect(page.getByTestId('share-notice')).toContainText('This share link cannot be opened: its data is corrupt or truncated');
  await expect(page.getByTestId('run-row')).toHaveCount(1);
  await expect(page.getByTestId('model-label')).toContainText('default');
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.getByTestId('share-notice')).toHaveCount(0);
});

test('an exported run file imports into a fresh browser with the same figures; a bad file changes nothing', async ({ page, browser }) => {
  const run = { label: 'exported run', settings: { ...defaultRunSettings('pfeiffer'), task: 'spam' }, results: { status: 'done', seconds: 12.5, budget: { plmParams: 1850496, adapterParams: 20000, adapterPrunable: 19000, adapterNonzero: 11400, headParams: 16770, trainableNonzero: 28170, percentOfPlm: 1.5223 }, dev: { accuracy: 0.8833, macroF1: 0.86, mcc: 0.72, count: 300 }, labels: ['ham', 'spam'], confusion: [[190, 10], [25, 75]], losses: [[1, 0.7], [50, 0.45], [100, 0.31]], evals: [[50, 0.8, 0.75, 0.5], [100, 0.8833, 0.86, 0.72]] } };
  await page.goto(linkOf(JSON.stringify({ v: 1, runs: [run] })));
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(1);
  const before = await rows.first().locator('td').allTextContents();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export this run (JSON)' }).click()]);
  const text = readFileSync((await download.path())!, 'utf8');

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto('/');
  await other.getByLabel('Import runs').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"sparseadapter-run","version":1,"runs":[{"id":"x"}]}') });
  await expect(other.getByTestId('import-runs').getByRole('alert')).toContainText('bad.json: run 1 is damaged at label');
  await expect(other.getByTestId('run-row')).toHaveCount(0);
  await other.getByLabel('Import runs').setInputFiles({ name: 'runs.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(other.getByTestId('import-runs').getByRole('status')).toHaveText('Imported 1 run.');
  const imported = other.getByTestId('run-row');
  await expect(imported).toHaveCount(1);
  expect(await imported.first().locator('td').allTextContents()).toEqual(before);
  await expect(other.getByTestId('confusion')).toContainText('190');
  await fresh.close();
});
