// What the engine's fused WebGPU kernels share: when they apply, and how a program in
// tfjs-backend-webgpu's own format (its shader preamble supplies the input arrays, `setOutputAtIndex`,
// `uniforms.size` and the builtins `localId` / `workgroupId`) is run through the backend's
// `runWebGPUProgram`, so that it goes through tfjs's pipeline cache, buffer pool and command encoder
// like any of its own kernels. Nothing here is used unless the webgpu backend is active.
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsEnabled } from './switch';

/** The part of tfjs-backend-webgpu 4.22's program interface the engine's programs fill in. */
export interface EngineProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Whether the preamble declares `uniforms.size` (the output's element count). */
  size: boolean;
  /** Extra uniform fields, WGSL struct syntax (`eps : f32,`); their values go in `run`'s `uniforms`. */
  uniforms?: string;
  getUserCode(): string;
}

interface ProgramRunner {
  runWebGPUProgram(program: EngineProgram, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: { type: 'float32' | 'int32'; data: number[] }[]): tf.TensorInfo;
}

/** Whether the fused kernels run now: the webgpu backend is active and they are switched on (switch.ts). */
export function fusedKernelsActive(): boolean {
  return tf.getBackend() === 'webgpu' && fusedKernelsEnabled();
}

/** Runs `program` on the active webgpu backend and wraps its output as a tensor (float32). */
export function runProgram(program: EngineProgram, inputs: tf.Tensor[], uniforms?: { type: 'float32' | 'int32'; data: number[] }[]): tf.Tensor {
  const backend = tf.backend() as unknown as ProgramRunner;
  const info = backend.runWebGPUProgram(program, inputs, 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** tfjs's flat layout: every output dimension folded into x (webgpu_util.flatDispatchLayout). */
export function flatLayout(shape: readonly number[]): { x: number[] } {
  return { x: shape.map((_, i) => i) };
}

/** Workgroups for one thread per output element, `threads` per workgroup (tfjs reshapes dispatches beyond the device's limits). */
export function flatDispatch(shape: readonly number[], threads: number): [number, number, number] {
  const size = shape.reduce((a, b) => a * b, 1);
  return [Math.ceil(size / threads), 1, 1];
}

/**
 * WGSL for a tree reduction (sum or max) over a workgroup's `scratch` array of `width` entries (a
 * power of two), in uniform control flow as workgroupBarrier requires; the result ends in
 * `scratch[0]`, which every thread may read after the final barrier.
 */
export function workgroupReduceWgsl(name: string, scratch: string, width: number, op: 'sum' | 'max' = 'sum'): string {
  const combine = op === 'sum' ? `${scratch}[lane] + ${scratch}[lane + s]` : `max(${scratch}[lane], ${scratch}[lane + s])`;
  return `
  fn ${name}(lane : u32) {
    workgroupBarrier();
    for (var s = ${width / 2}u; s > 0u; s = s >> 1u) {
      if (lane < s) { ${scratch}[lane] = ${combine}; }
      workgroupBarrier();
    }
  }`;
}

/** WGSL: the index of this workgroup among all of the dispatch's (tfjs may spread a long dispatch over y and z). */
export const WORKGROUP_INDEX_WGSL = `
  fn workgroupIndex() -> i32 {
    return i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y + workgroupId.y * numWorkgroups.x + workgroupId.x);
  }`;
