// The report's arithmetic against hand-computed values, its grouping of seeds, the Large-Sparse
// pairing, and the charts' geometry (every point where its value says, nothing undefined).
import { describe, expect, it } from 'vitest';
import { expandExperiment, parseGridFile, type PlannedRun } from './grid';
import { aggregate, buildReport, largeSparseComparisons, meanStd, prunerDifferences, sparsitySeries } from './report';
import { packBits } from '../../engine/stats';
import type { ExperimentRecord } from './runOne';

function record(p: PlannedRun, accuracy: number): ExperimentRecord {
  return {
    key: p.key, group: p.group, grid: p.grid, spec: p.spec,
    trained: { dim: p.config.adapter.dim, sparsity: p.config.prune.sparsity },
    budget: { trainableNonzero: Math.round(1000 * (1 - p.config.prune.sparsity)), adapterNonzero: 0, headParams: 0, percentOfPlm: 0.1, plmParams: 1e6 },
    dev: { accuracy, macroF1: accuracy / 2, mcc: 0, count: 100 },
    losses: [1, 0.5], lossEvery: 1, warnings: [], seconds: 2, backend: 'cpu', finishedAt: '2026-11-25T00:00:00Z',
  };
}

const planned = expandExperiment(parseGridFile(JSON.stringify({ grids: [
  { name: 'sweep', tasks: ['spam'], adapters: ['houlsby'], dims: [8], sparsities: [0, 0.5, 0.9], pruners: ['snip', 'random'], seeds: [1, 2, 3], steps: 3 },
  { name: 'ls', tasks: ['spam'], adapters: ['houlsby'], dims: [8], sparsities: [0], pruners: ['snip'], largeSparse: [1, 2], seeds: [1, 2, 3], steps: 3 },
] }), 'g.json'));
// accuracy = 0.8 − sparsity/10 (+ 0.1 for Large-Sparse) + seed/100: the mean over seeds 1..3 adds 0.02, the std is 0.01.
const records = planned.map((p) => record(p, 0.8 - p.spec.sparsity / 10 + (p.spec.largeSparse > 1 ? 0.1 : 0) + p.spec.seed / 100));

describe('meanStd', () => {
  it('gives the mean and the sample standard deviation', () => {
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9]).mean).toBe(5);
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9]).std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(meanStd([0.7])).toEqual({ mean: 0.7, std: 0, n: 1 });
    expect(meanStd([]).n).toBe(0);
  });
});

describe('aggregate and the views', () => {
  it('averages over seeds only, once per configuration', () => {
    const aggs = aggregate(records);
    // 1 dense + 2 sparsities × 2 pruners + the Large-Sparse k = 2 run (its k = 1 is the dense one).
    expect(aggs).toHaveLength(6);
    for (const a of aggs) {
      expect(a.seeds).toEqual([1, 2, 3]);
      expect(a.accuracy.std).toBeCloseTo(0.01, 12);
    }
    const ls = aggs.find((a) => a.spec.largeSparse === 2)!;
    expect(ls.accuracy.mean).toBeCloseTo(0.8 + 0.1 + 0.02, 12); // the spec keeps the base sparsity 0
    expect(ls.trained).toEqual({ dim: 16, sparsity: 0.5 });
  });

  it('starts every pruner’s sparsity line at the shared dense run', () => {
    const series = sparsitySeries(aggregate(records));
    expect(series.map((s) => s.pruner).sort()).toEqual(['random', 'snip']);
    for (const s of series) expect(s.points.map((p) => p.x)).toEqual([0, 0.5, 0.9]);
  });

  it('compares SNIP with the other pruner at each sparsity, paired by seed', () => {
    // Random pruning 2 points lower than SNIP in every seed: SNIP − random = +2.0, an interval of zero width.
    const shifted = records.map((r) => (r.spec.pruner === 'random' && r.spec.sparsity > 0 ? { ...r, dev: { ...r.dev, accuracy: r.dev.accuracy - 0.02 } } : r));
    const diffs = prunerDifferences(sparsitySeries(aggregate(shifted)));
    expect(diffs.map((d) => [d.s.pruner, d.sparsity])).toEqual([['random', 0.5], ['random', 0.9]]);
    for (const d of diffs) {
      expect(d.cmp.seeds).toEqual([1, 2, 3]);
      expect(d.cmp.t.mean).toBeCloseTo(2, 9);
      expect(d.cmp.verdict).toBe('better');
    }
    const { markdown } = buildReport('T', '', shifted, shifted.length, 'cmd');
    expect(markdown).toContain('### SNIP − another pruner at the same sparsity, paired by seed');
    expect(markdown).toMatch(/\| spam \| houlsby \(dim 8\) \| random \| 90% \| \+2\.0 \| \[\+2\.0, \+2\.0\] \|/);
  });

  it('pairs the Large-Sparse run with the standard adapter of the same base configuration', () => {
    const [c, ...rest] = largeSparseComparisons(aggregate(records));
    expect(rest).toHaveLength(0);
    expect(c!.byK.map((b) => b.k)).toEqual([1, 2]);
    expect(c!.byK[0]!.agg.spec.pruner).toBeNull();
  });
});

