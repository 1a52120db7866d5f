// The encoder's frozen dense layers with the bias inside tfjs's fused matMul (frozenDense.ts) and
// attention's q·kᵀ with kᵀ read by the product, as ops.ts's `denseLayer` and `attentionScores` run
// them on WebGPU, against the same calls on the cpu backend (forward within 1e-5 relative, the
// gradient within 1e-4) and the float64 gradient; one dispatch forward each (counted at the
// API). The products are linear, so the float64 reference is the exact gradient. Node + Dawn on SwiftShader; skipped without Vulkan.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { attentionScores, denseLayer } from '../ops';
import { activeGpuCounter, diffCounts } from './counters';
import { expectClose } from '../testing/close';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

const values = (n: number, seed: number, lo: number, hi: number) => Float32Array.from({ length: n }, (_, i) => lo + ((((i + 1) * seed) % 1009) / 1008) * (hi - lo));

const D = { n: 64, i: 128, o: 96 }; // dense: x [64, 128]·w [128, 96] + b [96]
const A = { b: 2, h: 3, t: 5, s: 7, hs: 8 }; // attention: q [2, 3, 5, 8], k [2, 3, 7, 8]
const data = {
  x: values(D.n * D.i, 7919, -2, 2), w: values(D.i * D.o, 613, -0.5, 0.5), b: values(D.o, 877, -0.3, 0.3), dy: values(D.n * D.o, 15485863, -1, 1),
  q: values(A.b * A.h * A.t * A.hs, 331, -1, 1), k: values(A.b * A.h * A.s * A.hs, 449, -1, 1), ds: values(A.b * A.h * A.t * A.s, 104729, -1, 1),
};

interface Result { y: Float32Array; dx: Float32Array; scores: Float32Array; dq: Float32Array; dk: Float32Array }

async function evaluate(): Promise<Result> {
  const [x, w, b, dy] = [tf.tensor2d(data.x, [D.n, D.i]), tf.tensor2d(data.w, [D.i, D.o]), tf.tensor1d(data.b), tf.tensor2d(data.dy, [D.n, D.o])];
  const [q, k, ds] = [tf.tensor4d(data.q, [A.b, A.h, A.t, A.hs]), tf.tensor4d(data.k, [A.b, A.h, A.s, A.hs]), tf.tensor4d(data.ds, [A.b, A.h, A.t, A.s])];
  const y = denseLayer(x, w, b);
  const [dx] = tf.grads((a: tf.Tensor) => denseLayer(a as tf.Tensor2D, w, b))([x], dy);
  const scores = attentionScores(q, k);
  const [dq, dk] = tf.grads((a: tf.Tensor, c: tf.Tensor) => attentionScores(a, c))([q, k], ds);
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const out = { y: await read(y), dx: await read(dx!), scores: await read(scores), dq: await read(dq!), dk: await read(dk!) };
  tf.dispose([x, w, b, dy, q, k, ds, y, dx!, scores, dq!, dk!]);
  return out;
}


describe.skipIf(!hasVulkan)('frozen dense layers with the bias in the product, and q·kᵀ without a transpose, on WebGPU (Dawn, SwiftShader)', () => {
  let cpu: Result;
  let gpu: Result;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    cpu = await evaluate();
    await startNodeBackend('webgpu');
    gpu = await evaluate();
  }, 300_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('match the cpu backend (forward 1e-5, gradients 1e-4 relative)', () => {
    expectClose(gpu.y, cpu.y, 1e-5, 1e-6, 'dense forward');
    expectClose(gpu.dx, cpu.dx, 1e-4, 1e-5, 'dense dx');
    expectClose(gpu.scores, cpu.scores, 1e-5, 1e-6, 'scores');
    expectClose(gpu.dq, cpu.dq, 1e-4, 1e-5, 'dq');
    expectClose(gpu.dk, cpu.dk, 1e-4, 1e-5, 'dk');
  });

  it('have the float64 gradients (the products are linear, so these are what central differences give: dX = dY·Wᵀ, dq = dS·k, dk = dSᵀ·q)', () => {
    const dx = new Float64Array(D.n * D.i);
    for (let r = 0; r < D.n; r++) for (let i = 0; i < D.i; i++) {
      // Σ dy·(x·w + b) is linear in x: its gradient is Σ_o dy[r, o]·w[i, o].
      let s = 0;
      for (let o = 0; o < D.o; o++) s += data.dy[r * D.o + o]! * data.w[i * D.o + o]!;
      dx[r * D.i + i] = s;
    }
    expectClose(gpu.dx, dx, 1e-4, 1e-5, 'dense dx against float64');
    const dq = new Float64Array(data.q.length);
    const dk = new Float64Array(data.k.length);
    for (let bh = 0; bh < A.b * A.h; bh++) for (let t = 0; t < A.t; t++) for (let s = 0; s < A.s; s++) {
      const g = data.ds[(bh * A.t + t) * A.s + s]!;
      for (let e = 0; e < A.hs; e++) {
        const [iq, ik] = [(bh * A.t + t) * A.hs + e, (bh * A.s + s) * A.hs + e];
        dq[iq] = dq[iq]! + g * data.k[ik]!;
        dk[ik] = dk[ik]! + g * data.q[iq]!;
      }
    }
    expectClose(gpu.dq, dq, 1e-4, 1e-5, 'dq against float64');
    expectClose(gpu.dk, dk, 1e-4, 1e-5, 'dk against float64');
  });

  it('are one dispatch forward each (counted at the WebGPU API)', async () => {
    const [x, w, b] = [tf.tensor2d(data.x, [D.n, D.i]), tf.tensor2d(data.w, [D.i, D.o]), tf.tensor1d(data.b)];
    const [q, k] = [tf.tensor4d(data.q, [A.b, A.h, A.t, A.hs]), tf.tensor4d(data.k, [A.b, A.h, A.s, A.hs])];
    await Promise.all([x, w, b, q, k].map((t) => t.data()));
    const counter = activeGpuCounter()!;
    let before = counter.snapshot();
    const y = denseLayer(x, w, b);
    expect(diffCounts(counter.snapshot(), before).dispatches).toBe(1);
    before = counter.snapshot();
    const scores = attentionScores(q, k);
    expect(diffCounts(counter.snapshot(), before).dispatches).toBe(1);
    tf.dispose([x, w, b, q, k, y, scores]);
  });
});
