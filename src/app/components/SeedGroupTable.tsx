// The final figures of each seed group (n runs of one configuration): dev accuracy and macro-F1 as
// the mean over the finished seeds with its 95% Student t interval, beside the seeds still to come.
import { meanInterval } from '../../engine/stats';
import { runLabel } from '../labels';
import type { RunRecord } from '../runs';
import { splitSeedGroups } from '../seeds';

/** "61.2% (95% CI 58.0% to 64.4%)", or the mean alone from one seed. */
function meanWithInterval(values: number[]): string {
  const m = meanInterval(values);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return m.low === null || m.high === null ? pct(m.mean) : `${pct(m.mean)} (95% CI ${pct(m.low)} to ${pct(m.high)})`;
}

/** One row per seed group with at least two finished runs; nothing without one. */
export function SeedGroupTable({ runs }: { runs: RunRecord[] }) {
  const { groups } = splitSeedGroups(runs);
  if (groups.length === 0) return null;
  return (
    <table className="compact" data-testid="seed-groups">
      <caption className="muted">Runs repeated over seeds: final dev figures, the mean over the finished seeds with its 95% interval (Student t over seeds)</caption>
      <thead><tr><th>configuration</th><th>seeds finished</th><th>dev accuracy</th><th>dev macro-F1</th></tr></thead>
      <tbody>
        {groups.map((g) => (
          <tr key={g.group} data-testid="seed-group">
            <td>{runLabel(g.runs[0]!.settings)}</td>
            <td>{g.runs.length} of {g.seeds} ({g.runs.map((r) => r.settings.train.seed).join(', ')})</td>
            <td>{meanWithInterval(g.runs.map((r) => r.summary!.dev.accuracy))}</td>
            <td>{meanWithInterval(g.runs.map((r) => r.summary!.dev.macroF1))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
