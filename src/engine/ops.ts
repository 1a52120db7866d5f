// Numerical building blocks shared by the encoder, the adapters and the trainer.
// Each is written with tfjs ops, so it runs (and differentiates) on every backend. On the webgpu
// backend some of them run as the engine's fused kernels instead (src/engine/gpu/, one dispatch per
// direction where tfjs's ops take several); those compute the same function, checked against these
// compositions on the cpu backend. The cpu and wasm backends always run the compositions below.
import * as tf from '@tensorflow/tfjs';
import { frozenDense, matMul2d } from './dense';
import { fusedBottleneck, fusedBottleneckApplies, type BottleneckExtras, type BottleneckTensors } from './gpu/bottleneck';
import { fusedFrozenDense } from './gpu/frozenDense';
import { fusedGelu } from './gpu/gelu';
import { fusedLayerNorm, fusedLayerNormApplies } from './gpu/layerNorm';
import { fusedKernelsActive } from './gpu/program';
import { fusedCrossEntropy, fusedCrossEntropyApplies, fusedMaskedSoftmax, fusedMaskedSoftmaxApplies } from './gpu/softmax';
import type { Nonlinearity } from './settings';

export type { BottleneckExtras, BottleneckTensors } from './gpu/bottleneck';

/** Exact GELU as in BERT and Hugging Face's `gelu`: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && fusedKernelsActive()) return fusedGelu(x);
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/**
 * Layer normalisation over the last axis, as torch.nn.LayerNorm: the variance is the biased one
 * (divided by n), and eps is added to it before the square root. With `residual` it normalises
 * x + residual (the post-LN sublayer's sum, added first); with `frozen` the caller promises that no
 * gradient with respect to gamma or beta is wanted (the encoder's own norms), which lets the fused
 * WebGPU kernel skip them.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number, options: { residual?: tf.Tensor; frozen?: boolean } = {}): tf.Tensor {
  const { residual, frozen = false } = options;
  if (fusedKernelsActive() && fusedLayerNormApplies(x, gamma, beta, residual)) return fusedLayerNorm(x, gamma, beta, eps, residual, frozen);
  return tf.tidy(() => {
    const input = residual ? tf.add(x, residual) : x; // [..., H]
    const axis = input.rank - 1;
    const mean = tf.mean(input, axis, true); // [..., 1]
    const centred = tf.sub(input, mean); // [..., H]
    const variance = tf.mean(tf.square(centred), axis, true); // [..., 1]
    const normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normalised, gamma), beta);
  });
}

/**
 * Attention's softmax(scores / scale + mask) over the last axis (the keys), for scores [B, nh, T, S]
 * and an additive mask [B, 1, 1, S] (0 where visible, a large negative number where not).
 */
export function maskedSoftmax(scores: tf.Tensor4D, scale: number, mask: tf.Tensor4D): tf.Tensor4D {
  if (fusedKernelsActive() && fusedMaskedSoftmaxApplies(scores, mask)) return fusedMaskedSoftmax(scores, scale, mask);
  return tf.softmax(tf.add(tf.div(scores, scale), mask), -1); // [B, nh, T, S]
}

/**
 * Mean softmax cross-entropy of logits [N, C] against integer labels [N] (int32).
 * Rows whose weight is 0 (padding, ignored tokens) do not count; the mean is over the rest.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  if (fusedKernelsActive() && fusedCrossEntropyApplies(logits, labels, weights)) return fusedCrossEntropy(logits, labels, weights);
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const logProbs = tf.logSoftmax(logits, -1); // [N, C]
    const oneHot = tf.oneHot(labels, numClasses); // [N, C]
    const perRow = tf.neg(tf.sum(tf.mul(oneHot, logProbs), -1)); // [N]
    if (!weights) return tf.mean(perRow);
    const total = tf.maximum(tf.sum(weights), 1e-12);
    return tf.div(tf.sum(tf.mul(perRow, weights)), total);
  });
}

/** An adapter's non-linearity (swish is x·σ(x), AdapterHub's). */
export function activation(x: tf.Tensor, f: Nonlinearity): tf.Tensor {
  switch (f) {
    case 'relu': return tf.relu(x);
    case 'gelu': return gelu(x);
    case 'tanh': return tf.tanh(x);
    case 'swish': return tf.mul(x, tf.sigmoid(x));
  }
}

/**
 * An adapter bottleneck on x [N, H]: skip + scale·(f(x·(W_d ⊙ M_d) + b_d ⊙ m_d)·(W_u ⊙ M_u) + b_u ⊙ m_u),
 * where a tensor without a mask is used as it is, and the skip and the scale are optional. The masks
 * take part as multiplies, so a pruned weight gets a gradient of exactly 0. On webgpu with the fused
 * kernels on it is gpu/bottleneck.ts (two dispatches forward, six backward, the masks applied inside
 * the products); elsewhere the composition below, the same ops in the same order as the adapters ran
 * before it existed.
 */
export function adapterBottleneck(x: tf.Tensor2D, t: BottleneckTensors, f: Nonlinearity, extras: BottleneckExtras = {}): tf.Tensor2D {
  if (fusedKernelsActive() && fusedBottleneckApplies(x, t, extras)) return fusedBottleneck(x, t, f, extras);
  const masked = <T extends tf.Tensor>(v: T, mask?: tf.Tensor): T => (mask ? tf.mul(v, mask) : v);
  const down = activation(tf.add(matMul2d(x, masked(t.down, t.masks.down)), masked(t.downBias, t.masks.downBias)), f) as tf.Tensor2D; // [N, d]
  let y = tf.add(matMul2d(down, masked(t.up, t.masks.up)), masked(t.upBias, t.masks.upBias)) as tf.Tensor2D; // [N, H]
  if (extras.scale !== undefined) y = tf.mul(y, extras.scale);
  return extras.skip ? tf.add(extras.skip, y) : y;
}

/**
 * A frozen dense layer x [N, in]·w [in, out] + b [out] (the encoder's): the gradient reaches x only.
 * On webgpu with the fused kernels on, the bias is added inside the product (gpu/frozenDense.ts: one
 * dispatch instead of two); elsewhere dense.ts's frozenDense.
 */
export function denseLayer(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (fusedKernelsActive() && x.dtype === 'float32' && w.dtype === 'float32' && b.dtype === 'float32' && b.rank === 1) return fusedFrozenDense(x, w, b);
  return frozenDense(x, w, b);
}

/**
 * Attention scores q·kᵀ for q [B, nh, T, hs] and k [B, nh, S, hs] → [B, nh, T, S]. On webgpu with the
 * fused kernels on, kᵀ is read by the product (transposeB: no transpose pass, and none for its
 * gradient); elsewhere the transpose is explicit, so that matMul runs in its fast untransposed layout
 * (wasm: docs/performance-notes.md).
 */
export function attentionScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor4D {
  if (fusedKernelsActive()) return tf.matMul(q, k, false, true);
  return tf.matMul(q, tf.transpose(k, [0, 1, 3, 2])); // [B, nh, T, hs]·[B, nh, hs, S]
}
