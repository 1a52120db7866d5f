// Comparisons over seeds: the two sides paired by seed, the t interval of the mean paired
// difference against a hand-computed case, the bootstrap over seeds and dev examples with few seeds,
// and a verdict that never claims a difference one of the shown intervals contains.
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../engine/settings';
import { pairedBootstrap } from '../engine/stats';
import { comparisons, FEW_SEEDS, PAGE_BOOTSTRAP } from './comparison';
import { createRunRecord, type RunRecord } from './runs';

const summary = (accuracy: number) => ({ type: 'summary' as const, budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy, macroF1: 0, mcc: 0, confusion: [], count: 40 }, labels: ['a', 'b'], seconds: 1, firstLossMs: 1 });
const side = (role: 'standard' | 'large-sparse', seed: number, accuracy: number | null, extra: Partial<RunRecord> = {}): RunRecord => {
  const settings = defaultRunSettings('houlsby');
  const record = createRunRecord(`${role}-${seed}`, `${role} ${seed}`, { ...settings, largeSparse: role === 'standard' ? 1 : 2, train: { ...settings.train, seed } }, 0, { group: 'g', role }, { group: role, seeds: 3 });
  return { ...record, status: accuracy === null ? 'queued' : 'done', summary: accuracy === null ? null : summary(accuracy), ...extra };
};

describe('comparisons over seeds', () => {
  it('pairs the sides by seed and gives the t interval of the mean difference (hand-computed)', () => {
    // Differences 5, 2, 5 points: mean 4, sd √((1 + 4 + 1) / 2) = √3, half-width t(2) · √3 / √3 = 4.302653.
    const [c] = comparisons([side('standard', 1, 0.5), side('large-sparse', 1, 0.55), side('standard', 3, 0.55), side('large-sparse', 2, 0.62), side('standard', 2, 0.6), side('large-sparse', 3, 0.6)]);
    expect(c!.pairs.map((p) => [p.seed, p.standard.id, p.large.id])).toEqual([[1, 'standard-1', 'large-sparse-1'], [2, 'standard-2', 'large-sparse-2'], [3, 'standard-3', 'large-sparse-3']]);
    expect(c!.planned).toBe(3);
    expect(c!.accuracyGain).toBeCloseTo(0.04, 12);
    expect(c!.t!.mean).toBeCloseTo(4, 10);
    expect(c!.t!.halfWidth!).toBeCloseTo(4.302653, 5);
    expect(c!.t!.low!).toBeCloseTo(-0.302653, 5);
    // No per-item data: no bootstrap; the verdict follows the t interval, which contains 0.
    expect(c!.bootstrap).toBeNull();
    expect(c!.verdict).toBe('no difference detected (±4.3 points at this sample size)');
  });

  it('says better when the t interval excludes 0 (differences 5, 4, 6: [2.52, 7.48])', () => {
    const [c] = comparisons([side('standard', 1, 0.5), side('large-sparse', 1, 0.55), side('standard', 2, 0.5), side('large-sparse', 2, 0.54), side('standard', 3, 0.5), side('large-sparse', 3, 0.56)]);
    expect(c!.t!.low!).toBeCloseTo(5 - 4.302653 / Math.sqrt(3), 5);
    expect(c!.verdict).toBe('better');
  });

  it('counts only seeds finished on both sides', () => {
    const [c] = comparisons([side('standard', 1, 0.5), side('large-sparse', 1, 0.6), side('standard', 2, 0.5), side('large-sparse', 2, null), side('standard', 3, 0.5, { status: 'stopped' }), side('large-sparse', 3, 0.9)]);
    expect(c!.pairs.map((p) => p.seed)).toEqual([1]);
    expect(c!.t).toBeNull();
    // One pair and no per-item data: a mean, and no interval to judge it by.
    expect(c!.accuracyGain).toBeCloseTo(0.1, 12);
    expect(c!.verdict).toBeNull();
  });

  it('with few seeds adds the paired bootstrap over seeds and dev examples, and judges by both', () => {
    // Seed 1: Large-Sparse right on items 0–29, standard on 10–29 (+25 points); seed 2: +5 points.
    const item = (f: (i: number) => boolean) => Uint8Array.from({ length: 40 }, (_, i) => (f(i) ? 1 : 0));
    const runs = [
      side('standard', 1, 0.5, { devCorrect: item((i) => i >= 10 && i < 30) }), side('large-sparse', 1, 0.75, { devCorrect: item((i) => i < 30) }),
      side('standard', 2, 0.5, { devCorrect: item((i) => i < 20) }), side('large-sparse', 2, 0.55, { devCorrect: item((i) => i < 22) }),
    ];
    const [c] = comparisons(runs);
    expect(c!.pairs).toHaveLength(2);
    expect(FEW_SEEDS).toBeGreaterThan(2);
    const expected = pairedBootstrap([runs[1]!.devCorrect!, runs[3]!.devCorrect!], [runs[0]!.devCorrect!, runs[2]!.devCorrect!], PAGE_BOOTSTRAP);
    expect(c!.bootstrap!.seedsResampled).toBe(true);
    expect(c!.bootstrap!.mean).toBeCloseTo(15, 10);
    expect(c!.bootstrap!.low).toBeCloseTo(100 * expected.low, 10);
    expect(c!.bootstrap!.high).toBeCloseTo(100 * expected.high, 10);
    // t over 2 seeds: mean 15, sd 14.142, half-width 12.706 · 10 = 127.06: contains 0, so no verdict of a difference,
    // whatever the bootstrap says, with the wider interval's half-width.
    expect(c!.t!.halfWidth!).toBeCloseTo(127.06205, 4);
    expect(c!.verdict).toBe('no difference detected (±127.1 points at this sample size)');
  });

  it('keeps a one-seed comparison as before: a bootstrap over dev examples only', () => {
    const item = (f: (i: number) => boolean) => Uint8Array.from({ length: 40 }, (_, i) => (f(i) ? 1 : 0));
    const [c] = comparisons([side('standard', 1, 0.5, { devCorrect: item((i) => i >= 10 && i < 30), seedGroup: undefined }), side('large-sparse', 1, 0.75, { devCorrect: item((i) => i < 30), seedGroup: undefined })]);
    expect(c!.planned).toBe(1);
    expect(c!.t).toBeNull();
    expect(c!.bootstrap!.seedsResampled).toBe(false);
    expect(c!.verdict).toBe('better');
  });
});
