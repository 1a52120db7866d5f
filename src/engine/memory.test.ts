// The memory plan against hand-computed activation sizes (a bert-base step at 16 × 128 runs on wasm one
// example a pass: planned at the bare tensor count it aborted XNNPACK at 11), and micro-batched steps against
// whole-batch steps on the cpu backend: the same losses and weights up to float rounding, for a
// sentence task and for a tagging task whose sentences carry different numbers of tags.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeSettings, resolveRun, type RunOverrides } from './config';
import type { TaggingTask, Task } from './data/task';
import { toyTask } from './data/toy';
import { activationBytesPerExample, defaultActivationBudget, planMicroBatch, splitBatch, TAPE_OVERHEAD } from './memory';
import type { Plm } from './plm';
import { loadTinyPlm } from './testing/tinyModel';
import { createTrainer, runSparseAdapter, type RunEvent } from './train';

const BERT_BASE = { hiddenSize: 768, intermediateSize: 3072, numHeads: 12, numLayers: 12, embeddingSize: 768 };

describe('planMicroBatch', () => {
  it('counts a layer’s activations per token and per head from its shapes', () => {
    // 128 × (12 × 768 + 3 × 3072) + 3 × 12 × 128² per layer, 128 × (4 × 768 + 2 × 768) for the embeddings, in float32.
    const perLayer = 128 * (12 * 768 + 3 * 3072) + 3 * 12 * 128 * 128;
    expect(activationBytesPerExample(BERT_BASE, 128)).toBe(TAPE_OVERHEAD * 4 * (12 * perLayer + 128 * 6 * 768));
    expect(activationBytesPerExample(BERT_BASE, 128)).toBe(6 * 143_917_056);
  });

  it('splits a bert-base step of 16 × 128 on wasm, keeps a small model’s batch whole, and honours a requested size', () => {
    const wasm = planMicroBatch(BERT_BASE, { batchSize: 16, seqLen: 128, budgetBytes: defaultActivationBudget('wasm') });
    expect(wasm.microBatch).toBe(Math.floor(1.5 * 2 ** 30 / activationBytesPerExample(BERT_BASE, 128))); // 1 (0.80 GiB each)
    expect(wasm.passes).toBe(16);
    expect(wasm.passBytes).toBeLessThanOrEqual(wasm.budgetBytes);
    const tiny = planMicroBatch({ hiddenSize: 128, intermediateSize: 512, numHeads: 2, numLayers: 4, embeddingSize: 128 }, { batchSize: 16, seqLen: 64, budgetBytes: defaultActivationBudget('wasm') });
    expect([tiny.microBatch, tiny.passes]).toEqual([16, 1]);
    expect(planMicroBatch(BERT_BASE, { batchSize: 16, seqLen: 128, budgetBytes: 1, requested: 4 })).toMatchObject({ microBatch: 4, passes: 4 });
    expect(planMicroBatch(BERT_BASE, { batchSize: 2, seqLen: 128, budgetBytes: 1, requested: 4 })).toMatchObject({ microBatch: 2, passes: 1 });
    expect(splitBatch([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('refuses, with the numbers and what to lower, a configuration where one example does not fit', () => {
    expect(() => planMicroBatch(BERT_BASE, { batchSize: 16, seqLen: 512, budgetBytes: 2 ** 29 })).toThrow(/one example of 512 tokens needs about 5\.12 GiB of activations for a training step on this 12-layer × 768 model, more than the 0\.50 GiB this backend can give a step: lower the sequence length/);
    expect(() => planMicroBatch(BERT_BASE, { batchSize: 16, seqLen: 128, budgetBytes: 1, requested: 2.5 })).toThrow(/whole number/);
  });
});

describe('the estimate against what tfjs holds', () => {
  it('per example, the tiny model\'s step peaks below the estimate and above a third of it (tf.profile on cpu)', async () => {
    await tf.setBackend('cpu');
    const plm = await loadTinyPlm();
    const peak = async (batchSize: number) => {
      const trainer = createTrainer(plm, toyTask(1, { train: 64, dev: 4, test: 0 }), resolveRun(mergeSettings({ adapter: { kind: 'houlsby', dim: 8 }, prune: { pruner: 'snip', sparsity: 0, scoringBatches: 1 }, train: { steps: 3, batchSize, seqLen: 32, evalEvery: 0 } })), undefined, {});
      if (trainer.needsPruning) await trainer.prune(() => {});
      trainer.step(); // the optimizer's moments exist from here on
      await trainer.readLosses(0);
      const before = tf.memory().numBytes;
      const profile = await tf.profile(async () => { trainer.step(); await trainer.readLosses(0); });
      trainer.dispose();
      return profile.peakBytes - before;
    };
    const perExample = (await peak(8) - await peak(2)) / 6;
    const estimate = activationBytesPerExample(plm.model.config, 32);
    expect(perExample).toBeGreaterThan(0);
    expect(estimate).toBeGreaterThanOrEqual(perExample);
    expect(estimate).toBeLessThanOrEqual(3 * perExample);
  });
});

describe('micro-batched steps', () => {
  let plm: Plm;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    plm = await loadTinyPlm();
  });
  const config = (overrides: RunOverrides) => resolveRun(mergeSettings({ ...overrides, train: { steps: 5, batchSize: 8, seqLen: 16, evalEvery: 0, learningRate: 5e-3, ...overrides.train } }));

  async function train(task: Task, microBatch: number | undefined, overrides: RunOverrides) {
    const trainer = createTrainer(plm, task, config(overrides), undefined, { microBatch });
    if (trainer.needsPruning) await trainer.prune(() => {});
    for (let i = 0; i < 5; i++) trainer.step();
    await trainer.readLosses(0);
    const state = await trainer.state();
    const memory = trainer.memory;
    trainer.dispose();
    return { losses: [...state.losses], params: state.params, memory };
  }

  /** Largest difference relative to the reference's magnitude (entries near 0 against 1e-2). */
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number, what = '') => {
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1e-2, Math.abs(b[i]!)));
    expect(worst, what).toBeLessThan(tolerance);
  };

  it('give a sentence task the losses and weights of whole-batch steps (8 = 3 + 3 + 2)', async () => {
    const task = toyTask(2, { train: 40, dev: 8, test: 0 });
    const whole = await train(task, undefined, { adapter: { kind: 'houlsby', dim: 8 }, prune: { sparsity: 0 } });
    const split = await train(task, 3, { adapter: { kind: 'houlsby', dim: 8 }, prune: { sparsity: 0 } });
    expect(whole.memory.passes).toBe(1);
    expect(split.memory).toMatchObject({ microBatch: 3, passes: 3 });
    close(split.losses, whole.losses, 1e-5, 'losses');
    for (const [name, values] of Object.entries(whole.params)) close(split.params[name]!, values, 1e-4, name);
    // Not a trivially equal pair: the weights moved.
    const first = await train(task, undefined, { adapter: { kind: 'houlsby', dim: 8 }, prune: { sparsity: 0 }, train: { steps: 5, learningRate: 1e-9 } });
    expect(Object.entries(whole.params).some(([name, v]) => v.some((x, i) => Math.abs(x - first.params[name]![i]!) > 1e-4))).toBe(true);
  });

  it('weigh a tagging task’s passes by their tagged words, so sentences with more tags count more', async () => {
    const words = ['the', 'film', 'was', 'good', 'a', 'book', 'is', 'awful'];
    const sentence = (i: number) => {
      const n = 1 + (i % 5); // 1 to 5 tagged words
      const ws = Array.from({ length: n }, (_, j) => words[(i + j) % words.length]!);
      return { words: ws, tags: ws.map((w) => words.indexOf(w) % 4) };
    };
    const tagging: TaggingTask = { name: 'lexicon', kind: 'token', labels: ['DET', 'NOUN', 'VERB', 'ADJ'], train: Array.from({ length: 40 }, (_, i) => sentence(i)), dev: Array.from({ length: 8 }, (_, i) => sentence(i + 50)), test: [] };
    const whole = await train(tagging, undefined, { adapter: { kind: 'lora', dim: 4 }, prune: { sparsity: 0 } });
    const split = await train(tagging, 3, { adapter: { kind: 'lora', dim: 4 }, prune: { sparsity: 0 } });
    close(split.losses, whole.losses, 1e-5, 'losses');
    for (const [name, values] of Object.entries(whole.params)) close(split.params[name]!, values, 1e-4, name);
  });

  it('score pruning on one pass per batch and say so, and evaluate in passes with the same predictions', async () => {
    const task = toyTask(3, { train: 40, dev: 20, test: 0 });
    const run = config({ adapter: { kind: 'houlsby', dim: 8 }, prune: { sparsity: 0.5, pruner: 'snip' }, train: { steps: 3 } });
    const events: RunEvent[] = [];
    const result = await runSparseAdapter(plm, task, run, (e) => events.push(e), undefined, { microBatch: 4 });
    expect(events.some((e) => e.type === 'warning' && /scoring batches hold 4 examples instead of 8/.test(e.message))).toBe(true);
    expect(result.losses).toHaveLength(3);
    result.dispose();
  });
});
