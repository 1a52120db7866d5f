// Line charts of runs against steps: one generic chart (a value per step, one line per run), used for
// the loss (raw and smoothed), the dev metric, the learning rate and the throughput.
import { memo, useDeferredValue, useEffect, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunRecord } from '../runs';
import { downsample } from '../share';

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
/** Points drawn per line: more than a chart's width in pixels buys nothing and costs main-thread time. */
const MAX_POINTS = 200;

/** One line per run and series: `points(run)` gives [step, value] pairs. */
export interface Series {
  key: string;
  label: (run: RunRecord) => string;
  points: (run: RunRecord) => [number, number][];
  faint?: boolean;
}

type StepChartProps = { runs: RunRecord[]; series: Series[]; height?: number; digits?: number; title: string };

/** Charts redraw at most this often while runs stream (the progress text updates faster). */
const CHART_REFRESH_MS = 1000;

/** `value`, but changing at most every `ms` (the latest value always arrives, a little late). */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - Date.now();
    const timer = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, Math.max(0, wait));
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

/**
 * The chart redraws from a throttled, deferred copy of the runs: at most once a second, and after the
 * urgent updates (progress text, buttons), so a streaming run does not block the page.
 */
export function StepChart(props: StepChartProps) {
  const runs = useDeferredValue(useThrottled(props.runs, CHART_REFRESH_MS));
  return <StepChartBody {...props} runs={runs} />;
}

const StepChartBody = memo(function StepChartBody({ runs, series, height = 220, digits = 3, title }: StepChartProps) {
  const rows = new Map<number, Record<string, number>>();
  for (const run of runs) {
    for (const s of series) {
      const key = `${run.id}:${s.key}`;
      for (const [step, value] of downsample(s.points(run), MAX_POINTS)) {
        let row = rows.get(step);
        if (!row) rows.set(step, (row = { step }));
        row[key] = value;
      }
    }
  }
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
});

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
            <tr key={g}><th>{labels[g] ?? g}</th>{row.map((count, p) => <td key={p} style={{ background: `rgba(0, 114, 178, ${0.08 + 0.8 * (count / max)})`, color: count / max > 0.55 ? '#fff' : '#1d2330' }}>{count}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
