// Backend selection in Node: without a GPU object the engine must fall back and say why.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, summariseAdapter } from './backend';

describe('initBackend', () => {
  it('falls back from webgpu past webgl to wasm in Node without a GPU, listing each reason', async () => {
    const report = await initBackend('auto', undefined);
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.adapter).toBeNull();
    expect(report.fallbacks[0]).toMatch(/^webgpu: WebGPU is not available/);
    expect(report.fallbacks[1]).toMatch(/^webgl: /);
  });
  it('reports a GPU that offers no adapter, then falls back', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const report = await initBackend('webgpu', gpu);
    expect(report.fallbacks[0]).toBe('webgpu: navigator.gpu.requestAdapter() returned no adapter');
    expect(report.backend).toBe('wasm');
  });
  it('starts the cpu backend directly when asked', async () => {
    const report = await initBackend('cpu', undefined);
    expect(report).toEqual({ backend: 'cpu', adapter: null, fallbacks: [] });
  });
});

describe('summariseAdapter', () => {
  it('reads info from the current API and isFallbackAdapter from either place', () => {
    const modern = { info: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', isFallbackAdapter: true } };
    expect(summariseAdapter(modern as unknown as GPUAdapter)).toEqual({ vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', isFallbackAdapter: true });
    const legacy = { isFallbackAdapter: true };
    expect(summariseAdapter(legacy as unknown as GPUAdapter).isFallbackAdapter).toBe(true);
    expect(summariseAdapter({} as GPUAdapter)).toEqual({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false });
  });
});
