// One SparseAdapter run in the browser on WebGPU (tiny BERT, toy task, SNIP at 50%, a few steps):
// the page streams the run to completion, and its losses match the same run on tfjs's cpu backend
// in Node within 1e-3 relative per step (float32 reductions differ in order between backends).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect, test } from '@playwright/test';
import { folderReader } from '../src/cli/modelFolder';
import { resolveRun } from '../src/engine/config';
import { toyTask } from '../src/engine/data/toy';
import { loadPlm } from '../src/engine/plm';
import type { RunSettings } from '../src/engine/settings';
import { predict } from '../src/engine/predict';
import { runSparseAdapter } from '../src/engine/train';
import { unzipSync } from 'fflate';
import { parseSafetensors } from '../src/engine/safetensors';
import { fillRun, pickTinyModel, TINY, tinyFile as file } from './helpers';


test('a pruned Houlsby run on WebGPU streams to the end and matches the cpu engine', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await pickTinyModel(page);

  await page.getByLabel('Adapter type').selectOption('houlsby');
  await fillRun(page, { dim: 8, sparsity: 0.5, steps: 6, batchSize: 4, seqLen: 16 });
  // The page's exact budget for this configuration, before running.
  const predicted = (await page.getByTestId('budget-standard-trainableNonzero').textContent())!;
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(page.getByTestId('density')).toBeVisible();

  const row = page.getByTestId('run-row').first();
  // The engine's count after masking equals what the budget panel said.
  await expect(row.locator('td').nth(3)).toHaveText(predicted);
  const settings = JSON.parse((await row.getAttribute('data-settings'))!) as RunSettings;
  const webgpu = JSON.parse((await row.getAttribute('data-losses'))!) as number[];
  expect(webgpu).toHaveLength(6);

  await tf.setBackend('cpu');
  const plm = await loadPlm(folderReader(TINY), 'tiny');
  const config = resolveRun(settings);
  const cpuRun = await runSparseAdapter(plm, toyTask(config.train.seed), config, () => {});
  const cpu = cpuRun.losses;
  const relative = webgpu.map((loss, i) => Math.abs(loss - cpu[i]!) / Math.abs(cpu[i]!));
  console.log(`losses webgpu ${webgpu.map((l) => l.toFixed(5)).join(' ')}\nlosses cpu    ${cpu.map((l) => l.toFixed(5)).join(' ')}\nmax relative difference ${Math.max(...relative).toExponential(2)}`);
  for (const r of relative) expect(r).toBeLessThanOrEqual(1e-3);

  // "Try it" runs the adapter trained on WebGPU; its probabilities match the cpu-trained one.
  const sentence = 'the music was awful.';
  await page.getByLabel('Sentence to classify', { exact: true }).fill(sentence);
  await page.getByRole('button', { name: 'Predict' }).click();
  const shown = JSON.parse((await page.getByTestId('prediction').getAttribute('data-probabilities'))!) as number[];
  const expected = await predict(plm, cpuRun, ['negative', 'positive'], sentence, null);
  expect(expected.kind).toBe('sequence');
  if (expected.kind === 'sequence') shown.forEach((p, i) => expect(Math.abs(p - expected.probabilities[i]!)).toBeLessThan(1e-3));

  // The trained adapter leaves the browser as a file and comes back after a reload: same prediction.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /^Download the adapter of / }).click()]);
  const adapterBytes = readFileSync((await download.path())!);
  // The same adapter for AdapterHub (zipped folder): our tensors under its names, transposed to torch's layout.
  const [zipDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /for AdapterHub$/ }).click()]);
  const zip = unzipSync(new Uint8Array(readFileSync((await zipDownload.path())!)));
  const folder = zipDownload.suggestedFilename().replace(/\.zip$/, '');
  expect(folder).toMatch(/-adapterhub$/);
  expect(Object.keys(zip).sort()).toEqual(['README.md', 'adapter.safetensors', 'adapter_config.json', 'head_config.json', 'model_head.safetensors', 'sparsity_masks.safetensors'].map((f) => `${folder}/${f}`));
  const hubConfig = JSON.parse(new TextDecoder().decode(zip[`${folder}/adapter_config.json`])) as { name: string; config: { reduction_factor: number; mh_adapter: boolean } };
  expect(hubConfig.config).toMatchObject({ reduction_factor: 4, mh_adapter: true }); // 32 / 8
  const ours = parseSafetensors(new Uint8Array(adapterBytes));
  const hub = parseSafetensors(zip[`${folder}/adapter.safetensors`]!);
  const down = ours.readFloat32('layer.1.output_adapter.down.weight'); // [32, 8]
  const theirs = hub.readFloat32(`bert.encoder.layer.1.output.adapters.${hubConfig.name}.adapter_down.0.weight`); // [8, 32]
  for (let i = 0; i < 32; i++) for (let j = 0; j < 8; j++) expect(theirs[j * 32 + i]).toBe(down[i * 8 + j]! + 0);
  expect(hub.tensors.size).toBe(2 * 2 * 4); // 2 layers × 2 sites × (down, down bias, up, up bias)
  await page.reload();
  await expect(page.getByTestId('model-label')).toContainText('default');
  // On the default model the file is refused, naming the mismatch; nothing else changes.
  await page.getByLabel('Import adapter').setInputFiles({ name: 'trained.safetensors', mimeType: 'application/octet-stream', buffer: adapterBytes });
  await expect(page.getByTestId('adapter-import-error')).toContainText('trained.safetensors was trained on a bert with 2 layers, hidden size 32,');
  const shipped = JSON.parse(readFileSync(join(process.cwd(), 'public', 'models', 'default', 'config.json'), 'utf8')) as { num_hidden_layers: number; hidden_size: number };
  await expect(page.getByTestId('adapter-import-error')).toContainText(`the loaded model is a bert with ${shipped.num_hidden_layers} layers, hidden size ${shipped.hidden_size},`);
  await page.getByLabel('Model files').setInputFiles([file('config.json'), file('vocab.txt'), file('model.safetensors')]);
  await expect(page.getByTestId('model-parameters')).toContainText('84,320');
  await page.getByLabel('Import adapter').setInputFiles({ name: 'trained.safetensors', mimeType: 'application/octet-stream', buffer: adapterBytes });
  await page.getByLabel('Sentence to classify', { exact: true }).fill(sentence);
  await page.getByRole('button', { name: 'Predict' }).click();
  const again = JSON.parse((await page.getByTestId('prediction').getAttribute('data-probabilities'))!) as number[];
  again.forEach((p, i) => expect(Math.abs(p - shown[i]!)).toBeLessThan(1e-6));
});
