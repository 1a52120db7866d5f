// Turns an experiment's run records into what people read: per configuration the mean ± standard
// deviation over seeds with the budget, a Markdown report with the sparsity sweep, the pruners and
// Large-Sparse against the standard adapter, each comparison paired by seed with its 95% interval
// and verdict (compare.ts), and SVG charts. Plain strings, no DOM.
import { meanInterval } from '../../engine/stats';
import { comparisonCells, comparisonHeaders, compareBySeed, POWER_TARGET_POINTS, metricsOn, REPORT_BOOTSTRAP, reportSplit, signedPoints, verdictSummary, type PairedComparison, type ReportSplit } from './compare';
import { chooseLearningRate, isHeadOnlyRun, selectedRecords, type RunSpec } from './grid';
import type { ExperimentRecord } from './runOne';

/** Mean and sample standard deviation (0 for a single value). */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** One configuration over its seeds. */
export interface Aggregate {
  group: string;
  spec: Omit<RunSpec, 'seed'>;
  trained: ExperimentRecord['trained'];
  /** The budget of the first seed (budgets differ between seeds only by a few kept ties, if at all). */
  trainableNonzero: number;
  percentOfPlm: number;
  accuracy: ReturnType<typeof meanStd>;
  macroF1: ReturnType<typeof meanStd>;
  mcc: ReturnType<typeof meanStd>;
  seeds: number[];
  seconds: number;
  /** The configuration's runs, one per seed (for comparisons paired by seed). */
  runs: ExperimentRecord[];
  /** The split the metrics are on. */
  split: ReportSplit;
}

/** Groups records by configuration (everything but the seed), in the order they first appear; metrics on `split`. */
export function aggregate(records: ExperimentRecord[], split: ReportSplit = 'dev'): Aggregate[] {
  const groups = new Map<string, ExperimentRecord[]>();
  for (const r of records) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return [...groups.entries()].map(([group, rs]) => {
    const { seed: _seed, ...spec } = rs[0]!.spec;
    return {
      group,
      spec,
      trained: rs[0]!.trained,
      trainableNonzero: rs[0]!.budget.trainableNonzero,
      percentOfPlm: rs[0]!.budget.percentOfPlm,
      accuracy: meanStd(rs.map((r) => metricsOn(r, split).accuracy)),
      macroF1: meanStd(rs.map((r) => metricsOn(r, split).macroF1)),
      mcc: meanStd(rs.map((r) => metricsOn(r, split).mcc)),
      seeds: rs.map((r) => r.spec.seed),
      seconds: rs.reduce((a, r) => a + r.seconds, 0),
      runs: rs,
      split,
    };
  });
}

