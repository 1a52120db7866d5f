// The frozen PLM in the browser: a Hugging Face BERT folder picked by the user loads in the worker,
// the encoder runs on WebGPU and its hidden states match the engine on tfjs's cpu backend in Node
// (which the unit tests hold to PyTorch). A corrupt file is reported and the loaded model is kept.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect, test, type Page } from '@playwright/test';
import { encodeText, loadPlm } from '../src/engine/plm';
import { folderReader } from '../src/cli/modelFolder';

const TINY = join(process.cwd(), 'src', 'engine', 'fixtures', 'tiny-bert');
const file = (name: string, buffer: Buffer = readFileSync(join(TINY, name))) => ({ name, mimeType: 'application/octet-stream', buffer });

async function pickTinyModel(page: Page, weights = file('model.safetensors')) {
  await page.getByLabel('Model files').setInputFiles([file('config.json'), file('vocab.txt'), weights]);
}

test('a picked BERT folder loads, and its encoder on WebGPU matches the cpu engine within 1e-4', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await expect(page.getByTestId('model-label')).toContainText('default');
  await pickTinyModel(page);
  await expect(page.getByTestId('model-parameters')).toContainText('84,320');
  const text = 'The cat sat on the mat.';
  await page.getByLabel('Text', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Encode' }).click();
  const table = page.getByTestId('encoding');
  await expect(table).toBeVisible();
  const ids = JSON.parse((await table.getAttribute('data-input-ids'))!) as number[];
  const hidden = JSON.parse((await table.getAttribute('data-hidden'))!) as number[][];

  await tf.setBackend('cpu');
  const plm = await loadPlm(folderReader(TINY), 'tiny');
  const reference = await encodeText(plm, text, null);
  expect(ids).toEqual(reference.inputIds);
  let maxDiff = 0;
  reference.lastHiddenState.forEach((row, t) => row.forEach((v, j) => { maxDiff = Math.max(maxDiff, Math.abs(v - (hidden[t]?.[j] ?? NaN))); }));
  console.log(`BERT forward, webgpu vs cpu: max |Δ| = ${maxDiff.toExponential(2)} over ${ids.length} tokens`);
  expect(maxDiff).toBeLessThanOrEqual(1e-4);
});

test('a corrupt checkpoint is reported by name and the loaded model stays usable', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-label')).toContainText('default');
  await pickTinyModel(page);
  await expect(page.getByTestId('model-parameters')).toContainText('84,320');
  const label = await page.getByTestId('model-label').textContent();

  const whole = readFileSync(join(TINY, 'model.safetensors'));
  await pickTinyModel(page, file('model.safetensors', whole.subarray(0, whole.length - 1000)));
  await expect(page.getByTestId('model-error')).toContainText('model.safetensors: truncated');
  await expect(page.getByTestId('model-label')).toHaveText(label!);

  await pickTinyModel(page, file('model.safetensors', Buffer.from('not a safetensors file at all')));
  await expect(page.getByTestId('model-error')).toContainText('model.safetensors: truncated or not a safetensors file');

  await page.getByRole('button', { name: 'Encode' }).click();
  await expect(page.getByTestId('encoding')).toBeVisible();
});

test('the default model loads from the app itself on start, and encodes on WebGPU', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('model-label')).toContainText('default');
  const card = JSON.parse(readFileSync(join(process.cwd(), 'public', 'models', 'default', 'config.json'), 'utf8')) as { num_hidden_layers: number; hidden_size: number };
  await expect(page.getByTestId('model-facts')).toContainText(`${card.num_hidden_layers} layers · hidden ${card.hidden_size}`);
  // The worker streamed the weights' reading and the tensors' making to the page: what was read is the file.
  const weights = statSync(join(process.cwd(), 'public', 'models', 'default', 'model.safetensors')).size;
  await expect(page.getByTestId('model-load-stats')).toHaveText(new RegExp(`^${(weights / 2 ** 20).toFixed(1).replace('.', '\\.')} MB of weights read, \\d+ tensors made, in \\d+\\.\\d s$`));
  // The training step's memory estimate for this model on the running backend: the frozen weights as float32, one pass of the whole batch.
  const parameters = Number((await page.getByTestId('model-parameters').textContent())!.replace(/[^0-9]/g, ''));
  await expect(page.getByTestId('memory-weights')).toHaveText(`${((parameters * 4) / 2 ** 20).toFixed(1)} MiB`);
  await expect(page.getByTestId('memory-activations')).toContainText('the whole batch of');
  await expect(page.getByTestId('memory-refusal')).toHaveCount(0);
  await page.getByRole('button', { name: 'Encode' }).click();
  const table = page.getByTestId('encoding');
  await expect(table).toBeVisible();
  const hidden = JSON.parse((await table.getAttribute('data-hidden'))!) as number[][];
  expect(hidden[0]).toHaveLength(card.hidden_size);
});
