// Checks the engine's ops and their gradients on tfjs's cpu backend against an independent
// float64 implementation in plain JavaScript (values) and central finite differences (gradients).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { matMul2d } from './dense';
import { activation, adapterBottleneck, gelu, layerNorm, softmaxCrossEntropy } from './ops';
import { makeParityProblem, parityLoss } from './selfcheck';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** erf by its Maclaurin series (|x| < 3) and the continued fraction beyond: ~1e-15 accurate. */
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up.
  let fraction = ax;
  for (let k = 60; k >= 1; k--) fraction = ax + k / 2 / fraction;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(x) * (1 - erfc);
}

const gelu64 = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));

function layerNorm64(row: number[], gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): number[] {
  const mean = row.reduce((a, b) => a + b, 0) / row.length;
  const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
  return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * (gamma[i] ?? 0) + (beta[i] ?? 0));
}

function crossEntropy64(logits: number[], label: number): number {
  const max = Math.max(...logits);
  const logSum = Math.log(logits.reduce((a, b) => a + Math.exp(b - max), 0)) + max;
  return logSum - (logits[label] ?? NaN);
}

/** The self-check loss in float64: mean CE of layerNorm(gelu(x·w)). */
function parityLoss64(x: Float64Array, w: Float64Array, gamma: Float64Array, beta: Float64Array, labels: Int32Array, n: number, d: number, c: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const hidden: number[] = [];
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (x[i * d + k] ?? 0) * (w[k * c + j] ?? 0);
      hidden.push(gelu64(s));
    }
    total += crossEntropy64(layerNorm64(hidden, gamma, beta, 1e-5), labels[i] ?? 0);
  }
  return total / n;
}

describe('gelu', () => {
  it('is the exact erf GELU, not the tanh approximation', () => {
    const xs = [-6, -3.5, -2, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 2, 3.5, 6];
    const got = gelu(tf.tensor1d(xs)).dataSync();
    xs.forEach((x, i) => expect(got[i]).toBeCloseTo(gelu64(x), 6));
    // At x = 1 the tanh approximation differs from the exact value by ~1.6e-4: make sure we are exact.
    const tanhApprox = 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1 + 0.044715)));
    expect(Math.abs((got[9] ?? 0) - tanhApprox)).toBeGreaterThan(1e-4);
  });
});

describe('layerNorm', () => {
  it('matches torch.nn.LayerNorm semantics (biased variance, eps inside the root)', () => {
    const rows = [[1, 2, 3, 4.5], [-2, 0.1, 0.1, 7], [1e-3, 1e-3, 1e-3, 1e-3]];
    const gamma = [1, 0.5, -1, 2];
    const beta = [0, 0.1, 0.2, -0.3];
    const got = layerNorm(tf.tensor2d(rows), tf.tensor1d(gamma), tf.tensor1d(beta), 1e-12).arraySync() as number[][];
    rows.forEach((row, i) => layerNorm64(row, gamma, beta, 1e-12).forEach((v, j) => expect(got[i]?.[j]).toBeCloseTo(v, 4)));
  });
});

describe('softmaxCrossEntropy', () => {
  it('matches a float64 log-sum-exp and ignores zero-weight rows', () => {
    const logits = [[2, -1, 0.5], [100, 99, -50], [0, 0, 0]];
    const labels = [0, 1, 2];
    const expected = (crossEntropy64(logits[0]!, 0) + crossEntropy64(logits[1]!, 1)) / 2;
    const loss = softmaxCrossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), tf.tensor1d([1, 1, 0]));
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
  });
});