const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}`;
/** "85.3 ± 1.2" in percent. */
export const formatMeanStd = (m: { mean: number; std: number; n: number }) => (m.n === 0 ? '—' : m.n === 1 ? pct(m.mean) : `${pct(m.mean)} ± ${pct(m.std)}`);
const adapterLabel = (s: Pick<RunSpec, 'adapter' | 'encoder'>) => `${isHeadOnlyRun(s) ? 'linear head only' : s.adapter}${s.encoder === 'random' ? ' (random encoder)' : ''}`;
const sparsityLabel = (s: number) => `${pct(s, s * 100 % 1 === 0 ? 0 : 1)}%`;
const metricName = (task: string) => (task === 'pos' ? 'token accuracy' : 'accuracy');
const splitTitle = (split: ReportSplit) => (split === 'test' ? 'Test' : 'Dev');
/** Sorting numbers-with-nulls the same way every time. */
const byNumber = (a: number, b: number) => a - b;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Every configuration, one row each. */
export function fullTable(aggs: Aggregate[]): string {
  return table(
    ['Task', 'Adapter', 'k', 'Dim trained', 'Sparsity trained', 'Pruner', 'Learning rate', 'Steps', 'Trainable non-zero', '% of PLM', `${splitTitle(aggs[0]?.split ?? 'dev')} metric (%)`, 'Macro-F1 (%)', 'Seeds'],
    aggs.map((a) => [
      a.spec.task, adapterLabel(a.spec), String(a.spec.largeSparse), isHeadOnlyRun(a.spec) ? '—' : String(a.trained.dim), sparsityLabel(a.trained.sparsity),
      a.spec.pruner ?? '—', `${a.spec.train.learningRate}${a.runs[0]!.sweep ? ' (chosen)' : ''}`, String(a.spec.train.steps), a.trainableNonzero.toLocaleString('en-US'), a.percentOfPlm.toFixed(3), formatMeanStd(a.accuracy), formatMeanStd(a.macroF1), String(a.seeds.length),
    ]),
  );
}

/** Standard-adapter (k = 1) rows of one task and adapter kind/dimension, keyed for the sweep views. */
const sweepKey = (a: Aggregate) => JSON.stringify([a.spec.task, a.spec.adapter, a.spec.dim, a.spec.encoder]);

/**
 * Metric against sparsity: rows are task × adapter × pruner, columns the sparsities found. A dense
 * run (sparsity 0) belongs to every pruner's row.
 */
export function sparsityTable(aggs: Aggregate[]): string | null {
  const standard = aggs.filter((a) => a.spec.largeSparse === 1 && !isHeadOnlyRun(a.spec));
  const sparsities = [...new Set(standard.map((a) => a.spec.sparsity))].sort(byNumber);
  if (sparsities.length < 2) return null;
  const rows: string[][] = [];
  for (const series of sparsitySeries(standard)) {
    if (series.points.length < 2) continue;
    const cells = sparsities.map((s) => {
      const p = series.points.find((q) => q.x === s);
      return p ? `${formatMeanStd(p.agg.accuracy)}` : '';
    });
    const budgets = sparsities.map((s) => series.points.find((q) => q.x === s)?.agg.trainableNonzero.toLocaleString('en-US') ?? '').filter(Boolean).join(' → ');
    rows.push([series.task, `${series.adapter} (dim ${series.dim})`, series.pruner, ...cells, budgets]);
  }
  return rows.length === 0 ? null : table(['Task', 'Adapter', 'Pruner', ...sparsities.map((s) => `s = ${sparsityLabel(s)}`), 'Trainable non-zero'], rows);
}

/** One line of a metric-vs-sparsity chart. */
export interface SparsitySeries {
  task: string;
  adapter: string;
  dim: number;
  pruner: string;
  points: { x: number; agg: Aggregate }[];
}

/** Lines per task × adapter × pruner; the dense point starts every pruner's line. */
export function sparsitySeries(aggs: Aggregate[]): SparsitySeries[] {
  const standard = aggs.filter((a) => a.spec.largeSparse === 1 && !isHeadOnlyRun(a.spec) && a.spec.encoder === 'pretrained');
  const byKey = new Map<string, Aggregate[]>();
  for (const a of standard) byKey.set(sweepKey(a), [...(byKey.get(sweepKey(a)) ?? []), a]);
  const out: SparsitySeries[] = [];
  for (const group of byKey.values()) {
    const dense = group.find((a) => a.spec.pruner === null);
    const pruners = [...new Set(group.map((a) => a.spec.pruner).filter((p): p is NonNullable<typeof p> => p !== null))];
    for (const pruner of pruners) {
      const points = [...(dense ? [dense] : []), ...group.filter((a) => a.spec.pruner === pruner)].map((agg) => ({ x: agg.spec.sparsity, agg })).sort((p, q) => p.x - q.x);
      const first = group[0]!.spec;
      out.push({ task: first.task, adapter: first.adapter, dim: first.dim, pruner, points });
    }
  }
  return out;
}

/** Large-Sparse comparisons: per task × adapter × base sparsity, the standard adapter and each k > 1. */
export interface LargeSparseComparison {
  task: string;
  adapter: string;
  sparsity: number;
  byK: { k: number; agg: Aggregate }[];
}

export function largeSparseComparisons(aggs: Aggregate[]): LargeSparseComparison[] {
  const groups = new Map<string, Aggregate[]>();
  for (const a of aggs.filter((x) => !isHeadOnlyRun(x.spec) && x.spec.encoder === 'pretrained')) {
    const key = JSON.stringify([a.spec.task, a.spec.adapter, a.spec.dim, a.spec.sparsity, a.spec.largeSparse === 1 || a.spec.sparsity === 0 ? null : a.spec.pruner]);
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const out: LargeSparseComparison[] = [];
  for (const group of groups.values()) {
    const ks = [...new Set(group.map((a) => a.spec.largeSparse))];
    if (!ks.includes(1) || ks.length < 2) continue;
    const first = group[0]!.spec;
    out.push({ task: first.task, adapter: first.adapter, sparsity: first.sparsity, byK: group.map((agg) => ({ k: agg.spec.largeSparse, agg })).sort((p, q) => p.k - q.k) });
  }
  return out;
}

export function largeSparseTable(comparisons: LargeSparseComparison[]): string | null {
  if (comparisons.length === 0) return null;
  const ks = [...new Set(comparisons.flatMap((c) => c.byK.map((b) => b.k)))].sort(byNumber);
  const rows = comparisons.map((c) => {
    // The differences, with their intervals, are in largeSparseDifferenceTable: a bare Δ of means is not shown.
    const cells = ks.map((k) => {
      const b = c.byK.find((x) => x.k === k);
      if (!b) return '';
      return `${formatMeanStd(b.agg.accuracy)}<br>dim ${b.agg.trained.dim}, s ${sparsityLabel(b.agg.trained.sparsity)}, ${b.agg.trainableNonzero.toLocaleString('en-US')}`;
    });
    return [c.task, c.adapter, sparsityLabel(c.sparsity), ...cells];
  });
  return table(['Task', 'Adapter', 'Base sparsity', ...ks.map((k) => (k === 1 ? 'Standard (k = 1)' : `Large-Sparse k = ${k}`))], rows);
}

/** Each Large-Sparse k > 1 against the standard adapter of its comparison, paired by seed. */
export function largeSparseDifferences(comparisons: LargeSparseComparison[]): { c: LargeSparseComparison; k: number; cmp: PairedComparison }[] {
  return comparisons.flatMap((c) => {
    const standard = c.byK.find((b) => b.k === 1)!.agg;
    return c.byK.filter((b) => b.k > 1).flatMap((b) => {
      const cmp = compareBySeed(b.agg.runs, standard.runs, REPORT_BOOTSTRAP, standard.split);
      return cmp ? [{ c, k: b.k, cmp }] : [];
    });
  });
}

export function largeSparseDifferenceTable(diffs: ReturnType<typeof largeSparseDifferences>): string | null {
  if (diffs.length === 0) return null;
  const split = diffs[0]!.c.byK[0]!.agg.split;
  return table(['Task', 'Adapter', 'Base sparsity', 'k', ...comparisonHeaders(split)], diffs.map(({ c, k, cmp }) => [c.task, c.adapter, sparsityLabel(c.sparsity), String(k), ...comparisonCells(cmp, split)]));
}

/** Each pruned configuration of a sparsity line against the line's dense adapter (same kind and dimension), paired by seed. */
export function prunedDifferences(series: SparsitySeries[]): { s: SparsitySeries; sparsity: number; cmp: PairedComparison }[] {
  return series.flatMap((s) => {
    const dense = s.points.find((p) => p.x === 0);
    if (!dense) return [];
    return s.points.filter((p) => p.x > 0).flatMap((p) => {
      const cmp = compareBySeed(p.agg.runs, dense.agg.runs, REPORT_BOOTSTRAP, dense.agg.split);
      return cmp ? [{ s, sparsity: p.x, cmp }] : [];
    });
  });
}

/** A table of per-sparsity comparisons of sparsity lines; `prunerHeader` names the column of the line's pruner. */
export function prunedDifferenceTable(diffs: ReturnType<typeof prunedDifferences>, prunerHeader = 'Pruner'): string | null {
  if (diffs.length === 0) return null;
  const split = diffs[0]!.s.points[0]!.agg.split;
  return table(['Task', 'Adapter', prunerHeader, 'Sparsity', ...comparisonHeaders(split)], diffs.map(({ s, sparsity, cmp }) => [s.task, `${s.adapter} (dim ${s.dim})`, s.pruner, sparsityLabel(sparsity), ...comparisonCells(cmp, split)]));
}

/**
 * SNIP against each other pruner of the same task, adapter and dimension, at every sparsity both
 * ran, paired by seed (SNIP − other): the paper's pruner question asked directly, not through the dense run.
 */
export function prunerDifferences(series: SparsitySeries[]): { s: SparsitySeries; sparsity: number; cmp: PairedComparison }[] {
  return series.filter((s) => s.pruner !== 'snip').flatMap((other) => {
    const snip = series.find((s) => s.pruner === 'snip' && s.task === other.task && s.adapter === other.adapter && s.dim === other.dim);
    if (!snip) return [];
    return other.points.filter((p) => p.x > 0).flatMap((p) => {
      const mine = snip.points.find((q) => q.x === p.x);
      const cmp = mine ? compareBySeed(mine.agg.runs, p.agg.runs, REPORT_BOOTSTRAP, p.agg.split) : null;
      return cmp ? [{ s: other, sparsity: p.x, cmp }] : [];
    });
  });
}

// ---------------------------------------------------------------- SVG charts

/** A colour-blind-safe palette (Okabe–Ito). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number) => Number(x.toFixed(2));

/** A frame with a y axis over [lo, hi] (ticks in percent unless `tick` says otherwise); returns the SVG parts and the y mapping. */
function frame(title: string, width: number, height: number, lo: number, hi: number, yLabel: string, tick: (v: number) => string = (v) => pct(v)) {
  const m = { left: 56, right: 170, top: 34, bottom: 44 };
  const plotH = height - m.top - m.bottom;
  const y = (v: number) => m.top + plotH * (1 - (v - lo) / (hi - lo || 1));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#e0e0e0"/>`, `<text x="${m.left - 6}" y="${num(y(v)) + 4}" text-anchor="end">${tick(v)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#333"/>`, `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#333"/>`);
  return { parts, y, m, plotW: width - m.left - m.right };
}

