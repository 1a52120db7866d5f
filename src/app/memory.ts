// What a training step of the chosen configuration will ask of memory, before it runs: the frozen
// weights, the trainable tensors with their gradients and AdamW moments, and the activations of one
// pass (engine/memory.ts's plan: micro-batches when the whole batch would not fit the backend's
// budget). The page shows it beside the budget and warns before a run the engine would refuse.
import { defaultActivationBudget, planMicroBatch, type MemoryPlan } from '../engine/memory';
import type { PlmSummary } from '../worker/protocol';

/** float32 bytes. */
const F32 = 4;
/** WebAssembly's 32-bit heap: weights, activations and XNNPACK's packed copies must all fit in it. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

export interface MemoryEstimate {
  /** The frozen PLM's weights, as float32 (F16 files are expanded on load). */
  weightsBytes: number;
  /** Adapter and head: weights, gradients and the two AdamW moments. */
  trainableBytes: number;
  /** How the step's batch is split, or why no split fits. */
  plan: MemoryPlan | null;
  refusal: string | null;
  totalBytes: number;
  warnings: string[];
}

/**
 * The estimate for a step of `batchSize` × `seqLen` on `backend` (the engine's default activation budget
 * for it) of a model with `trainableParams` trainable parameters.
 */
export function estimateMemory(model: PlmSummary, opts: { batchSize: number; seqLen: number; backend: string; trainableParams: number }): MemoryEstimate {
  const config = { hiddenSize: model.hiddenSize, intermediateSize: model.intermediateSize, numHeads: model.heads, numLayers: model.layers, embeddingSize: model.embeddingSize ?? model.hiddenSize };
  const weightsBytes = model.parameters * F32;
  const trainableBytes = opts.trainableParams * F32 * 4;
  const warnings: string[] = [];
  let plan: MemoryPlan | null = null;
  let refusal: string | null = null;
  try {
    plan = planMicroBatch(config, { batchSize: opts.batchSize, seqLen: opts.seqLen, budgetBytes: defaultActivationBudget(opts.backend) });
  } catch (error) {
    refusal = `will not fit: ${error instanceof Error ? error.message : String(error)}`;
  }
  const totalBytes = weightsBytes + trainableBytes + (plan?.passBytes ?? 0);
  if (plan && plan.passes > 1) warnings.push(`the batch of ${opts.batchSize} runs in ${plan.passes} passes of at most ${plan.microBatch} (gradients accumulated: the same update, more time per step)`);
  if (opts.backend === 'wasm' && totalBytes > WASM_HEAP_BYTES) warnings.push(`about ${gib(totalBytes)} in all is more than WebAssembly's 4 GiB heap: choose WebGPU, or a smaller model or batch`);
  return { weightsBytes, trainableBytes, plan, refusal, totalBytes, warnings };
}

export const gib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
