// Runs as the page keeps them: what was asked, what the worker reported, folded by a pure reducer
// (`applyRunEvents`) so that the charts read plain arrays and the logic is testable without React.
import { pairedBootstrap, verdict, type BootstrapInterval, type Verdict } from '../engine/stats';
import type { RunEvent, RunSettings } from '../worker/protocol';
import { downsample, roundShown, roundTo } from './figures';
import { MAX_CURVE_POINTS, type SharedRun } from './share';

type Pruned = Extract<RunEvent, { type: 'pruned' }>;
type Summary = Extract<RunEvent, { type: 'summary' }>;

/** One run, from the page's point of view. */
export interface RunRecord {
  id: string;
  label: string;
  settings: RunSettings;
  /** `shared`: opened from a link; its figures came with the link and it has no weights. */
  /** `interrupted`: restored after a reload or crash that cut it off. */
  /** `queued`: waiting for the runs before it (the store's queue); it has not reached the worker. */
  status: 'queued' | 'running' | 'done' | 'stopped' | 'failed' | 'shared' | 'interrupted';
  paused: boolean;
  phase: string;
  scoring: { round: number; rounds: number; batch: number; batches: number } | null;
  losses: { step: number; loss: number; smooth: number; lr: number; tokensPerSec: number; elapsedMs: number }[];
  evals: { step: number; accuracy: number; macroF1: number; mcc: number }[];
  pruned: Pruned | null;
  summary: Summary | null;
  warnings: string[];
  error: string | null;
  startedAt: number;
  /** Set on the two runs of a "Large-Sparse vs standard" comparison. */
  comparison: { group: string; role: 'standard' | 'large-sparse' } | null;
  /**
   * Per dev item, 1 where the final adapter was right (from the worker's reply), for the comparison's
   * paired bootstrap. Kept in IndexedDB and run files (bit-packed), never in links; absent for runs
   * from links and older builds.
   */
  devCorrect?: Uint8Array;
}

/** A new run record in its initial state (the store's queue gives it `queued` until it starts). */
export function createRunRecord(id: string, label: string, settings: RunSettings, now: number, comparison: RunRecord['comparison'] = null): RunRecord {
  return { id, label, settings, status: 'running', paused: false, phase: 'queued', scoring: null, losses: [], evals: [], pruned: null, summary: null, warnings: [], error: null, startedAt: now, comparison };
}

/** Large-Sparse − standard for one seed: a paired bootstrap over the dev items (in accuracy points) and its verdict. */
export interface ComparisonInterval {
  bootstrap: BootstrapInterval;
  verdict: Verdict;
}

/** The page's bootstrap: fixed, so the same two runs always show the same interval. */
export const PAGE_BOOTSTRAP = { resamples: 1000, seed: 1 } as const;
const intervals = new WeakMap<Uint8Array, WeakMap<Uint8Array, ComparisonInterval>>();

/**
 * The interval of Large-Sparse − standard from the two runs' per-item correctness: with one seed per
 * comparison only dev items can be resampled (seeds are not), so it leaves out seed-to-seed spread.
 * Null when either run lacks per-item data or they cover different items. Memoised per pair of arrays.
 */
export function comparisonInterval(standard: RunRecord, large: RunRecord): ComparisonInterval | null {
  const a = large.devCorrect;
  const b = standard.devCorrect;
  if (!a || !b || a.length !== b.length || a.length === 0) return null;
  const known = intervals.get(a)?.get(b);
  if (known) return known;
  const boot = pairedBootstrap([a], [b], PAGE_BOOTSTRAP);
  const points = { ...boot, mean: 100 * boot.mean, low: 100 * boot.low, high: 100 * boot.high, halfWidth: 100 * boot.halfWidth };
  const result = { bootstrap: points, verdict: verdict(points) };
  const inner = intervals.get(a) ?? new WeakMap<Uint8Array, ComparisonInterval>();
  inner.set(b, result);
  intervals.set(a, inner);
  return result;
}

/** The finished comparisons: each standard run beside its Large-Sparse counterpart, with the metric difference and its interval. */
export function comparisons(runs: readonly RunRecord[]): { group: string; standard: RunRecord; large: RunRecord; accuracyGain: number | null; interval: ComparisonInterval | null }[] {
  const groups = new Map<string, { standard?: RunRecord; large?: RunRecord }>();
  for (const run of runs) {
    if (!run.comparison) continue;
    const entry = groups.get(run.comparison.group) ?? {};
    if (run.comparison.role === 'standard') entry.standard = run;
    else entry.large = run;
    groups.set(run.comparison.group, entry);
  }
  return [...groups.entries()].flatMap(([group, { standard, large }]) => {
    if (!standard || !large) return [];
    const a = standard.summary?.dev.accuracy;
    const b = large.summary?.dev.accuracy;
    return [{ group, standard, large, accuracyGain: a === undefined || b === undefined ? null : b - a, interval: comparisonInterval(standard, large) }];
  });
}

/** Exponential moving average factor of the smoothed loss curve. */
const SMOOTHING = 0.9;

