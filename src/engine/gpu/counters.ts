// Counts the work tfjs asks of WebGPU, at the API: compute dispatches, queue submits, buffers created,
// bytes written and read back, pipelines compiled and the time spent compiling them. It patches the
// methods of one GPUDevice and of the queue, command encoders and compute passes it hands out, so the
// same code counts in Node (Dawn) and in a browser worker; nothing here touches the DOM or tfjs.
// The counts do not depend on the device's speed: on SwiftShader they are those of a real GPU.

/** Running totals since the device was wrapped. */
export interface GpuCounts {
  /** `dispatchWorkgroups` (and `dispatchWorkgroupsIndirect`) calls. */
  dispatches: number;
  /** `queue.submit` calls, and the command buffers they carried. */
  submits: number;
  commandBuffers: number;
  /** `device.createBuffer` calls and the bytes they allocated. */
  buffersCreated: number;
  bytesCreated: number;
  /** `queue.writeBuffer` calls and their bytes (tfjs writes every dispatch's uniforms this way). */
  writes: number;
  bytesWritten: number;
  /** Buffers created mapped (`mappedAtCreation`: tfjs uploads CPU-side tensors through them) and their bytes. */
  mappedAtCreation: number;
  bytesMappedAtCreation: number;
  /** Copies into MAP_READ buffers (readbacks) and their bytes; `maps` counts `mapAsync` calls for reading. */
  readbackCopies: number;
  bytesRead: number;
  maps: number;
  /** `copyBufferToBuffer` calls of any kind. */
  copies: number;
  /** Bind groups created (tfjs makes one per dispatch). */
  bindGroups: number;
  /** Compute pipelines created (sync or async) and the milliseconds their creation took, shader modules included. */
  pipelines: number;
  pipelineMs: number;
  shaderModules: number;
}

/** The counter of one wrapped device. */
export interface GpuCounter {
  /** A copy of the totals now. */
  snapshot(): GpuCounts;
}

const MAP_READ = 0x0001; // GPUBufferUsage.MAP_READ and GPUMapMode.READ (both 1), without needing the globals
const MAP_MODE_READ = 0x0001;

/** All-zero counts. */
export function zeroCounts(): GpuCounts {
  return { dispatches: 0, submits: 0, commandBuffers: 0, buffersCreated: 0, bytesCreated: 0, writes: 0, bytesWritten: 0, mappedAtCreation: 0, bytesMappedAtCreation: 0, readbackCopies: 0, bytesRead: 0, maps: 0, copies: 0, bindGroups: 0, pipelines: 0, pipelineMs: 0, shaderModules: 0 };
}

/** `later − earlier`, field by field: the work done between two snapshots. */
export function diffCounts(later: GpuCounts, earlier: GpuCounts): GpuCounts {
  const out = zeroCounts();
  for (const key of Object.keys(out) as (keyof GpuCounts)[]) out[key] = later[key] - earlier[key];
  out.pipelineMs = Math.round(out.pipelineMs * 1000) / 1000;
  return out;
}

// performance.now() exists in browsers, workers and Node 20; the engine's lib (no DOM) does not declare it.
const clock = (globalThis as { performance?: { now(): number } }).performance;
const now = () => (clock ? clock.now() : Date.now());
const byteLength = (data: unknown): number => (ArrayBuffer.isView(data) ? data.byteLength : data instanceof ArrayBuffer ? data.byteLength : 0);

/** Replaces `obj[name]` by `wrap(original)`, called with `obj` as `this`. */
function patch<T extends object, K extends keyof T>(obj: T, name: K, wrap: (original: T[K] & ((...args: never[]) => unknown)) => T[K]): void {
  const original = obj[name] as T[K] & ((...args: never[]) => unknown);
  if (typeof original !== 'function') return;
  obj[name] = wrap(original.bind(obj) as typeof original);
}

const wrapped = new WeakMap<GPUDevice, GpuCounter>();
let current: GpuCounter | null = null;

/** The counter of the device the engine started last (null before WebGPU started). */
export function activeGpuCounter(): GpuCounter | null {
  return current;
}

/**
 * Starts counting on `device` (before handing it to tfjs) and makes it the active counter.
 * Patching twice is harmless: the second call returns the first counter.
 */
