// A RoBERTa folder as users have it (config.json, model.safetensors, vocab.json + merges.txt,
// tokenizer.json, tokenizer_config.json) picked in the page: it loads with its byte-level BPE, encodes a
// pair on WebGPU as the cpu engine does (within 1e-4), a SNIP-pruned LoRA trains 3 steps on WebGPU,
// "Try it" runs it, and its PEFT export names the
// tensors as PEFT does on RobertaForSequenceClassification (roberta.encoder.layer.N.attention.self.
// query/value, the head as classifier.dense / classifier.out_proj), with the masks' zeros in place.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { folderReader } from '../src/cli/modelFolder';
import { encodeText, loadPlm } from '../src/engine/plm';
import { parseSafetensors } from '../src/engine/safetensors';
import { fillRun } from './helpers';

const TINY_ROBERTA = join(process.cwd(), 'src', 'engine', 'fixtures', 'tiny-roberta');
const FILES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

test('a picked RoBERTa folder trains a pruned LoRA and exports it as a PEFT folder with RoBERTa\'s names', async ({ page }) => {
  const started = Date.now();
  await page.goto('/');
  await expect(page.getByTestId('model-label')).toContainText('default');
  await page.getByLabel('Model files').setInputFiles(FILES.map((name) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(TINY_ROBERTA, name)) })));
  await expect(page.getByTestId('model-architecture')).toHaveText('RoBERTa');
  await expect(page.getByTestId('model-vocabulary')).toContainText('961 byte-level BPE tokens');

  // The encoder try-out frames a pair RoBERTa's way: <s> A </s></s> B </s>, all of type 0.
  await page.getByLabel('Text', { exact: true }).fill('the cat sat');
  await page.getByLabel('Second text').fill('it was late');
  await page.getByRole('button', { name: 'Encode' }).click();
  const table = page.getByTestId('encoding');
  await expect(table).toBeVisible();
  const cells = await table.locator('tbody tr td:first-child').allTextContents();
  expect(cells[0]).toBe('<s>');
  expect(cells.filter((t) => t === '</s>')).toHaveLength(3);
  // …and its hidden states on WebGPU (RoBERTa's position ids included) match the cpu engine, which bert.test.ts holds to PyTorch.
  const hidden = JSON.parse((await table.getAttribute('data-hidden'))!) as number[][];
  await tf.setBackend('cpu');
  const plm = await loadPlm(folderReader(TINY_ROBERTA), 'tiny-roberta');
  const reference = await encodeText(plm, 'the cat sat', 'it was late');
  expect(JSON.parse((await table.getAttribute('data-input-ids'))!)).toEqual(reference.inputIds);
  let maxDiff = 0;
  reference.lastHiddenState.forEach((row, t) => row.forEach((v, j) => { maxDiff = Math.max(maxDiff, Math.abs(v - (hidden[t]?.[j] ?? NaN))); }));
  expect(maxDiff).toBeLessThanOrEqual(1e-4);

  await page.getByLabel('Adapter type').selectOption('lora');
  await page.getByLabel('Rank').fill('4');
  // Few, wide batches: on SwiftShader a step costs its dispatches, not its arithmetic.
  await fillRun(page, { sparsity: 0.5, steps: 3, batchSize: 8, seqLen: 12 });
  await page.getByText('Advanced settings').click();
  await page.getByLabel('Scoring batches').fill('1');
  const loaded = Date.now();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const trained = Date.now();
  const row = page.getByTestId('run-row').first();
  const losses = JSON.parse((await row.getAttribute('data-losses'))!) as number[];
  expect(losses).toHaveLength(3);
  expect(losses.every(Number.isFinite)).toBe(true);

  await page.getByLabel('Sentence to classify', { exact: true }).fill('the music was awful.');
  await page.getByRole('button', { name: 'Predict' }).click();
  const probabilities = JSON.parse((await page.getByTestId('prediction').getAttribute('data-probabilities'))!) as number[];
  expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /for PEFT$/ }).click()]);
  const folder = download.suggestedFilename().replace(/\.zip$/, '');
  expect(folder).toMatch(/-peft$/);
  const zip = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
  const config = JSON.parse(new TextDecoder().decode(zip[`${folder}/adapter_config.json`])) as Record<string, unknown>;
  expect(config).toMatchObject({ peft_type: 'LORA', r: 4, target_modules: ['query', 'value'], modules_to_save: ['classifier'], task_type: 'SEQ_CLS' });
  const weights = parseSafetensors(zip[`${folder}/adapter_model.safetensors`]!);
  const expected = [0, 1].flatMap((l) => ['query', 'value'].flatMap((m) => ['lora_A', 'lora_B'].map((ab) => `base_model.model.roberta.encoder.layer.${l}.attention.self.${m}.${ab}.weight`)));
  expected.push('base_model.model.classifier.dense.weight', 'base_model.model.classifier.dense.bias', 'base_model.model.classifier.out_proj.weight', 'base_model.model.classifier.out_proj.bias');
  expect([...weights.tensors.keys()].sort()).toEqual(expected.sort());
  expect(weights.tensors.get('base_model.model.roberta.encoder.layer.0.attention.self.query.lora_A.weight')!.shape).toEqual([4, 32]);
  // Half of LoRA's weights are pruned: exact zeros where the mask says 0.
  const masks = parseSafetensors(zip[`${folder}/sparsity_masks.safetensors`]!);
  let kept = 0;
  let total = 0;
  for (const name of masks.tensors.keys()) {
    const m = masks.readBytes(name);
    const w = weights.readFloat32(name);
    m.forEach((keep, i) => { total += 1; kept += keep; if (keep === 0) expect(w[i]).toBe(0); });
  }
  expect(kept / total).toBeCloseTo(0.5, 2);
  expect(new TextDecoder().decode(zip[`${folder}/README.md`])).toContain('RoBERTa');
  console.log(`RoBERTa encoder, webgpu vs cpu: max |Δ| = ${maxDiff.toExponential(2)}`);
  console.log(`RoBERTa e2e: load, 3 LoRA steps, predict and PEFT export in ${((Date.now() - started) / 1000).toFixed(1)} s (page and model ${((loaded - started) / 1000).toFixed(1)} s, run ${((trained - loaded) / 1000).toFixed(1)} s); losses ${losses.map((l) => l.toFixed(4)).join(' ')}`);
});
