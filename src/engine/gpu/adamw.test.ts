// The fused WebGPU AdamW (adamw.ts) against optim.ts's tfjs path on the cpu backend: the same steps
// (clipping active and not, decayed and undecayed tensors, a tensor without a gradient, pruned zeros),
// parameters and moments within 1e-5 relative, state handed across both ways, and its cost counted at
// the WebGPU API (two dispatches a step, no buffer created). Runs in Node on Dawn with SwiftShader;
// skipped where no Vulkan driver is installed.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { clipByGlobalNorm, createAdamW, type AdamWOptions, type AdamWState } from '../optim';
import { activeGpuCounter, diffCounts } from './counters';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const SHAPES: Record<string, number[]> = { 'a.weight': [7, 5], 'a.bias': [5], 'b.weight': [300], 'head.weight': [3, 2] };
const OPTIONS: AdamWOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, decay: (name) => name.endsWith('.weight') };
const STEPS = 6;
const LR = [0.02, 0.05, 0.01, 0.03, 0.04, 0.02];
/** Clipping norm per step: tight (clips) on some steps, loose on others. */
const MAX_NORM = [0.5, 100, 0.5, 100, 0.3, 100];

/** Seeded values in [-1, 1), with every 4th entry of `b.weight` an exact zero (a pruned weight: zero gradient too). */
function values(name: string, size: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = name === 'b.weight' && i % 4 === 0 ? 0 : (s / 2147483648) * 2 - 1;
  }
  return out;
}
const initial = Object.fromEntries(Object.entries(SHAPES).map(([name, shape], k) => [name, values(name, tf.util.sizeFromShape(shape), 11 + k)]));
/** The gradients of step `step`; `a.bias` has none at step 2 (a tensor the loss does not reach). */
const gradsAt = (step: number) => Object.fromEntries(Object.entries(SHAPES).filter(([name]) => !(name === 'a.bias' && step === 2)).map(([name, shape], k) => [name, values(name, tf.util.sizeFromShape(shape), 1000 * (step + 1) + k).map((x) => x * (step + 1))]));

/** Variables holding `values`, each the only owner of its data (as the trainer's are once assigned). */
function makeVariables(values: Record<string, Float32Array>): Map<string, tf.Variable> {
  return new Map(Object.entries(SHAPES).map(([name, shape]) => {
    const start = tf.tensor(values[name]!, shape);
    const variable = tf.variable(start);
    start.dispose();
    return [name, variable] as const;
  }));
}

interface Trace { params: Record<string, Float32Array>[]; state: AdamWState }

/** Runs steps `from` … `to − 1` on the active backend, from `state` if given; returns the parameters after each step and the final state. */
async function run(from: number, to: number, start: Record<string, Float32Array>, state?: AdamWState, expectFused?: boolean): Promise<Trace> {
  const variables = makeVariables(start);
  const opt = createAdamW(variables, OPTIONS, state);
  if (expectFused !== undefined) expect(opt.fused).toBe(expectFused);
  const params: Record<string, Float32Array>[] = [];
  for (let step = from; step < to; step++) {
    tf.tidy(() => {
      const grads = Object.fromEntries(Object.entries(gradsAt(step)).map(([name, g]) => [name, tf.tensor(g, SHAPES[name])]));
      opt.step(clipByGlobalNorm(grads, MAX_NORM[step]!).grads, LR[step]!);
    });
    const now: Record<string, Float32Array> = {};
    for (const [name, v] of variables) now[name] = (await v.data()) as Float32Array;
    params.push(now);
  }
  const final = await opt.state();
  opt.dispose();
  tf.dispose([...variables.values()]);
  return { params, state: final };
}

/** |a − b| ≤ 1e-5 |b| + 1e-7 everywhere (float32 rounding of the same operations, in another order at most). */
function expectClose(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) - 1e-5 * Math.abs(want[i]!));
  expect(worst, `${what}: worst excess over 1e-5 relative`).toBeLessThanOrEqual(1e-7);
}