/** y range over means ± std, padded, clamped to [0, 1]. */
function yRange(values: { mean: number; std: number }[]): [number, number] {
  const lo = Math.min(...values.map((v) => v.mean - v.std));
  const hi = Math.max(...values.map((v) => v.mean + v.std));
  const pad = Math.max(0.02, (hi - lo) * 0.1);
  return [Math.max(0, Math.floor((lo - pad) * 20) / 20), Math.min(1, Math.ceil((hi + pad) * 20) / 20)];
}

function legend(parts: string[], x: number, y0: number, entries: string[]) {
  entries.forEach((label, i) => {
    const y = y0 + i * 18;
    parts.push(`<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`, `<text x="${x + 18}" y="${y + 2}">${escapeXml(label)}</text>`);
  });
}

/** A mean over seeds with its 95% t interval in [0, 1] units (the mean alone, without bounds, from one seed). */
function band(agg: Aggregate): { mean: number; low: number; high: number } {
  const m = meanInterval(agg.runs.map((r) => metricsOn(r, agg.split).accuracy));
  return { mean: m.mean, low: m.low ?? m.mean, high: m.high ?? m.mean };
}

/**
 * Metric vs sparsity for one task (the paper's Fig. 2 shape): one line per adapter × pruner through
 * the means over seeds, a shaded 95% band (Student t over seeds), and each adapter's dense result as
 * a dashed reference line across the chart.
 */
