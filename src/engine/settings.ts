// Every setting of a run, its allowed values and its defaults, in one place. Plain data with no
// tfjs, so the page (controls, share links), the worker and the CLI all read the same table.
import { defaultAdapterOptions } from './adapters/registry';

/** The adapter kinds (each one spec module in adapters/), in the order the UI lists them; `none` trains the head only. */
export const ADAPTER_KINDS = ['houlsby', 'pfeiffer', 'lora', 'parallel', 'prefix', 'mam', 'none'] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];
export const NONLINEARITIES = ['relu', 'gelu', 'tanh', 'swish'] as const;
export type Nonlinearity = (typeof NONLINEARITIES)[number];

/**
 * How adapter weights start. `bert`: every matrix N(0, 0.02), biases 0, as the SparseAdapter reference
 * trains bottleneck adapters; SNIP scores are informative for every matrix. `standard`: the usual
 * defaults that zero one projection (LoRA's B, the parallel/MAM up-projection), under which SNIP
 * scores of the other projection are all zero (the pruner reports it).
 */
export type AdapterInit = 'bert' | 'standard';

/** Everything that defines an adapter; `dim` is the bottleneck size, LoRA's rank or the prefix length. */
export interface AdapterOptions {
  kind: AdapterKind;
  dim: number;
  nonlinearity: Nonlinearity;
  init: AdapterInit;
  /** LoRA's alpha; the update is scaled by alpha / r. */
  loraAlpha: number;
  /** The parallel adapter's output scale s. */
  parallelScale: number;
  /** Hidden size of the prefix reparametrisation MLP. */
  prefixHidden: number;
  /** For MAM: the parallel adapter's bottleneck (dim is the prefix length). */
  mamParallelDim: number;
  /** Also prune biases (off by default, as in the reference). */
  pruneBiases: boolean;
  /** Prune the prefix MLP's weight matrices: this project's extension, off by default. */
  prunePrefix: boolean;
}

/** Defaults per kind: the kind's spec (adapters/) sets dim and the non-linearity (AdapterHub: Houlsby swish, others ReLU). */
export { defaultAdapterOptions, exportLibrary } from './adapters/registry';

/** The pruners, in the order the UI lists them. */
export const PRUNER_KINDS = ['snip', 'random', 'magnitude', 'grasp', 'synflow'] as const;
export type PrunerKind = (typeof PRUNER_KINDS)[number];
/** `global`: one threshold over all prunable tensors; `local`: the same fraction kept in each tensor. */
export type PruneScope = 'global' | 'local';
/** How the kept fraction falls from 1 to 1 − sparsity over the rounds. */
export type PruneSchedule = 'exponential' | 'linear';

/** How to prune at initialisation. */
export interface PruneOptions {
  pruner: PrunerKind;
  /** The fraction REMOVED, 0 ≤ s < 1 (the reference code's `--sparsity` is the fraction kept). */
  sparsity: number;
  scope: PruneScope;
  /** Scoring rounds (≥ 1); each round scores with the previous round's masks applied. */
  rounds: number;
  schedule: PruneSchedule;
  /** Batches whose scores are accumulated in each round (≥ 1); data-free pruners ignore it. */
  scoringBatches: number;
}

export const DEFAULT_PRUNE_OPTIONS: PruneOptions = { pruner: 'snip', sparsity: 0.4, scope: 'global', rounds: 1, schedule: 'exponential', scoringBatches: 4 };

/** Training settings (the reference GLUE recipe, scaled to small models and short runs). */
export interface TrainOptions {
  steps: number;
  batchSize: number;
  seqLen: number;
  learningRate: number;
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  /** Evaluate on the dev split every this many steps (and at the end); 0: only at the end. */
  evalEvery: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { steps: 200, batchSize: 16, seqLen: 64, learningRate: 1e-3, warmupRatio: 0.06, weightDecay: 0.1, maxGradNorm: 1, seed: 1, evalEvery: 50 };

/** What the user chose: the standard adapter, how to prune it, a Large-Sparse factor, and training settings. */
export interface RunSettings {
  task: string;
  adapter: AdapterOptions;
  prune: PruneOptions;
  /** 1: the adapter as chosen; k > 1: its Large-Sparse counterpart at the same budget. */
  largeSparse: number;
  train: TrainOptions;
}

/** Defaults for an adapter kind (the paper's SNIP at 40% sparsity, global scope). */
export function defaultRunSettings(kind: AdapterKind = 'houlsby', task = 'toy'): RunSettings {
  return { task, adapter: defaultAdapterOptions(kind), prune: { ...DEFAULT_PRUNE_OPTIONS }, largeSparse: 1, train: { ...DEFAULT_TRAIN_OPTIONS } };
}

/** Overrides, merged once over the defaults of the chosen adapter kind. */
export interface RunOverrides {
  task?: string;
  adapter?: Partial<AdapterOptions>;
  prune?: Partial<PruneOptions>;
  largeSparse?: number;
  train?: Partial<TrainOptions>;
}

/** Merges overrides over the defaults; the adapter kind's own defaults apply before its overrides. */
export function mergeSettings(overrides: RunOverrides): RunSettings {
  const base = defaultRunSettings(overrides.adapter?.kind ?? 'houlsby', overrides.task ?? 'toy');
  return {
    task: base.task,
    adapter: { ...base.adapter, ...overrides.adapter },
    prune: { ...base.prune, ...overrides.prune },
    largeSparse: overrides.largeSparse ?? base.largeSparse,
    train: { ...base.train, ...overrides.train },
  };
}
