// Paired statistics for "is configuration A better than B?": the mean difference over seeds with a
// Student t interval, a paired bootstrap over seeds and dev items, and the words that follow from an
// interval. Plain TypeScript (no tfjs, no DOM, no Node): the CLI's report and the page both use it.
import { createRng } from './random';

/** The arithmetic mean (NaN for no values). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The sample standard deviation (n − 1 in the denominator; NaN for fewer than two values). */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return NaN;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

// ---------------------------------------------------------------- Student t quantiles

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** log Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms; relative error about 1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Lentz's continued fraction for the incomplete beta function (Numerical Recipes' `betacf`). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const clamp = (v: number) => (Math.abs(v) < TINY ? TINY : v);
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 1_000_000; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / clamp(1 + even * d);
    c = clamp(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / clamp(1 + odd * d);
    c = clamp(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) return h;
  }
  throw new Error(`the incomplete beta function did not converge (x ${x}, a ${a}, b ${b})`);
}

/**
 * The regularised incomplete beta function I_x(a, b). `oneMinusX` may be given when 1 − x is known
 * more precisely than the subtraction gives it (x close to 1).
 */
export function regularizedBeta(x: number, a: number, b: number, oneMinusX = 1 - x): number {
  if (x <= 0) return 0;
  if (oneMinusX <= 0) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(oneMinusX);
  // The continued fraction converges fast on this side of the mean; the other side by symmetry.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(oneMinusX, b, a)) / b;
}

/** P(|T| > t) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function tTwoSidedTail(t: number, df: number): number {
  const t2 = t * t;
  return regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
}

/** Beyond this many degrees of freedom the 95% quantile moves by less than 3e-7; this one's is used. */
const MAX_DF = 1e7;
const quantileCache = new Map<string, number>();

/**
 * The two-sided Student t quantile: the t with P(|T| ≤ t) = `confidence` for `df` degrees of freedom
 * (df may be fractional). Found by bisection on the tail (to about 1e-12), not read from a table.
 */
export function tQuantile(df: number, confidence = 0.95): number {
  if (!(df > 0)) throw new Error(`a t quantile needs positive degrees of freedom (got ${df})`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`a confidence level lies strictly between 0 and 1 (got ${confidence})`);
  const nu = Math.min(df, MAX_DF);
  const key = `${nu} ${confidence}`;
  const cached = quantileCache.get(key);
  if (cached !== undefined) return cached;
  const alpha = 1 - confidence;
  let lo = 0;
  let hi = 2;
  while (tTwoSidedTail(hi, nu) > alpha) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tTwoSidedTail(mid, nu) > alpha) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  quantileCache.set(key, t);
  return t;
}

// ---------------------------------------------------------------- paired intervals

/** An interval of a difference; `halfWidth` is half its width (the "±" a reader sees). */
export interface Interval {
  low: number;
  high: number;
  halfWidth: number;
}

/** The mean of the paired differences a − b with its Student t interval; no interval (nulls) from one pair. */
export interface PairedDifference {
  n: number;
  mean: number;
  /** The sample standard deviation of the differences (null for one pair). */
  sd: number | null;
  halfWidth: number | null;
  low: number | null;
  high: number | null;
}

/**
 * The paired difference a[i] − b[i] (a and b from the same seeds, in the same order): its mean and
 * the t interval mean ± t(n − 1) · sd / √n. One pair gives a mean but no interval: the spread
 * between seeds cannot be estimated from one.
 */
export function pairedDifference(a: readonly number[], b: readonly number[], confidence = 0.95): PairedDifference {
  if (a.length !== b.length) throw new Error(`a paired difference needs as many values on each side (${a.length} and ${b.length})`);
  if (a.length === 0) throw new Error('a paired difference needs at least one pair');
  const d = a.map((x, i) => x - b[i]!);
  const m = mean(d);
  if (d.length < 2) return { n: 1, mean: m, sd: null, halfWidth: null, low: null, high: null };
  const sd = sampleSd(d);
  const halfWidth = (tQuantile(d.length - 1, confidence) * sd) / Math.sqrt(d.length);
  return { n: d.length, mean: m, sd, halfWidth, low: m - halfWidth, high: m + halfWidth };
}