describe('buildReport', () => {
  const { markdown, charts } = buildReport('Experiment: t', 'what it is', records, planned.length + 1, 'npm run cli -- experiment --grid g.json --out x');

  it('writes the tables with mean ± std in percent and says how many runs finished', () => {
    expect(markdown).toContain(`${records.length} of ${planned.length + 1} runs finished`);
    // Dense: 0.8 + 0.02 → "82.0 ± 1.0"; SNIP at 0.9: 0.8 − 0.09 + 0.02 → "73.0 ± 1.0".
    expect(markdown).toMatch(/\| spam \| houlsby \(dim 8\) \| snip \| 82\.0 ± 1\.0 \| 77\.0 ± 1\.0 \| 73\.0 ± 1\.0 \| 1,000 → 500 → 100 \|/);
    expect(markdown).toMatch(/\| spam \| houlsby \| 0% \| 82\.0 ± 1\.0<br>dim 8, s 0%, 1,000 \| 92\.0 ± 1\.0<br>dim 16, s 50%, 500 \|/);
    expect(markdown).toContain('![spam: metric vs sparsity](charts/sparsity-spam.svg)');
  });

  it('pairs every comparison by seed: Δ, its interval and the verdict that follows', () => {
    // Every seed's Large-Sparse run is exactly 10 points above its standard run, every pruned run
    // 10·s points below the dense one: the intervals have no width and exclude 0.
    expect(markdown).toContain('| spam | houlsby | 0% | 2 | +10.0 | [+10.0, +10.0] | — | better | 3 |');
    expect(markdown).toContain('| spam | houlsby (dim 8) | snip | 50% | −5.0 | [−5.0, −5.0] | — | worse | 3 |');
    expect(markdown).toContain('| spam | houlsby (dim 8) | random | 90% | −9.0 | [−9.0, −9.0] | — | worse | 3 |');
    expect(markdown).toContain('Of 4 comparisons: 0 better, 4 worse, 0 with no difference detected; median 95% half-width ±0.0 points.');
    expect(markdown).toContain('Of 1 comparison: 1 better, 0 worse, 0 with no difference detected; median 95% half-width ±0.0 points.');
    expect(markdown).not.toMatch(/Δ [+−]\d/); // no bare difference of means without its interval
  });

  it('says "no difference detected" when seeds disagree, with the bootstrap beside the t interval', () => {
    // Large-Sparse − standard by seed: +3, −1, +1 points → mean 1, sd 2, half-width t(2)·2/√3 = 4.9683.
    const shift: Record<number, number> = { 1: 0.03, 2: -0.01, 3: 0.01 };
    const correct = (acc: number) => ({ count: 100, bits: packBits(Array.from({ length: 100 }, (_, i) => (i < Math.round(100 * acc) ? 1 : 0))) });
    const noisy = planned.map((p) => {
      const accuracy = 0.8 + (p.spec.largeSparse > 1 ? shift[p.spec.seed]! : 0);
      return { ...record(p, accuracy), devCorrect: correct(accuracy) };
    });
    const { markdown: md, charts: noisyCharts } = buildReport('t', '', noisy, noisy.length, 'x');
    const row = md.split('\n').find((l) => l.startsWith('| spam | houlsby | 0% | 2 |'))!;
    const cells = row.split(' | ');
    expect(cells.slice(4, 6)).toEqual(['+1.0', '[−4.0, +6.0]']);
    expect(cells[6]).toMatch(/^\[[+−]\d+\.\d, [+−]\d+\.\d\]$/); // the bootstrap's interval, from the per-item data
    expect(cells[7]).toBe('no difference detected (±5.0 points at this sample size)');
    // The chart's whisker spans the t interval, 1 ± 4.9683 points, on the chart's own axis; the dashed one is the bootstrap's.
    const svg = noisyCharts.get('large-sparse-difference-spam.svg')!;
    const ticks = [...svg.matchAll(/<text x="\d+" y="([\d.]+)" text-anchor="end">([+−]?[\d.]+)<\/text>/g)].map((m) => ({ y: Number(m[1]) - 4, v: Number(m[2]!.replace('−', '-').replace('+', '')) }));
    const valueAt = (y: number) => ticks[0]!.v + ((y - ticks[0]!.y) * (ticks[4]!.v - ticks[0]!.v)) / (ticks[4]!.y - ticks[0]!.y);
    const whisker = /<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="([\d.]+)" stroke="#222" stroke-width="2"\/>/.exec(svg)!;
    expect(Math.abs(valueAt(Number(whisker[1])) - (1 - 4.9683))).toBeLessThan(0.02);
    expect(Math.abs(valueAt(Number(whisker[2])) - (1 + 4.9683))).toBeLessThan(0.02);
    expect(svg).toContain('stroke-dasharray="3 2"');
  });

  // Tick labels and the y of their grid lines give the axis; the circles must lie on it.
  const pointValues = (svg: string) => {
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    const ticks = [...svg.matchAll(/<text x="\d+" y="([\d.]+)" text-anchor="end">([\d.]+)<\/text>/g)].map((m) => ({ y: Number(m[1]) - 4, v: Number(m[2]) / 100 }));
    const [a, b] = [ticks[0]!, ticks[ticks.length - 1]!];
    const valueAt = (y: number) => a.v + ((y - a.y) * (b.v - a.v)) / (b.y - a.y);
    return [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => valueAt(Number(m[1])));
  };

  it('draws each point at its value on the chart’s axis', () => {
    const circles = pointValues(charts.get('sparsity-spam.svg')!);
    expect(circles).toHaveLength(6);
    const expected = [0.82, 0.77, 0.73, 0.82, 0.77, 0.73];
    circles.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(0.002));
  });

  it('draws Large-Sparse against standard as dots on the axis (no bars on an axis that does not start at 0)', () => {
    const svg = charts.get('large-sparse-spam.svg')!;
    expect(svg).not.toMatch(/<rect[^>]*><title>/); // the only rects left are the background and the legend's swatches
    const dots = pointValues(svg);
    expect(dots).toHaveLength(2); // standard 82% and Large-Sparse 92% (see the table above)
    expect(Math.abs(dots[0]! - 0.82)).toBeLessThan(0.002);
    expect(Math.abs(dots[1]! - 0.92)).toBeLessThan(0.002);
    expect(svg).toMatch(/<circle cx="[\d.]+" cy="[\d.]+" r="6" fill="#0072B2" stroke="#222"><title>houlsby k=1/);
  });

  it('draws each difference at its value with its interval as a whisker, and a line at 0', () => {
    const svg = charts.get('sparsity-difference-spam.svg')!;
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    const ticks = [...svg.matchAll(/<text x="\d+" y="([\d.]+)" text-anchor="end">([+−]?[\d.]+)<\/text>/g)].map((m) => ({ y: Number(m[1]) - 4, v: Number(m[2]!.replace('−', '-').replace('+', '')) }));
    expect(ticks).toHaveLength(5);
    const [a, b] = [ticks[0]!, ticks[4]!];
    const valueAt = (y: number) => a.v + ((y - a.y) * (b.v - a.v)) / (b.y - a.y);
    const dots = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => valueAt(Number(m[1])));
    // Two pruners at 50% (−5 points) and 90% (−9 points).
    expect(dots.map((v) => Math.round(v * 10) / 10).sort((x, y) => x - y)).toEqual([-9, -9, -5, -5]);
    const zero = /<line x1="\d+" x2="\d+" y1="([\d.]+)" y2="\1" stroke="#333" stroke-width="1.5"\/>/.exec(svg)!;
    expect(Math.abs(valueAt(Number(zero[1])))).toBeLessThan(0.01);
    expect(charts.get('large-sparse-difference-spam.svg')).toContain('better</title>');
  });
});

