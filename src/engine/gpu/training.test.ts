// Training with the engine's fused WebGPU kernels against the cpu backend, end to end: a 50-step
// SparseAdapter run (tiny model, Houlsby at 50% SNIP, weight decay and clipping on) gives the cpu
// run's losses within 1e-4 and leaves every pruned weight exactly 0, and a run checkpointed after 5 steps and resumed on WebGPU continues like
// the uninterrupted one. Node + Dawn on SwiftShader; skipped where no Vulkan driver is installed.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { mergeSettings, resolveRun } from '../config';
import { toyTask } from '../data/toy';
import { disposePlm, type Plm } from '../plm';
import { loadTinyPlm } from '../testing/tinyModel';
import { createTrainer, runSparseAdapter, type Trainer } from '../train';
import { activeGpuCounter, diffCounts } from './counters';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const task = toyTask(1, { train: 64, dev: 8, test: 0 });
const config = (steps: number) => resolveRun(mergeSettings({
  adapter: { kind: 'houlsby', dim: 8 },
  prune: { pruner: 'snip', sparsity: 0.5 },
  train: { steps, batchSize: 4, seqLen: 16, evalEvery: 0, learningRate: 5e-3, weightDecay: 0.1, maxGradNorm: 0.5, seed: 3 },
}));

/** The run's losses, and how many of its pruned adapter weights are not exactly 0 at the end (AdamW over masked gradients keeps them 0). */
async function run(plm: Plm, steps: number): Promise<{ losses: number[]; pruned: number; prunedNonZero: number }> {
  const result = await runSparseAdapter(plm, task, config(steps), () => {});
  let pruned = 0;
  let prunedNonZero = 0;
  for (const p of result.adapters.params) {
    const mask = result.masks.get(p.name);
    if (!mask) continue;
    const [m, w] = [await mask.data(), await p.variable.data()];
    m.forEach((keep, i) => { if (keep === 0) { pruned++; if (w[i] !== 0) prunedNonZero++; } });
  }
  result.dispose();
  return { losses: result.losses, pruned, prunedNonZero };
}
const losses = async (plm: Plm, steps: number) => (await run(plm, steps)).losses;

const take = async (trainer: Trainer, n: number) => {
  for (let i = 0; i < n; i++) trainer.step();
  return (await trainer.readLosses(0)).map((r) => r.loss);
};

describe.skipIf(!hasVulkan)('training on WebGPU with the fused kernels (Dawn, SwiftShader)', () => {
  let cpuLosses: number[];
  let plm: Plm;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const cpuPlm = await loadTinyPlm();
    cpuLosses = await losses(cpuPlm, 50);
    disposePlm(cpuPlm);
    await startNodeBackend('webgpu');
    plm = await loadTinyPlm();
  }, 900_000);
  afterAll(async () => {
    disposePlm(plm);
    await tf.setBackend('cpu');
  });

  it('gives the cpu backend\'s losses within 1e-4 over 50 steps, with the optimizer fused', async () => {
    const counter = activeGpuCounter()!;
    const before = counter.snapshot();
    const { losses: gpuLosses, pruned, prunedNonZero } = await run(plm, 50);
    expect(diffCounts(counter.snapshot(), before).dispatches).toBeGreaterThan(0);
    expect(pruned).toBeGreaterThan(0);
    expect(prunedNonZero, 'pruned weights that are not exactly 0 after 50 AdamW steps on webgpu').toBe(0);
    expect(gpuLosses).toHaveLength(50);
    const worst = Math.max(...gpuLosses.map((loss, i) => Math.abs(loss - cpuLosses[i]!)));
    console.info(`50 steps on webgpu vs cpu: largest |Δ loss| ${worst.toExponential(2)} (losses ${cpuLosses[0]!.toFixed(4)} → ${cpuLosses[49]!.toFixed(4)})`);
    expect(worst).toBeLessThan(1e-4);
  }, 900_000);

  it('resumes from a state taken after 5 steps (moments read back from the fused optimizer) like an uninterrupted run', async () => {
    const straight = createTrainer(plm, task, config(10));
    await straight.prune(() => {});
    const all = await take(straight, 10);
    straight.dispose();
    const first = createTrainer(plm, task, config(10));
    await first.prune(() => {});
    const before = await take(first, 5);
    const saved = structuredClone(await first.state());
    first.dispose();
    expect(saved.optimizer.t).toBe(5);
    expect(Object.values(saved.optimizer.moments).some(({ v }) => v.some((x) => x > 0))).toBe(true);
    const resumed = createTrainer(plm, task, config(10), saved);
    const after = await take(resumed, 5);
    resumed.dispose();
    [...before, ...after].forEach((loss, i) => expect(Math.abs(loss - all[i]!)).toBeLessThan(1e-6));
  }, 900_000);
});