/**
 * How many paired seeds a t interval over seeds needs for a half-width of at most `target`, given a
 * seed-to-seed standard deviation `sd` of the difference: the smallest n ≥ 2 with
 * t(n − 1) · sd / √n ≤ target (null when even `max` seeds do not reach it). With such an interval a
 * true difference of `target` is detected about half the time; detecting it 80% of the time takes
 * roughly twice as many seeds. `sd` is itself estimated from few seeds, so this is a rough guide.
 */
export function seedsForHalfWidth(sd: number, target: number, confidence = 0.95, max = 10000): number | null {
  if (!(sd >= 0) || !(target > 0)) throw new Error(`seedsForHalfWidth needs sd ≥ 0 and a positive target (got ${sd}, ${target})`);
  const reaches = (n: number) => (tQuantile(n - 1, confidence) * sd) / Math.sqrt(n) <= target;
  if (!reaches(max)) return null;
  // The half-width falls as n grows: bisect between 1 (never an interval) and max.
  let lo = 1;
  let hi = max;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reaches(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** A paired bootstrap's percentile interval of the difference in accuracy (fractions, not points). */
export interface BootstrapInterval extends Interval {
  /** The observed difference: the mean over seeds of each seed's accuracy difference. */
  mean: number;
  seeds: number;
  /** Dev items per seed (the same for both sides of a pair). */
  items: number[];
  resamples: number;
  /** False with one seed: then only items are resampled, and the interval ignores seed-to-seed spread. */
  seedsResampled: boolean;
}

/** The value at quantile p of sorted values, interpolated linearly between order statistics (NumPy's default). */
function sortedQuantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const i = Math.floor(h);
  const next = sorted[Math.min(i + 1, sorted.length - 1)]!;
  return sorted[i]! + (h - i) * (next - sorted[i]!);
}

/**
 * A paired bootstrap of accuracy(A) − accuracy(B). `perSeedCorrectA[s][i]` is 1 when A's run with
 * seed s got dev item i right (B's array for the same seed covers the same items). Each resample
 * draws seeds with replacement and, within each drawn seed, items with replacement, the same items
 * for A and B; its statistic is the mean over drawn seeds of the accuracy difference on the drawn
 * items. Returns the percentile interval. Deterministic: the draws come from `createRng(seed)`, a
 * seed index then that seed's item indices, in that order.
 */
export function pairedBootstrap(perSeedCorrectA: readonly ArrayLike<number>[], perSeedCorrectB: readonly ArrayLike<number>[], options: { resamples?: number; seed?: number; confidence?: number } = {}): BootstrapInterval {
  const { resamples = 2000, seed = 1, confidence = 0.95 } = options;
  if (perSeedCorrectA.length !== perSeedCorrectB.length) throw new Error(`a paired bootstrap needs the same seeds on both sides (${perSeedCorrectA.length} and ${perSeedCorrectB.length})`);
  if (perSeedCorrectA.length === 0) throw new Error('a paired bootstrap needs at least one seed');
  if (!(resamples >= 1)) throw new Error('a bootstrap needs at least one resample');
  const diffs = perSeedCorrectA.map((a, s) => {
    const b = perSeedCorrectB[s]!;
    if (a.length !== b.length || a.length === 0) throw new Error(`seed ${s + 1}: both runs must cover the same, non-empty dev items (${a.length} and ${b.length})`);
    return Int8Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!);
  });
  const perSeedMean = (d: Int8Array) => d.reduce((x, y) => x + y, 0) / d.length;
  const observed = mean(diffs.map(perSeedMean));
  const rng = createRng(seed);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (let j = 0; j < diffs.length; j++) {
      const d = diffs[Math.floor(rng() * diffs.length)]!;
      let sum = 0;
      for (let i = 0; i < d.length; i++) sum += d[Math.floor(rng() * d.length)]!;
      total += sum / d.length;
    }
    stats[r] = total / diffs.length;
  }
  stats.sort();
  const tail = (1 - confidence) / 2;
  const low = sortedQuantile(stats, tail);
  const high = sortedQuantile(stats, 1 - tail);
  return { mean: observed, low, high, halfWidth: (high - low) / 2, seeds: diffs.length, items: diffs.map((d) => d.length), resamples, seedsResampled: diffs.length > 1 };
}