export function countGpu(device: GPUDevice): GpuCounter {
  const existing = wrapped.get(device);
  if (existing) return (current = existing);
  const c = zeroCounts();
  // Which buffers are readback targets, so that copies into them count as bytes read.
  const readable = new WeakSet<GPUBuffer>();

  const countPass = (pass: GPUComputePassEncoder) => {
    patch(pass, 'dispatchWorkgroups', (f) => ((...args: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) => {
      c.dispatches += 1;
      return f(...args);
    }) as GPUComputePassEncoder['dispatchWorkgroups']);
    patch(pass, 'dispatchWorkgroupsIndirect', (f) => ((...args: Parameters<GPUComputePassEncoder['dispatchWorkgroupsIndirect']>) => {
      c.dispatches += 1;
      return f(...args);
    }) as GPUComputePassEncoder['dispatchWorkgroupsIndirect']);
    return pass;
  };
  const countEncoder = (encoder: GPUCommandEncoder) => {
    patch(encoder, 'beginComputePass', (f) => ((descriptor?: GPUComputePassDescriptor) => countPass(f(descriptor))) as GPUCommandEncoder['beginComputePass']);
    patch(encoder, 'copyBufferToBuffer', (f) => ((...args: [GPUBuffer, number, GPUBuffer, number, number]) => {
      c.copies += 1;
      if (readable.has(args[2])) {
        c.readbackCopies += 1;
        c.bytesRead += args[4] ?? 0;
      }
      return (f as (...a: unknown[]) => undefined)(...args);
    }) as GPUCommandEncoder['copyBufferToBuffer']);
    return encoder;
  };

  patch(device, 'createBuffer', (f) => ((descriptor: GPUBufferDescriptor) => {
    c.buffersCreated += 1;
    c.bytesCreated += descriptor.size;
    if (descriptor.mappedAtCreation) {
      c.mappedAtCreation += 1;
      c.bytesMappedAtCreation += descriptor.size;
    }
    const buffer = f(descriptor);
    if (descriptor.usage & MAP_READ) {
      readable.add(buffer);
      patch(buffer, 'mapAsync', (map) => ((mode: number, ...rest: [number?, number?]) => {
        if (mode & MAP_MODE_READ) c.maps += 1;
        return map(mode, ...rest);
      }) as GPUBuffer['mapAsync']);
    }
    return buffer;
  }) as GPUDevice['createBuffer']);
  patch(device, 'createCommandEncoder', (f) => ((descriptor?: GPUCommandEncoderDescriptor) => countEncoder(f(descriptor))) as GPUDevice['createCommandEncoder']);
  patch(device, 'createBindGroup', (f) => ((descriptor: GPUBindGroupDescriptor) => {
    c.bindGroups += 1;
    return f(descriptor);
  }) as GPUDevice['createBindGroup']);
  patch(device, 'createShaderModule', (f) => ((descriptor: GPUShaderModuleDescriptor) => {
    c.shaderModules += 1;
    const t = now();
    try {
      return f(descriptor);
    } finally {
      c.pipelineMs += now() - t;
    }
  }) as GPUDevice['createShaderModule']);
  patch(device, 'createComputePipeline', (f) => ((descriptor: GPUComputePipelineDescriptor) => {
    c.pipelines += 1;
    const t = now();
    try {
      return f(descriptor);
    } finally {
      c.pipelineMs += now() - t;
    }
  }) as GPUDevice['createComputePipeline']);
  patch(device, 'createComputePipelineAsync', (f) => ((descriptor: GPUComputePipelineDescriptor) => {
    c.pipelines += 1;
    const t = now();
    return f(descriptor).finally(() => {
      c.pipelineMs += now() - t;
    });
  }) as GPUDevice['createComputePipelineAsync']);

  const queue = device.queue;
  patch(queue, 'submit', (f) => ((buffers: Iterable<GPUCommandBuffer>) => {
    const list = [...buffers];
    c.submits += 1;
    c.commandBuffers += list.length;
    return f(list);
  }) as GPUQueue['submit']);
  patch(queue, 'writeBuffer', (f) => ((buffer: GPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, dataOffset?: number, size?: number) => {
    c.writes += 1;
    // `size` is in elements of a typed array, bytes of an ArrayBuffer; tfjs passes ArrayBuffers.
    const element = ArrayBuffer.isView(data) && 'BYTES_PER_ELEMENT' in data ? (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
    c.bytesWritten += size !== undefined ? size * element : byteLength(data) - (dataOffset ?? 0) * element;
    return (f as (...a: unknown[]) => undefined)(buffer, offset, data, dataOffset, size);
  }) as GPUQueue['writeBuffer']);

  const counter: GpuCounter = { snapshot: () => ({ ...c }) };
  wrapped.set(device, counter);
  current = counter;
  return counter;
}
