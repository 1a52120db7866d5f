// One "Large-Sparse vs standard" comparison: the two budgets, the mean paired difference in dev
// accuracy over the seeds finished so far, its 95% intervals (Student t over seeds from two seeds on;
// with few seeds also a paired bootstrap over dev examples and seeds) and the verdict they allow.
import { tQuantile } from '../../engine/stats';
import { FEW_SEEDS, PAGE_BOOTSTRAP, type Comparison } from '../comparison';
import { runLabel } from '../labels';

/** "+1.2" / "−0.4" points. */
const signed = (points: number) => `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(1)}`;
const count = (n: number | undefined) => n?.toLocaleString('en-US') ?? '…';
const interval = (low: number, high: number) => `[${signed(low)}, ${signed(high)}]`;

export function ComparisonNote({ comparison: { standard, large, planned, pairs, accuracyGain, t, bootstrap, verdict } }: { comparison: Comparison }) {
  // Several seeds: each side is named by its configuration; one run: by its own (renamable) label.
  const name = (runs: typeof standard) => (planned > 1 ? runLabel(runs[0]!.settings) : runs[0]!.label);
  const budgetOf = (runs: typeof standard) => runs.find((r) => r.summary)?.summary?.budget.trainableNonzero;
  const shown = t?.low != null ? { low: t.low, high: t.high! } : bootstrap;
  const items = bootstrap?.items[0];
  return (
    <div className="comparison" data-testid="comparison" data-standard={budgetOf(standard)} data-large={budgetOf(large)} data-gain={accuracyGain ?? undefined}
      data-pairs={pairs.length} data-verdict={verdict ?? undefined} data-low={shown?.low} data-high={shown?.high} data-bootstrap-low={bootstrap?.low} data-bootstrap-high={bootstrap?.high}>
      <p>
        <strong>Large-Sparse vs standard</strong>: {name(large)} keeps {count(budgetOf(large))} trainable non-zero parameters, {name(standard)} {count(budgetOf(standard))}
        {planned > 1 && <>; {pairs.length} of {planned} paired seeds finished</>}
        {accuracyGain !== null && <>; dev accuracy {signed(100 * accuracyGain)} points for Large-Sparse{pairs.length > 1 ? ` (mean of the ${pairs.length} paired differences)` : ''}</>}
        {t?.low != null && <>, 95% CI over seeds {interval(t.low, t.high!)}</>}
        {bootstrap && <>{t?.low != null ? '; paired bootstrap over seeds and dev examples ' : ', 95% CI '}{interval(bootstrap.low, bootstrap.high)}</>}
        {verdict ? <>: <strong data-testid="comparison-verdict">{verdict}</strong>.</> : '.'}
      </p>
      {pairs.length > 1 && (
        <p className="muted" data-testid="comparison-seeds">
          Per seed (Large-Sparse − standard, points): {pairs.map((p) => `seed ${p.seed} ${signed(100 * (p.large.summary!.dev.accuracy - p.standard.summary!.dev.accuracy))}`).join(', ')}.
          {' '}The t interval is the mean ± t({pairs.length - 1}) = {tQuantile(pairs.length - 1).toFixed(2)} × the standard error of the {pairs.length} differences; the runs of a pair share their seed, so they see the same batches and start from the same head.
          {bootstrap && items !== undefined && <>{' '}With fewer than {FEW_SEEDS} seeds the spread between seeds is poorly known, so the bootstrap ({PAGE_BOOTSTRAP.resamples.toLocaleString('en-US')} resamples) also draws seeds and, within each, the {items.toLocaleString('en-US')} dev examples; the verdict says better or worse only when both intervals exclude 0.</>}
        </p>
      )}
      {pairs.length === 1 && bootstrap && items !== undefined && (
        <p className="muted">
          The interval is a paired bootstrap over the {items.toLocaleString('en-US')} dev examples ({PAGE_BOOTSTRAP.resamples.toLocaleString('en-US')} resamples, the same examples for both runs). Each run has one seed, so seeds are not resampled: the interval leaves out how much another seed would move either run, and is narrower than one over seeds would be. {planned > 1 ? 'The interval over seeds comes with the next finished pair.' : 'Set Seeds to 2 or more for an interval over seeds.'}
        </p>
      )}
      {accuracyGain !== null && !verdict && (
        <p className="muted">No interval: one of these runs did not record which dev examples it got right (a run from a link or an older version of the page), and one seed gives no spread between seeds. Run the comparison again, or with more seeds, to get one.</p>
      )}
    </div>
  );
}
