// Paired comparisons from hand-made records: known differences give known intervals and verdicts,
// pairs are matched by seed, and the bootstrap over dev items steps in when there is one seed.
import { describe, expect, it } from 'vitest';
import { packBits, pairedBootstrap } from '../../engine/stats';
import { compareBySeed, comparisonCells, REPORT_BOOTSTRAP, verdictSummary } from './compare';
import type { ExperimentRecord } from './runOne';

/** A record with only what a comparison reads: the seed, the dev accuracy and, optionally, per-item correctness. */
function run(seed: number, accuracy: number, correct?: number[]): ExperimentRecord {
  return {
    spec: { seed }, dev: { accuracy, macroF1: 0, mcc: 0, count: correct?.length ?? 100 },
    ...(correct && { devCorrect: { count: correct.length, bits: packBits(correct) } }),
  } as unknown as ExperimentRecord;
}

describe('compareBySeed', () => {
  it('gives the t interval of the differences worked out by hand, and its verdict', () => {
    // Differences 1, 2, −1 points: mean 2/3, half-width t(2)·√7/3 = 4.302653 × 0.881917 = 3.7946 (see stats.test.ts).
    const c = compareBySeed([run(1, 0.81), run(2, 0.82), run(3, 0.78)], [run(1, 0.8), run(2, 0.8), run(3, 0.79)])!;
    expect(c.seeds).toEqual([1, 2, 3]);
    expect(c.t.mean).toBeCloseTo(2 / 3, 9);
    expect(c.interval!.halfWidth).toBeCloseTo(3.794583, 5);
    expect(c.basis).toBe('t');
    expect(c.bootstrap).toBeNull();
    expect(c.verdict).toBe('no difference detected (±3.8 points at this sample size)');
    // sd of 1, 2, −1 is √(7/3) = 1.5275: n = 38 gives t(37)·1.5275/√38 = 2.0262 × 0.2478 = 0.5021, n = 39 gives 2.0244 × 0.2446 = 0.4952.
    expect(comparisonCells(c)).toEqual(['+0.7', '[−3.1, +4.5]', '—', 'no difference detected (±3.8 points at this sample size)', '3', '39']);
  });

  it('says better or worse when the interval excludes 0', () => {
    // Differences 2, 3, 4 points: mean 3, sd 1, half-width 4.302653/√3 = 2.4841 → [0.52, 5.48].
    const better = compareBySeed([run(1, 0.82), run(2, 0.83), run(3, 0.84)], [run(1, 0.8), run(2, 0.8), run(3, 0.8)])!;
    expect(better.interval!.low).toBeCloseTo(3 - 2.484138, 5);
    expect(better.verdict).toBe('better');
    const worse = compareBySeed([run(1, 0.8), run(2, 0.8), run(3, 0.8)], [run(1, 0.82), run(2, 0.83), run(3, 0.84)])!;
    expect(worse.verdict).toBe('worse');
    expect(verdictSummary([better, worse, compareBySeed([run(1, 0.81), run(2, 0.82), run(3, 0.78)], [run(1, 0.8), run(2, 0.8), run(3, 0.79)])!]))
      .toBe('Of 3 comparisons: 1 better, 1 worse, 1 with no difference detected; median 95% half-width ±2.5 points.');
  });

  it('pairs by seed, whatever the order, and only the seeds both sides ran', () => {
    // Seed 1: +2, seed 2: +4 points; seed 3 has no partner and seed 9 none either.
    const c = compareBySeed([run(2, 0.84), run(1, 0.82), run(3, 0.5)], [run(1, 0.8), run(9, 0.1), run(2, 0.8)])!;
    expect(c.seeds).toEqual([1, 2]);
    expect(c.t.mean).toBeCloseTo(3, 9);
    // sd √2, half-width t(1)·√2/√2 = 12.7062.
    expect(c.interval!.halfWidth).toBeCloseTo(12.7062, 3);
    expect(compareBySeed([run(1, 0.8)], [run(2, 0.8)])).toBeNull();
  });

  it('with one seed, follows the bootstrap over dev items and says seeds are not resampled', () => {
    const a = [1, 1, 1, 1, 1, 1, 1, 1, 0, 1];
    const b = [0, 0, 0, 1, 0, 1, 1, 1, 0, 1];
    const c = compareBySeed([run(4, 0.9, a)], [run(4, 0.5, b)])!;
    expect(c.t.low).toBeNull();
    expect(c.basis).toBe('bootstrap');
    const direct = pairedBootstrap([a], [b], REPORT_BOOTSTRAP);
    expect(c.bootstrap!.low).toBeCloseTo(100 * direct.low, 9);
    expect(c.bootstrap!.high).toBeCloseTo(100 * direct.high, 9);
    expect(c.bootstrap!.seedsResampled).toBe(false);
    // 4 of 10 items gained, none lost: every resample's difference is ≥ 0, and most are > 0.
    expect(c.bootstrap!.low).toBeGreaterThan(0);
    expect(c.verdict).toBe('better');
    expect(comparisonCells(c)[3]).toBe('better (bootstrap over dev items; seeds not resampled)');
    // Without per-item data, one seed gives no interval at all.
    const none = compareBySeed([run(4, 0.9)], [run(4, 0.5)])!;
    expect(none.interval).toBeNull();
    expect(none.verdict).toBe('no interval from one pair');
    expect(comparisonCells(none)[5]).toBe('—');
    expect(verdictSummary([none])).toBe('Of 1 comparison: 0 better, 0 worse, 0 with no difference detected, 1 without an interval (one seed, no per-item data).');
  });

  it('adds the bootstrap beside the t interval when every run has per-item data', () => {
    const c = compareBySeed([run(1, 0.75, [1, 1, 0, 1]), run(2, 0.5, [1, 0, 0, 1])], [run(1, 0.5, [1, 0, 0, 1]), run(2, 0.5, [0, 0, 1, 1])])!;
    expect(c.basis).toBe('t');
    expect(c.bootstrap).not.toBeNull();
    expect(c.bootstrap!.mean).toBeCloseTo(c.t.mean, 9);
    expect(c.bootstrap!.seedsResampled).toBe(true);
  });
});
