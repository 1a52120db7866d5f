// Two softmax hot paths as one WebGPU dispatch forward and one backward each (tf.customGrad around
// programs run through the backend's runWebGPUProgram), instead of tfjs's chains of small ops:
// - attention's softmax(scores / √d + mask) over the keys, one workgroup per query row (forward:
//   the row's max, then Σ exp, then the probabilities; backward: p·(dp − Σ dp·p) / √d, tfjs's
//   softmax gradient followed by the division's);
// - the mean (or weighted mean) softmax cross-entropy of logits [N, C] against integer labels, in
//   one workgroup that loops over the rows (forward: log Σ exp(x − max) − (x_label − max) per row,
//   then the mean; backward: (softmax − one-hot)·w_i/Σw · dL).
// The additive mask, the labels and the weights are constants of the ops (no gradient, as none is
// ever wanted of them). Same order of operations as ops.ts's compositions, which run everywhere
// else; checked against them on the cpu backend (softmax.test.ts). Called by ops.ts.
import * as tf from '@tensorflow/tfjs';
import { flatLayout, runProgram, WORKGROUP_INDEX_WGSL, workgroupReduceWgsl, type EngineProgram } from './program';

/** Threads per attention row (a power of two); each thread takes every 64th key. */
const ROW_THREADS = 64;
/** Threads of the one cross-entropy workgroup; each takes every 256th row. */
const CE_THREADS = 256;
/** Below every float32 score (masked ones are about −1e9), the start of a running max. */
const LOWEST = '-3.0e38';

/** softmax(x / scale + mask) over the last axis of x [rows, S], mask [B, S] shared by `rowsPerBatch` consecutive rows; or its backward from y and dy. */
class MaskedSoftmaxProgram implements EngineProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ROW_THREADS, 1, 1];
  size = true;
  uniforms = 'scale : f32, rowsPerBatch : i32,';
  constructor(private readonly backward: boolean, rows: number, cols: number) {
    this.variableNames = backward ? ['Y', 'DY'] : ['X', 'M'];
    this.outputShape = [rows, cols];
    this.dispatchLayout = flatLayout(this.outputShape);
    this.dispatch = [rows, 1, 1];
    this.shaderKey = `engineMaskedSoftmax_${backward ? 'backward' : 'forward'}`;
  }
  getUserCode(): string {
    const head = `
      var<workgroup> part : array<f32, ${ROW_THREADS}>;
      ${workgroupReduceWgsl('rowSum', 'part', ROW_THREADS)}
      ${workgroupReduceWgsl('rowMax', 'part', ROW_THREADS, 'max')}
      ${WORKGROUP_INDEX_WGSL}`;
    const start = (name: string) => `
        let rows = uniforms.${name}Shape.x;
        let cols = uniforms.${name}Shape.y;
        let lane = i32(localId.x);
        let row = workgroupIndex();
        let valid = row < rows;
        let base = row * cols;`;
    if (this.backward) {
      return `${head}
      fn main(index : i32) {
        ${start('y')}
        var s = 0.0;
        if (valid) { for (var j = lane; j < cols; j = j + ${ROW_THREADS}) { s = s + DY[base + j] * Y[base + j]; } }
        part[lane] = s;
        rowSum(u32(lane));
        let total = part[0];
        if (valid) {
          for (var j = lane; j < cols; j = j + ${ROW_THREADS}) {
            let y = Y[base + j];
            setOutputAtIndex(base + j, (DY[base + j] * y - total * y) / uniforms.scale);
          }
        }
      }`;
    }
    return `${head}
      fn main(index : i32) {
        ${start('x')}
        let maskBase = (row / uniforms.rowsPerBatch) * cols;
        var m = ${LOWEST};
        if (valid) { for (var j = lane; j < cols; j = j + ${ROW_THREADS}) { m = max(m, X[base + j] / uniforms.scale + M[maskBase + j]); } }
        part[lane] = m;
        rowMax(u32(lane));
        let rowMaximum = part[0];
        workgroupBarrier(); // everyone has read the max before the sums overwrite it
        var s = 0.0;
        if (valid) { for (var j = lane; j < cols; j = j + ${ROW_THREADS}) { s = s + exp((X[base + j] / uniforms.scale + M[maskBase + j]) - rowMaximum); } }
        part[lane] = s;
        rowSum(u32(lane));
        let total = part[0];
        if (valid) {
          for (var j = lane; j < cols; j = j + ${ROW_THREADS}) {
            setOutputAtIndex(base + j, exp((X[base + j] / uniforms.scale + M[maskBase + j]) - rowMaximum) / total);
          }
        }
      }`;
  }
}

/** Whether the attention softmax can run fused: float32 scores [B, nh, T, S] and an additive mask [B, 1, 1, S]. */
export function fusedMaskedSoftmaxApplies(scores: tf.Tensor, mask: tf.Tensor): boolean {
  const [b, , , s] = scores.shape;
  return scores.rank === 4 && mask.rank === 4 && scores.dtype === 'float32' && mask.dtype === 'float32' && scores.size > 0
    && mask.shape[0] === b && mask.shape[1] === 1 && mask.shape[2] === 1 && mask.shape[3] === s;
}

