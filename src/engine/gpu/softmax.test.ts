// The fused attention softmax and softmax cross-entropy (softmax.ts), as ops.ts's `maskedSoftmax` and
// `softmaxCrossEntropy` run them on WebGPU, against ops.ts's compositions on the cpu backend (forward
// within 1e-5 relative, gradients within 1e-4) and against central finite differences in float64;
// masked keys, rows longer than a workgroup, more rows than the cross-entropy's 256 threads, weights
// with zeros, an upstream gradient other than 1; one dispatch forward and one backward (counted at
// the API). Node + Dawn on SwiftShader; skipped without Vulkan.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { maskedSoftmax, softmaxCrossEntropy } from '../ops';
import { activeGpuCounter, diffCounts } from './counters';
import { setFusedKernels } from './switch';
import { expectClose } from '../testing/close';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/** A deterministic spread of values in [lo, hi]. */
const values = (n: number, seed: number, lo: number, hi: number) => Float32Array.from({ length: n }, (_, i) => lo + ((((i + 1) * seed) % 1009) / 1008) * (hi - lo));

/** Attention problems: scores [B, nh, T, S] with the last keys of batch row 1 masked (−1e9); S = 150 is longer than the 64-thread workgroup. */
const ATTENTION = [
  { name: '[2, 3, 5, 7]', shape: [2, 3, 5, 7] as [number, number, number, number], scale: Math.sqrt(8) },
  { name: '[2, 2, 3, 150]', shape: [2, 2, 3, 150] as [number, number, number, number], scale: Math.sqrt(32) },
].map((c) => {
  const [b, , , s] = c.shape;
  const size = c.shape.reduce((x, y) => x * y, 1);
  const mask = Float32Array.from({ length: b * s }, (_, i) => (Math.floor(i / s) === 1 && i % s >= s - 3 ? -1e9 : 0));
  return { ...c, size, x: values(size, 7919, -6, 6), dy: values(size, 104729, -1, 1), mask };
});

/** Cross-entropy problems: logits [N, C]; N = 300 is more rows than the workgroup's 256 threads. */
const CE = [
  { name: '[37, 5]', n: 37, c: 5 },
  { name: '[300, 3]', n: 300, c: 3 },
].map((c) => ({
  ...c,
  logits: values(c.n * c.c, 7919, -4, 4),
  labels: Int32Array.from({ length: c.n }, (_, i) => (i * 7) % c.c),
  weights: Float32Array.from({ length: c.n }, (_, i) => (i % 4 === 0 ? 0 : 1)), // tagging: 0 at untagged positions
}));


type Attention = (typeof ATTENTION)[number];
type CrossEntropy = (typeof CE)[number];
const read = async (t: tf.Tensor) => Float32Array.from(await t.data());

async function attention(c: Attention): Promise<{ y: Float32Array; dx: Float32Array }> {
  const [b, , , s] = c.shape;
  const x = tf.tensor4d(c.x, c.shape);
  const mask = tf.tensor4d(c.mask, [b, 1, 1, s]);
  const dy = tf.tensor4d(c.dy, c.shape);
  const y = maskedSoftmax(x, c.scale, mask);
  const dx = tf.grad((t: tf.Tensor) => maskedSoftmax(t as tf.Tensor4D, c.scale, mask))(x, dy);
  const out = { y: await read(y), dx: await read(dx) };
  tf.dispose([x, mask, dy, y, dx]);
  return out;
}

async function crossEntropy(c: CrossEntropy, weighted: boolean, upstream: number): Promise<{ loss: number; dx: Float32Array }> {
  const logits = tf.tensor2d(c.logits, [c.n, c.c]);
  const labels = tf.tensor1d(c.labels, 'int32');
  const weights = weighted ? tf.tensor1d(c.weights) : undefined;
  const f = (t: tf.Tensor) => softmaxCrossEntropy(t as tf.Tensor2D, labels, weights);
  const loss = f(logits);
  const dy = tf.scalar(upstream);
  const dx = tf.grad(f)(logits, dy);
  const out = { loss: (await loss.data())[0]!, dx: await read(dx) };
  tf.dispose([logits, labels, loss, dy, dx, ...(weights ? [weights] : [])]);
  return out;
}

