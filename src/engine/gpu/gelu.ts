// Exact GELU, x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), as one WebGPU dispatch forward and one backward
// (tf.customGrad around two programs run through the backend's runWebGPUProgram), instead of tfjs's
// five ops forward and about a dozen backward. Same erf as tfjs (Abramowitz–Stegun 7.1.26, tfjs's
// constants) and the same derivative tfjs gives the composition, so it agrees with ops.ts's `gelu`
// on the cpu backend to float32 rounding. On other backends it is ops.ts's composition.
// Not yet called by the encoder: ops.ts's `gelu` can delegate to it on webgpu (see docs/benchmarks.md).
import * as tf from '@tensorflow/tfjs';
import { webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { gelu as geluOps } from '../ops';
import { fusedKernelsEnabled } from './switch';

// tfjs-core's backend_util.ERF_* (Abramowitz & Stegun 7.1.26), as its cpu and webgpu Erf kernels use them.
const ERF = { p: 0.3275911, a1: 0.254829592, a2: -0.284496736, a3: 1.421413741, a4: -1.453152027, a5: 1.061405429 };

const ERF_WGSL = `
fn erfApprox(x : f32) -> f32 {
  let s = sign(x);
  let v = abs(x);
  let t = 1.0 / (1.0 + ${ERF.p} * v);
  return s * (1.0 - (((((${ERF.a5} * t + ${ERF.a4}) * t) + ${ERF.a3}) * t + ${ERF.a2}) * t + ${ERF.a1}) * t * exp(-v * v));
}`;

/** A flat elementwise program in tfjs-backend-webgpu's program format (its shader preamble supplies getters, setters and `uniforms.size`). */
class GeluProgram {
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
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
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

interface ProgramRunner {
  runWebGPUProgram(program: GeluProgram, inputs: tf.TensorInfo[], dtype: 'float32'): tf.TensorInfo;
}

function run(inputs: tf.Tensor[], backward: boolean): tf.Tensor {
  const backend = tf.backend() as unknown as ProgramRunner;
  const info = backend.runWebGPUProgram(new GeluProgram([...inputs[0]!.shape], backward), inputs, 'float32');
  return tf.engine().makeTensorFromTensorInfo(info);
}

const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: run([x], false), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => run([saved[0]!, dy as tf.Tensor], true) };
});

/** GELU of `x` (float32): one dispatch each way on webgpu with the fused kernels on, ops.ts's composition otherwise. */
export function geluFused(x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== 'webgpu' || !fusedKernelsEnabled() || x.dtype !== 'float32') return geluOps(x);
  return fused(x);
}