/** softmax(scores / scale + mask) over the last axis, one dispatch each way, on the webgpu backend (ops.ts decides when). */
export function fusedMaskedSoftmax(scores: tf.Tensor4D, scale: number, mask: tf.Tensor4D): tf.Tensor4D {
  const [b, nh, t, s] = scores.shape;
  const rows = b * nh * t;
  const uniforms = [{ type: 'float32' as const, data: [scale] }, { type: 'int32' as const, data: [nh * t] }];
  const flatMask = tf.reshape(mask, [b, s]); // [B, S]
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = tf.reshape(runProgram(new MaskedSoftmaxProgram(false, rows, s), [tf.reshape(x, [rows, s]), flatMask], uniforms), scores.shape); // [B, nh, T, S]
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.reshape(runProgram(new MaskedSoftmaxProgram(true, rows, s), [tf.reshape(saved[0]!, [rows, s]), tf.reshape(dy as tf.Tensor, [rows, s])], uniforms), scores.shape),
    };
  });
  return op(scores) as tf.Tensor4D;
}

/** The mean (weighted: Σ w·ce / max(Σ w, 1e-12)) cross-entropy of L [N, C] against labels Y [N] (forward, [1]), or its gradient [N, C] (backward). */
class CrossEntropyProgram implements EngineProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number] = [1, 1, 1];
  workgroupSize: [number, number, number] = [CE_THREADS, 1, 1];
  size = true;
  constructor(private readonly backward: boolean, private readonly weighted: boolean, n: number, c: number) {
    this.variableNames = ['L', 'Y', ...(weighted ? ['W'] : []), ...(backward ? ['DY'] : [])];
    this.outputShape = backward ? [n, c] : [1];
    this.dispatchLayout = flatLayout(this.outputShape);
    this.shaderKey = `engineCrossEntropy_${backward ? 'backward' : 'forward'}_${weighted ? 'weighted' : 'mean'}`;
  }
  getUserCode(): string {
    const weight = this.weighted ? 'W[i]' : '1.0';
    // A row's max and Σ exp(x − max); rows whose label is outside 0 … C−1 count 0, as oneHot's zero row does.
    const rowStatistics = `
          let base = i * c;
          let label = Y[i];
          var m = ${LOWEST};
          for (var k = 0; k < c; k = k + 1) { m = max(m, L[base + k]); }
          var s = 0.0;
          for (var k = 0; k < c; k = k + 1) { s = s + exp(L[base + k] - m); }
          let counted = label >= 0 && label < c;`;
    const body = this.backward
      ? `
        // The weights' total first (or N), then every row's gradient.
        var w = 0.0;
        for (var i = lane; i < n; i = i + ${CE_THREADS}) { w = w + ${weight}; }
        partA[lane] = w;
        sumA(u32(lane));
        let total = ${this.weighted ? 'max(partA[0], 1e-12)' : 'f32(n)'};
        let g = DY[0];
        for (var i = lane; i < n; i = i + ${CE_THREADS}) {
          ${rowStatistics}
          let scale = (${weight} / total) * g;
          for (var k = 0; k < c; k = k + 1) {
            var d = 0.0;
            if (counted) { d = (exp(L[base + k] - m) / s - select(0.0, 1.0, k == label)) * scale; }
            setOutputAtIndex(base + k, d);
          }
        }`
      : `
        var loss = 0.0;
        var w = 0.0;
        for (var i = lane; i < n; i = i + ${CE_THREADS}) {
          ${rowStatistics}
          var ce = 0.0;
          if (counted) { ce = log(s) - (L[base + label] - m); }
          loss = loss + ce * ${weight};
          w = w + ${weight};
        }
        partA[lane] = loss;
        partB[lane] = w;
        sumA(u32(lane));
        sumB(u32(lane));
        if (lane == 0) { setOutputAtIndex(0, ${this.weighted ? 'partA[0] / max(partB[0], 1e-12)' : 'partA[0] / f32(n)'}); }`;
    return `
      var<workgroup> partA : array<f32, ${CE_THREADS}>;
      var<workgroup> partB : array<f32, ${CE_THREADS}>;
      ${workgroupReduceWgsl('sumA', 'partA', CE_THREADS)}
      ${workgroupReduceWgsl('sumB', 'partB', CE_THREADS)}
      fn main(index : i32) {
        let n = uniforms.lShape.x;
        let c = uniforms.lShape.y;
        let lane = i32(localId.x);
        ${body}
      }`;
  }
}

/** Whether the cross-entropy can run fused: float32 logits [N, C], int32 labels [N], float32 weights [N] if any. */
export function fusedCrossEntropyApplies(logits: tf.Tensor, labels: tf.Tensor, weights?: tf.Tensor): boolean {
  const n = logits.shape[0];
  return logits.rank === 2 && logits.size > 0 && logits.dtype === 'float32' && labels.dtype === 'int32' && labels.rank === 1 && labels.shape[0] === n
    && (!weights || (weights.dtype === 'float32' && weights.rank === 1 && weights.shape[0] === n));
}

/** The (weighted) mean softmax cross-entropy in one dispatch each way, on the webgpu backend (ops.ts decides when). */
export function fusedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  const [n, c] = logits.shape;
  const weighted = weights !== undefined;
  const constants = weighted ? [labels, weights] : [labels];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([x]);
    return {
      value: tf.reshape(runProgram(new CrossEntropyProgram(false, weighted, n, c), [x, ...constants]), []) as tf.Scalar,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => runProgram(new CrossEntropyProgram(true, weighted, n, c), [saved[0]!, ...constants, tf.reshape(dy as tf.Tensor, [1])]),
    };
  });
  return op(logits) as tf.Scalar;
}
