// Sparsity sweeps: which runs make one (differing only in sparsity, pruner and seed), the dense
// runs pooled as the reference, each seed counted once, and the t intervals against hand-computed cases.
import { describe, expect, it } from 'vitest';
import { defaultRunSettings, type PrunerKind, type RunSettings } from '../engine/settings';
import { createRunRecord, type RunRecord } from './runs';
import { sparsitySweeps } from './sweeps';

const base = defaultRunSettings('houlsby', 'spam');
let counter = 0;
const run = (sparsity: number, pruner: PrunerKind, seed: number, accuracy: number, change: (s: RunSettings) => RunSettings = (s) => s, status: RunRecord['status'] = 'done'): RunRecord => {
  const settings = change({ ...base, prune: { ...base.prune, sparsity, pruner }, train: { ...base.train, seed } });
  const id = `r${++counter}`;
  return { ...createRunRecord(id, id, settings, counter), status, summary: { type: 'summary', budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy, macroF1: accuracy / 2, mcc: 0, confusion: [], count: 100 }, labels: ['a', 'b'], seconds: 1, firstLossMs: 1 } };
};

describe('sparsitySweeps', () => {
  it('finds a sweep per pruner, pools the dense runs, and gives each point its t interval over seeds', () => {
    const runs = [
      // Dense runs pool whatever their pruner or scope (nothing is pruned at sparsity 0).
      run(0, 'snip', 1, 0.80), run(0, 'random', 2, 0.82, (s) => ({ ...s, prune: { ...s.prune, scope: 'local' } })),
      run(0.5, 'snip', 1, 0.78), run(0.5, 'snip', 2, 0.80), run(0.5, 'snip', 3, 0.79),
      run(0.9, 'snip', 1, 0.70), run(0.9, 'snip', 2, 0.60),
      run(0.5, 'random', 1, 0.75),
      // Not in the sweep: another task, a failed run, and a running one.
      run(0.7, 'snip', 1, 0.5, (s) => ({ ...s, task: 'genre' })), run(0.7, 'snip', 1, 0.1, undefined, 'failed'), run(0.7, 'snip', 2, 0.1, undefined, 'running'),
    ];
    const [sweep, ...rest] = sparsitySweeps(runs);
    expect(rest).toEqual([]);
    expect(sweep!.label).toBe('houlsby d=16 on spam');
    expect(sweep!.lines.map((l) => [l.pruner, l.points.map((p) => p.sparsity)])).toEqual([['snip', [0.5, 0.9]], ['random', [0.5]]]);
    // Dense: 0.80, 0.82 → mean 0.81, sd 0.014142, half-width t(1) · 0.014142 / √2 = 12.706205 · 0.01 = 0.127062.
    expect(sweep!.dense!.seeds).toEqual([1, 2]);
    expect(sweep!.dense!.mean).toBeCloseTo(0.81, 12);
    expect(sweep!.dense!.halfWidth!).toBeCloseTo(0.127062, 5);
    // snip at 50%: 0.78, 0.80, 0.79 → mean 0.79, sd 0.01, half-width 4.302653 · 0.01 / √3 = 0.024841.
    const [half, high] = sweep!.lines[0]!.points;
    expect(half!.mean).toBeCloseTo(0.79, 12);
    expect(half!.halfWidth!).toBeCloseTo(0.024841, 5);
    // snip at 90%: 0.70, 0.60 → mean 0.65, half-width 12.706205 · 0.070711 / √2 = 0.635310.
    expect(high!.mean).toBeCloseTo(0.65, 12);
    expect(high!.halfWidth!).toBeCloseTo(0.635310, 5);
    // One seed: a mean and no interval.
    expect(sweep!.lines[1]!.points[0]).toMatchObject({ seeds: [1], mean: 0.75, low: null, high: null });
  });

  it('needs two sparsities for one pruner, counts each seed once (its latest run), and reads other metrics', () => {
    expect(sparsitySweeps([run(0, 'snip', 1, 0.8), run(0.5, 'snip', 1, 0.7), run(0.9, 'random', 1, 0.6)])).toEqual([]);
    const [sweep] = sparsitySweeps([run(0.5, 'snip', 1, 0.1), run(0.5, 'snip', 1, 0.7), run(0.9, 'snip', 1, 0.6)], 'macroF1');
    expect(sweep!.lines[0]!.points.map((p) => [p.seeds, p.mean])).toEqual([[[1], 0.35], [[1], 0.3]]);
    expect(sweep!.dense).toBeNull();
  });

  it('keeps Large-Sparse sweeps apart, where sparsity 0 is a point (the engine prunes 1 − 1/k), not dense', () => {
    const k2 = (s: RunSettings) => ({ ...s, largeSparse: 2 });
    const sweeps = sparsitySweeps([run(0, 'snip', 1, 0.8), run(0.5, 'snip', 1, 0.7), run(0.9, 'snip', 1, 0.6), run(0, 'snip', 1, 0.75, k2), run(0.5, 'snip', 1, 0.72, k2)]);
    expect(sweeps.map((s) => [s.label, s.dense?.mean ?? null, s.lines[0]!.points.map((p) => p.sparsity)])).toEqual([
      ['houlsby d=16 on spam', 0.8, [0.5, 0.9]],
      ['houlsby d=16 (Large-Sparse ×2) on spam', null, [0, 0.5]],
    ]);
  });
});
