// The paper's Figure 2 shape from a sparsity sweep among the runs: a final dev metric against sparsity,
// one line per pruner with its 95% band over seeds (Student t), the dense runs (sparsity 0) as a dashed
// reference line with theirs, and the same figures in a table. Drawn only when a sweep has finished
// runs at two sparsities or more (sweeps.ts decides what counts as one).
import { memo, useState } from 'react';
import { formatTick, linePath, linearScale, niceTicks } from '../chartScale';
import { isFinished, type RunRecord } from '../runs';
import { sparsitySweeps, SWEEP_METRICS, type Sweep, type SweepMetric, type SweepPoint } from '../sweeps';
import { COLORS } from './RunCharts';

const W = 560;
const H = 260;
const M = { top: 12, right: 16, bottom: 36, left: 60 };
/** Where each metric can lie: bands are clipped to it for drawing. */
const RANGE: Record<SweepMetric, [number, number]> = { accuracy: [0, 1], macroF1: [0, 1], mcc: [-1, 1] };

/** A metric as the table shows it: accuracy and F1 in %, MCC as is. */
const show = (metric: SweepMetric, v: number) => (metric === 'mcc' ? v.toFixed(3) : `${(100 * v).toFixed(1)}%`);
const ci = (metric: SweepMetric, p: SweepPoint) => (p.low === null || p.high === null ? 'one seed: no interval' : `${show(metric, p.low)} to ${show(metric, p.high)}`);

