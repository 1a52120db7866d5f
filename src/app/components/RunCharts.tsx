// Line charts of runs against steps: one generic chart (a value per step, one line per run), used for
// the loss (raw and smoothed), the dev metric, the learning rate and the throughput.
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunRecord } from '../runs';

export const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#0b7285'];

/** One line per run and series: `points(run)` gives [step, value] pairs. */
export interface Series {
  key: string;
  label: (run: RunRecord) => string;
  points: (run: RunRecord) => [number, number][];
  faint?: boolean;
}

export function StepChart({ runs, series, height = 220, digits = 3, title }: { runs: RunRecord[]; series: Series[]; height?: number; digits?: number; title: string }) {
  const rows = new Map<number, Record<string, number>>();
  runs.forEach((run) => series.forEach((s) => s.points(run).forEach(([step, value]) => rows.set(step, { ...rows.get(step), step, [`${run.id}:${s.key}`]: value }))));
  const data = [...rows.values()].sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={height}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} />
          <YAxis domain={['auto', 'auto']} width={64} tickFormatter={(v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(digits))} />
          <Tooltip />
          <Legend />
          {runs.flatMap((run, i) => series.map((s) => (
            <Line key={`${run.id}:${s.key}`} dataKey={`${run.id}:${s.key}`} name={s.label(run)} stroke={COLORS[i % COLORS.length]} strokeOpacity={s.faint ? 0.3 : 1} strokeWidth={s.faint ? 1 : 2} dot={false} connectNulls isAnimationActive={false} />
          )))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

export const LOSS_SERIES: Series[] = [
  { key: 'raw', label: (r) => `${r.label} (raw)`, points: (r) => r.losses.map((l) => [l.step, l.loss]), faint: true },
  { key: 'smooth', label: (r) => r.label, points: (r) => r.losses.map((l) => [l.step, l.smooth]) },
];
export const METRIC_SERIES: Series[] = [{ key: 'acc', label: (r) => r.label, points: (r) => r.evals.map((e) => [e.step, e.accuracy]) }];
export const LR_SERIES: Series[] = [{ key: 'lr', label: (r) => r.label, points: (r) => r.losses.map((l) => [l.step, l.lr]) }];
export const THROUGHPUT_SERIES: Series[] = [{ key: 'tps', label: (r) => r.label, points: (r) => r.losses.map((l) => [l.step, l.tokensPerSec]) }];

/** The confusion matrix of a finished run's last dev evaluation. */
export function ConfusionMatrix({ run, labels }: { run: RunRecord; labels: string[] }) {
  const confusion = run.summary?.dev.confusion;
  if (!confusion) return null;
  const max = Math.max(1, ...confusion.flat());
  return (
    <figure className="chart" data-testid="confusion">
      <figcaption>Confusion matrix on dev ({run.label}): rows gold, columns predicted</figcaption>
      <table className="compact heat">
        <thead><tr><th />{labels.map((l) => <th key={l}>{l}</th>)}</tr></thead>
        <tbody>
          {confusion.map((row, g) => (
            <tr key={g}><th>{labels[g] ?? g}</th>{row.map((count, p) => <td key={p} style={{ background: `rgba(47, 111, 222, ${0.08 + 0.8 * (count / max)})`, color: count / max > 0.55 ? '#fff' : '#1d2330' }}>{count}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