export function sparsityChart(task: string, series: SparsitySeries[]): string {
  const width = 720;
  const height = 360;
  const split = series[0]?.points[0]?.agg.split ?? 'dev';
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort(byNumber);
  const bands = series.map((s) => s.points.map((p) => ({ x: p.x, ...band(p.agg) })));
  const [lo, hi] = yRange(bands.flat().flatMap((b) => [{ mean: b.low, std: 0 }, { mean: b.high, std: 0 }]));
  const f = frame(`${task}: ${split} ${metricName(task)} vs sparsity (mean, 95% band over seeds)`, width, height, lo, hi, `${split} ${metricName(task)} (%)`);
  const xMax = Math.max(0.9, ...xs);
  const x = (v: number) => f.m.left + 10 + ((f.plotW - 20) * v) / xMax;
  for (const v of xs) f.parts.push(`<text x="${num(x(v))}" y="${height - f.m.bottom + 16}" text-anchor="middle">${sparsityLabel(v)}</text>`);
  f.parts.push(`<text x="${f.m.left + f.plotW / 2}" y="${height - 8}" text-anchor="middle">sparsity (fraction of adapter weights pruned)</text>`);
  // The dense adapter of each kind and dimension once, however many pruner lines start from it.
  const denseDrawn = new Set<string>();
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const dense = s.points.find((p) => p.x === 0);
    const denseKey = `${s.adapter} ${s.dim}`;
    if (dense && !denseDrawn.has(denseKey)) {
      denseDrawn.add(denseKey);
      const y = num(f.y(band(dense.agg).mean));
      f.parts.push(`<line x1="${f.m.left}" x2="${width - f.m.right}" y1="${y}" y2="${y}" stroke="#555" stroke-dasharray="6 4"><title>${escapeXml(`dense ${s.adapter} d${s.dim}: ${formatMeanStd(dense.agg.accuracy)}`)}</title></line>`, `<text x="${width - f.m.right - 4}" y="${y - 4}" text-anchor="end" font-size="10" fill="#555">${escapeXml(`dense ${s.adapter}`)}</text>`);
    }
    const b = bands[i]!;
    if (b.length >= 2 && b.some((p) => p.high > p.low)) {
      const upper = b.map((p) => `${num(x(p.x))},${num(f.y(p.high))}`);
      const lower = [...b].reverse().map((p) => `${num(x(p.x))},${num(f.y(p.low))}`);
      f.parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${colour}" fill-opacity="0.15" stroke="none"/>`);
    }
    f.parts.push(`<polyline points="${b.map((p) => `${num(x(p.x))},${num(f.y(p.mean))}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    s.points.forEach((p, j) => {
      const q = b[j]!;
      const cx = num(x(p.x));
      f.parts.push(`<line x1="${cx}" x2="${cx}" y1="${num(f.y(q.low))}" y2="${num(f.y(q.high))}" stroke="${colour}"/>`, `<circle cx="${cx}" cy="${num(f.y(q.mean))}" r="3.5" fill="${colour}"><title>${escapeXml(`${s.adapter} ${s.pruner} s=${sparsityLabel(p.x)}: ${pct(q.mean)}%${q.high > q.low ? `, 95% CI [${pct(q.low)}, ${pct(q.high)}]` : ''} over ${p.agg.seeds.length} seed${p.agg.seeds.length === 1 ? '' : 's'}`)}</title></circle>`);
    });
  });
  legend(f.parts, width - f.m.right + 14, f.m.top + 8, series.map((s) => `${s.adapter} d${s.dim}, ${s.pruner}`));
  f.parts.push(`<text x="${width - f.m.right + 14}" y="${f.m.top + 8 + series.length * 18 + 10}" font-size="10" fill="#555">band: 95% CI (t over seeds)</text>`, `<text x="${width - f.m.right + 14}" y="${f.m.top + 8 + series.length * 18 + 24}" font-size="10" fill="#555">dashed: dense adapter</text>`);
  f.parts.push('</svg>');
  return f.parts.join('\n') + '\n';
}

