// Masked training on the tiny BERT and the toy task: pruned weights stay exactly zero through
// AdamW with weight decay, the PLM is unchanged bit for bit, the run is reproducible from its seed,
// tensors do not grow across steps, a non-finite loss stops the run, and the model learns.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bertTensors } from './bert';
import { mergeSettings, resolveRun, type RunOverrides } from './config';
import type { TaggingTask } from './data/task';
import { toyTask } from './data/toy';
import type { Plm } from './plm';
import { loadTinyPlm } from './testing/tinyModel';
import { runSparseAdapter, type RunEvent } from './train';

let plm: Plm;
beforeAll(async () => {
  await tf.setBackend('cpu');
  plm = await loadTinyPlm();
});

const task = toyTask(1, { train: 64, dev: 32, test: 0 });
const quick = (overrides: RunOverrides) => resolveRun(mergeSettings({ ...overrides, train: { batchSize: 8, seqLen: 16, evalEvery: 0, learningRate: 5e-3, ...overrides.train } }));

describe('runSparseAdapter', () => {
  it('keeps pruned weights exactly zero and the PLM bit for bit unchanged after many steps with weight decay', async () => {
    const before = await Promise.all(bertTensors(plm.model).map((t) => t.data()));
    const events: RunEvent[] = [];
    const run = quick({ adapter: { kind: 'houlsby', dim: 8 }, prune: { sparsity: 0.6, pruner: 'snip' }, train: { steps: 40, weightDecay: 0.5 } });
    const result = await runSparseAdapter(plm, task, run, (e) => events.push(e));
    let pruned = 0;
    for (const p of result.adapters.params) {
      const mask = result.masks.get(p.name);
      if (!mask) continue;
      const w = p.variable.dataSync();
      const m = mask.dataSync();
      for (let i = 0; i < w.length; i++) {
        if (m[i] === 0) {
          pruned += 1;
          expect(Math.abs(w[i]!)).toBe(0); // exactly zero (a masked negative weight may be −0)
        }
      }
    }
    const prunableTotal = result.adapters.params.filter((p) => p.prunable).reduce((s, p) => s + p.variable.size, 0);
    expect(pruned).toBe(Math.round(0.6 * prunableTotal));
    expect(result.budget.adapterNonzero).toBe(result.budget.adapterParams - pruned);
    const after = await Promise.all(bertTensors(plm.model).map((t) => t.data()));
    after.forEach((data, i) => expect(data).toEqual(before[i]));
    expect(events.map((e) => e.type)).toContain('pruned');
    result.dispose();
  });

  it('gives the same losses for the same seed, and different ones for another seed', async () => {
    const losses = async (seed: number) => {
      const r = await runSparseAdapter(plm, task, quick({ adapter: { kind: 'lora', dim: 4 }, prune: { sparsity: 0.5 }, train: { steps: 6, seed } }), () => {});
      r.dispose();
      return r.losses;
    };
    const a = await losses(3);
    expect(a).toHaveLength(6);
    expect(await losses(3)).toEqual(a);
    expect(await losses(4)).not.toEqual(a);
  });

  it('does not grow the number of tensors between step 10 and step 100', async () => {
    const counts = new Map<number, number>();
    const before = tf.memory().numTensors;
    const r = await runSparseAdapter(plm, task, quick({ adapter: { kind: 'pfeiffer', dim: 4 }, prune: { sparsity: 0.5 }, train: { steps: 110 } }), (e) => {
      if (e.type === 'step') counts.set(e.step, tf.memory().numTensors);
    });
    expect(counts.get(100)).toBe(counts.get(10));
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fits a small training set (the optimiser and masks really train the model)', async () => {
    // The tiny fixture BERT has random weights, so it cannot generalise; it can still memorise.
    const small = toyTask(2, { train: 16, dev: 0, test: 0 });
    const r = await runSparseAdapter(plm, { ...small, dev: small.train }, quick({ adapter: { kind: 'houlsby', dim: 8 }, prune: { sparsity: 0.4 }, train: { steps: 150, batchSize: 16, learningRate: 1e-2, weightDecay: 0 } }), () => {});
    expect(r.losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(0.45);
    expect(r.dev.accuracy).toBeGreaterThanOrEqual(0.85);
    r.dispose();
  });

  it('trains a token-classification head: tags on first word pieces, untagged positions ignored', async () => {
    // Tag = the word's class in a fixed lexicon; words like "terrible" split into several pieces.
    const lexicon: [string, number][] = [['the', 0], ['a', 0], ['film', 1], ['book', 1], ['house', 1], ['was', 2], ['is', 2], ['terrible', 3], ['good', 3], ['awful', 3]];
    const sentence = (i: number) => {
      const pick = (cls: number) => lexicon.filter(([, c]) => c === cls)[(i * 7 + cls) % lexicon.filter(([, c]) => c === cls).length]!;
      const words = [pick(0), pick(1), pick(2), pick(3)];
      return { words: words.map(([w]) => w), tags: words.map(([, t]) => t) };
    };
    const tagging: TaggingTask = { name: 'lexicon', kind: 'token', labels: ['DET', 'NOUN', 'VERB', 'ADJ'], train: Array.from({ length: 48 }, (_, i) => sentence(i)), dev: Array.from({ length: 16 }, (_, i) => sentence(i + 100)), test: [] };
    const events: RunEvent[] = [];
    const r = await runSparseAdapter(plm, tagging, quick({ adapter: { kind: 'lora', dim: 4 }, prune: { sparsity: 0.5 }, train: { steps: 60, learningRate: 1e-2 } }), (e) => events.push(e));
    // Each dev sentence has 4 tagged words: the metrics count words, not word pieces or padding.
    expect(r.dev.count).toBe(16 * 4);
    expect(r.dev.confusion).toHaveLength(4);
    expect(r.dev.accuracy).toBeGreaterThan(0.9);
    expect(r.losses[r.losses.length - 1]!).toBeLessThan(r.losses[0]!);
    r.dispose();
  });

  it('stops with a clear error when the loss is not finite, and frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const run = quick({ adapter: { kind: 'houlsby', dim: 4 }, prune: { sparsity: 0 }, train: { steps: 20, learningRate: 1e30, maxGradNorm: 1e30 } });
    await expect(runSparseAdapter(plm, task, run, () => {})).rejects.toThrow(/the loss became (NaN|Infinity|-Infinity) at step \d+: training stopped/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pauses between steps: no step runs until untilResumed resolves', async () => {
    const steps: number[] = [];
    let release = () => {};
    let pausedAt = -1;
    const signal = {
      aborted: false,
      untilResumed: () => {
        if (steps.length >= 3 && pausedAt < 0) {
          pausedAt = steps.length;
          return new Promise<void>((resolve) => { release = resolve; });
        }
        return Promise.resolve();
      },
    };
    const run = runSparseAdapter(plm, task, quick({ adapter: { kind: 'lora', dim: 2 }, prune: { sparsity: 0 }, train: { steps: 8 } }), (e) => { if (e.type === 'step') steps.push(e.step); }, signal);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(pausedAt).toBeGreaterThan(0);
    expect(steps.length).toBe(pausedAt); // nothing happened while paused
    release();
    const r = await run;
    expect(r.losses).toHaveLength(8);
    r.dispose();
  });

  it('stops between steps when the signal is aborted', async () => {
    const signal = { aborted: false };
    const r = await runSparseAdapter(plm, task, quick({ adapter: { kind: 'lora', dim: 2 }, prune: { sparsity: 0 }, train: { steps: 50 } }), (e) => {
      if (e.type === 'step' && e.step === 5) signal.aborted = true;
    }, signal);
    expect(r.losses.length).toBeLessThan(50);
    r.dispose();
  });
});