/** What an interval of a difference says: the words follow from whether it excludes 0. */
export type Verdict = 'better' | 'worse' | `no difference detected (±${string} at this sample size)` | 'no interval from one pair';

/** A number of points to show: one decimal, or one significant digit below 0.1. */
const shown = (x: number) => (x >= 0.1 || x === 0 ? x.toFixed(1) : x.toPrecision(1));

/**
 * "better" when the whole interval of A − B lies above 0, "worse" when below, otherwise "no difference
 * detected (±x points at this sample size)", x being the interval's half-width in `unit` (the
 * interval's own unit: the caller scales). An interval with no bounds (one pair) says so.
 */
export function verdict(interval: { low: number | null; high: number | null }, unit = 'points'): Verdict {
  const { low, high } = interval;
  if (low === null || high === null) return 'no interval from one pair';
  if (low > 0) return 'better';
  if (high < 0) return 'worse';
  return `no difference detected (±${shown((high - low) / 2)} ${unit} at this sample size)`;
}

/** The mean of values with its Student t interval; no interval (nulls) from one value. */
export type MeanInterval = PairedDifference;

/**
 * The mean of `values` (one per seed) with the t interval mean ± t(n − 1) · sd / √n, as the page's
 * bands over seeds draw it; the same arithmetic as `pairedDifference` against zeros.
 */
export function meanInterval(values: readonly number[], confidence = 0.95): MeanInterval {
  return pairedDifference(values, values.map(() => 0), confidence);
}

/**
 * The verdict that several intervals of the same difference allow together (a t interval over seeds
 * and a bootstrap, say): "better" or "worse" only when every one of them excludes 0 on that side,
 * otherwise "no difference detected" with the largest half-width among them, so the words never
 * claim a difference that one of the intervals shown beside them contains. Intervals without bounds
 * are skipped; with none left, "no interval from one pair".
 */
export function jointVerdict(intervals: readonly { low: number | null; high: number | null }[], unit = 'points'): Verdict {
  const bounded = intervals.filter((i): i is { low: number; high: number } => i.low !== null && i.high !== null);
  if (bounded.length === 0) return 'no interval from one pair';
  if (bounded.every((i) => i.low > 0)) return 'better';
  if (bounded.every((i) => i.high < 0)) return 'worse';
  const widest = bounded.reduce((w, i) => (i.high - i.low > w.high - w.low ? i : w));
  return `no difference detected (±${shown((widest.high - widest.low) / 2)} ${unit} at this sample size)`;
}

// ---------------------------------------------------------------- per-item correctness, stored compactly

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 0/1 values as base64 of their bits, 8 to a byte, the first value in a byte's lowest bit. */
export function packBits(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) if (values[i]) bytes[i >> 3]! |= 1 << (i & 7);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]! + (i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=') + (i + 2 < bytes.length ? BASE64[n & 63]! : '=');
  }
  return out;
}

/** The `count` 0/1 values that `packBits` wrote; throws on text that is not such a packing. */
export function unpackBits(text: string, count: number): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 6) / 8));
  if (!Number.isInteger(count) || count < 0 || bytes.length !== Math.ceil(count / 8)) throw new Error(`packed bits: ${text.length} characters cannot hold exactly ${count} values`);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (const ch of clean) {
    const v = BASE64.indexOf(ch);
    if (v < 0) throw new Error(`packed bits: "${ch}" is not a base64 character`);
    acc = ((acc << 6) | v) & 0x3fff; // at most 13 pending bits
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[j++] = (acc >> bits) & 255;
    }
  }
  return Uint8Array.from({ length: count }, (_, i) => (bytes[i >> 3]! >> (i & 7)) & 1);
}
