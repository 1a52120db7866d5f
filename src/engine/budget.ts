// Parameter accounting, counted exactly: the frozen PLM, the adapters (all, prunable, non-zero after
// masking), the head, and the trainable non-zero total as a percentage of the PLM. Adapter sizes and
// the Large-Sparse transform come from the adapter specs (adapters/registry.ts), re-exported here.
export { adapterTensorSizes, largeSparse, largeSparseBlocked } from './adapters/registry';

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
