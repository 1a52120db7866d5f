// Residual add + LayerNorm over the last axis, y = LN(x + r)·γ + β, as one WebGPU dispatch forward and
// one backward (tf.customGrad around programs run through the backend's runWebGPUProgram), instead of
// tfjs's ten ops forward and about twenty backward. One workgroup normalises one row: it sums the row
// for the mean, then the squared deviations for the variance (the biased one, eps added before the
// square root, as ops.ts's `layerNorm` and torch.nn.LayerNorm), then writes the row. The backward
// recomputes the row's mean and 1/σ from the saved inputs in the same workgroup (cheaper than a
// second output, which tfjs's program format does not have) and gives, with x̂ = (x − μ)/σ and
// g = dy·γ, dx = (g − mean(g) − x̂·mean(g·x̂))/σ; the residual's gradient is the same tensor.
// The encoder's LayerNorm weights are frozen: there γ and β are constants of the op and get no
// gradient (no work is spent on one). Where they are trainable, two more programs give the row
// statistics and then dγ = Σ_rows dy·x̂ and dβ = Σ_rows dy, one column per thread.
// Called by ops.ts's `layerNorm` when the fused kernels are active (program.ts).
import * as tf from '@tensorflow/tfjs';
import { flatDispatch, flatLayout, runProgram, WORKGROUP_INDEX_WGSL, workgroupReduceWgsl, type EngineProgram } from './program';

/** Threads per row-workgroup (a power of two); each thread takes every 64th entry of its row. */
const ROW_THREADS = 64;

/** Scratch for the row sums, the workgroup's index (its row), and the value x + r at a flat index. */
const rowPreamble = (residual: boolean) => `
  var<workgroup> partA : array<f32, ${ROW_THREADS}>;
  var<workgroup> partB : array<f32, ${ROW_THREADS}>;
  ${workgroupReduceWgsl('sumA', 'partA', ROW_THREADS)}
  ${workgroupReduceWgsl('sumB', 'partB', ROW_THREADS)}
  ${WORKGROUP_INDEX_WGSL}
  fn value(i : i32) -> f32 {
    return ${residual ? 'X[i] + R[i]' : 'X[i]'};
  }`;

/**
 * The row's mean and 1/σ, into `mean` and `rstd` (every thread of the workgroup gets them). Rows past
 * the end (a reshaped dispatch) sum nothing; the barriers stay in uniform control flow.
 */
const rowStatistics = `
  let lane = i32(localId.x);
  let row = workgroupIndex();
  let valid = row < rows;
  let base = row * cols;
  var s = 0.0;
  if (valid) { for (var j = lane; j < cols; j = j + ${ROW_THREADS}) { s = s + value(base + j); } }
  partA[lane] = s;
  sumA(u32(lane));
  let mean = partA[0] / f32(cols);
  var q = 0.0;
  if (valid) { for (var j = lane; j < cols; j = j + ${ROW_THREADS}) { let c = value(base + j) - mean; q = q + c * c; } }
  partB[lane] = q;
  sumB(u32(lane));
  let rstd = inverseSqrt(partB[0] / f32(cols) + uniforms.eps);`;

type Kind = 'forward' | 'backward' | 'statistics';

/** One workgroup per row of x [rows, cols]: the normalised row (forward), dx (backward), or [μ, 1/σ] (statistics). */
class RowProgram implements EngineProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  size = true;
  uniforms = 'eps : f32,';
  constructor(private readonly kind: Kind, private readonly residual: boolean, rows: number, cols: number) {
    const inputs = { forward: ['Gamma', 'Beta'], backward: ['Gamma', 'DY'], statistics: [] }[kind];
    this.variableNames = ['X', ...(residual ? ['R'] : []), ...inputs];
    this.outputShape = kind === 'statistics' ? [rows, 2] : [rows, cols];
    this.dispatchLayout = flatLayout(this.outputShape);
    this.dispatch = [rows, 1, 1];
    this.shaderKey = `engineLayerNorm_${kind}_${residual ? 'residual' : 'plain'}`;
  }
  getUserCode(): string {
    const finish = {
      forward: `
        if (valid) {
          for (var j = lane; j < cols; j = j + ${ROW_THREADS}) {
            setOutputAtIndex(base + j, ((value(base + j) - mean) * rstd) * Gamma[j] + Beta[j]);
          }
        }`,
      backward: `
        var sg = 0.0;
        var sgx = 0.0;
        if (valid) {
          for (var j = lane; j < cols; j = j + ${ROW_THREADS}) {
            let g = DY[base + j] * Gamma[j];
            sg = sg + g;
            sgx = sgx + g * ((value(base + j) - mean) * rstd);
          }
        }
        workgroupBarrier(); // everyone has read partA[0] and partB[0]
        partA[lane] = sg;
        partB[lane] = sgx;
        sumA(u32(lane));
        sumB(u32(lane));
        let meanG = partA[0] / f32(cols);
        let meanGX = partB[0] / f32(cols);
        if (valid) {
          for (var j = lane; j < cols; j = j + ${ROW_THREADS}) {
            let xhat = (value(base + j) - mean) * rstd;
            setOutputAtIndex(base + j, (DY[base + j] * Gamma[j] - meanG - xhat * meanGX) * rstd);
          }
        }`,
      statistics: `
        if (valid && lane == 0) {
          setOutputAtIndex(row * 2, mean);
          setOutputAtIndex(row * 2 + 1, rstd);
        }`,
    }[this.kind];
    return `${rowPreamble(this.residual)}
      fn main(index : i32) {
        let rows = uniforms.xShape.x;
        let cols = uniforms.xShape.y;
        ${rowStatistics}
        ${finish}
      }`;
  }
}

