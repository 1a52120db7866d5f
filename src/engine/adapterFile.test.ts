// The adapter file round trip: a trained, pruned adapter written and read back predicts exactly as
// before, its pruned entries are exact zeros, and files that do not fit are refused with a reason.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adapterFromSafetensors, adapterToSafetensors } from './adapterFile';
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
  run = await runSparseAdapter(plm, task, resolveRun(settings), () => {});
  bytes = await adapterToSafetensors(run.adapters, run.head, run.masks, settings, { labels: task.labels, plm });
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
      expect((loaded.config as { adapter: { dim: number } }).adapter.dim).toBe(4);
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
    expect(() => adapterFromSafetensors(rewrite(null, { plm: '{"layers":4,"hiddenSize":128}' }), plm, 'x.safetensors')).toThrow('was trained on a model with 4 layers × 128; the loaded model has 2 × 32');
    expect(() => adapterFromSafetensors(rewrite(null, { format: 'other' }), plm, 'x.safetensors')).toThrow('x.safetensors is not an adapter saved by this playground');
    expect(() => adapterFromSafetensors(rewrite(null, { adapter: JSON.stringify({ ...run.adapters.options, dim: 8 }) }), plm, 'x.safetensors')).toThrow(/has shape \[32,4\] where \[32,8\] is expected/);
    expect(() => adapterFromSafetensors(bytes.slice(0, 100), plm, 'x.safetensors')).toThrow(/truncated/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
