// Paired comparisons between two configurations of an experiment: runs with the same seed share
// batches and head (engine/random's streams per purpose), so the difference is taken seed by seed.
// Each comparison carries the mean difference in points with its 95% Student t interval over seeds,
// a paired bootstrap over seeds and evaluation items where the records hold per-item correctness, and
// the verdict that follows from the interval. On the test split where every run has it, else on dev.
import { pairedBootstrap, pairedDifference, seedsForHalfWidth, unpackBits, verdict, type BootstrapInterval, type Interval, type PairedDifference, type Verdict } from '../../engine/stats';
import type { ExperimentRecord } from './runOne';

/** The bootstrap's settings in reports: fixed, so a report rebuilt from the same records is the same. */
export const REPORT_BOOTSTRAP = { resamples: 1000, seed: 1 } as const;

/** Candidate − reference in accuracy points (percent), paired by seed. */
export interface PairedComparison {
  /** The seeds both configurations ran, ascending. */
  seeds: number[];
  /** Over seeds: the mean difference and its t interval (none from one seed). */
  t: PairedDifference;
  /** Over seeds and evaluation items, when every paired run recorded per-item correctness; in points. */
  bootstrap: BootstrapInterval | null;
  /** The interval the verdict follows: t over seeds with two or more, else the bootstrap over items. */
  basis: 't' | 'bootstrap' | null;
  interval: Interval | null;
  verdict: Verdict;
}

/** Which split's figures a report shows: `test` when every run has them (selection on dev, figures on test), else `dev`. */
export type ReportSplit = 'dev' | 'test';

/** The split a set of records can be reported on: test when every record has it. */
export const reportSplit = (records: readonly ExperimentRecord[]): ReportSplit => (records.length > 0 && records.every((r) => r.test && r.testCorrect) ? 'test' : 'dev');

/** A record's metrics on `split` (dev where it has no test figures). */
export const metricsOn = (r: ExperimentRecord, split: ReportSplit) => (split === 'test' && r.test ? r.test : r.dev);

const correctness = (r: ExperimentRecord, split: ReportSplit) => {
  const packed = split === 'test' ? r.testCorrect : r.devCorrect;
  return packed ? unpackBits(packed.bits, packed.count) : null;
};

/**
 * Compares `candidate`'s runs with `reference`'s on the seeds both have; null when they share none.
 * With one seed the t interval does not exist, and the verdict follows the bootstrap over dev items
 * (which then says nothing about seed-to-seed spread).
 */
export function compareBySeed(candidate: readonly ExperimentRecord[], reference: readonly ExperimentRecord[], bootstrap = REPORT_BOOTSTRAP, split: ReportSplit = 'dev'): PairedComparison | null {
  const bySeed = new Map(reference.map((r) => [r.spec.seed, r]));
  const pairs = [...new Map(candidate.filter((r) => bySeed.has(r.spec.seed)).map((r) => [r.spec.seed, [r, bySeed.get(r.spec.seed)!] as const])).entries()].sort((a, b) => a[0] - b[0]);
  if (pairs.length === 0) return null;
  const t = pairedDifference(pairs.map(([, [c]]) => 100 * metricsOn(c, split).accuracy), pairs.map(([, [, r]]) => 100 * metricsOn(r, split).accuracy));
  const items = pairs.map(([, [c, r]]) => [correctness(c, split), correctness(r, split)] as const);
  const usable = items.every(([c, r]) => c !== null && r !== null && c.length === r.length && c.length > 0);
  let boot: BootstrapInterval | null = null;
  if (usable) {
    const b = pairedBootstrap(items.map(([c]) => c!), items.map(([, r]) => r!), bootstrap);
    boot = { ...b, mean: 100 * b.mean, low: 100 * b.low, high: 100 * b.high, halfWidth: 100 * b.halfWidth };
  }
  const basis = t.low !== null ? 't' : boot ? 'bootstrap' : null;
  const interval = basis === 't' ? { low: t.low!, high: t.high!, halfWidth: t.halfWidth! } : basis === 'bootstrap' ? { low: boot!.low, high: boot!.high, halfWidth: boot!.halfWidth } : null;
  return { seeds: pairs.map(([s]) => s), t, bootstrap: boot, basis, interval, verdict: verdict(interval ?? { low: null, high: null }) };
}

/** A signed number of points with one decimal ("+1.2", "−0.4"). */
export const signedPoints = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
/** "[−0.3, +2.7]", or "—" without an interval. */
export const formatInterval = (i: { low: number | null; high: number | null } | null) => (i === null || i.low === null || i.high === null ? '—' : `[${signedPoints(i.low)}, ${signedPoints(i.high)}]`);

/** The half-width, in points, that the power column of a table of differences asks of a t interval: the paper's smallest effect. */
export const POWER_TARGET_POINTS = 0.5;

/**
 * Paired seeds a comparison would need for a t interval of ±POWER_TARGET_POINTS, from its own
 * seed-to-seed spread: "—" without a spread (one seed), "> 10000" beyond reach.
 */
export function seedsNeededCell(c: PairedComparison): string {
  if (c.t.sd === null) return '—';
  const max = 10000;
  const n = seedsForHalfWidth(c.t.sd, POWER_TARGET_POINTS, 0.95, max);
  return n === null ? `> ${max}` : String(n);
}

/** The cells a table of differences shows for one comparison: Δ, the t interval, the bootstrap interval, the verdict, the seeds, the seeds a ±0.5 interval needs. */
export function comparisonCells(c: PairedComparison, split: ReportSplit = 'dev'): string[] {
  const basisNote = c.basis === 'bootstrap' ? ` (bootstrap over ${split} items; seeds not resampled)` : '';
  return [signedPoints(c.t.mean), formatInterval(c.t), formatInterval(c.bootstrap), `${c.verdict}${basisNote}`, String(c.seeds.length), seedsNeededCell(c)];
}

/** The headers of `comparisonCells`. */
export const comparisonHeaders = (split: ReportSplit = 'dev') => ['Δ (points)', '95% CI, t over seeds', `95% CI, bootstrap over seeds and ${split} items`, 'Verdict', 'Seeds', `Seeds for ±${POWER_TARGET_POINTS}`];

/** One sentence counting the verdicts and giving the median half-width of the intervals. */
export function verdictSummary(comparisons: readonly PairedComparison[]): string {
  const better = comparisons.filter((c) => c.verdict === 'better').length;
  const worse = comparisons.filter((c) => c.verdict === 'worse').length;
  const none = comparisons.filter((c) => c.interval === null).length;
  const undetected = comparisons.length - better - worse - none;
  const widths = comparisons.flatMap((c) => (c.interval ? [c.interval.halfWidth] : [])).sort((a, b) => a - b);
  const median = widths.length === 0 ? null : widths.length % 2 ? widths[(widths.length - 1) / 2]! : (widths[widths.length / 2 - 1]! + widths[widths.length / 2]!) / 2;
  const parts = [`${better} better`, `${worse} worse`, `${undetected} with no difference detected`, ...(none > 0 ? [`${none} without an interval (one seed, no per-item data)`] : [])];
  return `Of ${comparisons.length} comparison${comparisons.length === 1 ? '' : 's'}: ${parts.join(', ')}${median === null ? '' : `; median 95% half-width ±${median.toFixed(1)} points`}.`;
}
