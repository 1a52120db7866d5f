// Recorded figures made small: a curve thinned to a few points (for a chart or a link) and numbers
// rounded so that a link stays short and a shared run shows the same text. Plain functions, no DOM.

/** Keeps at most `max` points of a curve, evenly spaced, always the first and the last. */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]!);
  return out;
}

/** Rounds to `digits` significant digits, which is all a chart needs and keeps links short. */
export const roundTo = (x: number, digits = 4) => (x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits)));

/**
 * Rounds a figure the runs table shows with `decimals` decimals so that the shared run shows the same
 * text: `roundShown(x, d).toFixed(d) === x.toFixed(d)`. Rounding to significant digits first and to
 * decimals on display rounds twice (17.546 s → 17.55 → "17.6" instead of "17.5"). Values shown as 0
 * keep 6 significant digits for the charts.
 */
export const roundShown = (x: number, decimals: number) => {
  if (!Number.isFinite(x)) return x;
  const shown = Number(x.toFixed(decimals));
  return shown === 0 ? roundTo(x, 6) : shown;
};
