// The fused residual + LayerNorm (layerNorm.ts), as ops.ts's `layerNorm` runs it on WebGPU, against
// ops.ts's composition on the cpu backend (forward within 1e-5 relative, every gradient within 1e-4)
// and against central finite differences of a float64 LayerNorm; with frozen and with trainable γ/β,
// with and without the residual, rows longer than a workgroup and a rank-3 input; one dispatch
// forward and one backward (counted at the API). Node + Dawn on SwiftShader; skipped without Vulkan.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { layerNorm } from '../ops';
import { activeGpuCounter, diffCounts } from './counters';
import { setFusedKernels } from './switch';
import { expectClose } from '../testing/close';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/** A deterministic spread of values in [lo, hi]. */
const values = (n: number, seed: number, lo: number, hi: number) => Float32Array.from({ length: n }, (_, i) => lo + ((((i + 1) * seed) % 1009) / 1008) * (hi - lo));

/** Two problems: [3, 5, 300] (rows longer than the 64-thread workgroup, not a multiple of it; eps 1e-5) and the default model's [64, 128] (eps 1e-12). */
const CASES = [
  { name: '[3, 5, 300], eps 1e-5', shape: [3, 5, 300], eps: 1e-5 },
  { name: '[64, 128], eps 1e-12', shape: [64, 128], eps: 1e-12 },
].map((c) => {
  const size = c.shape.reduce((a, b) => a * b, 1);
  const cols = c.shape[c.shape.length - 1]!;
  return { ...c, size, cols, x: values(size, 7919, -2, 3), r: values(size, 104729, -1.5, 1), dy: values(size, 15485863, -1, 1), gamma: values(cols, 613, 0.5, 1.5), beta: values(cols, 877, -0.3, 0.3) };
});
type Case = (typeof CASES)[number];

interface Result { y: Float32Array; dx: Float32Array; dr: Float32Array; dGamma: Float32Array; dBeta: Float32Array }

/** Forward and every gradient of Σ dy·LN(x + r) (frozen: x and r only). */
async function evaluate(c: Case, frozen: boolean, withResidual = true): Promise<Partial<Result>> {
  const x = tf.tensor(c.x, c.shape);
  const r = tf.tensor(c.r, c.shape);
  const dy = tf.tensor(c.dy, c.shape);
  const gamma = tf.tensor1d(c.gamma);
  const beta = tf.tensor1d(c.beta);
  const f = (a: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => layerNorm(a, g, be, c.eps, { residual: withResidual ? b : undefined, frozen });
  const y = f(x, r, gamma, beta);
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const out: Partial<Result> = { y: await read(y) };
  if (frozen) {
    const grads = withResidual ? tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b, gamma, beta))([x, r], dy) : tf.grads((a: tf.Tensor) => f(a, r, gamma, beta))([x], dy);
    out.dx = await read(grads[0]!);
    if (withResidual) out.dr = await read(grads[1]!);
    tf.dispose(grads);
  } else {
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => f(a, b, g, be))([x, r, gamma, beta], dy);
    [out.dx, out.dr, out.dGamma, out.dBeta] = await Promise.all(grads.map(read));
    tf.dispose(grads);
  }
  tf.dispose([x, r, dy, gamma, beta, y]);
  return out;
}


/** Σ dy·(LN(x + r)·γ + β) in float64, and its central differences in x (= in r), γ and β. */
function finiteDifferences(c: Case): { dx: Float64Array; dGamma: Float64Array; dBeta: Float64Array } {
  const rows = c.size / c.cols;
  const loss = (row: number, input: Float64Array, gamma: ArrayLike<number>, beta: ArrayLike<number>) => {
    let mean = 0;
    for (let j = 0; j < c.cols; j++) mean += input[j]!;
    mean /= c.cols;
    let variance = 0;
    for (let j = 0; j < c.cols; j++) variance += (input[j]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / c.cols + c.eps);
    let total = 0;
    for (let j = 0; j < c.cols; j++) total += c.dy[row * c.cols + j]! * ((input[j]! - mean) * rstd * gamma[j]! + beta[j]!);
    return total;
  };
  const h = 1e-4;
  const dx = new Float64Array(c.size);
  const dGamma = new Float64Array(c.cols);
  const dBeta = new Float64Array(c.cols);
  const gamma = Float64Array.from(c.gamma);
  const beta = Float64Array.from(c.beta);
  for (let row = 0; row < rows; row++) {
    const input = Float64Array.from({ length: c.cols }, (_, j) => c.x[row * c.cols + j]! + c.r[row * c.cols + j]!);
    for (let j = 0; j < c.cols; j++) {
      const keep = input[j]!;
      input[j] = keep + h;
      const up = loss(row, input, gamma, beta);
      input[j] = keep - h;
      dx[row * c.cols + j] = (up - loss(row, input, gamma, beta)) / (2 * h);
      input[j] = keep;
      for (const [param, out] of [[gamma, dGamma], [beta, dBeta]] as const) {
        const kept = param[j]!;
        param[j] = kept + h;
        const upP = loss(row, input, gamma, beta);
        param[j] = kept - h;
        out[j] = out[j]! + (upP - loss(row, input, gamma, beta)) / (2 * h);
        param[j] = kept;
      }
    }
  }
  return { dx, dGamma, dBeta };
}