/** Large-Sparse vs standard for one task: a dot per adapter and k (1, 2, 4 …) with ± 1 std whiskers. */
export function largeSparseChart(task: string, comparisons: LargeSparseComparison[]): string {
  const width = 720;
  const height = 360;
  const ks = [...new Set(comparisons.flatMap((c) => c.byK.map((b) => b.k)))].sort(byNumber);
  const [lo, hi] = yRange(comparisons.flatMap((c) => c.byK.map((b) => b.agg.accuracy)));
  const split = comparisons[0]?.byK[0]?.agg.split ?? 'dev';
  const f = frame(`${task}: Large-Sparse vs standard at the same budget`, width, height, lo, hi, `${split} ${metricName(task)} (%)`);
  const groupW = f.plotW / comparisons.length;
  const barW = Math.min(40, (groupW * 0.8) / ks.length);
  comparisons.forEach((c, g) => {
    const left = f.m.left + g * groupW + (groupW - barW * ks.length) / 2;
    f.parts.push(`<text x="${num(f.m.left + (g + 0.5) * groupW)}" y="${height - f.m.bottom + 16}" text-anchor="middle">${escapeXml(c.sparsity > 0 ? `${c.adapter} (s ${sparsityLabel(c.sparsity)})` : c.adapter)}</text>`);
    ks.forEach((k, i) => {
      const b = c.byK.find((q) => q.k === k);
      if (!b) return;
      const { mean, std } = b.agg.accuracy;
      // A dot and its ± std whisker, not a bar: the axis does not start at 0, and a bar's length would lie.
      const cx = num(left + i * barW + (barW - 2) / 2);
      f.parts.push(`<line x1="${cx}" x2="${cx}" y1="${num(f.y(mean - std))}" y2="${num(f.y(mean + std))}" stroke="#222"/>`);
      f.parts.push(`<circle cx="${cx}" cy="${num(f.y(mean))}" r="6" fill="${PALETTE[i % PALETTE.length]}" stroke="#222"><title>${escapeXml(`${c.adapter} k=${k}: dim ${b.agg.trained.dim}, sparsity ${sparsityLabel(b.agg.trained.sparsity)}, ${b.agg.trainableNonzero} trainable non-zero: ${formatMeanStd(b.agg.accuracy)}`)}</title></circle>`);
    });
  });
  legend(f.parts, width - f.m.right + 14, f.m.top + 8, ks.map((k) => (k === 1 ? 'standard (k = 1)' : `Large-Sparse k = ${k}`)));
  f.parts.push('</svg>');
  return f.parts.join('\n') + '\n';
}

