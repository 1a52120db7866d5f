// The fast-layout products against two independent references, on the cpu backend (tfjs's transposed
// layouts) and on wasm (explicit transposes, then plain products): tfjs's own matMul gradient (float32,
// tolerance 1e-5 relative to the largest entry) and central finite differences of the same loss
// computed in float64 JavaScript (tolerance 1e-4 relative).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { frozenDense, matMul2d } from './dense';
import { createRng } from './random';

const M = 5, K = 7, N = 3;
const rng = createRng(11);
const values = (n: number) => Array.from({ length: n }, () => 2 * rng() - 1);
const A = values(M * K), B = values(K * N), C = values(M * N), BIAS = values(N);

/** The test loss Σ sin(y)·c over y [M, N], so every entry of dY differs. */
const lossOf = (y: tf.Tensor) => tf.sum(tf.mul(tf.sin(y), tf.tensor2d(C, [M, N])));

/** The same loss in float64: y = a·b (+ bias), a row-major [M, K], b [K, N]. */
function loss64(a: readonly number[], b: readonly number[], bias: readonly number[] | null): number {
  let sum = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let y = bias ? bias[j]! : 0;
      for (let k = 0; k < K; k++) y += a[i * K + k]! * b[k * N + j]!;
      sum += Math.sin(y) * C[i * N + j]!;
    }
  }
  return sum;
}

/** Central differences of `f` at `x`, entry by entry (step 1e-6; float64 rounding is far below the tolerance). */
function finiteDifferences(f: (x: number[]) => number, x: readonly number[]): number[] {
  const h = 1e-6;
  return x.map((_, i) => {
    const plus = [...x], minus = [...x];
    plus[i]! += h;
    minus[i]! -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(relative * scale);
}

describe.each(['cpu', 'wasm'])('on the %s backend', (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  describe('matMul2d', () => {
    it('computes a·b exactly as tf.matMul does', () => {
      const a = tf.tensor2d(A, [M, K]), b = tf.tensor2d(B, [K, N]);
      expect(Array.from(matMul2d(a, b).dataSync())).toEqual(Array.from(tf.matMul(a, b).dataSync()));
    });

    it('has the gradients of tfjs\'s built-in matMul, and of float64 finite differences', () => {
      const a = tf.tensor2d(A, [M, K]), b = tf.tensor2d(B, [K, N]);
      const [gA, gB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => lossOf(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D)))([a, b]);
      const [rA, rB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => lossOf(tf.matMul(x, y)))([a, b]);
      expectClose(gA!.dataSync(), rA!.dataSync(), 1e-5);
      expectClose(gB!.dataSync(), rB!.dataSync(), 1e-5);
      expectClose(gA!.dataSync(), finiteDifferences((x) => loss64(x, B, null), A), 1e-4);
      expectClose(gB!.dataSync(), finiteDifferences((x) => loss64(A, x, null), B), 1e-4);
    });

    it('trains a masked tf.Variable through tf.variableGrads and frees every intermediate', () => {
      const w = tf.variable(tf.tensor2d(B, [K, N]));
      const mask = tf.tensor2d(B.map((_, i) => (i % 3 === 0 ? 0 : 1)), [K, N]);
      const x = tf.tensor2d(A, [M, K]);
      const before = tf.memory().numTensors;
      const grad = tf.tidy(() => tf.variableGrads(() => lossOf(matMul2d(x, tf.mul(w, mask) as tf.Tensor2D)) as tf.Scalar, [w]).grads[w.name]!);
      expect(tf.memory().numTensors).toBe(before + 1);
      const masked = B.map((v, i) => (i % 3 === 0 ? 0 : v));
      const expected = finiteDifferences((m) => loss64(A, m, null), masked).map((g, i) => (i % 3 === 0 ? 0 : g));
      expectClose(grad.dataSync(), expected, 1e-4);
      tf.dispose([w, mask, x, grad]);
    });

    it('rejects shapes that do not multiply', () => {
      expect(() => matMul2d(tf.zeros([2, 3]), tf.zeros([2, 3]))).toThrow('matMul2d: cannot multiply [2,3] by [2,3]');
    });
  });

  describe('frozenDense', () => {
    it('computes x·w + b as tf.matMul and tf.add do', () => {
      const x = tf.tensor2d(A, [M, K]), w = tf.tensor2d(B, [K, N]), b = tf.tensor1d(BIAS);
      expect(Array.from(frozenDense(x, w, b).dataSync())).toEqual(Array.from(tf.add(tf.matMul(x, w), b).dataSync()));
    });

    it('gives x the gradient of the built-in ops and of float64 finite differences', () => {
      const x = tf.tensor2d(A, [M, K]), w = tf.tensor2d(B, [K, N]), b = tf.tensor1d(BIAS);
      const g = tf.grad((t: tf.Tensor) => lossOf(frozenDense(t as tf.Tensor2D, w, b)))(x);
      const r = tf.grad((t: tf.Tensor) => lossOf(tf.add(tf.matMul(t, w), b)))(x);
      expectClose(g.dataSync(), r.dataSync(), 1e-5);
      expectClose(g.dataSync(), finiteDifferences((a) => loss64(a, B, BIAS), A), 1e-4);
    });

    it('treats w and b as constants: a gradient with respect to them is an error, not a silent zero', () => {
      const x = tf.tensor2d(A, [M, K]), w = tf.tensor2d(B, [K, N]), b = tf.tensor1d(BIAS);
      expect(() => tf.grad((t: tf.Tensor) => lossOf(frozenDense(x, t as tf.Tensor2D, b)))(w)).toThrow(/Cannot compute gradient/);
    });
  });
});
