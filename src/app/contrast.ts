// Colours for cells that carry text on a data-driven background (the density heatmap): the background
// as an opaque colour, and the text colour that reads best on it by WCAG 2.1's contrast ratio. With
// black or white text whichever contrasts more, every background reaches at least 4.58:1 (AA asks 4.5).

type Rgb = [number, number, number];

/** WCAG 2.1 relative luminance of an sRGB colour (0–255 channels). */
export function relativeLuminance([r, g, b]: Rgb): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG 2.1 contrast ratio of two colours, from 1 to 21. */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const css = ([r, g, b]: Rgb) => `rgb(${r}, ${g}, ${b})`;
const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];
/** The heatmap's hue (Okabe–Ito blue) and the panel it sits on. */
const HEAT: Rgb = [0, 114, 178];
const PANEL: Rgb = [255, 255, 255];

/** A density in [0, 1] as a cell's background (HEAT over the panel, 10–90% opaque) and its text colour. */
export function heatCellColors(density: number): { background: string; color: string; contrast: number } {
  const alpha = 0.1 + 0.8 * Math.min(1, Math.max(0, density));
  const background = PANEL.map((p, i) => Math.round(p + (HEAT[i]! - p) * alpha)) as Rgb;
  const onBlack = contrastRatio(background, BLACK);
  const onWhite = contrastRatio(background, WHITE);
  return onWhite >= onBlack ? { background: css(background), color: css(WHITE), contrast: onWhite } : { background: css(background), color: css(BLACK), contrast: onBlack };
}
