// The WebGPU counters on a stand-in device (plain objects with the methods tfjs calls): each call is
// counted once, with its bytes, and the wrapped methods still reach the originals. No GPU needed.
import { describe, expect, it } from 'vitest';
import { countGpu, diffCounts, activeGpuCounter } from './counters';

function fakeDevice() {
  const calls: string[] = [];
  const pass = { dispatchWorkgroups: (x: number) => calls.push(`dispatch ${x}`), end: () => calls.push('end') };
  const encoder = { beginComputePass: () => pass, copyBufferToBuffer: () => calls.push('copy'), finish: () => ({}) };
  const buffer = (usage: number) => ({ usage, mapAsync: (mode: number) => (calls.push(`map ${mode}`), Promise.resolve()) });
  const device = {
    queue: { submit: (list: unknown[]) => calls.push(`submit ${list.length}`), writeBuffer: () => calls.push('write') },
    createBuffer: (d: { usage: number }) => buffer(d.usage),
    createCommandEncoder: () => encoder,
    createBindGroup: () => ({}),
    createShaderModule: () => ({}),
    createComputePipeline: () => ({}),
    createComputePipelineAsync: () => Promise.resolve({}),
  };
  return { device: device as unknown as GPUDevice, calls };
}

describe('countGpu', () => {
  it('counts dispatches, submits, buffers, bytes written and read, and pipelines', async () => {
    const { device, calls } = fakeDevice();
    const counter = countGpu(device);
    expect(activeGpuCounter()).toBe(counter);
    expect(countGpu(device)).toBe(counter); // wrapping twice does not count twice
    const start = counter.snapshot();
    const storage = device.createBuffer({ size: 64, usage: 0x80 | 0x4 });
    const staging = device.createBuffer({ size: 16, usage: 0x1 | 0x8, mappedAtCreation: true });
    device.queue.writeBuffer(storage, 0, new ArrayBuffer(24));
    device.queue.writeBuffer(storage, 0, new Float32Array(8), 2, 3); // 3 elements of 4 bytes
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.dispatchWorkgroups(4);
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(storage, 0, staging, 0, 16);
    encoder.copyBufferToBuffer(staging, 0, storage, 0, 8);
    device.queue.submit([encoder.finish(), encoder.finish()]);
    await staging.mapAsync(1);
    device.createBindGroup({} as GPUBindGroupDescriptor);
    device.createShaderModule({ code: '' });
    device.createComputePipeline({} as GPUComputePipelineDescriptor);
    await device.createComputePipelineAsync({} as GPUComputePipelineDescriptor);
    const d = diffCounts(counter.snapshot(), start);
    expect(d).toMatchObject({
      dispatches: 2, submits: 1, commandBuffers: 2, buffersCreated: 2, bytesCreated: 80, mappedAtCreation: 1, bytesMappedAtCreation: 16,
      writes: 2, bytesWritten: 36, copies: 2, readbackCopies: 1, bytesRead: 16, maps: 1, bindGroups: 1, shaderModules: 1, pipelines: 2,
    });
    expect(d.pipelineMs).toBeGreaterThanOrEqual(0);
    // The originals ran, in order.
    expect(calls).toEqual(['write', 'write', 'dispatch 4', 'dispatch 1', 'end', 'copy', 'copy', 'submit 2', 'map 1']);
  });
});