/** Central differences (h = 1e-4) of Σ dy·softmax(x / scale + mask) in float64. */
function attentionFd(c: Attention): Float64Array {
  const s = c.shape[3];
  const rowsPerBatch = c.shape[1] * c.shape[2];
  const out = new Float64Array(c.size);
  const h = 1e-4;
  for (let row = 0; row < c.size / s; row++) {
    const mask = (j: number) => c.mask[Math.floor(row / rowsPerBatch) * s + j]!;
    const x = Float64Array.from({ length: s }, (_, j) => c.x[row * s + j]!);
    const loss = () => {
      const z = Array.from(x, (v, j) => v / c.scale + mask(j));
      const m = Math.max(...z);
      const total = z.reduce((a, v) => a + Math.exp(v - m), 0);
      return z.reduce((a, v, j) => a + c.dy[row * s + j]! * (Math.exp(v - m) / total), 0);
    };
    for (let j = 0; j < s; j++) {
      const keep = x[j]!;
      x[j] = keep + h;
      const up = loss();
      x[j] = keep - h;
      out[row * s + j] = (up - loss()) / (2 * h);
      x[j] = keep;
    }
  }
  return out;
}

/** The (weighted) mean cross-entropy in float64 and its central differences times `upstream`. */
function crossEntropyFd(c: CrossEntropy, weighted: boolean, upstream: number): { loss: number; dx: Float64Array } {
  const x = Float64Array.from(c.logits);
  const loss = () => {
    let total = 0;
    let weight = 0;
    for (let i = 0; i < c.n; i++) {
      const row = x.subarray(i * c.c, (i + 1) * c.c);
      const m = Math.max(...row);
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
      const w = weighted ? c.weights[i]! : 1;
      total += w * (lse - row[c.labels[i]!]!);
      weight += w;
    }
    return total / Math.max(weight, 1e-12);
  };
  const h = 1e-4;
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + h;
    const up = loss();
    x[i] = keep - h;
    dx[i] = (upstream * (up - loss())) / (2 * h);
    x[i] = keep;
  }
  return { loss: loss(), dx };
}