function SweepFigure({ sweep, metric }: { sweep: Sweep; metric: SweepMetric }) {
  const [lo, hi] = RANGE[metric];
  const clip = (v: number) => Math.min(hi, Math.max(lo, v));
  const bandOf = (p: SweepPoint): [number, number] => [clip(p.low ?? p.mean), clip(p.high ?? p.mean)];
  const points = [...sweep.lines.flatMap((l) => l.points), ...(sweep.dense ? [sweep.dense] : [])];
  const ys = points.flatMap((p) => [p.mean, ...bandOf(p)]);
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const xTicks = niceTicks(0, Math.max(...points.map((p) => p.sparsity), 0.5), 5);
  const x = linearScale(xTicks.lo, xTicks.hi, M.left, W - M.right);
  const y = linearScale(yTicks.lo, yTicks.hi, H - M.bottom, M.top);
  const name = SWEEP_METRICS[metric];
  const summary = [
    ...(sweep.dense ? [`dense ${show(metric, sweep.dense.mean)}`] : []),
    ...sweep.lines.map((l) => `${l.pruner}: ${l.points.map((p) => `${Math.round(100 * p.sparsity)}% ${show(metric, p.mean)}`).join(', ')}`),
  ].join('; ');
  return (
    <figure className="chart" data-testid="sweep-chart">
      <figcaption>{name} against sparsity, {sweep.label}: mean over seeds with its 95% band (Student t over seeds){sweep.dense ? '; dashed: dense (sparsity 0)' : ''}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: 720, display: 'block' }} role="img" aria-label={`${name} against sparsity, ${sweep.label}. ${summary}`}>
        {yTicks.ticks.map((t) => (
          <g key={`y${t}`}>
            <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} stroke="#ddd" strokeDasharray="3 3" />
            <text x={M.left - 6} y={y(t) + 4} textAnchor="end" fontSize={12}>{metric === 'mcc' ? formatTick(t, yTicks.step) : formatTick(100 * t, 100 * yTicks.step)}</text>
          </g>
        ))}
        {xTicks.ticks.map((t) => <text key={`x${t}`} x={x(t)} y={H - M.bottom + 16} textAnchor="middle" fontSize={12}>{formatTick(100 * t, 100 * xTicks.step)}%</text>)}
        <text x={(M.left + W - M.right) / 2} y={H - 4} textAnchor="middle" fontSize={12}>sparsity (fraction of adapter weights removed)</text>
        <text transform={`translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)`} textAnchor="middle" fontSize={12}>{name}{metric === 'mcc' ? '' : ', %'}</text>
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke="#666" />
        {sweep.dense && (
          <g data-testid="sweep-dense">
            <rect x={M.left} width={W - M.left - M.right} y={y(bandOf(sweep.dense)[1])} height={Math.max(0, y(bandOf(sweep.dense)[0]) - y(bandOf(sweep.dense)[1]))} fill="#000" fillOpacity={0.08} />
            <line x1={M.left} x2={W - M.right} y1={y(sweep.dense.mean)} y2={y(sweep.dense.mean)} stroke="#000" strokeDasharray="6 4" />
          </g>
        )}
        {sweep.lines.map((l, i) => {
          const color = COLORS[i % COLORS.length]!;
          const top = l.points.map((p): [number, number] => [x(p.sparsity), y(bandOf(p)[1])]);
          const bottom = [...l.points].reverse().map((p) => `${x(p.sparsity)},${y(bandOf(p)[0])}`);
          return (
            <g key={l.pruner}>
              {l.points.length > 1 && <path d={`${linePath(top)} L${bottom.join(' L')} Z`} fill={color} fillOpacity={0.18} stroke="none" />}
              <path d={linePath(l.points.map((p) => [x(p.sparsity), y(p.mean)]))} fill="none" stroke={color} strokeWidth={2} />
              {l.points.map((p) => (
                <g key={p.sparsity}>
                  <line x1={x(p.sparsity)} x2={x(p.sparsity)} y1={y(bandOf(p)[0])} y2={y(bandOf(p)[1])} stroke={color} />
                  <circle cx={x(p.sparsity)} cy={y(p.mean)} r={3.5} fill={color} />
                </g>
              ))}
            </g>
          );
        })}
      </svg>
      <ul className="chart-legend">
        {sweep.dense && <li><span className="swatch" style={{ background: '#000' }} aria-hidden="true" />dense (sparsity 0), {sweep.dense.seeds.length} seed{sweep.dense.seeds.length === 1 ? '' : 's'}</li>}
        {sweep.lines.map((l, i) => <li key={l.pruner}><span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />{l.pruner}</li>)}
      </ul>
      <table className="compact" data-testid="sweep-table">
        <caption className="muted">{name} per sparsity: the mean over seeds and its 95% interval (t with seeds − 1 degrees of freedom; none from one seed)</caption>
        <thead><tr><th>pruner</th><th>sparsity</th><th>seeds</th><th>mean</th><th>95% interval</th></tr></thead>
        <tbody>
          {[...(sweep.dense ? [{ pruner: 'dense', p: sweep.dense }] : []), ...sweep.lines.flatMap((l) => l.points.map((p) => ({ pruner: l.pruner as string, p })))].map(({ pruner, p }) => (
            <tr key={`${pruner}@${p.sparsity}`} data-testid="sweep-point" data-pruner={pruner} data-sparsity={p.sparsity} data-seeds={p.seeds.length} data-mean={p.mean} data-low={p.low ?? undefined} data-high={p.high ?? undefined}>
              <td>{pruner}</td><td>{Math.round(100 * p.sparsity)}%</td><td>{p.seeds.length}</td><td>{show(metric, p.mean)}</td><td>{ci(metric, p)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** Redrawn only when the finished runs change (not on every streamed step of a running one). */
const SweepFigures = memo(function SweepFigures({ finished }: { finished: RunRecord[]; signature: string }) {
  const [metric, setMetric] = useState<SweepMetric>('accuracy');
  const sweeps = sparsitySweeps(finished, metric);
  if (sweeps.length === 0) return null;
  return (
    <div className="sweeps" data-testid="sweeps">
      <h3>Sparsity sweeps</h3>
      <label>Metric{' '}
        <select aria-label="Sweep metric" value={metric} onChange={(e) => setMetric((Object.keys(SWEEP_METRICS) as SweepMetric[]).find((m) => m === e.target.value) ?? 'accuracy')}>
          {(Object.keys(SWEEP_METRICS) as SweepMetric[]).map((m) => <option key={m} value={m}>{SWEEP_METRICS[m]}</option>)}
        </select>
      </label>
      {sweeps.map((s) => <SweepFigure key={s.key} sweep={s} metric={metric} />)}
    </div>
  );
}, (a, b) => a.signature === b.signature);

/** The sweep figures of the runs shown. */
export function SweepCharts({ runs }: { runs: RunRecord[] }) {
  const finished = runs.filter(isFinished);
  return <SweepFigures finished={finished} signature={finished.map((r) => `${r.id}:${r.startedAt}`).join(',')} />;
}
