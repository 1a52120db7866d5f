// Parameter accounting, counted exactly: the frozen PLM, the adapters (all, prunable, non-zero after
// masking), the head, and the trainable non-zero total as a percentage of the PLM. Also the
// Large-Sparse transform: k× the adapter dimension at a sparsity that keeps the same budget.
import type { BertConfig } from './bert';
import type { AdapterOptions } from './settings';

/** The budget of one configuration, every figure an exact count. */
export interface Budget {
  plmParams: number;
  adapterParams: number;
  /** Adapter entries the pruner may remove (the denominator of "sparsity"). */
  adapterPrunable: number;
  /** Adapter entries that are not pruned (non-prunable tensors count in full). */
  adapterNonzero: number;
  headParams: number;
  /** adapterNonzero + headParams: what is actually trained. */
  trainableNonzero: number;
  /** trainableNonzero as a percentage of plmParams. */
  percentOfPlm: number;
}

/** Sizes of every adapter tensor for a configuration, by the formulas of adapters.ts (no tensors built). */
export function adapterTensorSizes(config: Pick<BertConfig, 'hiddenSize' | 'numLayers'>, options: AdapterOptions): { prunable: number; fixed: number } {
  const H = config.hiddenSize;
  const L = config.numLayers;
  const bottleneck = (d: number) => ({ weights: 2 * H * d, biases: d + H });
  let prunable = 0;
  let fixed = 0;
  const addBottlenecks = (count: number, d: number) => {
    const b = bottleneck(d);
    prunable += count * b.weights;
    if (options.pruneBiases) prunable += count * b.biases;
    else fixed += count * b.biases;
  };
  const { kind, dim } = options;
  if (kind === 'houlsby') addBottlenecks(2 * L, dim);
  if (kind === 'pfeiffer') addBottlenecks(L, dim);
  if (kind === 'parallel') addBottlenecks(L, dim);
  if (kind === 'mam') addBottlenecks(L, options.mamParallelDim);
  if (kind === 'lora') prunable += L * 2 * 2 * H * dim; // A [H, r] and B [r, H], on query and value
  if (kind === 'prefix' || kind === 'mam') {
    const P = dim;
    const hidden = options.prefixHidden;
    const out = L * 2 * H;
    fixed += P * H; // the prefix embedding is never pruned
    const weights = H * hidden + hidden * out;
    const biases = hidden + out;
    if (options.prunePrefix) prunable += weights;
    else fixed += weights;
    if (options.prunePrefix && options.pruneBiases) prunable += biases;
    else fixed += biases;
  }
  return { prunable, fixed };
}

/** Parameters of the task head (head.ts): dense H→H + dense H→C for sentences, dense H→C for tokens. */
export function headParameterCount(kind: 'sequence' | 'token', hiddenSize: number, numLabels: number): number {
  const out = hiddenSize * numLabels + numLabels;
  return kind === 'sequence' ? hiddenSize * hiddenSize + hiddenSize + out : out;
}

/**
 * The budget of a configuration at a sparsity (fraction of prunable entries removed). With global
 * or local scope the kept count is round-to-nearest of (1 − s) × size, matching pruning.ts; pass
 * `keptPrunable` to use a measured count instead.
 */
export function computeBudget(args: { plmParams: number; sizes: { prunable: number; fixed: number }; sparsity: number; headParams: number; keptPrunable?: number }): Budget {
  const { plmParams, sizes, sparsity, headParams } = args;
  const kept = args.keptPrunable ?? sizes.prunable - Math.round(sparsity * sizes.prunable);
  const adapterNonzero = kept + sizes.fixed;
  const trainableNonzero = adapterNonzero + headParams;
  return {
    plmParams,
    adapterParams: sizes.prunable + sizes.fixed,
    adapterPrunable: sizes.prunable,
    adapterNonzero,
    headParams,
    trainableNonzero,
    percentOfPlm: (100 * trainableNonzero) / plmParams,
  };
}

/**
 * Large-Sparse: from a standard configuration (dimension d, sparsity s) and a factor k, the
 * configuration with dimension k·d and sparsity 1 − (1 − s)/k, which keeps the same number of
 * non-zero prunable weights (the paper's 2× dimension at 50% sparsity for k = 2, s = 0).
 * The bias terms grow with the dimension, so budgets are equal up to them.
 */
export function largeSparse(options: AdapterOptions, sparsity: number, k: number): { options: AdapterOptions; sparsity: number } {
  if (!Number.isInteger(k) || k < 1) throw new Error(`the Large-Sparse factor must be a positive integer, got ${k}`);
  // Scale what the pruner prunes: the bottleneck or rank; for prefix-tuning the prefix MLP's width.
  let scaled: AdapterOptions;
  if (options.kind === 'prefix') {
    if (!options.prunePrefix) throw new Error('Large-Sparse for prefix-tuning needs a prunable prefix MLP (turn on prunePrefix)');
    scaled = { ...options, prefixHidden: options.prefixHidden * k };
  } else if (options.kind === 'mam') {
    scaled = { ...options, mamParallelDim: options.mamParallelDim * k, prefixHidden: options.prunePrefix ? options.prefixHidden * k : options.prefixHidden };
  } else {
    scaled = { ...options, dim: options.dim * k };
  }
  return { options: scaled, sparsity: 1 - (1 - sparsity) / k };
}
