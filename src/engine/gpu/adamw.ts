// AdamW over every trainable tensor in two WebGPU dispatches per step, for tfjs's webgpu backend.
// tfjs's ops cost a dozen dispatches (and a new scalar upload each) per tensor per step; here the
// optimizer keeps one flat copy of the parameters and both moments on the GPU, copies each step's
// gradients into one flat buffer (buffer copies, not dispatches), and runs
//   1. sumSquares: partial sums of g² (the global norm for clipping), one per workgroup;
//   2. update:     each workgroup adds the partials, takes the clip scale, then m, v, decay and the step;
// then copies each updated parameter out into a fresh tfjs tensor that the variable is assigned to.
// The arithmetic mirrors optim.ts's tfjs path (same order of operations, the same f32 constants), so
// results agree with the cpu backend to float32 rounding. The step size, the bias correction and the
// decay factor come in as uniforms computed in float64 as optim.ts computes them.
//
// This reaches into tfjs-backend-webgpu 4.22's backend object (its command encoder, tensor map and
// buffer pool; see `WebGpuInternals`): tfjs has no public API for multi-output or in-place programs.
// `fusedAdamWSupported` checks that those members exist, and optim.ts falls back to tfjs ops if not.
import * as tf from '@tensorflow/tfjs';

/** The members of tfjs-backend-webgpu 4.22's WebGPUBackend used here. */
interface WebGpuInternals {
  device: GPUDevice;
  queue: GPUQueue;
  commandEncoder: GPUCommandEncoder | null;
  tensorMap: { get(dataId: object): { resource: unknown } | undefined };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** What the fused optimizer needs from optim.ts: the hyper-parameters and which tensors decay. */
export interface FusedAdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  decay: (name: string) => boolean;
}

/** The fused optimizer, as optim.ts wraps it. */
export interface FusedAdamW {
  /** One step with learning rate `lr` and step count `t` (already incremented); clips to `maxNorm` when given. */
  step(grads: Record<string, tf.Tensor>, lr: number, t: number, maxNorm: number | null): void;
  /** Both moments by variable name, read back from the GPU. */
  moments(): Promise<Record<string, { m: Float32Array; v: Float32Array }>>;
  dispose(): void;
}

const WORKGROUP = 256;
/** At most this many workgroups; each loops over its share (grid stride), so any size fits the dispatch limits. */
const MAX_WORKGROUPS = 1024;
/** The sum-of-squares pass uses at most this many workgroups (their partials are added by every update workgroup). */
const MAX_PARTIALS = WORKGROUP;

const SHADER = /* wgsl */ `
struct Uniforms {
  n: u32, numPartials: u32, clip: u32, pad0: u32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  correction2: f32, epsilon: f32, decayFactor: f32, stepSize: f32,
  maxNorm: f32, pad1: f32, pad2: f32, pad3: f32,
}
@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
// Per element: 0 = no gradient this step (left alone, as optim.ts does), 1 = no decay, 2 = decays.
@group(0) @binding(5) var<storage, read> flags: array<f32>;
@group(0) @binding(6) var<storage, read_write> partials: array<f32>;

var<workgroup> scratch: array<f32, ${WORKGROUP}>;

fn reduceScratch(lid: u32) {
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { scratch[lid] = scratch[lid] + scratch[lid + s]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(${WORKGROUP})
fn sumSquares(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var acc = 0.0;
  for (var i = wid.x * ${WORKGROUP}u + lid.x; i < u.n; i = i + nwg.x * ${WORKGROUP}u) {
    if (flags[i] != 0.0) { let x = g[i]; acc = acc + x * x; }
  }
  scratch[lid.x] = acc;
  reduceScratch(lid.x);
  if (lid.x == 0u) { partials[wid.x] = scratch[0]; }
}

@compute @workgroup_size(${WORKGROUP})
fn update(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Clipping by the global norm, as clipByGlobalNorm: scale = min(1, maxNorm / (norm + 1e-6)).
  var scale = 1.0;
  if (u.clip != 0u) {
    var acc = 0.0;
    for (var k = lid.x; k < u.numPartials; k = k + ${WORKGROUP}u) { acc = acc + partials[k]; }
    scratch[lid.x] = acc;
    reduceScratch(lid.x);
    scale = min(1.0, u.maxNorm / (sqrt(scratch[0]) + 1e-6));
  }
  for (var i = wid.x * ${WORKGROUP}u + lid.x; i < u.n; i = i + nwg.x * ${WORKGROUP}u) {
    let f = flags[i];
    if (f == 0.0) { continue; }
    var gi = g[i];
    if (u.clip != 0u) { gi = gi * scale; }
    let mi = m[i] * u.beta1 + gi * u.oneMinusBeta1;
    let vi = v[i] * u.beta2 + (gi * gi) * u.oneMinusBeta2;
    m[i] = mi;
    v[i] = vi;
    let denominator = sqrt(vi) / u.correction2 + u.epsilon;
    var pi = p[i];
    if (f > 1.5) { pi = pi * u.decayFactor; } // decay first, on the pre-update weight (torch.optim.AdamW)
    p[i] = pi - (mi / denominator) * u.stepSize;
  }
}
`;

