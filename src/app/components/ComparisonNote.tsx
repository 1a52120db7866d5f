// One "Large-Sparse vs standard" comparison: the two budgets, the difference in dev accuracy with its
// 95% interval (a paired bootstrap over the dev examples: one seed each, so seeds are not resampled)
// and the verdict that follows from the interval.
import { PAGE_BOOTSTRAP, type comparisons } from '../runs';

type Comparison = ReturnType<typeof comparisons>[number];

/** "+1.2" / "−0.4" points. */
const signed = (points: number) => `${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(1)}`;
const count = (n: number | undefined) => n?.toLocaleString('en-US') ?? '…';

export function ComparisonNote({ comparison: { standard, large, accuracyGain, interval } }: { comparison: Comparison }) {
  const boot = interval?.bootstrap;
  return (
    <div className="comparison" data-testid="comparison" data-standard={standard.summary?.budget.trainableNonzero} data-large={large.summary?.budget.trainableNonzero} data-gain={accuracyGain ?? undefined}
      data-verdict={interval?.verdict} data-low={boot?.low} data-high={boot?.high}>
      <p>
        <strong>Large-Sparse vs standard</strong>: {large.label} keeps {count(large.summary?.budget.trainableNonzero)} trainable non-zero parameters, {standard.label} {count(standard.summary?.budget.trainableNonzero)}
        {accuracyGain !== null && <>; dev accuracy {signed(100 * accuracyGain)} points for Large-Sparse</>}
        {interval && boot ? <>, 95% CI [{signed(boot.low)}, {signed(boot.high)}]: <strong data-testid="comparison-verdict">{interval.verdict}</strong>.</> : '.'}
      </p>
      {interval && boot && (
        <p className="muted">
          The interval is a paired bootstrap over the {boot.items[0]!.toLocaleString('en-US')} dev examples ({PAGE_BOOTSTRAP.resamples.toLocaleString('en-US')} resamples, the same examples for both runs). Each run has one seed, so seeds are not resampled: the interval leaves out how much another seed would move either run, and is narrower than one over seeds would be.
        </p>
      )}
      {accuracyGain !== null && !interval && (
        <p className="muted">No interval: one of these runs did not record which dev examples it got right (a run from a link or an older version of the page). Run the comparison again to get one.</p>
      )}
    </div>
  );
}