describe.skipIf(!hasVulkan)('fused AdamW on WebGPU (Dawn, SwiftShader)', () => {
  let reference: Trace;
  let fused: Trace;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    reference = await run(0, STEPS, initial, undefined, false);
    await startNodeBackend('webgpu');
    fused = await run(0, STEPS, initial, undefined, true);
  }, 120_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches the cpu backend step by step within 1e-5 relative, moments included', () => {
    for (let step = 0; step < STEPS; step++) for (const name of Object.keys(SHAPES)) expectClose(fused.params[step]![name]!, reference.params[step]![name]!, `${name} after step ${step + 1}`);
    expect(fused.state.t).toBe(STEPS);
    for (const name of Object.keys(SHAPES)) {
      expectClose(fused.state.moments[name]!.m, reference.state.moments[name]!.m, `m of ${name}`);
      expectClose(fused.state.moments[name]!.v, reference.state.moments[name]!.v, `v of ${name}`);
    }
    // A tensor without a gradient is left alone for that step, as the tfjs path does.
    expect(fused.params[2]!['a.bias']).toEqual(fused.params[1]!['a.bias']);
  });

  it('keeps pruned weights (zero weight, zero gradient) exactly zero under decay', () => {
    const last = fused.params[STEPS - 1]!['b.weight']!;
    for (let i = 0; i < last.length; i += 4) expect(last[i]).toBe(0);
  });

  it('continues from a cpu state on WebGPU, and from a WebGPU state on cpu, as an uninterrupted run', async () => {
    await tf.setBackend('cpu');
    const cpuHalf = await run(0, 3, initial);
    const cpuRest = await run(3, STEPS, reference.params[2]!, cpuHalf.state);
    await tf.setBackend('webgpu');
    const fromCpu = await run(3, STEPS, reference.params[2]!, cpuHalf.state, true);
    const gpuHalf = await run(0, 3, initial, undefined, true);
    await tf.setBackend('cpu');
    const fromGpu = await run(3, STEPS, gpuHalf.params[2]!, gpuHalf.state, false);
    await tf.setBackend('webgpu');
    for (const name of Object.keys(SHAPES)) {
      expectClose(fromCpu.params[2]![name]!, cpuRest.params[2]![name]!, `${name}: cpu state continued on WebGPU`);
      expectClose(fromGpu.params[2]![name]!, reference.params[STEPS - 1]![name]!, `${name}: WebGPU state continued on cpu`);
      expectClose(fromCpu.state.moments[name]!.v, reference.state.moments[name]!.v, `v of ${name}: cpu state continued on WebGPU`);
    }
  }, 60_000);

  it('costs two dispatches per step and creates no buffer after its first step (counted at the WebGPU API)', async () => {
    await tf.setBackend('webgpu');
    const variables = makeVariables(initial);
    const grads = Object.fromEntries(Object.entries(gradsAt(0)).map(([name, g]) => [name, tf.tensor(g, SHAPES[name])]));
    for (const g of Object.values(grads)) await g.data(); // uploaded before counting
    const opt = createAdamW(variables, OPTIONS);
    const counter = activeGpuCounter()!;
    const stepOnce = (maxNorm?: number) => {
      const before = counter.snapshot();
      tf.tidy(() => opt.step(maxNorm === undefined ? grads : clipByGlobalNorm(grads, maxNorm).grads, 0.01));
      return diffCounts(counter.snapshot(), before);
    };
    stepOnce(1); // the first step copies every parameter in and fills the pool with the updated parameters' buffers
    const clipped = stepOnce(1);
    const plain = stepOnce();
    expect(clipped).toMatchObject({ dispatches: 2, buffersCreated: 0, submits: 1, writes: 1, pipelines: 0 });
    expect(plain).toMatchObject({ dispatches: 1, buffersCreated: 0, submits: 1, writes: 1 });
    opt.dispose();
    tf.dispose([...variables.values(), ...Object.values(grads)]);
  });
});