const REQUIRED = ['device', 'queue', 'tensorMap', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'uploadToGPU', 'makeTensorInfo'] as const;

/** The active backend's internals when it is tfjs's webgpu backend with the members used here, else null. */
function webgpuInternals(): WebGpuInternals | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const backend = tf.backend() as unknown as Record<string, unknown>;
  return REQUIRED.every((key) => backend[key] !== undefined && backend[key] !== null) ? (backend as unknown as WebGpuInternals) : null;
}

/** Whether the fused optimizer can run on the active backend. */
export function fusedAdamWSupported(): boolean {
  return webgpuInternals() !== null;
}

interface Pipelines { layout: GPUBindGroupLayout; sumSquares: GPUComputePipeline; update: GPUComputePipeline }
const pipelineCache = new WeakMap<GPUDevice, Pipelines>();

function pipelines(device: GPUDevice): Pipelines {
  const cached = pipelineCache.get(device);
  if (cached) return cached;
  const storage = (type: GPUBufferBindingType, binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
  const layout = device.createBindGroupLayout({
    entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }, storage('storage', 1), storage('read-only-storage', 2), storage('storage', 3), storage('storage', 4), storage('read-only-storage', 5), storage('storage', 6)],
  });
  const module = device.createShaderModule({ code: SHADER, label: 'fusedAdamW' });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const made = {
    layout,
    sumSquares: device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint: 'sumSquares' }, label: 'fusedAdamW.sumSquares' }),
    update: device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint: 'update' }, label: 'fusedAdamW.update' }),
  };
  pipelineCache.set(device, made);
  return made;
}

/** The GPU buffer behind a tensor (uploading it first if it still lives on the CPU). */
function bufferOf(backend: WebGpuInternals, t: tf.TensorInfo): GPUBuffer {
  backend.uploadToGPU(t.dataId);
  const resource = backend.tensorMap.get(t.dataId)?.resource;
  if (!resource || typeof (resource as GPUBuffer).size !== 'number') throw new Error('fused AdamW: a tensor has no GPU buffer (textures are not supported)');
  return resource as GPUBuffer;
}

/**
 * Creates the fused optimizer over `variables` (name → variable, in a fixed order) on the active
 * webgpu backend; `saved` moments, when given, start it where a previous optimizer stopped.
 */
