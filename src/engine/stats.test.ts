// The paired statistics against values computed by hand or by an independent route: t quantiles
// against the printed tables, a 3-pair interval worked out below, the bootstrap against a plain
// re-implementation and an exact enumeration, the verdict's words, and the bit packing.
import { describe, expect, it } from 'vitest';
import { createRng } from './random';
import { jointVerdict, mean, meanInterval, packBits, pairedBootstrap, pairedDifference, sampleSd, seedsForHalfWidth, tQuantile, tTwoSidedTail, unpackBits, verdict } from './stats';

describe('mean and sampleSd', () => {
  it('give the mean and the n − 1 standard deviation', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5);
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sampleSd([3])).toBeNaN();
    expect(mean([])).toBeNaN();
  });
});

describe('seedsForHalfWidth', () => {
  it('gives the smallest n with t(n − 1) · sd / √n ≤ target, checked against the t table', () => {
    // sd 1, target 0.5: n = 18 gives t(17)/√18 = 2.1098/4.2426 = 0.4973; n = 17 gives t(16)/√17 = 2.1199/4.1231 = 0.5142.
    expect(seedsForHalfWidth(1, 0.5)).toBe(18);
    // sd 0.5, target 0.5: n = 7 gives t(6)/√7 = 2.4469/2.6458 = 0.9248 × 0.5 = 0.4624; n = 6: 2.5706/2.4495 × 0.5 = 0.5247.
    expect(seedsForHalfWidth(0.5, 0.5)).toBe(7);
    // No spread: two seeds already give a zero-width interval.
    expect(seedsForHalfWidth(0, 0.5)).toBe(2);
    // Out of reach within max.
    expect(seedsForHalfWidth(100, 0.5, 0.95, 1000)).toBeNull();
    expect(() => seedsForHalfWidth(1, 0)).toThrow(/positive target/);
  });
});

describe('tQuantile', () => {
  it('matches the two-sided 95% table to 1e-4', () => {
    const table: [number, number][] = [[1, 12.7062], [2, 4.3027], [4, 2.7764], [9, 2.2622], [30, 2.0423], [1e6, 1.96], [1e9, 1.96]];
    for (const [df, t] of table) expect(Math.abs(tQuantile(df) - t)).toBeLessThan(1e-4);
  });

  it('works for other levels and fractional df (values from scipy.stats.t.ppf, to 1e-8)', () => {
    expect(Math.abs(tQuantile(2.5) - 3.5746548420036817)).toBeLessThan(1e-8);
    expect(Math.abs(tQuantile(7, 0.99) - 3.4994832973504924)).toBeLessThan(1e-8);
    expect(Math.abs(tTwoSidedTail(2, 5) - 0.10193947882985835)).toBeLessThan(1e-12);
    // df 1 is the Cauchy distribution: P(|T| > t) = 1 − 2·atan(t)/π exactly.
    expect(Math.abs(tTwoSidedTail(3, 1) - (1 - (2 * Math.atan(3)) / Math.PI))).toBeLessThan(1e-12);
  });

  it('refuses what has no quantile', () => {
    expect(() => tQuantile(0)).toThrow(/positive degrees of freedom/);
    expect(() => tQuantile(3, 1)).toThrow(/confidence/);
  });
});

describe('pairedDifference', () => {
  it('gives the t interval of 3 pairs worked out by hand', () => {
    // Differences 1, 2, −1 points: mean 2/3; squared deviations (1/3)², (4/3)², (5/3)² sum to 42/9,
    // so the variance is 7/3 and the standard error √(7/3)/√3 = √7/3; t(2) = 4.302653 (table).
    const r = pairedDifference([81, 82, 78], [80, 80, 79]);
    expect(r.n).toBe(3);
    expect(r.mean).toBeCloseTo(2 / 3, 12);
    expect(r.sd).toBeCloseTo(Math.sqrt(7 / 3), 12);
    expect(r.halfWidth!).toBeCloseTo((4.302653 * Math.sqrt(7)) / 3, 5);
    expect(r.halfWidth!).toBeCloseTo(3.794583, 5);
    expect(r.low!).toBeCloseTo(2 / 3 - 3.794583, 5);
    expect(r.high!).toBeCloseTo(2 / 3 + 3.794583, 5);
  });

  it('gives no interval from one pair, and refuses unpaired input', () => {
    expect(pairedDifference([0.8], [0.7])).toEqual({ n: 1, mean: expect.closeTo(0.1, 12) as number, sd: null, halfWidth: null, low: null, high: null });
    expect(() => pairedDifference([1, 2], [1])).toThrow(/as many values/);
    expect(() => pairedDifference([], [])).toThrow(/at least one pair/);
  });
});

