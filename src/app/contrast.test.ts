// Heatmap colours: WCAG's formulas on known pairs, and every density's text reaches AA contrast.
import { describe, expect, it } from 'vitest';
import { contrastRatio, heatCellColors, relativeLuminance } from './contrast';

describe('contrast', () => {
  it("computes WCAG 2.1's luminance and contrast ratio (known values)", () => {
    expect(relativeLuminance([255, 255, 255])).toBeCloseTo(1, 12);
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 10);
    expect(contrastRatio([118, 118, 118], [255, 255, 255])).toBeCloseTo(4.54, 2); // #767676, the usual AA grey
    expect(contrastRatio([0, 114, 178], [255, 255, 255])).toBeCloseTo(5.19, 2); // L(#0072B2) = 0.1524 by hand
  });

  it('gives every heatmap density a text colour with at least 4.5:1 contrast on its background', () => {
    let worst = Infinity;
    for (let i = 0; i <= 1000; i++) {
      const { background, color, contrast } = heatCellColors(i / 1000);
      const parse = (c: string) => c.match(/\d+/g)!.map(Number) as [number, number, number];
      expect(contrastRatio(parse(background), parse(color))).toBeCloseTo(contrast, 10);
      worst = Math.min(worst, contrast);
    }
    expect(worst).toBeGreaterThanOrEqual(4.5);
    // The old fixed rule (white text above 55%) failed AA on mid blues; the chosen colour does not.
    const mid = heatCellColors(0.6);
    expect(mid.background).toBe('rgb(107, 173, 210)');
    expect(contrastRatio([107, 173, 210], [255, 255, 255])).toBeLessThan(4.5);
    expect(mid.color).toBe('rgb(0, 0, 0)');
  });
});
