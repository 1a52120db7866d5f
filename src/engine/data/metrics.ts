// Classification metrics from predictions and gold labels: accuracy, macro-F1, Matthews correlation
// (multi-class, Gorodkin's R_K) and the confusion matrix the UI draws; for tagging, the same over
// the labelled positions only (token accuracy).

/** Metrics of one evaluation. */
export interface ClassificationMetrics {
  accuracy: number;
  macroF1: number;
  mcc: number;
  /** confusion[gold][predicted] counts. */
  confusion: number[][];
  count: number;
}

/** Computes the metrics for `numLabels` classes. */
export function classificationMetrics(predicted: ArrayLike<number>, gold: ArrayLike<number>, numLabels: number): ClassificationMetrics {
  if (predicted.length !== gold.length) throw new Error(`metrics: ${predicted.length} predictions for ${gold.length} labels`);
  const confusion = Array.from({ length: numLabels }, () => new Array<number>(numLabels).fill(0));
  for (let i = 0; i < gold.length; i++) confusion[gold[i]!]![predicted[i]!]! += 1;
  const n = gold.length;
  let correct = 0;
  const rowSum = new Array<number>(numLabels).fill(0); // gold counts
  const colSum = new Array<number>(numLabels).fill(0); // predicted counts
  for (let g = 0; g < numLabels; g++) {
    for (let p = 0; p < numLabels; p++) {
      const c = confusion[g]![p]!;
      rowSum[g]! += c;
      colSum[p]! += c;
      if (g === p) correct += c;
    }
  }
  let f1Sum = 0;
  for (let k = 0; k < numLabels; k++) {
    const tp = confusion[k]![k]!;
    const precision = colSum[k]! > 0 ? tp / colSum[k]! : 0;
    const recall = rowSum[k]! > 0 ? tp / rowSum[k]! : 0;
    f1Sum += precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  }
  // Multi-class MCC: (c·s − Σ p_k t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²)), 0 when undefined.
  const sumPT = colSum.reduce((acc, p, k) => acc + p * rowSum[k]!, 0);
  const sumP2 = colSum.reduce((acc, p) => acc + p * p, 0);
  const sumT2 = rowSum.reduce((acc, t) => acc + t * t, 0);
  const denominator = Math.sqrt((n * n - sumP2) * (n * n - sumT2));
  return {
    accuracy: n > 0 ? correct / n : 0,
    macroF1: f1Sum / numLabels,
    mcc: denominator > 0 ? (correct * n - sumPT) / denominator : 0,
    confusion,
    count: n,
  };
}

/** Fraction of labelled positions (gold ≠ `ignoreIndex`) whose prediction is right; 0 when none is labelled. */
export function tokenAccuracy(predicted: ArrayLike<number>, gold: ArrayLike<number>, ignoreIndex = -100): number {
  if (predicted.length !== gold.length) throw new Error(`tokenAccuracy: ${predicted.length} predictions for ${gold.length} labels`);
  let counted = 0;
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    if (gold[i] === ignoreIndex) continue;
    counted += 1;
    if (predicted[i] === gold[i]) correct += 1;
  }
  return counted > 0 ? correct / counted : 0;
}

/**
 * Classification metrics over the labelled positions of a tagging split (per-position predictions
 * and gold labels, [N·T]): `accuracy` is the token accuracy and `confusion` counts words per tag.
 */
export function tokenClassificationMetrics(predicted: ArrayLike<number>, gold: ArrayLike<number>, numLabels: number, ignoreIndex = -100): ClassificationMetrics {
  if (predicted.length !== gold.length) throw new Error(`metrics: ${predicted.length} predictions for ${gold.length} labels`);
  const keptPredicted: number[] = [];
  const keptGold: number[] = [];
  for (let i = 0; i < gold.length; i++) {
    if (gold[i] === ignoreIndex) continue;
    keptPredicted.push(predicted[i]!);
    keptGold.push(gold[i]!);
  }
  return classificationMetrics(keptPredicted, keptGold, numLabels);
}
