// The upload ring (uploads.ts) on WebGPU: tensors made on the CPU (float32, int32, bool; scalars and
// batches, many within one command encoder and across submits) arrive with their values, and after a
// warm-up the same work creates no GPU buffer. Node + Dawn on SwiftShader; skipped without Vulkan.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeBackend } from '../../cli/nodeBackend';
import { activeGpuCounter, diffCounts } from './counters';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
if (hasVulkan && !process.env.VK_ICD_FILENAMES) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

describe.skipIf(!hasVulkan)('the upload ring on WebGPU (Dawn, SwiftShader)', () => {
  beforeAll(async () => {
    await startNodeBackend('webgpu');
  }, 60_000);
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  /** 40 small uploads feeding GPU ops (a few submits' worth), summed on the GPU and read once. */
  const work = () => tf.tidy(() => {
    let acc = tf.zeros([1200]);
    for (let i = 0; i < 40; i++) {
      const x = tf.tensor1d(Float32Array.from({ length: 1200 }, (_, k) => (k % 7) + i)); // float32, above the CPU-forwarding size
      const ids = tf.tensor1d(Int32Array.from({ length: 1200 }, (_, k) => k % 3), 'int32');
      const keep = tf.tensor1d(Uint8Array.from({ length: 1200 }, (_, k) => k % 2), 'bool');
      acc = tf.add(acc, tf.mul(tf.where(keep, x, tf.fill([1200], 0.5)), tf.cast(ids, 'float32')));
    }
    return acc;
  });
  const expected = Float32Array.from({ length: 1200 }, (_, k) => {
    let s = 0;
    for (let i = 0; i < 40; i++) s += (k % 2 ? (k % 7) + i : 0.5) * (k % 3);
    return s;
  });

  it('delivers the values of float32, int32 and bool tensors made on the CPU', async () => {
    const out = work();
    expect(await out.data()).toEqual(expected);
    out.dispose();
  });

  it('creates no GPU buffer for the same work once the pool is warm (counted at the WebGPU API)', async () => {
    const warm = work();
    await warm.data();
    warm.dispose();
    const counter = activeGpuCounter()!;
    const before = counter.snapshot();
    const out = work();
    expect(await out.data()).toEqual(expected);
    out.dispose();
    const counts = diffCounts(counter.snapshot(), before);
    expect(counts.mappedAtCreation).toBe(0);
    expect(counts.buffersCreated).toBe(0);
    expect(counts.writes).toBeGreaterThan(120); // the uploads went through queue.writeBuffer
  });
});
