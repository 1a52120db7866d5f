// Line charts of runs against steps: one generic chart (a value per step, one line per run), used for
// the loss (raw and smoothed), the dev metric, the learning rate and the throughput. The finished runs
// of a seed group are drawn as one line, their mean, with its 95% band over seeds (Student t).
import { heatCellColors } from '../contrast';
import { memo, useDeferredValue, useEffect, useMemo, useState } from 'react';
import { formatTick, linePath, linearScale, nearestIndex, niceTicks } from '../chartScale';
import { isFinished, type RunRecord } from '../runs';
import { downsample } from '../figures';
import { runLabel } from '../labels';
import { meanBand, splitSeedGroups, type ShownSeedGroup } from '../seeds';

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
/** Points drawn per line: more than a chart's width in pixels buys nothing and costs main-thread time. */
const MAX_POINTS = 300;

/** One line per run and series: `points(run)` gives [step, value] pairs. */
export interface Series {
  key: string;
  label: (run: RunRecord) => string;
  points: (run: RunRecord) => [number, number][];
  faint?: boolean;
  /** Where the values can lie: a band over seeds is clipped to it for drawing. */
  range?: readonly [number, number];
  /** Drawn for single runs only (a seed group's line is the mean of the others). */
  singleOnly?: boolean;
}

/** `phase`: where in each refresh period this chart redraws (ms), so that charts redraw in different tasks. */
type StepChartProps = { runs: RunRecord[]; series: Series[]; height?: number; digits?: number; title: string; phase?: number };

/** Charts redraw at most this often while runs stream (the progress text updates faster). */
const CHART_REFRESH_MS = 1000;

/**
 * `value`, but changing at most every `ms`, on a clock grid shifted by `phase` ms (the latest value
 * always arrives, a little late). Charts with different phases redraw in different tasks instead of
 * all in one.
 */
function useThrottled<T>(value: T, ms: number, phase: number): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    const wait = ms - ((((Date.now() - phase) % ms) + ms) % ms);
    const timer = setTimeout(() => setShown(value), wait);
    return () => clearTimeout(timer);
  }, [value, ms, phase]);
  return shown;
}

/**
 * The chart redraws from a throttled, deferred copy of the runs: at most once a second, and after the
 * urgent updates (progress text, buttons), so a streaming run does not block the page.
 */
export function StepChart(props: StepChartProps) {
  const runs = useDeferredValue(useThrottled(props.runs, CHART_REFRESH_MS, props.phase ?? 0));
  const drawn = useMemo(() => drawnSignature(runs, props.series), [runs, props.series]);
  return <StepChartBody {...props} runs={runs} drawn={drawn} />;
}

/** What a chart draws, in short: the runs' names and, per line, its length and last point. */
function drawnSignature(runs: RunRecord[], series: Series[]): string {
  return runs.map((r) => `${r.id}|${r.label}|${isFinished(r)}|${r.seedGroup?.group}|${series.map((s) => {
    const points = s.points(r);
    const last = points[points.length - 1];
    return `${points.length}:${last?.[0]}:${last?.[1]}`;
  }).join(',')}`).join(';');
}