/** Folds a batch of worker events into a run (returns a new record; the input is not changed). */
export function applyRunEvents(run: RunRecord, events: readonly RunEvent[]): RunRecord {
  const next: RunRecord = { ...run, losses: [...run.losses], evals: [...run.evals], warnings: [...run.warnings] };
  for (const event of events) {
    switch (event.type) {
      case 'phase':
        next.phase = event.phase;
        break;
      case 'scoring':
        next.scoring = { round: event.round, rounds: event.rounds, batch: event.batch, batches: event.batches };
        break;
      case 'pruned':
        next.pruned = event;
        break;
      case 'warning':
        next.warnings.push(event.message);
        break;
      case 'step': {
        const previous = next.losses[next.losses.length - 1];
        const smooth = previous ? SMOOTHING * previous.smooth + (1 - SMOOTHING) * event.loss : event.loss;
        next.losses.push({ step: event.step, loss: event.loss, smooth, lr: event.lr, tokensPerSec: event.tokensPerSec, elapsedMs: event.elapsedMs });
        break;
      }
      case 'eval':
        next.evals.push({ step: event.step, accuracy: event.metrics.accuracy, macroF1: event.metrics.macroF1, mcc: event.metrics.mcc });
        break;
      case 'summary':
        next.summary = event;
        break;
    }
  }
  return next;
}

/** Progress of a run in [0, 1] and the estimated seconds left (null before the first two steps). */
export function runProgress(run: RunRecord): { fraction: number; etaSeconds: number | null } {
  if (run.status !== 'running') return { fraction: run.status === 'done' ? 1 : run.losses.length / run.settings.train.steps, etaSeconds: null };
  const steps = run.settings.train.steps;
  const last = run.losses[run.losses.length - 1];
  const first = run.losses[0];
  if (!last || !first || last.step === first.step) return { fraction: last ? last.step / steps : 0, etaSeconds: null };
  // Time per step measured after the first step, which includes shader compilation on WebGPU.
  const perStep = (last.elapsedMs - first.elapsedMs) / (last.step - first.step);
  return { fraction: last.step / steps, etaSeconds: (perStep * (steps - last.step)) / 1000 };
}

/** A run as a link carries it: its settings and, when asked and available, its final figures and down-sampled curves. */
export function toSharedRun(run: RunRecord, withResults: boolean): SharedRun {
  const summary = run.summary;
  const status = run.status === 'interrupted' ? 'stopped' : run.status === 'shared' || run.status === 'running' || run.status === 'queued' ? null : run.status;
  const results = withResults && summary && status
    ? {
      status,
      // The table's figures are rounded to what it shows (seconds .1, % of PLM .001, loss .0001), so a link shows the same text.
      seconds: roundShown(summary.seconds, 1),
      budget: { ...summary.budget, percentOfPlm: roundShown(summary.budget.percentOfPlm, 3) },
      dev: { accuracy: summary.dev.accuracy, macroF1: roundTo(summary.dev.macroF1, 6), mcc: roundTo(summary.dev.mcc, 6), count: summary.dev.count },
      labels: summary.labels,
      confusion: summary.dev.confusion.length <= 64 ? summary.dev.confusion : null,
      losses: downsample(run.losses, MAX_CURVE_POINTS).map((l) => [l.step, roundShown(l.loss, 4)] as [number, number]),
      evals: downsample(run.evals, MAX_CURVE_POINTS).map((e) => [e.step, roundTo(e.accuracy, 6), roundTo(e.macroF1, 6), roundTo(e.mcc, 6)] as [number, number, number, number]),
    }
    : null;
  return { label: run.label, settings: run.settings, results, comparison: run.comparison };
}

/** A run opened from a link: charts and figures from the link, nothing to train or try. */
export function fromSharedRun(shared: SharedRun, id: string, now: number): RunRecord {
  const run = createRunRecord(id, shared.label, shared.settings, now, shared.comparison && { group: `shared-${shared.comparison.group}`, role: shared.comparison.role });
  const r = shared.results;
  if (!r) return { ...run, status: 'shared', phase: 'shared (settings only)' };
  let smooth = NaN;
  const losses = r.losses.map(([step, loss]) => {
    smooth = Number.isNaN(smooth) ? loss : SMOOTHING * smooth + (1 - SMOOTHING) * loss;
    return { step, loss, smooth, lr: NaN, tokensPerSec: NaN, elapsedMs: NaN };
  });
  const dev = r.dev ?? { accuracy: 0, macroF1: 0, mcc: 0, count: 0 };
  return {
    ...run,
    status: 'shared',
    phase: `shared (${r.status})`,
    losses,
    evals: r.evals.map(([step, accuracy, macroF1, mcc]) => ({ step, accuracy, macroF1, mcc })),
    summary: r.dev ? { type: 'summary', budget: r.budget, dev: { ...dev, confusion: r.confusion ?? [] }, labels: r.labels, seconds: r.seconds, firstLossMs: NaN } : null,
  };
}

/** Training steps that cover `epochs` passes over `trainSize` examples in batches of `batchSize` (at least 1). */
export function stepsForEpochs(epochs: number, trainSize: number, batchSize: number): number {
  return Math.max(1, Math.ceil((epochs * trainSize) / batchSize));
}

/** The passes over the training split that `steps` make, to 2 decimals. */
export function epochsForSteps(steps: number, trainSize: number, batchSize: number): number {
  return Math.round((100 * steps * batchSize) / trainSize) / 100;
}