/** One group of a difference chart (an adapter, a sparsity) and its comparisons; `series` picks the colour and slot. */
export interface DifferenceGroup {
  label: string;
  entries: { series: number; name: string; cmp: PairedComparison }[];
}

/** A y range from 1, 2 or 5 × 10^k ticks that holds every value and 0, with some room. */
function differenceRange(values: number[]): [number, number] {
  const lo0 = Math.min(0, ...values);
  const hi0 = Math.max(0, ...values);
  const pad = Math.max(0.5, (hi0 - lo0) * 0.1);
  for (let e = -1; ; e++)
    for (const m of [1, 2, 5]) {
      const step = m * 10 ** e;
      const lo = Math.floor((lo0 - pad) / step) * step;
      if (lo + 4 * step >= hi0 + pad) return [lo, lo + 4 * step];
    }
}

/**
 * Differences in points with their 95% intervals: a dot at the mean difference over seeds, a whisker
 * over the interval its verdict follows (t over seeds; with one seed, the bootstrap over dev items),
 * a thin dashed whisker beside it for the bootstrap interval when there are both, and a line at 0.
 */
export function differenceChart(title: string, yLabel: string, groups: DifferenceGroup[], seriesNames: string[]): string {
  const width = 720;
  const height = 360;
  const [lo, hi] = differenceRange(groups.flatMap((g) => g.entries.flatMap(({ cmp }) => [cmp.t.mean, ...(cmp.interval ? [cmp.interval.low, cmp.interval.high] : []), ...(cmp.bootstrap ? [cmp.bootstrap.low, cmp.bootstrap.high] : [])])));
  const tick = (v: number) => (Math.abs(v) < 1e-9 ? '0.0' : signedPoints(v));
  const f = frame(title, width, height, lo, hi, yLabel, tick);
  f.parts.push(`<line x1="${f.m.left}" x2="${width - f.m.right}" y1="${num(f.y(0))}" y2="${num(f.y(0))}" stroke="#333" stroke-width="1.5"/>`);
  const groupW = f.plotW / Math.max(1, groups.length);
  const slotW = Math.min(40, (groupW * 0.8) / Math.max(1, seriesNames.length));
  groups.forEach((g, gi) => {
    const left = f.m.left + gi * groupW + (groupW - slotW * seriesNames.length) / 2;
    f.parts.push(`<text x="${num(f.m.left + (gi + 0.5) * groupW)}" y="${height - f.m.bottom + 16}" text-anchor="middle">${escapeXml(g.label)}</text>`);
    for (const { series, name, cmp } of g.entries) {
      const cx = num(left + series * slotW + slotW / 2);
      const colour = PALETTE[series % PALETTE.length];
      if (cmp.interval) f.parts.push(`<line x1="${cx}" x2="${cx}" y1="${num(f.y(cmp.interval.low))}" y2="${num(f.y(cmp.interval.high))}" stroke="#222" stroke-width="2"/>`);
      if (cmp.bootstrap && cmp.basis === 't') f.parts.push(`<line x1="${num(cx + 8)}" x2="${num(cx + 8)}" y1="${num(f.y(cmp.bootstrap.low))}" y2="${num(f.y(cmp.bootstrap.high))}" stroke="#777" stroke-dasharray="3 2"/>`);
      const note = `${name}: ${signedPoints(cmp.t.mean)} points, 95% CI ${cmp.interval ? `[${signedPoints(cmp.interval.low)}, ${signedPoints(cmp.interval.high)}] (${cmp.basis === 't' ? 't over seeds' : 'bootstrap over evaluation items'})` : 'none'}, ${cmp.seeds.length} seed${cmp.seeds.length === 1 ? '' : 's'}: ${cmp.verdict}`;
      f.parts.push(`<circle cx="${cx}" cy="${num(f.y(cmp.t.mean))}" r="5" fill="${colour}" stroke="#222"><title>${escapeXml(note)}</title></circle>`);
    }
  });
  legend(f.parts, width - f.m.right + 14, f.m.top + 8, seriesNames);
  f.parts.push(`<text x="${width - f.m.right + 14}" y="${f.m.top + 8 + seriesNames.length * 18 + 10}" font-size="10" fill="#555">whisker: 95% CI</text>`, `<text x="${width - f.m.right + 14}" y="${f.m.top + 8 + seriesNames.length * 18 + 24}" font-size="10" fill="#555">dashed: paired bootstrap</text>`);
  f.parts.push('</svg>');
  return f.parts.join('\n') + '\n';
}

