// Short names for runs, from their settings: what the runs table, the charts' legends and the
// comparison note call a configuration. Plain functions over the adapter specs (no tfjs).
import { adapterSpec, isHeadOnly, largeSparse, largeSparseBlocked, scaledDimensionsLabel } from '../engine/adapters/registry';
import type { RunSettings } from '../engine/settings';

/** A short name for a run: adapter, the dimensions Large-Sparse scales (as trained), sparsity and pruner. */
export function runLabel(settings: RunSettings): string {
  const k = settings.largeSparse;
  let trained = { options: settings.adapter, sparsity: settings.prune.sparsity };
  // The same transform the engine applies (the adapter's spec), so the label cannot drift from the run.
  if (k > 1 && !largeSparseBlocked(settings.adapter)) trained = largeSparse(settings.adapter, settings.prune.sparsity, k);
  if (isHeadOnly(settings.adapter)) return adapterSpec(settings.adapter.kind).title;
  const sparsity = trained.sparsity;
  return `${settings.adapter.kind} ${scaledDimensionsLabel(trained.options)} ${Math.round(sparsity * 100)}% ${sparsity > 0 ? settings.prune.pruner : 'dense'}${k > 1 ? ` (Large-Sparse ×${k})` : ''}`;
}

/** A run's name when it is one of `seeds` > 1 runs of a configuration: the configuration and its seed. */
export function seededLabel(settings: RunSettings, seeds: number): string {
  return seeds > 1 ? `${runLabel(settings)}, seed ${settings.train.seed}` : runLabel(settings);
}