export function createFusedAdamW(variables: ReadonlyMap<string, tf.Variable>, options: FusedAdamWOptions, saved?: Record<string, { m: Float32Array; v: Float32Array }>): FusedAdamW {
  const backend = webgpuInternals();
  if (!backend) throw new Error('fused AdamW needs the webgpu backend');
  const { device } = backend;
  const names = [...variables.keys()];
  const offsets = new Map<string, number>();
  let n = 0;
  for (const name of names) {
    offsets.set(name, n);
    n += variables.get(name)!.size;
  }
  const bytes = Math.max(4, n * 4);
  const { STORAGE, COPY_DST, COPY_SRC, UNIFORM } = GPUBufferUsage;
  const buffer = (label: string, usage: number, size = bytes) => device.createBuffer({ label: `fusedAdamW.${label}`, size, usage });
  const p = buffer('params', STORAGE | COPY_DST | COPY_SRC);
  const g = buffer('grads', STORAGE | COPY_DST);
  const m = buffer('m', STORAGE | COPY_DST | COPY_SRC);
  const v = buffer('v', STORAGE | COPY_DST | COPY_SRC);
  const flags = buffer('flags', STORAGE | COPY_DST);
  const partials = buffer('partials', STORAGE, MAX_PARTIALS * 4);
  const uniforms = buffer('uniforms', UNIFORM | COPY_DST, 64);
  // A fresh buffer reads as zeros, so fresh moments need no write.
  if (saved) {
    const flatM = new Float32Array(n);
    const flatV = new Float32Array(n);
    for (const name of names) {
      flatM.set(saved[name]!.m, offsets.get(name)!);
      flatV.set(saved[name]!.v, offsets.get(name)!);
    }
    backend.queue.writeBuffer(m, 0, flatM);
    backend.queue.writeBuffer(v, 0, flatV);
  }
  const { layout, sumSquares, update } = pipelines(device);
  const bindGroup = device.createBindGroup({ layout, entries: [uniforms, p, g, m, v, flags, partials].map((b, binding) => ({ binding, resource: { buffer: b } })) });
  const workgroups = Math.max(1, Math.min(MAX_WORKGROUPS, Math.ceil(n / WORKGROUP)));
  const partialGroups = Math.min(MAX_PARTIALS, workgroups);
  // Which variables had a gradient at the last step (the flags buffer says so per element), and
  // which tensor each variable held when its flat copy was last written: a variable assigned from
  // elsewhere since then (a restore, a mask applied) is copied in again.
  let present = '';
  const inFlat = new Map<string, object>();
  const uniformData = new ArrayBuffer(64);
  const u32 = new Uint32Array(uniformData);
  const f32 = new Float32Array(uniformData);

  return {
    step(grads, lr, t, maxNorm) {
      const { beta1, beta2, epsilon, weightDecay } = options;
      const has = names.map((name) => (grads[name] ? '1' : '0')).join('');
      if (has !== present) {
        const values = new Float32Array(n);
        for (const name of names) if (grads[name]) values.fill(weightDecay > 0 && options.decay(name) ? 2 : 1, offsets.get(name)!, offsets.get(name)! + variables.get(name)!.size);
        backend.queue.writeBuffer(flags, 0, values);
        present = has;
      }
      // As optim.ts: the bias corrections folded into the step size, as torch does; constants in float64, then f32.
      u32.set([n, partialGroups, maxNorm === null ? 0 : 1, 0]);
      f32.set([beta1, 1 - beta1, beta2, 1 - beta2, Math.sqrt(1 - beta2 ** t), epsilon, 1 - lr * weightDecay, lr / (1 - beta1 ** t), maxNorm ?? 0, 0, 0, 0], 4);
      // The previous step ended with a submit, so this write cannot overtake a dispatch that reads the old values.
      backend.queue.writeBuffer(uniforms, 0, uniformData);

      backend.ensureCommandEncoderReady();
      backend.endComputePassEncoder();
      const encoder = backend.commandEncoder!;
      for (const name of names) {
        const variable = variables.get(name)!;
        const offset = offsets.get(name)! * 4;
        if (inFlat.get(name) !== variable.dataId) encoder.copyBufferToBuffer(bufferOf(backend, variable), 0, p, offset, variable.size * 4);
        const grad = grads[name];
        if (grad) {
          if (grad.size !== variable.size || grad.dtype !== 'float32') throw new Error(`fused AdamW: the gradient of ${name} has ${grad.size} ${grad.dtype} entries where ${variable.size} float32 are expected`);
          encoder.copyBufferToBuffer(bufferOf(backend, grad), 0, g, offset, grad.size * 4);
        }
      }
      const pass = encoder.beginComputePass();
      pass.setBindGroup(0, bindGroup);
      if (maxNorm !== null) {
        pass.setPipeline(sumSquares);
        pass.dispatchWorkgroups(partialGroups);
      }
      pass.setPipeline(update);
      pass.dispatchWorkgroups(workgroups);
      pass.end();
      // Each updated parameter goes into a fresh tensor (a pooled buffer: nothing is created in the
      // steady state); writing the variable's own buffer in place would leave stale any CPU copy tfjs caches.
      const outputs: [string, tf.TensorInfo][] = [];
      for (const name of names) {
        if (!grads[name]) continue;
        const variable = variables.get(name)!;
        const info = backend.makeTensorInfo([...variable.shape], 'float32');
        encoder.copyBufferToBuffer(p, offsets.get(name)! * 4, bufferOf(backend, info), 0, variable.size * 4);
        outputs.push([name, info]);
      }
      backend.submitQueue();
      for (const [name, info] of outputs) {
        const variable = variables.get(name)!;
        const updated = tf.engine().makeTensorFromTensorInfo(info);
        variable.assign(updated);
        updated.dispose();
        inFlat.set(name, variable.dataId);
      }
    },
    async moments() {
      const read = async (source: GPUBuffer): Promise<Float32Array> => {
        const staging = device.createBuffer({ label: 'fusedAdamW.readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        backend.ensureCommandEncoderReady();
        backend.endComputePassEncoder();
        backend.commandEncoder!.copyBufferToBuffer(source, 0, staging, 0, bytes);
        backend.submitQueue();
        await staging.mapAsync(GPUMapMode.READ);
        const values = new Float32Array(staging.getMappedRange().slice(0, n * 4));
        staging.unmap();
        staging.destroy();
        return values;
      };
      const [flatM, flatV] = [await read(m), await read(v)];
      const out: Record<string, { m: Float32Array; v: Float32Array }> = {};
      for (const name of names) {
        const start = offsets.get(name)!;
        const end = start + variables.get(name)!.size;
        out[name] = { m: flatM.slice(start, end), v: flatV.slice(start, end) };
      }
      return out;
    },
    dispose() {
      for (const b of [p, g, m, v, flags, partials, uniforms]) b.destroy();
      inFlat.clear();
    },
  };
}
