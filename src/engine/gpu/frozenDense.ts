// A frozen dense layer, x·w + b, with the bias added inside the product: tfjs's own fused matMul
// (`tf.fused.matMul` with a bias: one dispatch, the bias in the product's epilogue) instead of a
// product and an add. As dense.ts's `frozenDense`, the weights are constants of the op and the
// gradient flows to x only, dX = dY·Wᵀ (tfjs's transposed-operand layout, which its WebGPU shaders
// read without an extra pass). WebGPU only (ops.ts decides when): on wasm the product layouts differ
// in speed and the engine's numbers there must not move.
import * as tf from '@tensorflow/tfjs';

/** x [N, in] · w [in, out] + b [out] → [N, out] in one dispatch forward and one backward; only on the webgpu backend. */
export function fusedFrozenDense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (x.rank !== 2 || x.shape[1] !== w.shape[0]) throw new Error(`frozenDense: cannot multiply [${x.shape}] by [${w.shape}]`);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    return {
      value: tf.fused.matMul({ a: input, b: w, bias: b }), // [N, in]·[in, out] + [out] → [N, out]
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.matMul(dy as tf.Tensor2D, w, false, true), // [N, out]·[out, in] → [N, in]
    };
  });
  return op(x) as tf.Tensor2D;
}