// Redrawn only when what it draws changes: a streaming run changes its record every flush, but the dev
// metric chart's lines change only at evaluations.
const StepChartBody = memo(function StepChartBody({ runs, series, height = 220, digits = 3, title }: StepChartProps & { drawn: string }) {
  const { groups, singles } = splitSeedGroups(runs);
  // One entry per single run and per seed group, in the order their first run appears.
  const entries = runs.flatMap((run): { run: RunRecord; group: ShownSeedGroup | null }[] => {
    if (singles.includes(run)) return [{ run, group: null }];
    const group = groups.find((g) => g.runs[0] === run);
    return group ? [{ run, group }] : [];
  });
  const lines: ChartLine[] = entries.flatMap(({ run, group }, i) => series.filter((s) => !(group && s.singleOnly)).map((s): ChartLine => {
    const base = { key: `${group ? group.group : run.id}:${s.key}`, color: COLORS[i % COLORS.length]!, faint: s.faint ?? false };
    if (!group) return { ...base, label: s.label(run), points: downsample(s.points(run).filter(([, y]) => Number.isFinite(y)), MAX_POINTS) };
    const band = downsample(meanBand(group.runs.map((r) => s.points(r)), s.range), MAX_POINTS);
    return { ...base, label: `${runLabel(run.settings)}: mean of ${group.runs.length} seeds, 95% band`, points: band.map((b) => [b.x, b.mean] as [number, number]), band: band.map((b) => [b.x, b.low, b.high] as [number, number, number]) };
  }));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <SvgLineChart lines={lines} height={height} digits={digits} title={title} />
      <ul className="chart-legend">
        {lines.map((l) => <li key={l.key} data-testid={l.band ? 'seed-band' : undefined}><span className="swatch" style={{ background: l.color, opacity: l.faint ? 0.3 : 1 }} aria-hidden="true" />{l.label}</li>)}
      </ul>
    </figure>
  );
}, (a, b) => a.drawn === b.drawn && a.series === b.series && a.height === b.height && a.digits === b.digits && a.title === b.title);

interface ChartLine {
  key: string;
  label: string;
  color: string;
  faint: boolean;
  points: [number, number][];
  /** A seed group's 95% band: [x, low, high] at each of its points. */
  band?: [number, number, number][];
}

const MARGIN = { top: 8, right: 16, bottom: 24, left: 60 };