/** The Markdown report and the charts (file name → SVG text) for a set of records. */
/**
 * The learning-rate sweeps: per configuration, the mean dev metric of each rate over the sweep seeds,
 * and the rate chosen (the best; its other seeds ran at it).
 */
export function sweepTable(records: readonly ExperimentRecord[]): string | null {
  const units = new Map<string, ExperimentRecord[]>();
  for (const r of records) if (r.sweep && r.unit !== undefined) units.set(r.unit, [...(units.get(r.unit) ?? []), r]);
  if (units.size === 0) return null;
  const rates = [...new Set([...units.values()].flatMap((rs) => rs[0]!.sweep!.learningRates))].sort(byNumber);
  const rows = [...units.values()].map((rs) => {
    const { sweep, spec } = rs[0]!;
    const chosen = chooseLearningRate(sweep!, rs);
    const cells = rates.map((lr) => {
      if (!sweep!.learningRates.includes(lr)) return '';
      const scores = sweep!.seeds.flatMap((seed) => rs.filter((r) => r.spec.seed === seed && r.spec.train.learningRate === lr).map((r) => r.dev.accuracy));
      if (scores.length < sweep!.seeds.length) return '…';
      const text = pct(scores.reduce((a, b) => a + b, 0) / scores.length);
      return lr === chosen ? `**${text}**` : text;
    });
    return [spec.task, adapterLabel(spec), String(spec.largeSparse), sparsityLabel(spec.sparsity), spec.pruner ?? '—', ...cells, chosen === null ? 'sweep not finished' : String(chosen), sweep!.seeds.join(', ')];
  });
  return table(['Task', 'Adapter', 'k', 'Base sparsity', 'Pruner', ...rates.map((lr) => `lr ${lr}`), 'Chosen', 'Sweep seeds'], rows);
}

