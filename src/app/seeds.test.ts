// Repeating a configuration over seeds: the seeds used, the band over seeds against hand-computed t
// intervals, which runs are drawn as a group, what "Use settings" puts back, and seed groups read
// from untrusted input.
import { describe, expect, it } from 'vitest';
import { defaultRunSettings, type RunSettings } from '../engine/settings';
import { createRunRecord, type RunRecord } from './runs';
import { meanBand, parseSeedGroup, repeatOf, seedsProblem, splitSeedGroups, withSeeds } from './seeds';

const base = defaultRunSettings('houlsby');
const withSeed = (seed: number): RunSettings => ({ ...base, train: { ...base.train, seed } });
const summary = { type: 'summary' as const, budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy: 0.5, macroF1: 0, mcc: 0, confusion: [], count: 4 }, labels: ['a', 'b'], seconds: 1, firstLossMs: 1 };
const run = (id: string, seed: number, group: string | null, status: RunRecord['status'] = 'done'): RunRecord => ({ ...createRunRecord(id, id, withSeed(seed), 0, null, group ? { group, seeds: 3 } : undefined), status, summary: status === 'done' ? summary : null });

describe('withSeeds', () => {
  it('gives seed, seed + 1, …, seed + n − 1 and changes nothing else', () => {
    const all = withSeeds(withSeed(41), 3);
    expect(all.map((s) => s.train.seed)).toEqual([41, 42, 43]);
    for (const s of all) expect({ ...s, train: { ...s.train, seed: 0 } }).toEqual({ ...base, train: { ...base.train, seed: 0 } });
  });

  it('refuses seeds past the largest seed', () => {
    const max = 2 ** 31 - 1;
    expect(seedsProblem(max - 1, 2)).toBeNull();
    expect(seedsProblem(max - 1, 3)).toBe(`seeds ${max - 1} to ${max + 1} go past the largest seed, ${max}: pick a smaller seed`);
    expect(() => withSeeds(withSeed(max), 2)).toThrow(/go past the largest seed/);
  });
});

describe('meanBand', () => {
  it('gives the mean and the t interval over curves at the x every curve has', () => {
    // At x = 10: 0.5, 0.7, 0.6 → mean 0.6, sd 0.1, half-width t(2) · 0.1 / √3 = 4.302653 · 0.057735 = 0.248414.
    // At x = 20: 0.8, 0.8, 0.8 → no spread. x = 5 is missing from one curve, x = 30 is NaN in one.
    const band = meanBand([
      [[5, 0.1], [10, 0.5], [20, 0.8], [30, 0.9]],
      [[10, 0.7], [20, 0.8], [30, NaN]],
      [[5, 0.3], [10, 0.6], [20, 0.8], [30, 0.9]],
    ]);
    expect(band.map((b) => b.x)).toEqual([10, 20]);
    expect(band[0]!.n).toBe(3);
    expect(band[0]!.mean).toBeCloseTo(0.6, 12);
    expect(band[0]!.low).toBeCloseTo(0.6 - 0.248414, 5);
    expect(band[0]!.high).toBeCloseTo(0.6 + 0.248414, 5);
    expect(band[1]!.n).toBe(3);
    expect(band[1]!.mean).toBeCloseTo(0.8, 12);
    expect(band[1]!.low).toBeCloseTo(0.8, 12);
  });

  it('clips the band (not the mean) to a range, and gives the curve itself for one run', () => {
    // 0.5 and 0.7: half-width t(1) · 0.141421 / √2 = 1.2706205, so [−0.67, 1.87] clipped to [0, 1].
    const [b] = meanBand([[[1, 0.5]], [[1, 0.7]]], [0, 1]);
    expect(b).toEqual({ x: 1, mean: 0.6, low: 0, high: 1, n: 2 });
    expect(meanBand([[[1, 0.5], [2, 0.4]]])).toEqual([{ x: 1, mean: 0.5, low: 0.5, high: 0.5, n: 1 }, { x: 2, mean: 0.4, low: 0.4, high: 0.4, n: 1 }]);
    expect(meanBand([])).toEqual([]);
  });
});

describe('splitSeedGroups', () => {
  it('groups the finished runs of a seed group (two or more), each seed once, and leaves the rest single', () => {
    const runs = [run('a1', 1, 'A'), run('b', 1, null), run('a2', 2, 'A'), run('a3', 3, 'A', 'running'), run('c1', 1, 'C'), run('a2again', 2, 'A')];
    const { groups, singles } = splitSeedGroups(runs);
    expect(groups.map((g) => [g.group, g.runs.map((r) => r.id)])).toEqual([['A', ['a1', 'a2again']]]);
    expect(singles.map((r) => r.id)).toEqual(['b', 'a2', 'a3', 'c1']);
  });
});

describe('repeatOf', () => {
  it("puts back a group's lowest seed and count, and a single run as it was", () => {
    const runs = [run('a2', 6, 'A'), run('a1', 5, 'A'), run('a3', 7, 'A')];
    expect(repeatOf(runs[0]!, runs)).toEqual({ settings: withSeed(5), page: { seeds: 3 } });
    expect(repeatOf(run('b', 9, null), runs)).toEqual({ settings: withSeed(9), page: { seeds: 1 } });
  });
});

describe('parseSeedGroup', () => {
  it('reads a good group, nothing from nothing, and says what is wrong with a bad one', () => {
    expect(parseSeedGroup({ group: 'g', seeds: 20 }, 'x')).toEqual({ seedGroup: { group: 'g', seeds: 20 }, problems: [] });
    expect(parseSeedGroup(undefined, 'x')).toEqual({ seedGroup: undefined, problems: [] });
    expect(parseSeedGroup({ group: 'g', seeds: 2.5 }, 'the run').problems).toEqual(['the run: seeds 2.5 is not a whole number from 1 to 20; showing it as a single run']);
    expect(parseSeedGroup('g', 'the run').problems).toEqual(['the run: its seed group "g" is damaged (no group name); showing it as a single run']);
  });
});