/** dγ (Σ_rows dy·x̂) or dβ (Σ_rows dy) [cols], one thread per column, from the row statistics [rows, 2]. */
class ParamGradProgram implements EngineProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  constructor(private readonly which: 'gamma' | 'beta', private readonly residual: boolean, cols: number) {
    this.variableNames = which === 'gamma' ? ['X', ...(residual ? ['R'] : []), 'Stats', 'DY'] : ['DY'];
    this.outputShape = [cols];
    this.dispatchLayout = flatLayout(this.outputShape);
    this.dispatch = flatDispatch(this.outputShape, this.workgroupSize[0]);
    this.shaderKey = `engineLayerNormParamGrad_${which}_${residual ? 'residual' : 'plain'}`;
  }
  getUserCode(): string {
    const term = this.which === 'gamma' ? 'DY[i] * ((value(i) - Stats[r * 2]) * Stats[r * 2 + 1])' : 'DY[i]';
    return `
      ${this.which === 'gamma' ? `fn value(i : i32) -> f32 { return ${this.residual ? 'X[i] + R[i]' : 'X[i]'}; }` : ''}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let rows = uniforms.dYShape.x;
          let cols = uniforms.dYShape.y;
          var acc = 0.0;
          for (var r = 0; r < rows; r = r + 1) {
            let i = r * cols + index;
            acc = acc + ${term};
          }
          setOutputAtIndex(index, acc);
        }
      }`;
  }
}

/** Whether `layerNorm(x + residual)` can run fused: float32 throughout, γ and β of the last axis's length. */
export function fusedLayerNormApplies(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, residual?: tf.Tensor): boolean {
  const cols = x.shape[x.rank - 1] ?? 0;
  const sameShape = !residual || (residual.dtype === 'float32' && residual.shape.length === x.shape.length && residual.shape.every((d, i) => d === x.shape[i]));
  return x.rank >= 1 && cols > 0 && x.size > 0 && x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32' && gamma.size === cols && beta.size === cols && sameShape;
}

/**
 * LN(x + residual)·γ + β over the last axis in one dispatch each way, on the webgpu backend (ops.ts
 * decides when). With `frozen`, γ and β get no gradient; otherwise the op gives them theirs.
 */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number, residual: tf.Tensor | undefined, frozen: boolean): tf.Tensor {
  const shape = x.shape;
  const cols = shape[shape.length - 1]!;
  const rows = x.size / cols;
  const hasResidual = residual !== undefined;
  const uniforms = [{ type: 'float32' as const, data: [eps] }];
  const flat = (t: tf.Tensor) => tf.reshape(t, [rows, cols]); // [rows, cols]: reshapes are free on webgpu
  const inputs = hasResidual ? [x, residual] : [x];
  const forward = (xs: tf.Tensor[], g: tf.Tensor, b: tf.Tensor) => tf.reshape(runProgram(new RowProgram('forward', hasResidual, rows, cols), [...xs.map(flat), g, b], uniforms), shape);
  const dx = (xs: tf.Tensor[], g: tf.Tensor, dy: tf.Tensor) => tf.reshape(runProgram(new RowProgram('backward', hasResidual, rows, cols), [...xs.map(flat), g, flat(dy)], uniforms), shape);
  // The residual's gradient is dx too; a second handle (no copy) so that each input owns its gradient.
  const both = (d: tf.Tensor) => (hasResidual ? [d, tf.clone(d)] : [d]);

  if (frozen) {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const xs = args.slice(0, inputs.length) as tf.Tensor[];
      (args[inputs.length] as tf.GradSaveFunc)(xs);
      return { value: forward(xs, gamma, beta), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => both(dx(saved, gamma, dy as tf.Tensor)) };
    });
    return op(...inputs);
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const all = args.slice(0, inputs.length + 2) as tf.Tensor[];
    (args[inputs.length + 2] as tf.GradSaveFunc)(all);
    const xs = all.slice(0, inputs.length);
    return {
      value: forward(xs, all[inputs.length]!, all[inputs.length + 1]!),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const sx = saved.slice(0, inputs.length);
        const g = saved[inputs.length]!;
        const d = dy as tf.Tensor;
        const stats = runProgram(new RowProgram('statistics', hasResidual, rows, cols), sx.map(flat), uniforms); // [rows, 2]
        const dGamma = tf.reshape(runProgram(new ParamGradProgram('gamma', hasResidual, cols), [...sx.map(flat), stats, flat(d)]), gamma.shape);
        const dBeta = tf.reshape(runProgram(new ParamGradProgram('beta', hasResidual, cols), [flat(d)]), beta.shape);
        stats.dispose();
        return [...both(dx(sx, g, d)), dGamma, dBeta];
      },
    };
  });
  return op(...inputs, gamma, beta);
}
