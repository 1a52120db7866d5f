// Plans a training step's memory before anything is allocated: the frozen model's weights once, and the
// activations tfjs keeps for the backward pass per example. When a whole batch would not fit the
// backend's budget the step is split into micro-batches whose gradients are accumulated (train.ts; the
// same update as the whole batch up to float rounding), and a configuration that cannot fit even one
// example at a time is refused with the numbers, before an allocation fails deep inside a backend
// (XNNPACK on wasm aborts the whole module: "xnn_create_fully_connected_nc_f32 … status 6").
import type { BertConfig } from './bert';

/** Bytes per float32. */
const F32 = 4;

/**
 * What tfjs really holds at a step's peak, against the tensors counted above: its gradient tape keeps
 * every intermediate of the composed ops (GELU, LayerNorm, softmax are several primitive ops each) and
 * the backward pass allocates beside them. Measured with tf.profile on the cpu backend, a bert-base-width
 * layer at 128 tokens peaks at 5.5–6.1× the count per example (1 and 2 layers, batches 2 and 4; the
 * 12-layer model planned at 1× aborted wasm at 11 examples a pass); memory.test.ts checks the tiny model.
 */
export const TAPE_OVERHEAD = 6;

/**
 * Activation bytes one example keeps alive through a training step (forward values the backward pass
 * reads, and the gradients of the same shapes), counted per encoder layer from the tensors it makes:
 * per token about 12 × hidden (Q, K, V, the context, the attention output, the residual sums and both
 * LayerNorms' inputs and outputs) plus 3 × intermediate (the feed-forward's pre-activation, activation
 * and its gradient), and per head 3 × seqLen² (scores, softmax, and its gradient). An estimate from the
 * layer's shapes, times TAPE_OVERHEAD for what tfjs holds beyond them.
 */
export function activationBytesPerExample(c: Pick<BertConfig, 'hiddenSize' | 'intermediateSize' | 'numHeads' | 'numLayers' | 'embeddingSize'>, seqLen: number): number {
  const perLayer = seqLen * (12 * c.hiddenSize + 3 * c.intermediateSize) + 3 * c.numHeads * seqLen * seqLen;
  const embeddings = seqLen * (4 * c.embeddingSize + 2 * c.hiddenSize);
  return TAPE_OVERHEAD * F32 * (c.numLayers * perLayer + embeddings);
}


/** The memory a backend may use for a step's activations by default, in bytes. */
export function defaultActivationBudget(backend: string): number {
  // wasm: a 32-bit heap of at most 4 GiB, shared with the weights and XNNPACK's packed copies of them;
  // webgpu: what a discrete or integrated GPU of today commonly leaves a page; cpu: the JS heap.
  if (backend === 'wasm') return 1.5 * 2 ** 30;
  if (backend === 'webgpu' || backend === 'webgl') return 3 * 2 ** 30;
  return 4 * 2 ** 30;
}

/** How a step's batch is split. */
export interface MemoryPlan {
  /** Examples per forward/backward pass (= batchSize when the whole batch fits). */
  microBatch: number;
  /** Passes per step. */
  passes: number;
  /** Activation bytes per example, and for one pass of `microBatch`. */
  perExampleBytes: number;
  passBytes: number;
  budgetBytes: number;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/**
 * The micro-batch for a step of `batchSize` examples of `seqLen` tokens: `requested` when given (1 …
 * batchSize), else the largest that keeps one pass's activations within `budgetBytes`. Throws, naming
 * the numbers and what to lower, when not even one example fits.
 */
export function planMicroBatch(c: Pick<BertConfig, 'hiddenSize' | 'intermediateSize' | 'numHeads' | 'numLayers' | 'embeddingSize'>, opts: { batchSize: number; seqLen: number; budgetBytes: number; requested?: number }): MemoryPlan {
  const { batchSize, seqLen, budgetBytes, requested } = opts;
  const perExampleBytes = activationBytesPerExample(c, seqLen);
  if (requested !== undefined && requested > 0) {
    if (!Number.isInteger(requested)) throw new Error(`the micro-batch must be a whole number of examples; got ${requested}`);
    const microBatch = Math.min(requested, batchSize);
    return { microBatch, passes: Math.ceil(batchSize / microBatch), perExampleBytes, passBytes: microBatch * perExampleBytes, budgetBytes };
  }
  if (perExampleBytes > budgetBytes) {
    throw new Error(`one example of ${seqLen} tokens needs about ${gib(perExampleBytes)} of activations for a training step on this ${c.numLayers}-layer × ${c.hiddenSize} model, more than the ${gib(budgetBytes)} this backend can give a step: lower the sequence length`);
  }
  const microBatch = Math.min(batchSize, Math.floor(budgetBytes / perExampleBytes));
  return { microBatch, passes: Math.ceil(batchSize / microBatch), perExampleBytes, passBytes: microBatch * perExampleBytes, budgetBytes };
}

/** Splits a batch's example indices into passes of at most `microBatch`. */
export function splitBatch<T>(indices: readonly T[], microBatch: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < indices.length; i += microBatch) out.push(indices.slice(i, i + microBatch));
  return out;
}
