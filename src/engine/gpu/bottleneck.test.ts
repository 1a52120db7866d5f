// The fused masked adapter bottleneck (bottleneck.ts), as ops.ts's `adapterBottleneck` runs it on
// WebGPU, against ops.ts's composition on the cpu backend (forward within 1e-5 relative, every
// gradient within 1e-4) and against central finite differences of a float64 bottleneck; every
// non-linearity, masks on all four tensors or on the weights only or none, the skip as the input
// itself (Houlsby), as another tensor with a scale (parallel, Pfeiffer) or absent; pruned entries get
// exactly 0; two dispatches forward and six backward (counted at the API). Node + Dawn on SwiftShader;
// skipped without Vulkan.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { adapterBottleneck } from '../ops';
import type { Nonlinearity } from '../settings';
import { activeGpuCounter, diffCounts } from './counters';
import { setFusedKernels } from './switch';
import { expectClose } from '../testing/close';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/** A deterministic spread of values in [lo, hi]. */
const values = (n: number, seed: number, lo: number, hi: number) => Float32Array.from({ length: n }, (_, i) => lo + ((((i + 1) * seed) % 1009) / 1008) * (hi - lo));
/** A deterministic 0/1 mask keeping about `keep` of the entries, with at least one 0 and one 1. */
const mask = (n: number, seed: number, keep: number) => {
  const m = Float32Array.from({ length: n }, (_, i) => ((((i + 3) * seed) % 997) / 997 < keep ? 1 : 0));
  m[0] = 1;
  m[n - 1] = 0;
  return m;
};

type Masks = 'all' | 'weights' | 'none';
type Skip = 'input' | 'other' | 'none';
interface CaseSpec { name: string; n: number; h: number; d: number; f: Nonlinearity; masks: Masks; skip: Skip; scale?: number; fd: boolean }

const SPECS: CaseSpec[] = [
  { name: 'swish, every tensor masked, skip = x (Houlsby), [5, 12] d 7', n: 5, h: 12, d: 7, f: 'swish', masks: 'all', skip: 'input', fd: true },
  { name: 'relu, weights masked, skip + scale 0.5 (parallel), [9, 10] d 3', n: 9, h: 10, d: 3, f: 'relu', masks: 'weights', skip: 'other', scale: 0.5, fd: true },
  { name: 'gelu, dense, no skip, [6, 8] d 5', n: 6, h: 8, d: 5, f: 'gelu', masks: 'none', skip: 'none', fd: true },
  { name: 'tanh, every tensor masked, skip (Pfeiffer) and scale 2, [7, 9] d 4', n: 7, h: 9, d: 4, f: 'tanh', masks: 'all', skip: 'other', scale: 2, fd: true },
  { name: 'the default model\'s shape: swish, weights masked, skip = x, [64, 128] d 64', n: 64, h: 128, d: 64, f: 'swish', masks: 'weights', skip: 'input', fd: false },
  { name: 'more rows than a workgroup, relu, every tensor masked, skip + scale 4, [150, 33] d 70', n: 150, h: 33, d: 70, f: 'relu', masks: 'all', skip: 'other', scale: 4, fd: false },
];

const CASES = SPECS.map((c, k) => {
  const s = 17 + k;
  const { n, h, d } = c;
  return {
    ...c,
    x: values(n * h, 7919 + s, -2, 2), skipValues: values(n * h, 104729 + s, -1, 1), dy: values(n * h, 15485863 + s, -1, 1),
    wd: values(h * d, 613 + s, -0.6, 0.6), bd: values(d, 877 + s, -0.3, 0.3), wu: values(d * h, 331 + s, -0.6, 0.6), bu: values(h, 449 + s, -0.3, 0.3),
    md: c.masks === 'none' ? undefined : mask(h * d, 31 + s, 0.5), mu: c.masks === 'none' ? undefined : mask(d * h, 37 + s, 0.5),
    mbd: c.masks === 'all' ? mask(d, 41 + s, 0.6) : undefined, mbu: c.masks === 'all' ? mask(h, 43 + s, 0.6) : undefined,
  };
});
type Case = (typeof CASES)[number];

/** y, and the gradients of Σ dy·y in x, W_d, b_d, W_u, b_u and (a separate) skip. */
interface Result { y: Float32Array; grads: Float32Array[] }

