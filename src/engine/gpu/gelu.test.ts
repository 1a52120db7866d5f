// The fused GELU (gelu.ts), as ops.ts's `gelu` runs it on WebGPU, against ops.ts's `gelu` on the cpu
// backend: forward within 1e-5 relative, gradient within 1e-4 relative and against central finite
// differences of a float64 GELU built on the same erf; one dispatch each way (counted at the API);
// with the fused kernels switched off the same call is tfjs's composition. Node + Dawn on SwiftShader.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { gelu } from '../ops';
import { activeGpuCounter, diffCounts } from './counters';
import { setFusedKernels } from './switch';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const X = Float32Array.from({ length: 3 * 700 }, (_, i) => ((i * 7919) % 2001) / 250 - 4); // [-4, 4], above the CPU-forwarding size
const DY = Float32Array.from({ length: X.length }, (_, i) => ((i * 104729) % 997) / 500 - 1);
const SHAPE = [3, 700];

/** erf by Abramowitz–Stegun 7.1.26 in float64 (tfjs's approximation), and GELU on it. */
const erf = (x: number) => {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return Math.sign(x) * y;
};
const gelu64 = (x: number) => 0.5 * x * (1 + erf(x * Math.SQRT1_2));

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, relative: number, floor: number, what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) - relative * Math.abs(want[i]!));
  expect(worst, what).toBeLessThanOrEqual(floor);
}

async function forwardAndGrad(f: (x: tf.Tensor) => tf.Tensor): Promise<{ y: Float32Array; dx: Float32Array }> {
  const x = tf.tensor(X, SHAPE);
  const dy = tf.tensor(DY, SHAPE);
  const y = f(x);
  const dx = tf.grad((t: tf.Tensor) => f(t))(x, dy);
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array };
  tf.dispose([x, dy, y, dx]);
  return out;
}

describe.skipIf(!hasVulkan)('fused GELU on WebGPU (Dawn, SwiftShader)', () => {
  let cpu: { y: Float32Array; dx: Float32Array };
  let gpu: { y: Float32Array; dx: Float32Array };
  beforeAll(async () => {
    await tf.setBackend('cpu');
    cpu = await forwardAndGrad(gelu);
    await startNodeBackend('webgpu');
    gpu = await forwardAndGrad(gelu);
  }, 120_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches ops.ts gelu on cpu: forward within 1e-5, gradient within 1e-4 relative', () => {
    expectClose(gpu.y, cpu.y, 1e-5, 1e-7, 'forward');
    expectClose(gpu.dx, cpu.dx, 1e-4, 1e-6, 'gradient');
  });

  it('has the gradient of central finite differences (float64, h = 1e-5)', () => {
    const h = 1e-5;
    const fd = Array.from(X, (x, i) => (DY[i]! * (gelu64(x + h) - gelu64(x - h))) / (2 * h));
    expectClose(gpu.dx, fd, 1e-4, 1e-5, 'finite differences');
  });

  it('is one dispatch forward and one backward (counted at the WebGPU API)', async () => {
    const x = tf.tensor(X, SHAPE);
    await x.data();
    const counter = activeGpuCounter()!;
    const before = counter.snapshot();
    const y = gelu(x);
    const forward = diffCounts(counter.snapshot(), before).dispatches;
    const dy = tf.onesLike(x);
    const start = counter.snapshot();
    const dx = tf.grad((t: tf.Tensor) => gelu(t))(x, dy);
    const both = diffCounts(counter.snapshot(), start).dispatches;
    await dx.data();
    expect(forward).toBe(1);
    expect(both).toBeLessThanOrEqual(3); // the forward again, the backward, and at most one for tfjs's bookkeeping
    tf.dispose([x, y, dy, dx]);
  });

  it('falls back to tfjs\'s composition when the fused kernels are off (same values within 1e-5)', async () => {
    const previous = setFusedKernels(false);
    try {
      const x = tf.tensor(X, SHAPE);
      await x.data();
      const counter = activeGpuCounter()!;
      const before = counter.snapshot();
      const y = gelu(x);
      expect(diffCounts(counter.snapshot(), before).dispatches).toBeGreaterThan(1);
      expectClose((await y.data()) as Float32Array, cpu.y, 1e-5, 1e-7, 'composition on webgpu');
      tf.dispose([x, y]);
    } finally {
      setFusedKernels(previous);
    }
  });
});
