// The page's memory estimate of a training step: bert-base at 16 × 128 on wasm splits into 2 passes
// (the engine's plan), a 24-layer model at 512 tokens is refused on wasm before it runs and fits on
// WebGPU one example at a time, and a model whose weights alone exceed WebAssembly's heap is warned of.
import { describe, expect, it } from 'vitest';
import type { PlmSummary } from '../worker/protocol';
import { estimateMemory } from './memory';

const summary = (over: Partial<PlmSummary>): PlmSummary => ({ label: 'm', layers: 12, hiddenSize: 768, heads: 12, intermediateSize: 3072, maxPositions: 512, vocabSize: 30522, parameters: 109_482_240, doLowerCase: true, ignoredTensors: [], metadata: {}, ...over });

describe('estimateMemory', () => {
  it('bert-base at 16 × 128 on wasm: weights, trainable tensors ×4, and 16 passes of 1 under the 1.5 GiB activation budget', () => {
    const e = estimateMemory(summary({}), { batchSize: 16, seqLen: 128, backend: 'wasm', trainableParams: 1000 });
    expect(e.weightsBytes).toBe(109_482_240 * 4);
    expect(e.trainableBytes).toBe(1000 * 16);
    // Per example: 6 (tfjs's tape, measured) × 4 × (12 layers × (128 × (12·768 + 3·3072) + 3·12·128²) + 128 × 6·768) bytes.
    const perExample = 6 * 4 * (12 * (128 * (12 * 768 + 3 * 3072) + 3 * 12 * 128 * 128) + 128 * 6 * 768);
    expect(perExample).toBe(863_502_336);
    expect(e.plan).toMatchObject({ microBatch: 1, passes: 16, passBytes: perExample });
    expect(e.refusal).toBeNull();
    expect(e.totalBytes).toBe(109_482_240 * 4 + 16_000 + perExample);
    expect(e.warnings).toEqual(['the batch of 16 runs in 16 passes of at most 1 (gradients accumulated: the same update, more time per step)']);
    // WebGPU's 3 GiB holds 3 examples a pass.
    expect(estimateMemory(summary({}), { batchSize: 16, seqLen: 128, backend: 'webgpu', trainableParams: 1000 }).plan).toMatchObject({ microBatch: 3, passes: 6 });
  });

  it('refuses on wasm what one example cannot fit, and fits it on WebGPU one example at a time', () => {
    const large = summary({ layers: 24, hiddenSize: 1024, heads: 16, intermediateSize: 4096, parameters: 335_141_888 });
    const wasm = estimateMemory(large, { batchSize: 16, seqLen: 128, backend: 'wasm', trainableParams: 0 });
    expect(wasm.plan).toBeNull();
    expect(wasm.refusal).toMatch(/^will not fit: one example of 128 tokens needs about 2\.13 GiB of activations for a training step on this 24-layer × 1024 model, more than the 1\.50 GiB this backend can give a step: lower the sequence length$/);
    expect(estimateMemory(large, { batchSize: 16, seqLen: 128, backend: 'webgpu', trainableParams: 0 }).plan).toMatchObject({ microBatch: 1, passes: 16 });
  });

  it('warns when everything together exceeds WebAssembly\'s 4 GiB heap, and not on WebGPU', () => {
    const huge = summary({ parameters: 1_100_000_000 }); // 4.4 GB of float32 weights
    const wasm = estimateMemory(huge, { batchSize: 2, seqLen: 32, backend: 'wasm', trainableParams: 0 });
    expect(wasm.warnings.some((w) => /more than WebAssembly's 4 GiB heap/.test(w))).toBe(true);
    expect(estimateMemory(huge, { batchSize: 2, seqLen: 32, backend: 'webgpu', trainableParams: 0 }).warnings).toEqual([]);
  });

  it('uses the embedding width where the model has its own (ELECTRA), the hidden size where older summaries lack it', () => {
    const electra = estimateMemory(summary({ embeddingSize: 128 }), { batchSize: 1, seqLen: 128, backend: 'cpu', trainableParams: 0 });
    const bert = estimateMemory(summary({}), { batchSize: 1, seqLen: 128, backend: 'cpu', trainableParams: 0 });
    expect(bert.plan!.perExampleBytes - electra.plan!.perExampleBytes).toBe(6 * 4 * 128 * 4 * (768 - 128));
  });
});
