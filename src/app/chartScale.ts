// Axis arithmetic for the streaming line charts (components/RunCharts.tsx): "nice" tick values and the
// linear map from data to pixels. Plain functions, so they are unit-tested without a DOM.

/**
 * Tick values covering [lo, hi] at a step of 1, 2 or 5 × 10^k, about `count` of them; the domain is
 * widened to whole ticks. `integer`: steps of at least 1 (training steps have no halves).
 */
export function niceTicks(lo: number, hi: number, count = 5, options: { integer?: boolean } = {}): { ticks: number[]; lo: number; hi: number; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [], lo: 0, hi: 1, step: 1 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    // One value: a range around it (±1 for 0 or integers, else ±10%), so the point sits in the middle.
    const pad = lo === 0 || options.integer ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(options.integer ? 1 : 0, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!);
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  // Rounded to the step's decimals, so 0.1 + 0.2 shows as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let i = 0; first + i * step <= last + step * 1e-9; i++) ticks.push(Number((first + i * step).toFixed(decimals)));
  return { ticks, lo: first, hi: last, step };
}

/** A tick label with as many decimals as the step needs (ticks 0.6965 and 0.697 must not both read 0.697). */
export function formatTick(value: number, step: number): string {
  return value.toFixed(Math.min(12, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9))));
}

/** The linear map from [d0, d1] to [r0, r1] (a zero-width domain maps to the middle of the range). */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (x) => r0 + (x - d0) * k;
}

/** An SVG path through the points (x, y already in pixels); a gap (NaN) starts a new segment. */
export function linePath(points: [number, number][]): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The index of the value in the sorted `xs` nearest to `x` (-1 for an empty list). */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi]! - x) < Math.abs(xs[lo]! - x) ? hi : lo;
}
