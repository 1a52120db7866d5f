// Matrix products whose backward pass runs in the fastest matMul layout of the backend. tfjs
// differentiates a·b with transposed products (matMul(dy, b, false, true), matMul(a, dy, true, false)),
// and on the wasm backend those layouts run 10–25× below the plain one (docs/performance-notes.md). There the
// backward transposes explicitly and then multiplies plainly: the same numbers, the fast kernel.
// On the cpu backend the explicit transpose costs 3–7% more than tfjs's layouts, and on WebGPU it is
// an extra pass tfjs's shaders do not need, so those keep tfjs's layouts (docs/benchmarks.md).
import * as tf from '@tensorflow/tfjs';

/** Backends whose matMul is much slower with transposed operands, measured in docs/benchmarks.md. */
const TRANSPOSE_FIRST = new Set(['wasm']);

/** op(a)·op(b), op = transpose where asked: as an explicit transpose then a plain product where that is faster. */
function product(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (!TRANSPOSE_FIRST.has(tf.getBackend())) return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/**
 * a·b with both gradients: dA = dY·Bᵀ and dB = Aᵀ·dY. tf.customGrad computes both whenever either
 * is needed, so it serves products where both usually are (an adapter's input and its weight).
 */
const matMulBothGrads = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b), // [m, k]·[k, n] → [m, n]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        product(dy as tf.Tensor2D, sb, false, true), // [m, n]·[n, k] → [m, k]
        product(sa, dy as tf.Tensor2D, true, false), // [k, m]·[m, n] → [k, n]
      ];
    },
  };
});

/** a [m, k] · b [k, n] → [m, n], differentiable in both inputs, with the backward pass in the backend's fast layout. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) throw new Error(`matMul2d: cannot multiply [${a.shape}] by [${b.shape}]`);
  return matMulBothGrads(a, b) as tf.Tensor2D;
}

/**
 * x [N, in] · w [in, out] + b [out] → [N, out] for a layer that is never trained (the frozen encoder).
 * The gradient flows to x only, as dX = dY·Wᵀ: w and b are constants of the op, not inputs, so no
 * work is spent on gradients nobody reads, and asking for one with respect to w or b is an error.
 */
export function frozenDense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (x.rank !== 2 || x.shape[1] !== w.shape[0]) throw new Error(`frozenDense: cannot multiply [${x.shape}] by [${w.shape}]`);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    return {
      value: tf.add(tf.matMul(input, w), b), // [N, in]·[in, out] + [out] → [N, out]
      gradFunc: (dy: tf.Tensor) => product(dy as tf.Tensor2D, w, false, true), // [N, out]·[out, in] → [N, in]
    };
  });
  return op(x) as tf.Tensor2D;
}