describe('gradient of matMul → GELU → layer norm → softmax cross-entropy', () => {
  it('tf.grads equals central finite differences of the float64 loss within 1e-3 relative', () => {
    const p = makeParityProblem(3);
    const f64 = (a: Float32Array) => Float64Array.from(a);
    const [x, w, gamma, beta] = [f64(p.x), f64(p.w), f64(p.gamma), f64(p.beta)];
    const loss = (xs: Float64Array, ws: Float64Array, gs: Float64Array, bs: Float64Array) => parityLoss64(xs, ws, gs, bs, p.labels, p.n, p.d, p.c);

    const labels = tf.tensor1d(p.labels, 'int32');
    const grads = tf.grads((xt: tf.Tensor, wt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) =>
      parityLoss(xt as tf.Tensor2D, wt as tf.Tensor2D, gt as tf.Tensor1D, bt as tf.Tensor1D, labels),
    )([tf.tensor2d(p.x, [p.n, p.d]), tf.tensor2d(p.w, [p.d, p.c]), tf.tensor1d(p.gamma), tf.tensor1d(p.beta)]);
    const analytic = grads.map((g) => g.dataSync());

    const params = [x, w, gamma, beta];
    const h = 1e-5;
    params.forEach((param, which) => {
      const got = analytic[which]!;
      let maxRef = 0;
      let maxDiff = 0;
      for (let i = 0; i < param.length; i++) {
        const saved = param[i]!;
        param[i] = saved + h;
        const up = loss(x, w, gamma, beta);
        param[i] = saved - h;
        const down = loss(x, w, gamma, beta);
        param[i] = saved;
        const numeric = (up - down) / (2 * h);
        maxRef = Math.max(maxRef, Math.abs(numeric));
        maxDiff = Math.max(maxDiff, Math.abs(numeric - (got[i] ?? NaN)));
      }
      expect(maxRef).toBeGreaterThan(1e-4); // the gradient is not trivially zero
      expect(maxDiff / maxRef).toBeLessThan(1e-3);
    });
    // And the float32 loss itself agrees with the float64 one.
    const value = parityLoss(tf.tensor2d(p.x, [p.n, p.d]), tf.tensor2d(p.w, [p.d, p.c]), tf.tensor1d(p.gamma), tf.tensor1d(p.beta), labels).dataSync()[0];
    expect(value).toBeCloseTo(loss(x, w, gamma, beta), 5);
  });
});

describe('adapterBottleneck on cpu', () => {
  // What adapters/index.ts and the Houlsby, Pfeiffer and parallel hooks computed before the bottleneck
  // moved into ops.ts (so that WebGPU can fuse it): the cpu and wasm numbers must stay bit for bit.
  it('is the composition the adapters ran before, bit for bit: Houlsby (skip = x), Pfeiffer (skip), parallel (skip + scale), plain; and its gradients', () => {
    const [n, h, d] = [6, 10, 4];
    const spread = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => ((((i + 1) * seed) % 101) / 100 - 0.5) * 1.4);
    const x = tf.tensor2d(spread(n * h, 37), [n, h]);
    const other = tf.tensor2d(spread(n * h, 41), [n, h]);
    const wd = tf.tensor2d(spread(h * d, 43), [h, d]);
    const bd = tf.tensor1d(spread(d, 47));
    const wu = tf.tensor2d(spread(d * h, 53), [d, h]);
    const bu = tf.tensor1d(spread(h, 59));
    const md = tf.tensor2d(Float32Array.from({ length: h * d }, (_, i) => (i % 3 === 0 ? 0 : 1)), [h, d]);
    const mu = tf.tensor2d(Float32Array.from({ length: d * h }, (_, i) => (i % 4 === 1 ? 0 : 1)), [d, h]);
    const mbu = tf.tensor1d(Float32Array.from({ length: h }, (_, i) => (i % 2)));
    const before = (input: tf.Tensor2D, f: 'swish' | 'relu' | 'gelu' | 'tanh') =>
      tf.add(matMul2d(activation(tf.add(matMul2d(input, tf.mul(wd, md)), bd), f) as tf.Tensor2D, tf.mul(wu, mu)), tf.mul(bu, mbu)) as tf.Tensor2D;
    const t = { down: wd, downBias: bd, up: wu, upBias: bu, masks: { down: md, up: mu, upBias: mbu } };
    const same = (a: tf.Tensor, b: tf.Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    for (const f of ['swish', 'relu', 'gelu', 'tanh'] as const) {
      same(adapterBottleneck(x, t, f, { skip: x }), tf.add(x, before(x, f))); // houlsby: add(output, bottleneck(output))
      same(adapterBottleneck(x, t, f, { skip: other }), tf.add(before(x, f), other)); // pfeiffer: add(bottleneck(ln), output)
      same(adapterBottleneck(x, t, f, { skip: other, scale: 0.25 }), tf.add(other, tf.mul(before(x, f), 0.25))); // parallel
      same(adapterBottleneck(x, t, f), before(x, f));
    }
    const dy = tf.tensor2d(spread(n * h, 61), [n, h]);
    const now = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => adapterBottleneck(a as tf.Tensor2D, { ...t, down: b as tf.Tensor2D, up: c as tf.Tensor2D }, 'swish', { skip: a as tf.Tensor2D }))([x, wd, wu], dy);
    const then = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.add(a, tf.add(matMul2d(activation(tf.add(matMul2d(a as tf.Tensor2D, tf.mul(b, md)), bd), 'swish') as tf.Tensor2D, tf.mul(c, mu) as tf.Tensor2D), tf.mul(bu, mbu))))([x, wd, wu], dy);
    now.forEach((g, i) => same(g, then[i]!));
  });
});
