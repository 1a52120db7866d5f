// The "Large-Sparse vs standard" comparisons of the runs panel: the two sides paired seed by seed
// (runs with the same seed see the same batches and head, random.ts), the mean paired difference in
// dev accuracy with its Student t interval over seeds, with few seeds also a paired bootstrap over
// dev examples and seeds, and the verdict every interval shown allows. Plain functions, no DOM.
import { jointVerdict, pairedBootstrap, pairedDifference, type BootstrapInterval, type PairedDifference, type Verdict } from '../engine/stats';
import { isFinished, type RunRecord } from './runs';

/** The page's bootstrap: fixed, so the same runs always show the same interval. */
export const PAGE_BOOTSTRAP = { resamples: 1000, seed: 1 } as const;
/** Below this many paired seeds the bootstrap over dev examples and seeds is shown beside the t interval. */
export const FEW_SEEDS = 5;

/** The standard run and its Large-Sparse counterpart with one seed, both finished. */
export interface SeedPair {
  seed: number;
  standard: RunRecord;
  large: RunRecord;
}

/** One comparison: its runs, the finished pairs, and Large-Sparse − standard in dev accuracy points. */
export interface Comparison {
  group: string;
  /** Every run of each side, finished or not, in seed order. */
  standard: RunRecord[];
  large: RunRecord[];
  /** The seeds asked for (1 for comparisons from before the seeds control). */
  planned: number;
  pairs: SeedPair[];
  /** The mean over pairs of the accuracy difference, a fraction; null before the first pair has finished. */
  accuracyGain: number | null;
  /** The t interval over seeds, in points (from two pairs on; its bounds are null with one). */
  t: PairedDifference | null;
  /** The paired bootstrap over dev examples (and seeds, from two on), in points; with few seeds and per-item data only. */
  bootstrap: BootstrapInterval | null;
  /** What the intervals shown allow together; null when there is none. */
  verdict: Verdict | null;
}

const toPoints = (b: BootstrapInterval): BootstrapInterval => ({ ...b, mean: 100 * b.mean, low: 100 * b.low, high: 100 * b.high, halfWidth: 100 * b.halfWidth });

/** Bootstraps by the per-item arrays they resample (by identity: a finished run's array never changes), keyed on the first. */
const bootstraps = new WeakMap<Uint8Array, { arrays: Uint8Array[]; result: BootstrapInterval }[]>();

/** The paired bootstrap of a set of pairs, or null when a run lacks per-item data or two runs cover different items. */
function bootstrapOf(pairs: readonly SeedPair[]): BootstrapInterval | null {
  const a = pairs.map((p) => p.large.devCorrect);
  const b = pairs.map((p) => p.standard.devCorrect);
  const first = a[0];
  if (!first || first.length === 0 || !a.every((x, i) => x && b[i] && x.length === first.length && b[i].length === first.length)) return null;
  const arrays = [...a, ...b] as Uint8Array[];
  const known = bootstraps.get(first) ?? [];
  const hit = known.find((k) => k.arrays.length === arrays.length && k.arrays.every((x, i) => x === arrays[i]));
  if (hit) return hit.result;
  const result = toPoints(pairedBootstrap(a as Uint8Array[], b as Uint8Array[], PAGE_BOOTSTRAP));
  bootstraps.set(first, [...known.slice(-7), { arrays, result }]);
  return result;
}

/** One comparison's figures from its runs. */
export function compareGroup(group: string, standard: RunRecord[], large: RunRecord[]): Comparison {
  const bySeed = (runs: RunRecord[]) => new Map(runs.filter(isFinished).map((r) => [r.settings.train.seed, r]));
  const finishedLarge = bySeed(large);
  const pairs = [...bySeed(standard).entries()].flatMap(([seed, s]) => {
    const l = finishedLarge.get(seed);
    return l ? [{ seed, standard: s, large: l }] : [];
  }).sort((p, q) => p.seed - q.seed);
  const planned = Math.max(standard[0]?.seedGroup?.seeds ?? 1, large[0]?.seedGroup?.seeds ?? 1);
  const base = { group, standard, large, planned, pairs };
  if (pairs.length === 0) return { ...base, accuracyGain: null, t: null, bootstrap: null, verdict: null };
  const t = pairedDifference(pairs.map((p) => 100 * p.large.summary!.dev.accuracy), pairs.map((p) => 100 * p.standard.summary!.dev.accuracy));
  const bootstrap = pairs.length < FEW_SEEDS ? bootstrapOf(pairs) : null;
  const intervals = [...(t.low !== null ? [t] : []), ...(bootstrap ? [bootstrap] : [])];
  return { ...base, accuracyGain: t.mean / 100, t: pairs.length >= 2 ? t : null, bootstrap, verdict: intervals.length > 0 ? jointVerdict(intervals) : null };
}

/** The comparisons among runs, in order of first appearance; each has at least one run on both sides. */
export function comparisons(runs: readonly RunRecord[]): Comparison[] {
  const groups = new Map<string, { standard: RunRecord[]; large: RunRecord[] }>();
  for (const run of runs) {
    if (!run.comparison) continue;
    const entry = groups.get(run.comparison.group) ?? { standard: [], large: [] };
    (run.comparison.role === 'standard' ? entry.standard : entry.large).push(run);
    groups.set(run.comparison.group, entry);
  }
  const bySeed = (a: RunRecord, b: RunRecord) => a.settings.train.seed - b.settings.train.seed;
  return [...groups.entries()].filter(([, g]) => g.standard.length > 0 && g.large.length > 0).map(([group, g]) => compareGroup(group, g.standard.sort(bySeed), g.large.sort(bySeed)));
}
