// Sparsity sweeps among the runs, for the paper's Figure 2 shape: finished runs that differ only in
// prune.sparsity (the pruner giving one line each, and the seed), a final dev metric per sparsity as
// the mean over seeds with its 95% Student t interval, and the dense runs (sparsity 0, no Large-Sparse)
// of the same configuration as the reference line. Plain functions, no DOM.
import { scaledDimensionsLabel } from '../engine/adapters/registry';
import type { PrunerKind, RunSettings } from '../engine/settings';
import { meanInterval } from '../engine/stats';
import { isFinished, type RunRecord } from './runs';

/** The sparsities the sweep button runs: dense, then the paper's range up to high sparsity. */
export const SWEEP_SPARSITIES = [0, 0.5, 0.7, 0.9] as const;

/** The final dev metrics a sweep can plot. */
export const SWEEP_METRICS = { accuracy: 'dev accuracy', macroF1: 'dev macro-F1', mcc: 'dev MCC' } as const;
export type SweepMetric = keyof typeof SWEEP_METRICS;

/** One sparsity's runs: the metric's mean over seeds with its t interval (null bounds from one seed). */
export interface SweepPoint {
  sparsity: number;
  /** The seeds averaged (each seed's latest run). */
  seeds: number[];
  mean: number;
  low: number | null;
  high: number | null;
  halfWidth: number | null;
}

/** One sweep: a configuration whose runs vary in sparsity, one line per pruner, and its dense reference. */
export interface Sweep {
  key: string;
  /** A short name of what is held fixed: adapter, dimensions, Large-Sparse factor, task. */
  label: string;
  /** One representative run's settings (sparsity, pruner and seed vary within the sweep). */
  settings: RunSettings;
  lines: { pruner: PrunerKind; points: SweepPoint[] }[];
  /** Sparsity 0 without Large-Sparse: nothing pruned, so every pruner's dense runs pool here; null if none ran. */
  dense: SweepPoint | null;
}

/** The settings with the named parts blanked out, as a key: runs with equal keys differ only in those. */
const keyWithout = (s: RunSettings, prune: 'sparsity and pruner' | 'all') => JSON.stringify({ ...s, prune: prune === 'all' ? null : { ...s.prune, sparsity: null, pruner: null }, train: { ...s.train, seed: null } });
const isDense = (s: RunSettings) => s.prune.sparsity === 0 && s.largeSparse === 1;

/** The metric's mean and t interval over `runs`, each seed's latest run counted once. */
function pointOf(sparsity: number, runs: readonly RunRecord[], metric: SweepMetric): SweepPoint {
  const latest = new Map<number, RunRecord>();
  for (const r of runs) {
    const seen = latest.get(r.settings.train.seed);
    if (!seen || seen.startedAt <= r.startedAt) latest.set(r.settings.train.seed, r);
  }
  const seeds = [...latest.keys()].sort((a, b) => a - b);
  const m = meanInterval(seeds.map((seed) => latest.get(seed)!.summary!.dev[metric]));
  return { sparsity, seeds, mean: m.mean, low: m.low, high: m.high, halfWidth: m.halfWidth };
}

/**
 * The sparsity sweeps among `runs`: every configuration (all settings but sparsity, pruner and seed)
 * with at least two sparsities for one pruner among its finished runs, in order of first appearance.
 * With Large-Sparse (k > 1) sparsity 0 is not dense (the engine prunes 1 − 1/k), so it is a point.
 */
export function sparsitySweeps(runs: readonly RunRecord[], metric: SweepMetric = 'accuracy'): Sweep[] {
  const finished = runs.filter(isFinished);
  const configs = new Map<string, RunRecord[]>();
  for (const r of finished) {
    if (isDense(r.settings)) continue;
    const key = keyWithout(r.settings, 'sparsity and pruner');
    configs.set(key, [...(configs.get(key) ?? []), r]);
  }
  const sweeps: Sweep[] = [];
  for (const [key, members] of configs) {
    const byPruner = new Map<PrunerKind, Map<number, RunRecord[]>>();
    for (const r of members) {
      const line = byPruner.get(r.settings.prune.pruner) ?? new Map<number, RunRecord[]>();
      line.set(r.settings.prune.sparsity, [...(line.get(r.settings.prune.sparsity) ?? []), r]);
      byPruner.set(r.settings.prune.pruner, line);
    }
    if (![...byPruner.values()].some((line) => line.size >= 2)) continue;
    const settings = members[0]!.settings;
    const denseKey = keyWithout(settings, 'all');
    const dense = settings.largeSparse === 1 ? finished.filter((r) => isDense(r.settings) && keyWithout(r.settings, 'all') === denseKey) : [];
    const k = settings.largeSparse;
    sweeps.push({
      key,
      label: `${settings.adapter.kind} ${scaledDimensionsLabel(settings.adapter)}${k > 1 ? ` (Large-Sparse ×${k})` : ''} on ${settings.task}`,
      settings,
      lines: [...byPruner.entries()].map(([pruner, line]) => ({ pruner, points: [...line.entries()].sort(([a], [b]) => a - b).map(([sparsity, rs]) => pointOf(sparsity, rs, metric)) })),
      dense: dense.length > 0 ? pointOf(0, dense, metric) : null,
    });
  }
  return sweeps;
}