describe.skipIf(!hasVulkan)('fused residual + LayerNorm on WebGPU (Dawn, SwiftShader)', () => {
  const cpu: Partial<Result>[] = [];
  const gpuFrozen: Partial<Result>[] = [];
  const gpuTrainable: Partial<Result>[] = [];
  const gpuPlain: Partial<Result>[] = [];
  const cpuPlain: Partial<Result>[] = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of CASES) {
      cpu.push(await evaluate(c, false));
      cpuPlain.push(await evaluate(c, true, false));
    }
    await startNodeBackend('webgpu');
    for (const c of CASES) {
      gpuFrozen.push(await evaluate(c, true));
      gpuTrainable.push(await evaluate(c, false));
      gpuPlain.push(await evaluate(c, true, false));
    }
  }, 300_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  CASES.forEach((c, k) => {
    it(`${c.name}: matches ops.ts on cpu (forward 1e-5, gradients 1e-4 relative), frozen and trainable γ/β`, () => {
      for (const [gpu, what] of [[gpuFrozen[k]!, 'frozen'], [gpuTrainable[k]!, 'trainable']] as const) {
        expectClose(gpu.y, cpu[k]!.y, 1e-5, 1e-6, `${what} forward`);
        expectClose(gpu.dx, cpu[k]!.dx, 1e-4, 1e-5, `${what} dx`);
        expectClose(gpu.dr, cpu[k]!.dx, 1e-4, 1e-5, `${what} d residual`);
      }
      expectClose(gpuTrainable[k]!.dGamma, cpu[k]!.dGamma, 1e-4, 1e-5, 'dgamma');
      expectClose(gpuTrainable[k]!.dBeta, cpu[k]!.dBeta, 1e-4, 1e-5, 'dbeta');
      expectClose(gpuPlain[k]!.y, cpuPlain[k]!.y, 1e-5, 1e-6, 'forward without residual');
      expectClose(gpuPlain[k]!.dx, cpuPlain[k]!.dx, 1e-4, 1e-5, 'dx without residual');
    });

    it(`${c.name}: has the gradients of float64 central differences`, () => {
      const fd = finiteDifferences(c);
      expectClose(gpuTrainable[k]!.dx, fd.dx, 1e-4, 1e-5, 'dx against finite differences');
      expectClose(gpuFrozen[k]!.dr, fd.dx, 1e-4, 1e-5, 'd residual against finite differences');
      expectClose(gpuTrainable[k]!.dGamma, fd.dGamma, 1e-4, 1e-5, 'dgamma against finite differences');
      expectClose(gpuTrainable[k]!.dBeta, fd.dBeta, 1e-4, 1e-5, 'dbeta against finite differences');
    });
  });

  it('is one dispatch forward and one backward with frozen γ/β (counted at the WebGPU API); asking for their gradient is an error', async () => {
    const c = CASES[1]!;
    const [x, r, dy] = [tf.tensor(c.x, c.shape), tf.tensor(c.r, c.shape), tf.tensor(c.dy, c.shape)];
    const [gamma, beta] = [tf.tensor1d(c.gamma), tf.tensor1d(c.beta)];
    await Promise.all([x, r, dy, gamma, beta].map((t) => t.data()));
    const counter = activeGpuCounter()!;
    const before = counter.snapshot();
    const y = layerNorm(x, gamma, beta, c.eps, { residual: r, frozen: true });
    expect(diffCounts(counter.snapshot(), before).dispatches).toBe(1);
    const start = counter.snapshot();
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => layerNorm(a, gamma, beta, c.eps, { residual: b, frozen: true }))([x, r], dy);
    expect(diffCounts(counter.snapshot(), start).dispatches).toBeLessThanOrEqual(2); // the forward again and the backward
    await Promise.all(grads.map((g) => g.data()));
    expect(() => tf.grads((g: tf.Tensor) => layerNorm(x, g, beta, c.eps, { residual: r, frozen: true }))([gamma], dy)).toThrow();
    tf.dispose([x, r, dy, gamma, beta, y, ...grads]);
  });

  it('falls back to tfjs\'s composition when the fused kernels are off (same values within 1e-5)', async () => {
    const previous = setFusedKernels(false);
    try {
      const c = CASES[0]!;
      const [x, r, gamma, beta] = [tf.tensor(c.x, c.shape), tf.tensor(c.r, c.shape), tf.tensor1d(c.gamma), tf.tensor1d(c.beta)];
      await Promise.all([x, r, gamma, beta].map((t) => t.data()));
      const counter = activeGpuCounter()!;
      const before = counter.snapshot();
      const y = layerNorm(x, gamma, beta, c.eps, { residual: r, frozen: true });
      expect(diffCounts(counter.snapshot(), before).dispatches).toBeGreaterThan(2);
      expectClose((await y.data()) as Float32Array, cpu[0]!.y, 1e-5, 1e-6, 'composition on webgpu');
      tf.dispose([x, r, gamma, beta, y]);
    } finally {
      setFusedKernels(previous);
    }
  });
});
