// Thinning and rounding of recorded figures (figures.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downsample, roundShown } from './figures';

describe('downsample', () => {
  it('keeps short curves whole and long ones at max points, evenly spaced, with both ends', () => {
    expect(downsample([1, 2, 3], 5)).toEqual([1, 2, 3]);
    const points = Array.from({ length: 1001 }, (_, i) => i);
    const kept = downsample(points, 11);
    expect(kept).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });
});

describe('roundShown', () => {
  it('keeps the text the table shows: x.toFixed(d) is unchanged, for any x and d (CI found 17.546 s shown as 17.6)', () => {
    expect(roundShown(17.546, 1).toFixed(1)).toBe('17.5');
    expect(Number((17.546).toPrecision(4)).toFixed(1)).toBe('17.6'); // what significant digits did
    fc.assert(fc.property(fc.double({ min: 0, max: 1e5, noNaN: true }), fc.integer({ min: 0, max: 6 }), (x, d) => roundShown(x, d).toFixed(d) === x.toFixed(d)), { numRuns: 20_000 });
    expect(roundShown(0.0000123456789, 4)).toBe(0.0000123457); // shown as 0.0000: 6 significant digits kept for the charts
    expect(roundShown(Number.NaN, 3)).toBeNaN();
  });
});