/** The bootstrap written out plainly: per resample, draw seeds, then items, and compare the two accuracies. */
function plainBootstrap(a: number[][], b: number[][], resamples: number, seed: number): { low: number; high: number } {
  const rng = createRng(seed);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const perSeed: number[] = [];
    for (let j = 0; j < a.length; j++) {
      const s = Math.floor(rng() * a.length);
      let rightA = 0;
      let rightB = 0;
      for (let i = 0; i < a[s]!.length; i++) {
        const item = Math.floor(rng() * a[s]!.length);
        rightA += a[s]![item]!;
        rightB += b[s]![item]!;
      }
      perSeed.push(rightA / a[s]!.length - rightB / b[s]!.length);
    }
    values.push(perSeed.reduce((x, y) => x + y, 0) / perSeed.length);
  }
  values.sort((x, y) => x - y);
  const at = (p: number) => {
    const h = (values.length - 1) * p;
    const lo = Math.floor(h);
    return values[lo]! + (h - lo) * (values[Math.min(lo + 1, values.length - 1)]! - values[lo]!);
  };
  return { low: at(0.025), high: at(0.975) };
}

describe('pairedBootstrap', () => {
  const a = [[1, 1, 0, 1, 0, 1], [1, 0, 1, 1, 1, 1], [0, 1, 1, 1, 0, 1]];
  const b = [[1, 0, 0, 1, 0, 0], [1, 0, 1, 0, 1, 1], [0, 1, 0, 1, 1, 1]];

  it('agrees with a plain re-implementation for a fixed seed, and is deterministic', () => {
    const r = pairedBootstrap(a, b, { resamples: 500, seed: 7 });
    const plain = plainBootstrap(a, b, 500, 7);
    expect(r.low).toBeCloseTo(plain.low, 12);
    expect(r.high).toBeCloseTo(plain.high, 12);
    // Observed: per seed 2/6, 1/6 and 0 → mean 1/6.
    expect(r.mean).toBeCloseTo(1 / 6, 12);
    expect(r).toMatchObject({ seeds: 3, items: [6, 6, 6], resamples: 500, seedsResampled: true });
    expect(pairedBootstrap(a, b, { resamples: 500, seed: 7 })).toEqual(r);
    expect(pairedBootstrap(a, b, { resamples: 500, seed: 8 }).low).not.toBe(r.low);
  });

  it('matches an exact enumeration of a one-seed, two-item case', () => {
    // Item 0: A right, B wrong (difference 1); item 1: both right (0). Two draws give a difference of
    // 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4: the 2.5% and 97.5% percentiles are 0 and 1.
    const r = pairedBootstrap([[1, 1]], [[0, 1]], { resamples: 4000, seed: 3 });
    expect(r).toMatchObject({ mean: 0.5, low: 0, high: 1, halfWidth: 0.5, seedsResampled: false });
  });

  it('gives a point interval when nothing varies, and about the normal interval for many items', () => {
    expect(pairedBootstrap([[1, 1, 0]], [[1, 1, 0]], { resamples: 50 })).toMatchObject({ low: 0, high: 0 });
    // 2,000 items, A right where B is wrong on 10% and the reverse on 5%: sd of d ≈ √(0.15 − 0.05²).
    const n = 2000;
    const rng = createRng(11);
    const A: number[] = [];
    const B: number[] = [];
    for (let i = 0; i < n; i++) {
      const u = rng();
      A.push(u < 0.1 ? 1 : u < 0.15 ? 0 : 1);
      B.push(u < 0.1 ? 0 : u < 0.15 ? 1 : 1);
    }
    const d = A.map((x, i) => x - B[i]!);
    const normalHalfWidth = (1.96 * sampleSd(d)) / Math.sqrt(n);
    const r = pairedBootstrap([A], [B], { resamples: 2000, seed: 5 });
    expect(Math.abs(r.halfWidth / normalHalfWidth - 1)).toBeLessThan(0.1);
  });

  it('refuses unpaired data', () => {
    expect(() => pairedBootstrap([[1, 0]], [[1, 0], [1, 1]])).toThrow(/same seeds/);
    expect(() => pairedBootstrap([[1, 0]], [[1]])).toThrow(/same, non-empty dev items/);
  });
});

