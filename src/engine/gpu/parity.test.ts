// The page's numerical self-check (selfcheck.ts: matMul → GELU → LayerNorm with trainable γ/β →
// softmax cross-entropy, and its gradients) on WebGPU with the engine's fused kernels, against the
// cpu backend: within 1e-4 relative, the e2e suite's tolerance in Chromium; also with the fused
// kernels off, so that both paths stay checked. Node + Dawn on SwiftShader; skipped without Vulkan.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { runParityCheck } from '../selfcheck';
import { setFusedKernels } from './switch';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

describe.skipIf(!hasVulkan)('the self-check on WebGPU (Dawn, SwiftShader)', () => {
  beforeAll(async () => {
    await startNodeBackend('webgpu');
  }, 120_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const fused of [true, false]) {
    it(`matches the cpu backend within 1e-4 relative with the fused kernels ${fused ? 'on' : 'off'}`, async () => {
      const previous = setFusedKernels(fused);
      try {
        const report = await runParityCheck();
        expect(report.backend).toBe('webgpu');
        expect(report.gpuErrors).toEqual([]);
        for (const [name, value] of Object.entries(report.relErr)) expect(value, name).toBeLessThanOrEqual(1e-4);
      } finally {
        setFusedKernels(previous);
      }
    });
  }
});
