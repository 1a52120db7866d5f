import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTick, linePath, linearScale, nearestIndex, niceTicks } from './chartScale';

describe('niceTicks', () => {
  it('gives round steps covering the data', () => {
    expect(niceTicks(0.62, 0.71)).toEqual({ ticks: [0.62, 0.64, 0.66, 0.68, 0.7, 0.72], lo: 0.62, hi: 0.72, step: 0.02 });
    expect(niceTicks(1, 400)).toEqual({ ticks: [0, 100, 200, 300, 400], lo: 0, hi: 400, step: 100 });
    // Training steps: whole numbers only, and one step gets a range of ±1.
    expect(niceTicks(1, 4, 8, { integer: true }).ticks).toEqual([1, 2, 3, 4]);
    expect(niceTicks(4, 4, 5, { integer: true }).ticks).toEqual([3, 4, 5]);
    expect(niceTicks(0.1, 0.3, 2).ticks).toEqual([0.1, 0.2, 0.3]);
    expect(niceTicks(5, 5).ticks).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]);
    expect(niceTicks(0, 0).ticks).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(Number.NaN, 1).ticks).toEqual([]);
  });

  it('always covers [lo, hi] with evenly spaced ticks of step 1, 2 or 5 × 10^k, at most 2·count + 2 of them', () => {
    // Widths from a millionth of the values' size up: a chart's data never spans less.
    fc.assert(fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (lo, relative) => {
      const hi = lo + relative * Math.max(1, Math.abs(lo));
      const t = niceTicks(lo, hi);
      const step = t.ticks[1]! - t.ticks[0]!;
      // Covered up to float noise (a billionth of a step).
      expect(t.lo).toBeLessThanOrEqual(lo + 1e-6 * step);
      expect(t.hi).toBeGreaterThanOrEqual(hi - 1e-6 * step);
      expect(t.ticks.length).toBeGreaterThanOrEqual(2);
      expect(t.ticks.length).toBeLessThanOrEqual(12);
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('formatTick', () => {
  it('shows as many decimals as the step needs, so neighbouring ticks read differently', () => {
    const { ticks, step } = niceTicks(0.6958, 0.6972);
    const labels = ticks.map((t) => formatTick(t, step));
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels).toContain('0.6965');
    expect(formatTick(200, 100)).toBe('200');
    expect(formatTick(0.5, 0.1)).toBe('0.5');
    expect(formatTick(0.04, 0.02)).toBe('0.04');
  });
});

describe('linearScale, linePath, nearestIndex', () => {
  it('maps the domain onto the range (inverted for SVG y)', () => {
    const y = linearScale(0, 2, 100, 0);
    expect([y(0), y(1), y(2)]).toEqual([100, 50, 0]);
    expect(linearScale(3, 3, 0, 10)(3)).toBe(5);
  });

  it('draws a path that breaks at gaps', () => {
    expect(linePath([[0, 1], [2, 3], [Number.NaN, 1], [4, 5], [6, 7]])).toBe('M0.0,1.0L2.0,3.0M4.0,5.0L6.0,7.0');
    expect(linePath([])).toBe('');
  });

  it('finds the nearest of sorted values', () => {
    const xs = [1, 5, 10, 20];
    expect([0, 2.9, 3.1, 7.6, 14, 16, 99].map((x) => nearestIndex(xs, x))).toEqual([0, 0, 1, 2, 2, 3, 3]);
    expect(nearestIndex([], 3)).toBe(-1);
  });
});