describe.skipIf(!hasVulkan)('fused attention softmax and cross-entropy on WebGPU (Dawn, SwiftShader)', () => {
  const cpu = { attention: [] as { y: Float32Array; dx: Float32Array }[], ce: [] as { loss: number; dx: Float32Array }[] };
  const gpu = { attention: [] as { y: Float32Array; dx: Float32Array }[], ce: [] as { loss: number; dx: Float32Array }[] };
  const ceVariants = CE.flatMap((c) => [{ c, weighted: false, upstream: 1 }, { c, weighted: true, upstream: 0.37 }]);
  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of ATTENTION) cpu.attention.push(await attention(c));
    for (const v of ceVariants) cpu.ce.push(await crossEntropy(v.c, v.weighted, v.upstream));
    await startNodeBackend('webgpu');
    for (const c of ATTENTION) gpu.attention.push(await attention(c));
    for (const v of ceVariants) gpu.ce.push(await crossEntropy(v.c, v.weighted, v.upstream));
  }, 300_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  ATTENTION.forEach((c, k) => {
    it(`attention ${c.name}: matches ops.ts on cpu (1e-5 forward, 1e-4 gradient) and float64 central differences; masked keys get 0`, () => {
      expectClose(gpu.attention[k]!.y, cpu.attention[k]!.y, 1e-5, 1e-6, 'probabilities');
      expectClose(gpu.attention[k]!.dx, cpu.attention[k]!.dx, 1e-4, 1e-5, 'gradient');
      expectClose(gpu.attention[k]!.dx, attentionFd(c), 1e-4, 1e-5, 'gradient against finite differences');
      const s = c.shape[3];
      c.mask.forEach((m, i) => {
        if (m === 0) return;
        const [b, j] = [Math.floor(i / s), i % s];
        for (let row = 0; row < c.shape[1] * c.shape[2]; row++) expect(gpu.attention[k]!.y[(b * c.shape[1] * c.shape[2] + row) * s + j]).toBe(0);
      });
    });
  });

  ceVariants.forEach((v, k) => {
    it(`cross-entropy ${v.c.name}${v.weighted ? ', weighted with zeros, upstream 0.37' : ''}: matches ops.ts on cpu and float64 central differences`, () => {
      const fd = crossEntropyFd(v.c, v.weighted, v.upstream);
      expect(Math.abs(gpu.ce[k]!.loss - cpu.ce[k]!.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(cpu.ce[k]!.loss));
      expect(Math.abs(gpu.ce[k]!.loss - fd.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(fd.loss));
      expectClose(gpu.ce[k]!.dx, cpu.ce[k]!.dx, 1e-4, 1e-5, 'gradient');
      expectClose(gpu.ce[k]!.dx, fd.dx, 1e-4, 1e-5, 'gradient against finite differences');
    });
  });

  it('each is one dispatch forward and one backward (counted at the WebGPU API)', async () => {
    const c = ATTENTION[0]!;
    const x = tf.tensor4d(c.x, c.shape);
    const mask = tf.tensor4d(c.mask, [c.shape[0], 1, 1, c.shape[3]]);
    const e = CE[0]!;
    const logits = tf.tensor2d(e.logits, [e.n, e.c]);
    const labels = tf.tensor1d(e.labels, 'int32');
    await Promise.all([x, mask, logits, labels].map((t) => t.data()));
    const counter = activeGpuCounter()!;
    const count = (f: () => tf.Tensor | tf.Tensor[]) => {
      const before = counter.snapshot();
      const out = f();
      const n = diffCounts(counter.snapshot(), before).dispatches;
      tf.dispose(out);
      return n;
    };
    expect(count(() => maskedSoftmax(x, c.scale, mask))).toBe(1);
    expect(count(() => tf.grad((t: tf.Tensor) => maskedSoftmax(t as tf.Tensor4D, c.scale, mask))(x))).toBeLessThanOrEqual(3); // forward, backward, tfjs's ones for dy
    expect(count(() => softmaxCrossEntropy(logits, labels))).toBe(1);
    expect(count(() => tf.grad((t: tf.Tensor) => softmaxCrossEntropy(t as tf.Tensor2D, labels))(logits))).toBeLessThanOrEqual(3);
    tf.dispose([x, mask, logits, labels]);
  });

  it('falls back to tfjs\'s compositions when the fused kernels are off (same values)', async () => {
    const previous = setFusedKernels(false);
    try {
      const c = ATTENTION[0]!;
      const [x, mask] = [tf.tensor4d(c.x, c.shape), tf.tensor4d(c.mask, [c.shape[0], 1, 1, c.shape[3]])];
      await Promise.all([x.data(), mask.data()]);
      const before = activeGpuCounter()!.snapshot();
      const y = maskedSoftmax(x, c.scale, mask);
      expect(diffCounts(activeGpuCounter()!.snapshot(), before).dispatches).toBeGreaterThan(1);
      tf.dispose([x, mask, y]);
      const off = await attention(c);
      expectClose(off.y, cpu.attention[0]!.y, 1e-5, 1e-6, 'composition on webgpu');
      const ce = await crossEntropy(CE[0]!, true, 0.37);
      expect(Math.abs(ce.loss - cpu.ce[1]!.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(cpu.ce[1]!.loss));
    } finally {
      setFusedKernels(previous);
    }
  });
});
