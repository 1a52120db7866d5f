// The adapter file round trip: a trained, pruned adapter written and read back predicts exactly as
// before, its pruned entries are exact zeros, its metadata says what it holds (the settings as chosen,
// the configuration trained, the encoder), and files that do not fit are refused with a reason.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adapterFromSafetensors, adapterToSafetensors, readAdapterFileContents } from './adapterFile';
import { mergeSettings, resolveRun } from './config';
import { toyTask } from './data/toy';
import type { Plm } from './plm';
import { predict } from './predict';
import { parseSafetensors, writeSafetensors } from './safetensors';
import { loadTinyPlm } from './testing/tinyModel';
import { runSparseAdapter, type RunResult } from './train';

let plm: Plm;
let run: RunResult;
let bytes: Uint8Array;
const task = toyTask();

beforeAll(async () => {
  await tf.setBackend('cpu');
  plm = await loadTinyPlm();
  const settings = mergeSettings({ adapter: { kind: 'houlsby', dim: 4 }, prune: { sparsity: 0.5 }, train: { steps: 4, batchSize: 4, seqLen: 16 } });
  const resolved = resolveRun(settings);
  run = await runSparseAdapter(plm, task, resolved, () => {});
  bytes = await adapterToSafetensors(run, plm, { settings, resolved }, task.labels);
});

describe('adapter files', () => {
  it('read back predict exactly as the trained adapter, with the masks and the labels', async () => {
    const loaded = adapterFromSafetensors(bytes, plm, 'a.safetensors');
    try {
      expect(loaded.labels).toEqual(task.labels);
      expect([...loaded.masks.keys()]).toEqual([...run.masks.keys()]);
      for (const sentence of ['the film was wonderful.', 'a dull, boring story.']) {
        const before = await predict(plm, run, task.labels, sentence, null);
        const after = await predict(plm, loaded, loaded.labels, sentence, null);
        expect(after).toEqual(before);
      }
      const file = parseSafetensors(bytes);
      const name = run.adapters.params.find((p) => p.prunable)!.name;
      const weights = file.readFloat32(name);
      const mask = file.readBytes(`${name}.mask`);
      expect(mask.some((m) => m === 0)).toBe(true);
      mask.forEach((m, i) => { if (m === 0) expect(Object.is(weights[i], 0)).toBe(true); });
      expect((loaded.run.settings as { adapter: { dim: number } }).adapter.dim).toBe(4);
      expect(loaded.encoder).toEqual({ model_type: 'bert', layers: 2, hidden: 32, heads: 4, intermediate: 64, vocab_size: plm.model.config.vocabSize });
    } finally {
      loaded.dispose();
    }
  });

  it('refuses files that do not fit, and frees what it built', async () => {
    const tensors = tf.memory().numTensors;
    const file = parseSafetensors(bytes);
    const rewrite = (drop: string | null, meta: Record<string, string>) => writeSafetensors(
      [...file.tensors.entries()].filter(([n]) => n !== drop).map(([name, info]) => ({ name, shape: info.shape, data: info.dtype === 'U8' ? file.readBytes(name) : file.readFloat32(name), dtype: info.dtype as 'F32' | 'U8' })),
      { ...file.metadata, ...meta },
    );
    const weight = run.adapters.params[0]!.name;
    expect(() => adapterFromSafetensors(rewrite(weight, {}), plm, 'x.safetensors')).toThrow(`x.safetensors lacks the tensor ${weight}`);
    const contents = JSON.parse(file.metadata.contents!) as { encoder: object; resolved: { adapter: object } };
    const withContents = (change: (c: typeof contents) => object) => rewrite(null, { contents: JSON.stringify(change(structuredClone(contents))) });
    expect(() => adapterFromSafetensors(withContents((c) => ({ ...c, encoder: { ...c.encoder, heads: 8, intermediate: 128 } })), plm, 'x.safetensors'))
      .toThrow(`x.safetensors was trained on a bert with 2 layers, hidden size 32, 8 heads, intermediate size 128 and ${plm.model.config.vocabSize} tokens; the loaded model is a bert with 2 layers, hidden size 32, 4 heads, intermediate size 64`);
    expect(() => adapterFromSafetensors(withContents((c) => ({ ...c, encoder: { ...c.encoder, model_type: 'roberta' } })), plm, 'x.safetensors')).toThrow('was trained on a roberta with');
    expect(() => adapterFromSafetensors(withContents((c) => ({ ...c, resolved: { ...c.resolved, adapter: { ...c.resolved.adapter, kind: 'ia3' } } })), plm, 'x.safetensors')).toThrow('x.safetensors: its metadata is damaged at resolved.adapter.kind');
    expect(() => adapterFromSafetensors(rewrite(null, { format_version: '1', contents: '' }), plm, 'x.safetensors')).toThrow('x.safetensors is an adapter file of version 1');
    expect(() => adapterFromSafetensors(rewrite(null, { format_version: '3' }), plm, 'x.safetensors')).toThrow('x.safetensors has adapter-file version 3; this playground reads version 2');
    expect(() => adapterFromSafetensors(rewrite(null, { format: 'other' }), plm, 'x.safetensors')).toThrow('x.safetensors is not an adapter saved by this playground');
    expect(() => adapterFromSafetensors(withContents((c) => ({ ...c, resolved: { ...c.resolved, adapter: { ...c.resolved.adapter, dim: 8 } } })), plm, 'x.safetensors')).toThrow(/has shape \[32,4\] where \[32,8\] is expected/);
    expect(() => adapterFromSafetensors(bytes.slice(0, 100), plm, 'x.safetensors')).toThrow(/truncated/);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  // The page's download: the worker keeps what the page asked for and what it resolved to, and writes both.
  it('written for page settings with Large-Sparse, records the settings as chosen and the LoRA trained', async () => {
    const settings = mergeSettings({ adapter: { kind: 'lora', dim: 2 }, prune: { sparsity: 0.5 }, largeSparse: 2, train: { steps: 2, batchSize: 4, seqLen: 16, evalEvery: 0 } });
    const resolved = resolveRun(settings);
    const lora = await runSparseAdapter(plm, task, resolved, () => {});
    try {
      const file = await adapterToSafetensors(lora, plm, { settings, resolved }, task.labels);
      const contents = readAdapterFileContents(parseSafetensors(file).metadata, 'page.safetensors');
      expect(contents.settings).toEqual(settings);
      expect(contents.resolved).toEqual(resolved);
      expect(contents.resolved.adapter).toMatchObject({ kind: 'lora', dim: 4 });
      expect(contents.resolved.prune.sparsity).toBeCloseTo(0.75, 12);
      expect(contents.head).toEqual({ kind: 'sequence', labels: task.labels });
      const loaded = adapterFromSafetensors(file, plm, 'page.safetensors');
      try {
        expect(loaded.adapters.options).toEqual(resolved.adapter);
        expect(await predict(plm, loaded, loaded.labels, 'a fine film.', null)).toEqual(await predict(plm, lora, task.labels, 'a fine film.', null));
      } finally {
        loaded.dispose();
      }
    } finally {
      lora.dispose();
    }
  });

  it('is not written with metadata no reader would accept', async () => {
    const settings = mergeSettings({});
    await expect(adapterToSafetensors(run, plm, { settings, resolved: { ...resolveRun(settings), prune: { ...settings.prune, sparsity: 1 } } }, task.labels)).rejects.toThrow("the adapter file's metadata would not be readable: resolved.prune.sparsity");
    await expect(adapterToSafetensors(run, plm, { settings, resolved: resolveRun(settings) }, ['only one'])).rejects.toThrow('head.labels');
  });
});