export function buildReport(title: string, description: string, records: ExperimentRecord[], planned: number, command: string, model?: { dir: string; sha256: string }): { markdown: string; charts: Map<string, string> } {
  // Runs of a sweep at a rate that was not chosen only show in the sweep's table.
  const shown = selectedRecords(records);
  const split = reportSplit(shown);
  const aggs = aggregate(shown, split);
  const charts = new Map<string, string>();
  const tasks = [...new Set(aggs.map((a) => a.spec.task))];
  const lines = [`# ${title}`, ''];
  if (description) lines.push(description, '');
  const seconds = records.reduce((a, r) => a + r.seconds, 0);
  const backends = [...new Set(records.map((r) => r.backend))].join(', ');
  lines.push(
    `Command: \`${command}\``,
    '',
    ...(model ? [`Model: \`${model.dir}\` (sha256 of its config.json and model.safetensors: \`${model.sha256.slice(0, 16)}…\`).`, ''] : []),
    `${records.length} of ${planned} runs finished; ${(seconds / 60).toFixed(1)} min of training time in total (backend: ${backends || '—'}).`,
    `Metric: accuracy on the ${split} split (token accuracy for pos), in percent, mean ± sample standard deviation over seeds.${split === 'test' ? ' Learning rates were chosen on the dev split; the test split was used for nothing else.' : ''} "Trainable non-zero" counts the adapter weights kept after pruning plus the classification head; "sparsity trained" is the fraction of prunable adapter weights removed.`,
    '',
    `Comparisons are paired by seed (runs with the same seed share batches and head): Δ is the mean over seeds of the difference in accuracy points, with its 95% Student t interval over seeds and, where the runs recorded which ${split} items they got right, a 95% paired bootstrap interval (${REPORT_BOOTSTRAP.resamples.toLocaleString('en-US')} resamples of seeds and, within each seed, of ${split} items, the same items for both sides). The verdict follows the t interval (with one seed, the bootstrap's, which then ignores seed-to-seed spread): "better" or "worse" when the interval excludes 0, otherwise "no difference detected" with the interval's half-width. "Seeds for ±${POWER_TARGET_POINTS}": the paired seeds a t interval of ±${POWER_TARGET_POINTS} points (the paper's smallest effect) would need at the seed-to-seed spread these seeds show, t(n − 1) · sd / √n ≤ ${POWER_TARGET_POINTS}; at that size a true ${POWER_TARGET_POINTS}-point difference is detected about half the time (80% of the time takes about twice as many), and the spread is itself estimated from few seeds.`,
    '',
  );
  const sweeps = sweepTable(records);
  if (sweeps) lines.push('## Learning rates', '', 'Each configuration trained at every rate on the sweep seeds; the best mean dev metric (in bold) chose the rate of its other seeds. "…": that run has not finished.', '', sweeps, '');
  const sweep = sparsityTable(aggs);
  if (sweep) {
    lines.push(`## ${splitTitle(split)} metric vs sparsity`, '', sweep, '');
    for (const task of tasks) {
      const series = sparsitySeries(aggs).filter((s) => s.task === task && s.points.length >= 2);
      if (series.length === 0) continue;
      const file = `sparsity-${task}.svg`;
      charts.set(file, sparsityChart(task, series));
      lines.push(`![${task}: metric vs sparsity](charts/${file})`, '');
    }
    const pruned = prunedDifferences(sparsitySeries(aggs).filter((s) => s.points.length >= 2));
    const prunedTable = prunedDifferenceTable(pruned);
    if (prunedTable) {
      lines.push('### Pruned − dense at the same dimension, paired by seed', '', verdictSummary(pruned.map((d) => d.cmp)), '', prunedTable, '');
      for (const task of tasks) {
        const mine = pruned.filter((d) => d.s.task === task);
        if (mine.length === 0) continue;
        const names = [...new Set(mine.map((d) => `${d.s.adapter} d${d.s.dim}, ${d.s.pruner}`))];
        const sparsities = [...new Set(mine.map((d) => d.sparsity))].sort(byNumber);
        const groups = sparsities.map((sp) => ({ label: `s ${sparsityLabel(sp)}`, entries: mine.filter((d) => d.sparsity === sp).map((d) => { const name = `${d.s.adapter} d${d.s.dim}, ${d.s.pruner}`; return { series: names.indexOf(name), name: `${name}, s ${sparsityLabel(sp)}`, cmp: d.cmp }; }) }));
        const file = `sparsity-difference-${task}.svg`;
        charts.set(file, differenceChart(`${task}: pruned − dense, paired by seed (95% CI)`, `Δ ${split} ${metricName(task)} (points)`, groups, names));
        lines.push(`![${task}: pruned − dense with 95% intervals](charts/${file})`, '');
      }
    }
    const byPruner = prunerDifferences(sparsitySeries(aggs).filter((s) => s.points.length >= 2));
    const prunerTable = prunedDifferenceTable(byPruner, 'SNIP against');
    if (prunerTable) lines.push('### SNIP − another pruner at the same sparsity, paired by seed', '', verdictSummary(byPruner.map((d) => d.cmp)), '', prunerTable, '');
  }
  const comparisons = largeSparseComparisons(aggs);
  const lsTable = largeSparseTable(comparisons);
  if (lsTable) {
    lines.push('## Large-Sparse vs standard at the same budget', '', lsTable, '');
    for (const task of tasks) {
      const mine = comparisons.filter((c) => c.task === task);
      if (mine.length === 0) continue;
      const file = `large-sparse-${task}.svg`;
      charts.set(file, largeSparseChart(task, mine));
      lines.push(`![${task}: Large-Sparse vs standard](charts/${file})`, '');
    }
    const diffs = largeSparseDifferences(comparisons);
    const diffTable = largeSparseDifferenceTable(diffs);
    if (diffTable) {
      lines.push('### Large-Sparse − standard at the same budget, paired by seed', '', verdictSummary(diffs.map((d) => d.cmp)), '', diffTable, '');
      for (const task of tasks) {
        const mine = diffs.filter((d) => d.c.task === task);
        if (mine.length === 0) continue;
        const ks = [...new Set(mine.map((d) => d.k))].sort(byNumber);
        const groups = comparisons.filter((c) => c.task === task).map((c) => ({
          label: c.sparsity > 0 ? `${c.adapter} (s ${sparsityLabel(c.sparsity)})` : c.adapter,
          entries: mine.filter((d) => d.c === c).map((d) => ({ series: ks.indexOf(d.k), name: `${c.adapter} k = ${d.k}`, cmp: d.cmp })),
        }));
        const file = `large-sparse-difference-${task}.svg`;
        charts.set(file, differenceChart(`${task}: Large-Sparse − standard, paired by seed (95% CI)`, `Δ ${split} ${metricName(task)} (points)`, groups, ks.map((k) => `Large-Sparse k = ${k}`)));
        lines.push(`![${task}: Large-Sparse − standard with 95% intervals](charts/${file})`, '');
      }
    }
  }
  lines.push('## Every configuration', '', fullTable(aggs), '');
  return { markdown: lines.join('\n'), charts };
}
