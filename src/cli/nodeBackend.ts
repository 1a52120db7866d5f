// Starts a tfjs backend in Node: `cpu`, `wasm` (XNNPACK, SIMD), or `webgpu` through the `webgpu` package (Google's Dawn),
// which uses the machine's Vulkan driver (a real GPU, or SwiftShader when VK_ICD_FILENAMES points
// at its ICD). The engine's own backend code does the rest, exactly as in the browser worker.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendReport } from '../engine/backend';

export const NODE_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];
/** `auto`: WebGPU when Dawn finds a hardware adapter, otherwise wasm (a software WebGPU adapter is far slower than wasm). */
export const NODE_BACKEND_CHOICES = [...NODE_BACKENDS, 'auto'] as const;
export type NodeBackendChoice = (typeof NODE_BACKEND_CHOICES)[number];

/** Starts `name`; throws with the reason when WebGPU cannot start (no Vulkan driver, no adapter). */
export async function startNodeBackend(name: NodeBackendChoice): Promise<BackendReport> {
  if (name === 'auto') {
    const skipped: string[] = [];
    try {
      const report = await startNodeBackend('webgpu');
      if (!report.adapter?.isFallbackAdapter) return report;
      skipped.push('webgpu: the only adapter is a software fallback');
    } catch (error) {
      skipped.push(`webgpu: ${error instanceof Error ? error.message : String(error)}`);
    }
    const report = await startNodeBackend('wasm');
    return { ...report, fallbacks: skipped };
  }
  if (name === 'cpu' || name === 'wasm') {
    if (!(await tf.setBackend(name))) throw new Error(`tfjs could not start the ${name} backend`);
    return { backend: name, adapter: null, fallbacks: [] };
  }
  // Mesa's Vulkan drivers print "error: XDG_RUNTIME_DIR is invalid or not set" to stderr when it is unset
  // (containers, CI, ssh without a login session); a private directory of our own keeps that noise away.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'sparse-xdg-'));
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]) as unknown as GPU;
  // tfjs-backend-webgpu checks navigator.gpu, which Node 20 does not define.
  if (!('navigator' in globalThis) || !(globalThis as { navigator?: { gpu?: unknown } }).navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  else Object.defineProperty((globalThis as unknown as { navigator: object }).navigator, 'gpu', { value: gpu, configurable: true });
  const report = await initBackend('webgpu', gpu);
  if (report.backend !== 'webgpu') throw new Error(`WebGPU is not available in Node here: ${report.fallbacks.join('; ')} (a Vulkan driver is needed; for SwiftShader set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)`);
  return report;
}