async function evaluate(c: Case): Promise<Result> {
  const { n, h, d } = c;
  const x = tf.tensor2d(c.x, [n, h]);
  const other = tf.tensor2d(c.skipValues, [n, h]);
  const dy = tf.tensor2d(c.dy, [n, h]);
  const params = [tf.tensor2d(c.wd, [h, d]), tf.tensor1d(c.bd), tf.tensor2d(c.wu, [d, h]), tf.tensor1d(c.bu)] as const;
  const m = (v: Float32Array | undefined, shape: number[]) => (v ? tf.tensor(v, shape) : undefined);
  const masks = { down: m(c.md, [h, d]), downBias: m(c.mbd, [d]), up: m(c.mu, [d, h]), upBias: m(c.mbu, [h]) };
  const f = (a: tf.Tensor, wd: tf.Tensor, bd: tf.Tensor, wu: tf.Tensor, bu: tf.Tensor, s?: tf.Tensor) =>
    adapterBottleneck(a as tf.Tensor2D, { down: wd as tf.Tensor2D, downBias: bd as tf.Tensor1D, up: wu as tf.Tensor2D, upBias: bu as tf.Tensor1D, masks },
      c.f, { skip: c.skip === 'input' ? (a as tf.Tensor2D) : c.skip === 'other' ? (s as tf.Tensor2D) : undefined, scale: c.scale });
  const y = f(x, ...params, other);
  const inputs = [x, ...params, ...(c.skip === 'other' ? [other] : [])];
  const grads = tf.grads((...a: tf.Tensor[]) => f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]))(inputs, dy);
  const out = { y: (await y.data()) as Float32Array, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
  tf.dispose([x, other, dy, ...params, ...Object.values(masks).filter((t): t is tf.Tensor => t !== undefined), y, ...grads]);
  return out;
}


/** erf in float64 (Maclaurin series below 3, the continued fraction beyond: ~1e-15). */
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let k = 1; k < 200; k++) {
      term *= (-ax * ax) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = ax;
  for (let k = 60; k >= 1; k--) fraction = ax + k / 2 / fraction;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction);
}

const ACT64: Record<Nonlinearity, (p: number) => number> = {
  relu: (p) => Math.max(p, 0),
  tanh: Math.tanh,
  swish: (p) => p / (1 + Math.exp(-p)),
  gelu: (p) => 0.5 * p * (1 + erf64(p / Math.SQRT2)),
};

/** The float64 bottleneck's y at `vars` = [x, W_d, b_d, W_u, b_u, skip]. */
function forward64(c: Case, vars: Float64Array[]): Float64Array {
  const { n, h, d } = c;
  const act = ACT64[c.f];
  const m = (v: Float32Array | undefined, i: number) => (v ? v[i]! : 1);
  const [x, wd, bd, wu, bu, other] = vars as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const out = new Float64Array(n * h);
  for (let r = 0; r < n; r++) {
    const a = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      let p = bd[j]! * m(c.mbd, j);
      for (let k = 0; k < h; k++) p += x[r * h + k]! * wd[k * d + j]! * m(c.md, k * d + j);
      a[j] = act(p);
    }
    for (let col = 0; col < h; col++) {
      let y = bu[col]! * m(c.mbu, col);
      for (let j = 0; j < d; j++) y += a[j]! * wu[j * h + col]! * m(c.mu, j * h + col);
      y *= c.scale ?? 1;
      if (c.skip === 'input') y += x[r * h + col]!;
      if (c.skip === 'other') y += other[r * h + col]!;
      out[r * h + col] = y;
    }
  }
  return out;
}

const float64Inputs = (c: Case) => [c.x, c.wd, c.bd, c.wu, c.bu, c.skipValues].map((v) => Float64Array.from(v));

/** Central differences of Σ dy·y (float64) in x, W_d, b_d, W_u, b_u and the skip. */
function finiteDifferences(c: Case): Float64Array[] {
  const vars = float64Inputs(c);
  const loss = () => forward64(c, vars).reduce((total, y, i) => total + c.dy[i]! * y, 0);
  const step = 1e-5;
  const count = c.skip === 'other' ? 6 : 5;
  return vars.slice(0, count).map((v) => {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const keep = v[i]!;
      v[i] = keep + step;
      const up = loss();
      v[i] = keep - step;
      out[i] = (up - loss()) / (2 * step);
      v[i] = keep;
    }
    return out;
  });
}

/** max |got − want| / max |want|: the figure the tests print. */
const errorOf = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  let top = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) { top = Math.max(top, Math.abs(got[i]! - want[i]!)); scale = Math.max(scale, Math.abs(want[i]!)); }
  return top / scale;
};

const NAMES = ['dx', 'dW_d', 'db_d', 'dW_u', 'db_u', 'd skip'];