describe('selection on dev, figures on test, and the sparsity figure', () => {
  // Dev says one thing and test another, so that a report on the wrong split shows.
  const sweepPlanned = (records: { unit?: string; sweep?: PlannedRun['sweep']; spec: PlannedRun['spec']; dev: { accuracy: number } }[] = []) => expandExperiment(parseGridFile(JSON.stringify({ tasks: ['spam'], adapters: ['houlsby'], dims: [8], sparsities: [0, 0.5], pruners: ['snip'], seeds: [1, 2, 3], steps: 3, learningRates: [0.001, 0.01] }), 'g.json'), records);
  const withTest = (p: PlannedRun): ExperimentRecord => {
    const dev = p.spec.train.learningRate === 0.01 ? 0.9 : 0.6; // 0.01 wins on dev
    const test = 0.7 - p.spec.sparsity / 10 + p.spec.seed / 100;
    return { ...record(p, dev), test: { accuracy: test, macroF1: test / 2, mcc: 0, count: 100 }, testCorrect: { count: 4, bits: packBits([1, 0, 1, 1]) }, unit: p.unit, ...(p.sweep && { sweep: p.sweep }) };
  };
  const sweep = sweepPlanned().map(withTest);
  const all = [...sweep, ...sweepPlanned(sweep).filter((p) => p.spec.seed > 1).map(withTest)];

  it('shows the sweep, then only the chosen rate’s runs, on test', () => {
    expect(all).toHaveLength(2 * 2 + 2 * 2);
    const { markdown, charts } = buildReport('T', '', all, all.length, 'cmd');
    expect(markdown).toContain('## Learning rates');
    expect(markdown).toContain('| spam | houlsby | 1 | 0% | — | 60.0 | **90.0** | 0.01 | 1 |');
    expect(markdown).toContain('| spam | houlsby | 1 | 50% | snip | 60.0 | **90.0** | 0.01 | 1 |');
    expect(markdown).toContain('Metric: accuracy on the test split');
    expect(markdown).toContain('## Test metric vs sparsity');
    // Test accuracies of seeds 1–3 at lr 0.01: 0.71, 0.72, 0.73 (dense), 0.66, 0.67, 0.68 (s 0.5).
    expect(markdown).toContain('| spam | houlsby (dim 8) | snip | 72.0 ± 1.0 | 67.0 ± 1.0 |');
    expect(markdown).toContain('| 0.01 (chosen) | 3 |');
    expect(markdown).not.toContain('| 0.001 (chosen)');
    // Pruned − dense on test: −5 points in every seed; intervals of zero width.
    expect(markdown).toMatch(/\| spam \| houlsby \(dim 8\) \| snip \| 50% \| −5\.0 \| \[−5\.0, −5\.0\] \|/);
    expect(charts.get('sparsity-spam.svg')).toContain('test accuracy (%)');
  });

  it('an unfinished sweep keeps its configuration out of the tables and marks its missing rates', () => {
    const partial = all.filter((r) => !(r.spec.sparsity === 0.5 && r.spec.train.learningRate === 0.001));
    const { markdown } = buildReport('T', '', partial, all.length, 'cmd');
    expect(markdown).toContain('| spam | houlsby | 1 | 50% | snip | … | 90.0 | sweep not finished | 1 |');
    expect(aggregate(partial.filter((r) => r.spec.sparsity === 0.5 && r.spec.seed > 1), 'test').length).toBe(1);
    expect(markdown).not.toContain('67.0 ± 1.0');
  });

  it('draws a 95% band over seeds around each line and the dense adapter as a dashed line', () => {
    const svg = buildReport('T', '', records, records.length, 'cmd').charts.get('sparsity-spam.svg')!;
    // Two pruner lines, each with its band (3 seeds: mean ± t(2) · 0.01 / √3).
    const bands = [...svg.matchAll(/<polygon points="([^"]+)" fill="[^"]+" fill-opacity="0\.15"/g)];
    expect(bands).toHaveLength(2);
    expect(bands[0]![1]!.split(' ')).toHaveLength(2 * 3);
    // One dense line for the one adapter, however many pruners start from it.
    expect(svg.match(/stroke-dasharray="6 4"/g)).toHaveLength(1);
    expect(svg).toContain('dense houlsby d8: 82.0 ± 1.0');
    // The interval in a point's tooltip: 82.0 ± 4.303 × 1 / √3 = [79.5, 84.5].
    expect(svg).toContain('houlsby snip s=0%: 82.0%, 95% CI [79.5, 84.5] over 3 seeds');
    expect(svg).not.toMatch(/NaN|undefined/);
  });
});
