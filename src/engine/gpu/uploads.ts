// Uploads of CPU-side tensors without a new GPU buffer each. tfjs-backend-webgpu 4.22 uploads a tensor
// whose values live on the CPU (every scalar such as the 0.5 in `tf.mul(x, 0.5)`, every batch of token
// ids, every tensor its CPU-forwarded kernels produce) through a freshly created mapped staging buffer,
// destroyed after one use: 374 of the 374 buffers the default model created per training step.
// Here such uploads are written with `queue.writeBuffer` into one ring buffer created once, and copied
// from there into a pooled buffer in the backend's own command encoder, in the place where tfjs would
// have copied from its staging buffer; the ring starts over once that encoder has been submitted, so a
// region is never rewritten before the copy that reads it has run. Large uploads (model weights) and
// anything unusual take tfjs's own path. This replaces the backend object's `uploadToGPU` method
// (tfjs-backend-webgpu 4.22's; see `UploadInternals`): tfjs offers no hook for its upload path.
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsEnabled } from './switch';

/** The members of tfjs-backend-webgpu 4.22's WebGPUBackend used here. */
interface UploadInternals {
  device: GPUDevice;
  queue: GPUQueue;
  commandEncoder: GPUCommandEncoder | null;
  tensorMap: { get(dataId: object): { dtype: string; shape: number[]; values: ArrayLike<number> | null; resource: unknown } | undefined };
  bufferManager: { acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  uploadToGPU(dataId: object): void;
}

/** Bytes of the ring: the uploads between two submits must fit (a step of the default model uploads under 600 KB in all, ~15 dispatches apart). */
const RING_BYTES = 4 << 20;
/** Uploads above this size (weights at model load) keep tfjs's own path. */
const MAX_UPLOAD_BYTES = 1 << 20;

const installed = new WeakSet<object>();

/** Routes small uploads of the active webgpu backend through the ring; does nothing on other backends or when already done. */
export function installUploadRing(): boolean {
  if (tf.getBackend() !== 'webgpu') return false;
  const backend = tf.backend() as unknown as UploadInternals;
  if (installed.has(backend)) return true;
  const needed = ['device', 'queue', 'tensorMap', 'bufferManager', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'uploadToGPU'] as const;
  if (needed.some((key) => (backend as unknown as Record<string, unknown>)[key] == null)) return false;
  const original = backend.uploadToGPU.bind(backend);
  const ring = backend.device.createBuffer({ label: 'uploadRing', size: RING_BYTES, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST; // tfjs's usage for tensors
  let offset = 0;
  let lastEncoder: GPUCommandEncoder | null = null;
  backend.uploadToGPU = (dataId: object) => {
    const data = backend.tensorMap.get(dataId);
    if (!data || data.resource != null) return;
    const values = data.values;
    const bytes = 4 * tf.util.sizeFromShape(data.shape);
    const kind = data.dtype === 'float32' ? Float32Array : data.dtype === 'int32' || data.dtype === 'bool' ? Int32Array : null;
    if (!fusedKernelsEnabled() || !values || !kind || bytes === 0 || bytes > MAX_UPLOAD_BYTES) return original(dataId);
    // A submit since the last upload (tfjs drops its encoder on submit) ran every copy out of the ring.
    if (backend.commandEncoder === null || backend.commandEncoder !== lastEncoder) offset = 0;
    if (offset + bytes > RING_BYTES) return original(dataId);
    const typed = values instanceof kind ? (values as Float32Array | Int32Array) : kind.from(values);
    backend.queue.writeBuffer(ring, offset, typed.buffer, typed.byteOffset, bytes);
    const buffer = backend.bufferManager.acquireBuffer(bytes, usage);
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.commandEncoder!.copyBufferToBuffer(ring, offset, buffer, 0, bytes);
    lastEncoder = backend.commandEncoder;
    offset += bytes;
    // As tfjs does once a tensor is on the GPU: its values are no longer kept on the CPU.
    data.values = null;
    data.resource = buffer;
  };
  installed.add(backend);
  return true;
}
