// Checks the metrics against values computed by hand (the arithmetic is in the comments); exact
// fractions are compared to 12 decimal places.
import { describe, expect, it } from 'vitest';
import { classificationMetrics, tokenAccuracy, tokenClassificationMetrics } from './metrics';

describe('classificationMetrics, binary', () => {
  // gold 1 1 1 1 0 0 0 0 0 0
  // pred 1 1 1 0 1 0 0 0 0 0   → TP = 3, FN = 1, FP = 1, TN = 5 (n = 10)
  const gold = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
  const pred = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0];
  const m = classificationMetrics(pred, gold, 2);

  it('counts the confusion matrix as confusion[gold][predicted]', () => {
    expect(m.confusion).toEqual([[5, 1], [1, 3]]);
    expect(m.count).toBe(10);
  });
  it('accuracy = (TP + TN) / n = 8 / 10', () => expect(m.accuracy).toBeCloseTo(0.8, 12));
  it('macro-F1 = mean of F1(1) = 3/4 (P = R = 3/4) and F1(0) = 5/6 (P = R = 5/6) = 19/24', () => {
    expect(m.macroF1).toBeCloseTo(19 / 24, 12);
  });
  it('MCC = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (15 − 1) / √(4·4·6·6) = 14/24', () => {
    expect(m.mcc).toBeCloseTo(14 / 24, 12);
  });
  it('is 1 for perfect predictions, −1 for inverted ones, 0 when one class is always predicted', () => {
    expect(classificationMetrics(gold, gold, 2).mcc).toBeCloseTo(1, 12);
    expect(classificationMetrics(gold.map((g) => 1 - g), gold, 2).mcc).toBeCloseTo(-1, 12);
    const constant = classificationMetrics(gold.map(() => 0), gold, 2);
    expect(constant.mcc).toBe(0);
    // F1(0): P = 6/10, R = 1 → 2·0.6/1.6 = 3/4; F1(1) = 0 (never predicted) → macro 3/8.
    expect(constant.macroF1).toBeCloseTo(3 / 8, 12);
  });
});

describe('classificationMetrics, 3 classes', () => {
  // gold 0 0 0 1 1 1 2 2 2 2
  // pred 0 0 1 1 1 2 2 2 2 2
  // confusion (rows gold, columns predicted): [2 1 0] [0 2 1] [0 0 4]
  const gold = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
  const pred = [0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
  const m = classificationMetrics(pred, gold, 3);

  it('counts the confusion matrix', () => expect(m.confusion).toEqual([[2, 1, 0], [0, 2, 1], [0, 0, 4]]));
  it('accuracy = 8 / 10', () => expect(m.accuracy).toBeCloseTo(0.8, 12));
  it('macro-F1 = (4/5 + 2/3 + 8/9) / 3 = 106/135', () => {
    // class 0: P = 2/2, R = 2/3 → F1 = 2·(2/3)/(5/3) = 4/5
    // class 1: P = 2/3, R = 2/3 → 2/3
    // class 2: P = 4/5, R = 4/4 → 2·(4/5)/(9/5) = 8/9
    expect(m.macroF1).toBeCloseTo(106 / 135, 12);
  });
  it("MCC (Gorodkin's R_K) = (c·s − Σ p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)) = 45 / √4092", () => {
    // s = 10, c = 8 correct; gold counts t = (3, 3, 4), predicted counts p = (2, 3, 5)
    // c·s − Σ p_k t_k = 80 − (6 + 9 + 20) = 45; s² − Σ p² = 100 − 38 = 62; s² − Σ t² = 100 − 34 = 66
    expect(m.mcc).toBeCloseTo(45 / Math.sqrt(62 * 66), 12);
  });
  it('rejects predictions and labels of different lengths', () => {
    expect(() => classificationMetrics([0, 1], [0], 2)).toThrow(/2 predictions for 1 labels/);
  });
});

describe('token accuracy', () => {
  // positions:  [CLS] w1  ##p  w2  w3  [SEP]
  // gold        -100  2   -100 0   1   -100
  // predicted   5     2   1    0   0   3      → 2 of the 3 labelled positions are right
  const gold = [-100, 2, -100, 0, 1, -100];
  const pred = [5, 2, 1, 0, 0, 3];

  it('counts only positions whose gold label is not the ignore index', () => {
    expect(tokenAccuracy(pred, gold)).toBeCloseTo(2 / 3, 12);
    expect(tokenAccuracy(pred, gold, 1)).toBeCloseTo(2 / 5, 12); // another ignore index: 5 positions, 2 right
  });
  it('is 0 when nothing is labelled, and checks lengths', () => {
    expect(tokenAccuracy([1, 2], [-100, -100])).toBe(0);
    expect(() => tokenAccuracy([1], [1, 2])).toThrow(/1 predictions for 2 labels/);
  });
  it('tokenClassificationMetrics gives per-tag counts over the labelled positions only', () => {
    const m = tokenClassificationMetrics(pred, gold, 3);
    // kept pairs (gold, predicted): (2, 2), (0, 0), (1, 0)
    expect(m.count).toBe(3);
    expect(m.accuracy).toBeCloseTo(tokenAccuracy(pred, gold), 12);
    expect(m.confusion).toEqual([[1, 0, 0], [1, 0, 0], [0, 0, 1]]);
  });
});
