// Exact GELU, x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), as one WebGPU dispatch forward and one backward
// (tf.customGrad around two programs run through the backend's runWebGPUProgram), instead of tfjs's
// five ops forward and about a dozen backward. Same erf as tfjs (Abramowitz–Stegun 7.1.26, tfjs's
// constants) and the same derivative tfjs gives the composition, so it agrees with ops.ts's `gelu`
// on the cpu backend to float32 rounding. ops.ts's `gelu` calls it when the fused kernels are active
// (program.ts); everywhere else it is ops.ts's composition of tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { flatDispatch, flatLayout, runProgram, type EngineProgram } from './program';

// tfjs-core's backend_util.ERF_* (Abramowitz & Stegun 7.1.26), as its cpu and webgpu Erf kernels use them.
const ERF = { p: 0.3275911, a1: 0.254829592, a2: -0.284496736, a3: 1.421413741, a4: -1.453152027, a5: 1.061405429 };

export const ERF_WGSL = `
fn erfApprox(x : f32) -> f32 {
  let s = sign(x);
  let v = abs(x);
  let t = 1.0 / (1.0 + ${ERF.p} * v);
  return s * (1.0 - (((((${ERF.a5} * t + ${ERF.a4}) * t) + ${ERF.a3}) * t + ${ERF.a2}) * t + ${ERF.a1}) * t * exp(-v * v));
}`;

/** A flat elementwise program in tfjs-backend-webgpu's program format (its shader preamble supplies getters, setters and `uniforms.size`). */
class GeluProgram implements EngineProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  size = true;
  constructor(shape: number[], private readonly backward: boolean) {
    this.variableNames = backward ? ['X', 'DY'] : ['X'];
    this.outputShape = shape;
    this.dispatchLayout = flatLayout(shape);
    this.dispatch = flatDispatch(shape, this.workgroupSize[0]);
    this.shaderKey = backward ? 'engineGeluGrad' : 'engineGelu';
  }
  getUserCode(): string {
    // Forward as ops.ts: (x · 0.5) · (1 + erf(x · √½)). Backward as tfjs differentiates that composition:
    // 0.5 · (1 + erf(x · √½)) + (x · 0.5) · (2/√π) · exp(−(x · √½)²) · √½.
    const body = this.backward
      ? `let x = getXByOutputIndex(index);
          let u = x * ${Math.SQRT1_2};
          let d = 0.5 * (1.0 + erfApprox(u)) + (x * 0.5) * (${2 / Math.sqrt(Math.PI)} * exp(-u * u)) * ${Math.SQRT1_2};
          setOutputAtIndex(index, getDYByOutputIndex(index) * d);`
      : `let x = getXByOutputIndex(index);
          setOutputAtIndex(index, (x * 0.5) * (1.0 + erfApprox(x * ${Math.SQRT1_2})));`;
    return `${ERF_WGSL}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`;
  }
}

const run = (inputs: tf.Tensor[], backward: boolean) => runProgram(new GeluProgram([...inputs[0]!.shape], backward), inputs);

const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: run([x], false), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => run([saved[0]!, dy as tf.Tensor], true) };
});

/** GELU of a float32 `x` as one dispatch each way; only on the webgpu backend (ops.ts decides when). */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return fused(x);
}
