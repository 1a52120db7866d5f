// A numerical self-check of the active tfjs backend: the same small problem (a matrix product,
// and the gradient of matMul → GELU → layer norm → softmax cross-entropy) is computed on the
// active backend and on tfjs's `cpu` backend, and the largest relative differences are reported.
// The playground runs it on the user's GPU; the e2e suite runs it on WebGPU in Chromium.
import * as tf from '@tensorflow/tfjs';
import { takeGpuErrors } from './backend';
import { gelu, layerNorm, softmaxCrossEntropy } from './ops';
import { createRng, normalArray } from './random';

/** Inputs of the self-check, plain arrays so they can be evaluated on any backend. */
export interface ParityProblem {
  n: number; // rows (examples)
  d: number; // input width
  c: number; // classes
  x: Float32Array; // [n, d]
  w: Float32Array; // [d, c]
  gamma: Float32Array; // [c]
  beta: Float32Array; // [c]
  labels: Int32Array; // [n]
  a: Float32Array; // [p, q] left factor of the plain product
  b: Float32Array; // [q, r] right factor
  p: number;
  q: number;
  r: number;
}

/** Values computed from a ParityProblem on one backend. */
export interface ParityValues {
  product: Float32Array; // a·b, [p, r]
  loss: number;
  gradX: Float32Array;
  gradW: Float32Array;
  gradGamma: Float32Array;
  gradBeta: Float32Array;
}

/** Largest difference of each quantity relative to the largest reference magnitude. */
export interface ParityReport {
  backend: string;
  reference: 'cpu';
  relErr: Record<'product' | 'loss' | 'gradX' | 'gradW' | 'gradGamma' | 'gradBeta', number>;
  /** Errors the GPU reported while computing (any makes the check fail). */
  gpuErrors: string[];
  maxRelErr: number;
}

/** A deterministic problem; odd sizes so that tiled kernels hit their edge cases. */
export function makeParityProblem(seed = 7): ParityProblem {
  const rng = createRng(seed);
  const n = 12, d = 37, c = 9, p = 33, q = 47, r = 29;
  const gamma = normalArray(rng, c, 0.2).map((v) => v + 1);
  return {
    n, d, c, p, q, r,
    x: normalArray(rng, n * d),
    w: normalArray(rng, d * c, 0.3),
    gamma,
    beta: normalArray(rng, c, 0.1),
    labels: Int32Array.from({ length: n }, () => Math.floor(rng() * c)),
    a: normalArray(rng, p * q),
    b: normalArray(rng, q * r),
  };
}

/** The self-check's loss: softmax cross-entropy of layerNorm(gelu(x·w)). */
export function parityLoss(x: tf.Tensor2D, w: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const hidden = gelu(tf.matMul(x, w)); // [n, c]
    const logits = layerNorm(hidden, gamma, beta, 1e-5) as tf.Tensor2D; // [n, c]
    return softmaxCrossEntropy(logits, labels);
  });
}

/** Evaluates the problem on the active backend and reads the results back. */
export async function evaluateParityProblem(problem: ParityProblem): Promise<ParityValues> {
  const { n, d, c, p, q, r } = problem;
  const inputs = tf.tidy(() => ({
    x: tf.tensor2d(problem.x, [n, d]),
    w: tf.tensor2d(problem.w, [d, c]),
    gamma: tf.tensor1d(problem.gamma),
    beta: tf.tensor1d(problem.beta),
    labels: tf.tensor1d(problem.labels, 'int32'),
    a: tf.tensor2d(problem.a, [p, q]),
    b: tf.tensor2d(problem.b, [q, r]),
  }));
  const product = tf.matMul(inputs.a, inputs.b); // [p, r]
  const lossAndGrads = tf.valueAndGrads((x: tf.Tensor, w: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) =>
    parityLoss(x as tf.Tensor2D, w as tf.Tensor2D, gamma as tf.Tensor1D, beta as tf.Tensor1D, inputs.labels),
  );
  const { value, grads } = lossAndGrads([inputs.x, inputs.w, inputs.gamma, inputs.beta]);
  const [gX, gW, gGamma, gBeta] = grads as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  try {
    return {
      product: (await product.data()) as Float32Array,
      loss: (await value.data())[0] ?? NaN,
      gradX: (await gX.data()) as Float32Array,
      gradW: (await gW.data()) as Float32Array,
      gradGamma: (await gGamma.data()) as Float32Array,
      gradBeta: (await gBeta.data()) as Float32Array,
    };
  } finally {
    tf.dispose([product, value, ...grads, ...Object.values(inputs)]);
  }
}

/** max |a − b| / max |b|: one number per quantity, robust to entries near zero. */
export function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    const diff = Math.abs((actual[i] ?? NaN) - (reference[i] ?? NaN));
    if (Number.isNaN(diff)) return Infinity; // a NaN anywhere is a failure, not a small error
    maxDiff = Math.max(maxDiff, diff);
    maxRef = Math.max(maxRef, Math.abs(reference[i] ?? 0));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}

/** Compares the active backend with `cpu` on the self-check problem; restores the backend. */
export async function runParityCheck(seed = 7): Promise<ParityReport> {
  const backend = tf.getBackend();
  const problem = makeParityProblem(seed);
  const actual = await evaluateParityProblem(problem);
  await tf.setBackend('cpu');
  let reference: ParityValues;
  try {
    reference = await evaluateParityProblem(problem);
  } finally {
    await tf.setBackend(backend);
  }
  const relErr: ParityReport['relErr'] = {
    product: relativeError(actual.product, reference.product),
    loss: relativeError([actual.loss], [reference.loss]),
    gradX: relativeError(actual.gradX, reference.gradX),
    gradW: relativeError(actual.gradW, reference.gradW),
    gradGamma: relativeError(actual.gradGamma, reference.gradGamma),
    gradBeta: relativeError(actual.gradBeta, reference.gradBeta),
  };
  const gpuErrors = takeGpuErrors();
  const maxRelErr = Math.max(...Object.values(relErr));
  return { backend, reference: 'cpu', relErr, gpuErrors, maxRelErr: Number.isNaN(maxRelErr) || gpuErrors.length > 0 ? Infinity : maxRelErr };
}
