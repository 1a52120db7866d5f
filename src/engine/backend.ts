// Chooses and starts the tfjs backend. WebGPU is preferred; without a usable adapter the engine
// falls back to WebGL, then WASM, then CPU, and says why. The GPU object is passed in (navigator.gpu in a
// Worker, the `webgpu` package in Node) so that the same code runs in both places.
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-wasm';

import type { BufferLimits } from './checkpoint';
import { BACKEND_ORDER, type BackendName, type BackendPreference } from './catalog';
import { countGpu } from './gpu/counters';
import { installUploadRing } from './gpu/uploads';

export { BACKEND_ORDER, type BackendName, type BackendPreference } from './catalog';

/** What the GPU adapter says about itself (empty strings when the browser hides them). */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

/** The outcome of backend selection, shown on the page and printed by the CLI. */
export interface BackendReport {
  backend: BackendName;
  adapter: AdapterSummary | null;
  /** Why a preferred backend was not used, one line per backend skipped; empty when none was. */
  fallbacks: string[];
}

/** Reads vendor/architecture from an adapter, across the old and new WebGPU APIs. */
export function summariseAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const infoFallback = (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean(infoFallback ?? legacyFallback ?? false),
  };
}

const gpuErrors: string[] = [];

/** The active WebGPU device's buffer limits, or null when the backend is not WebGPU. */
export function gpuBufferLimits(): BufferLimits | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const { limits } = (tf.backend() as WebGPUBackend).device;
  return { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize };
}

/** WebGPU errors reported since the last call (validation errors, out of memory, a lost device). */
export function takeGpuErrors(): string[] {
  return gpuErrors.splice(0, gpuErrors.length);
}

/**
 * Requests an adapter and a device on `gpu` and registers tfjs's WebGPU backend on them.
 * The adapter is requested by us, before `setBackend`, so its description is known and a missing
 * adapter is a message rather than an exception inside tfjs.
 */
async function startWebGpu(gpu: GPU): Promise<AdapterSummary> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter');
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  // Count the work tfjs asks of the device (dispatches, submits, buffers, bytes, pipelines): the bench
  // and the page's backend panel read it through activeGpuCounter(). It wraps methods, before tfjs sees them.
  countGpu(device);
  // WebGPU reports invalid pipelines and lost devices as events, not exceptions; keep them so
  // that a run can stop with the message instead of training on garbage.
  device.addEventListener('uncapturederror', (event) => gpuErrors.push((event as GPUUncapturedErrorEvent).error.message.split('\n')[0] ?? 'unknown WebGPU error'));
  void device.lost.then((info) => gpuErrors.push(`the GPU device was lost (${info.reason}): ${info.message}`));
  const summary = summariseAdapter(adapter);
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  // Importing tfjs-backend-webgpu registers a factory that requests its own adapter; replace it
  // (removeBackend throws when nothing is registered under the name, which is fine here).
  try {
    tf.removeBackend('webgpu');
  } catch {
    /* nothing registered yet */
  }
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialise the webgpu backend');
  // Small uploads (scalars, batches) through one ring buffer instead of a new staging buffer each.
  installUploadRing();
  return summary;
}

/**
 * Starts the preferred backend, falling back in BACKEND_ORDER. `gpu` is the WebGPU entry point
 * when the environment has one (undefined otherwise).
 */
export async function initBackend(preference: BackendPreference, gpu: GPU | undefined): Promise<BackendReport> {
  const fallbacks: string[] = [];
  const start = preference === 'auto' ? 0 : BACKEND_ORDER.indexOf(preference);
  for (const name of BACKEND_ORDER.slice(start)) {
    try {
      if (name === 'webgpu') {
        if (!gpu) throw new Error('WebGPU is not available here (no navigator.gpu)');
        const adapter = await startWebGpu(gpu);
        return { backend: name, adapter, fallbacks };
      }
      if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise the ${name} backend`);
      await tf.ready();
      return { backend: name, adapter: null, fallbacks };
    } catch (error) {
      fallbacks.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`No tfjs backend could start: ${fallbacks.join('; ')}`);
}