describe('verdict', () => {
  it('follows from whether the interval excludes 0', () => {
    expect(verdict({ low: 0.2, high: 3 })).toBe('better');
    expect(verdict({ low: -3, high: -0.2 })).toBe('worse');
    expect(verdict({ low: -1.2, high: 2 })).toBe('no difference detected (±1.6 points at this sample size)');
    expect(verdict({ low: 0, high: 2 })).toBe('no difference detected (±1.0 points at this sample size)');
    expect(verdict({ low: -0.02, high: 0.04 }, 'pp')).toBe('no difference detected (±0.03 pp at this sample size)');
    expect(verdict({ low: null, high: null })).toBe('no interval from one pair');
  });
});

describe('packBits', () => {
  it('writes 8 values a byte, lowest bit first, as base64, and reads them back', () => {
    // Bytes 0b00001101 = 13 and 0b00000001 = 1; base64 of [13, 1] is "DQE=" (Node's Buffer agrees).
    const values = [1, 0, 1, 1, 0, 0, 0, 0, 1];
    expect(packBits(values)).toBe('DQE=');
    expect(packBits(values)).toBe(Buffer.from([13, 1]).toString('base64'));
    expect([...unpackBits('DQE=', 9)]).toEqual(values);
    const rng = createRng(2);
    for (const n of [0, 1, 7, 8, 16, 17, 23, 24, 25, 301]) {
      const bits = Uint8Array.from({ length: n }, () => (rng() < 0.6 ? 1 : 0));
      expect(unpackBits(packBits(bits), n)).toEqual(bits);
    }
    expect(() => unpackBits('DQE=', 30)).toThrow(/cannot hold/);
    expect(() => unpackBits('D*E=', 9)).toThrow(/base64/);
  });
});

describe('meanInterval', () => {
  it('gives the t interval of a mean worked out by hand', () => {
    // 0.50, 0.70, 0.60: mean 0.6, sd 0.1, t(2, 0.975) = 4.302653 (table), half-width 4.302653 · 0.1 / √3 = 0.248414.
    const m = meanInterval([0.5, 0.7, 0.6]);
    expect(m.n).toBe(3);
    expect(m.mean).toBeCloseTo(0.6, 12);
    expect(m.sd).toBeCloseTo(0.1, 12);
    expect(m.halfWidth).toBeCloseTo(0.248414, 5);
    expect(m.low).toBeCloseTo(0.6 - 0.248414, 5);
    expect(m.high).toBeCloseTo(0.6 + 0.248414, 5);
    // Two values 0.5, 0.7: sd 0.141421, t(1) = 12.706205, half-width 12.706205 · 0.141421 / √2 = 1.2706205.
    expect(meanInterval([0.5, 0.7]).halfWidth).toBeCloseTo(1.2706205, 5);
  });

  it('gives no interval from one value', () => {
    expect(meanInterval([0.8])).toEqual({ n: 1, mean: 0.8, sd: null, halfWidth: null, low: null, high: null });
  });
});

describe('jointVerdict', () => {
  it('says better or worse only when every interval agrees, else the largest half-width', () => {
    expect(jointVerdict([{ low: 0.5, high: 3 }, { low: 0.1, high: 2 }])).toBe('better');
    expect(jointVerdict([{ low: -3, high: -0.5 }, { low: -2, high: -0.1 }])).toBe('worse');
    // The t interval excludes 0 but the bootstrap does not: no claim, and the wider interval's ±.
    expect(jointVerdict([{ low: 0.5, high: 3.5 }, { low: -1, high: 5 }])).toBe('no difference detected (±3.0 points at this sample size)');
    expect(jointVerdict([{ low: 1, high: 2 }, { low: -4, high: -3 }])).toBe('no difference detected (±0.5 points at this sample size)');
  });

  it('skips intervals without bounds, and says so when none is left', () => {
    expect(jointVerdict([{ low: null, high: null }, { low: 0.2, high: 0.4 }])).toBe('better');
    expect(jointVerdict([{ low: null, high: null }])).toBe('no interval from one pair');
    expect(jointVerdict([])).toBe('no interval from one pair');
  });
});
