// Runs as the page keeps them: what was asked, what the worker reported, folded by a pure reducer
// (`applyRunEvents`) so that the charts read plain arrays and the logic is testable without React.
import type { RunEvent, RunSettings } from '../worker/protocol';
import { downsample, roundShown, roundTo } from './figures';
import type { SeedGroup } from './seeds';
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
  /** Set on the runs of a "Large-Sparse vs standard" comparison (both sides, every seed). */
  comparison: { group: string; role: 'standard' | 'large-sparse' } | null;
  /**
   * Set on each of the n runs of one configuration started together with n > 1 seeds (seed, seed + 1,
   * …): the charts draw their mean with a band. Absent on single runs and on runs from older builds.
   */
  seedGroup?: SeedGroup;
  /**
   * Per dev item, 1 where the final adapter was right (from the worker's reply), for the comparison's
   * paired bootstrap. Kept in IndexedDB and run files (bit-packed), never in links; absent for runs
   * from links and older builds.
   */
  devCorrect?: Uint8Array;
}

/** A new run record in its initial state (the store's queue gives it `queued` until it starts). */
export function createRunRecord(id: string, label: string, settings: RunSettings, now: number, comparison: RunRecord['comparison'] = null, seedGroup?: SeedGroup): RunRecord {
  return { id, label, settings, status: 'running', paused: false, phase: 'queued', scoring: null, losses: [], evals: [], pruned: null, summary: null, warnings: [], error: null, startedAt: now, comparison, ...(seedGroup && { seedGroup }) };
}

/**
 * Whether a run trained to its end, so its figures may enter a mean over seeds: done here, or shared
 * from a run that was done (a stopped or failed run's figures are of a shorter training).
 */
export function isFinished(run: RunRecord): boolean {
  return run.summary !== null && (run.status === 'done' || (run.status === 'shared' && run.phase === 'shared (done)'));
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
  return { label: run.label, settings: run.settings, results, comparison: run.comparison, ...(run.seedGroup && { seedGroup: run.seedGroup }) };
}

/** A run opened from a link: charts and figures from the link, nothing to train or try. */
export function fromSharedRun(shared: SharedRun, id: string, now: number): RunRecord {
  // Group names get a prefix, so a link's groups never join this page's own.
  const run = createRunRecord(id, shared.label, shared.settings, now, shared.comparison && { group: `shared-${shared.comparison.group}`, role: shared.comparison.role }, shared.seedGroup && { ...shared.seedGroup, group: `shared-${shared.seedGroup.group}` });
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