/** The width of an element, followed as it resizes (one ResizeObserver per chart). */
function useWidth(): [(element: HTMLDivElement | null) => void, number] {
  const [element, setElement] = useState<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (!element) return;
    const observer = new ResizeObserver((entries) => setWidth(Math.floor(entries[0]!.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [setElement, width];
}

/**
 * A line chart drawn as plain SVG paths. The streaming charts used recharts, whose every redraw (a
 * store, selectors, text measurements that force a layout) took 50–110 ms of main thread a second on
 * a 2-core machine rendering WebGPU in software; this takes a few. Hovering shows the values at the
 * nearest step.
 */
function SvgLineChart({ lines, height, digits, title }: { lines: ChartLine[]; height: number; digits: number; title: string }) {
  const [ref, width] = useWidth();
  const [hoverX, setHoverX] = useState<number | null>(null);
  const all = lines.flatMap((l) => [...l.points, ...(l.band ?? []).flatMap(([bx, lo, hi]): [number, number][] => [[bx, lo], [bx, hi]])]);
  const plotW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), Math.max(2, Math.round(plotW / 90)), { integer: true });
  const yTicks = niceTicks(Math.min(...ys), Math.max(...ys), Math.max(2, Math.round(plotH / 40)));
  const x = linearScale(xTicks.lo, xTicks.hi, MARGIN.left, MARGIN.left + plotW);
  const y = linearScale(yTicks.lo, yTicks.hi, MARGIN.top + plotH, MARGIN.top);
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(digits)).toString());
  const steps = [...new Set(xs)].sort((a, b) => a - b);
  const hoverIndex = hoverX === null ? -1 : nearestIndex(steps, xTicks.lo + ((hoverX - MARGIN.left) / plotW) * (xTicks.hi - xTicks.lo));
  const hoverStep = hoverIndex >= 0 ? steps[hoverIndex]! : null;
  const values = hoverStep === null ? [] : lines.map((l) => ({ line: l, point: l.points.find(([s]) => s === hoverStep), band: l.band?.find(([s]) => s === hoverStep) })).filter((v) => v.point);
  const bandText = (b: [number, number, number] | undefined) => (b && b[2] > b[1] ? ` (95% band ${fmt(b[1])} to ${fmt(b[2])})` : '');
  const last = lines.filter((l) => !l.faint && l.points.length > 0).map((l) => `${l.label}: ${fmt(l.points[l.points.length - 1]![1])}${bandText(l.band?.[l.band.length - 1])}`);
  return (
    <div className="svg-chart" ref={ref} style={{ height }}>
      {width > 0 && (
        <svg width={width} height={height} role="img" aria-label={all.length === 0 ? `${title}: no data yet` : `${title}. Last values: ${last.join('; ')}`}
          onPointerMove={(e) => setHoverX(e.clientX - e.currentTarget.getBoundingClientRect().left)} onPointerLeave={() => setHoverX(null)}>
          {all.length === 0
            ? <text x={width / 2} y={height / 2} textAnchor="middle" className="muted">no data yet</text>
            : <>
              {yTicks.ticks.map((t) => (
                <g key={`y${t}`}>
                  <line x1={MARGIN.left} x2={MARGIN.left + plotW} y1={y(t)} y2={y(t)} stroke="#ddd" strokeDasharray="3 3" />
                  <text x={MARGIN.left - 6} y={y(t) + 4} textAnchor="end" fontSize={12}>{Math.abs(t) >= 1000 ? t.toFixed(0) : formatTick(t, yTicks.step)}</text>
                </g>
              ))}
              {xTicks.ticks.map((t) => <text key={`x${t}`} x={x(t)} y={MARGIN.top + plotH + 16} textAnchor="middle" fontSize={12}>{formatTick(t, xTicks.step)}</text>)}
              <line x1={MARGIN.left} x2={MARGIN.left + plotW} y1={MARGIN.top + plotH} y2={MARGIN.top + plotH} stroke="#666" />
              {lines.filter((l) => l.band && l.band.length > 0).map((l) => (
                <path key={`${l.key}:band`} d={`${linePath(l.band!.map(([bx, , hi]) => [x(bx), y(hi)]))} L${[...l.band!].reverse().map(([bx, lo]) => `${x(bx)},${y(lo)}`).join(' L')} Z`} fill={l.color} fillOpacity={0.18} stroke="none" />
              ))}
              {lines.map((l) => (
                <path key={l.key} d={linePath(l.points.map(([px, py]) => [x(px), y(py)]))} fill="none" stroke={l.color} strokeOpacity={l.faint ? 0.3 : 1} strokeWidth={l.faint ? 1 : 2} />
              ))}
              {/* Sparse lines (evaluations every N steps, a single point) get their points marked. */}
              {lines.filter((l) => !l.faint && l.points.length <= 40).flatMap((l) => l.points.map(([px, py]) => (
                <circle key={`${l.key}@${px}`} cx={x(px)} cy={y(py)} r={3} fill={l.color} />
              )))}
              {/* ... and a band's points an error bar, so a band of one evaluation still shows. */}
              {lines.filter((l) => l.band && l.points.length <= 40).flatMap((l) => l.band!.map(([bx, lo, hi]) => (
                <line key={`${l.key}@${bx}:bar`} x1={x(bx)} x2={x(bx)} y1={y(lo)} y2={y(hi)} stroke={l.color} strokeWidth={1.5} />
              )))}
              {hoverStep !== null && <line x1={x(hoverStep)} x2={x(hoverStep)} y1={MARGIN.top} y2={MARGIN.top + plotH} stroke="#888" />}
            </>}
        </svg>
      )}
      {hoverStep !== null && values.length > 0 && (
        <div className="chart-tip" style={{ left: Math.min(x(hoverStep) + 8, Math.max(0, width - 200)) }}>
          <div>step {hoverStep}</div>
          {values.map(({ line, point, band }) => <div key={line.key} style={{ color: line.color }}>{line.label}: {fmt(point![1])}{bandText(band)}</div>)}
        </div>
      )}
    </div>
  );
}

export const LOSS_SERIES: Series[] = [
  { key: 'raw', label: (r) => `${r.label} (raw)`, points: (r) => r.losses.map((l) => [l.step, l.loss]), faint: true, singleOnly: true },
  { key: 'smooth', label: (r) => r.label, points: (r) => r.losses.map((l) => [l.step, l.smooth]), range: [0, Infinity] },
];
export const METRIC_SERIES: Series[] = [{ key: 'acc', label: (r) => r.label, points: (r) => r.evals.map((e) => [e.step, e.accuracy]), range: [0, 1] }];
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
            <tr key={g}><th>{labels[g] ?? g}</th>{row.map((count, p) => { const c = heatCellColors(count / max); return <td key={p} style={{ background: c.background, color: c.color }}>{count}</td>; })}</tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