describe.skipIf(!hasVulkan)('fused masked adapter bottleneck on WebGPU (Dawn, SwiftShader)', () => {
  const cpu: Result[] = [];
  const gpu: Result[] = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    for (const c of CASES) cpu.push(await evaluate(c));
    await startNodeBackend('webgpu');
    for (const c of CASES) gpu.push(await evaluate(c));
  }, 300_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  CASES.forEach((c, k) => {
    it(`${c.name}: matches ops.ts on cpu (forward 1e-5, gradients 1e-4 relative); pruned entries' gradients are exactly 0`, () => {
      console.info(`${c.name} vs cpu: forward ${errorOf(gpu[k]!.y, cpu[k]!.y).toExponential(1)}, ${gpu[k]!.grads.map((g, i) => `${NAMES[i]} ${errorOf(g, cpu[k]!.grads[i]!).toExponential(1)}`).join(', ')} (max error / max value)`);
      expectClose(gpu[k]!.y, cpu[k]!.y, 1e-5, 1e-6, 'forward');
      expect(gpu[k]!.grads).toHaveLength(c.skip === 'other' ? 6 : 5);
      gpu[k]!.grads.forEach((g, i) => expectClose(g, cpu[k]!.grads[i], 1e-4, 1e-5, NAMES[i]!));
      const pruned: [Float32Array | undefined, number][] = [[c.md, 1], [c.mbd, 2], [c.mu, 3], [c.mbu, 4]];
      for (const [m, i] of pruned) {
        if (!m) continue;
        expect(m.some((v) => v === 0), `${NAMES[i]} has pruned entries`).toBe(true);
        m.forEach((v, j) => { if (v === 0) expect(Math.abs(gpu[k]!.grads[i]![j]!), `${NAMES[i]}[${j}] pruned`).toBe(0); });
      }
    });

    if (c.fd) {
      it(`${c.name}: is the float64 bottleneck (1e-5) with the gradients of its central differences (1e-4)`, () => {
        expectClose(gpu[k]!.y, forward64(c, float64Inputs(c)), 1e-5, 1e-6, 'forward against float64');
        const fd = finiteDifferences(c);
        console.info(`${c.name} vs float64: ${fd.map((want, i) => `${NAMES[i]} ${errorOf(gpu[k]!.grads[i]!, want).toExponential(1)}`).join(', ')}`);
        fd.forEach((want, i) => expectClose(gpu[k]!.grads[i], want, 1e-4, 1e-5, `${NAMES[i]} against finite differences`));
      });
    }
  });

  it('is two dispatches forward and six backward (counted at the WebGPU API), masked or not', async () => {
    for (const c of [CASES[4]!, CASES[2]!]) {
      const { n, h, d } = c;
      const x = tf.tensor2d(c.x, [n, h]);
      const dy = tf.tensor2d(c.dy, [n, h]);
      const params = [tf.tensor2d(c.wd, [h, d]), tf.tensor1d(c.bd), tf.tensor2d(c.wu, [d, h]), tf.tensor1d(c.bu)] as const;
      const masks = { down: c.md && tf.tensor(c.md, [h, d]), up: c.mu && tf.tensor(c.mu, [d, h]) };
      await Promise.all([x, dy, ...params, ...Object.values(masks).filter((t): t is tf.Tensor => t !== undefined)].map((t) => t.data()));
      const f = (a: tf.Tensor, wd: tf.Tensor, bd: tf.Tensor, wu: tf.Tensor, bu: tf.Tensor) =>
        adapterBottleneck(a as tf.Tensor2D, { down: wd as tf.Tensor2D, downBias: bd as tf.Tensor1D, up: wu as tf.Tensor2D, upBias: bu as tf.Tensor1D, masks }, c.f, { skip: c.skip === 'input' ? (a as tf.Tensor2D) : undefined });
      const counter = activeGpuCounter()!;
      const before = counter.snapshot();
      const y = f(x, ...params);
      expect(diffCounts(counter.snapshot(), before).dispatches).toBe(2);
      const start = counter.snapshot();
      const grads = tf.grads((...a: tf.Tensor[]) => f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!))([x, ...params], dy);
      expect(diffCounts(counter.snapshot(), start).dispatches).toBe(8); // the forward again (2) and the backward (6)
      await Promise.all(grads.map((g) => g.data()));
      tf.dispose([x, dy, ...params, ...Object.values(masks).filter((t): t is tf.Tensor => t !== undefined), y, ...grads]);
    }
  });

  it('falls back to tfjs\'s composition when the fused kernels are off (same values within 1e-5)', async () => {
    const previous = setFusedKernels(false);
    try {
      const counter = activeGpuCounter()!;
      const before = counter.snapshot();
      const off = await evaluate(CASES[0]!);
      expect(diffCounts(counter.snapshot(), before).dispatches).toBeGreaterThan(8 + 2);
      expectClose(off.y, cpu[0]!.y, 1e-5, 1e-6, 'composition on webgpu');
    } finally {
      setFusedKernels(previous);
    }
  });
});
