// The page's run reducer: events fold into plain arrays, the smoothed loss is an EMA, and progress/ETA
// come from the recorded steps.
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../engine/settings';
import { pairedBootstrap } from '../engine/stats';
import { comparisons, PAGE_BOOTSTRAP } from './comparison';
import { applyRunEvents, createRunRecord, epochsForSteps, runProgress, stepsForEpochs, type RunRecord } from './runs';

const settings = { ...defaultRunSettings('houlsby'), train: { ...defaultRunSettings().train, steps: 10 } };

describe('applyRunEvents', () => {
  it('records phases, steps (with an EMA of the loss), evaluations and warnings without mutating the input', () => {
    const start = createRunRecord('r', 'run', settings, 0);
    const next = applyRunEvents(start, [
      { type: 'phase', phase: 'training' },
      { type: 'step', step: 1, loss: 1, lr: 0.1, tokensPerSec: 10, elapsedMs: 1000 },
      { type: 'step', step: 2, loss: 0, lr: 0.1, tokensPerSec: 10, elapsedMs: 1500 },
      { type: 'warning', message: 'scores of A are all zero' },
    ]);
    expect(start.losses).toHaveLength(0);
    expect(next.phase).toBe('training');
    expect(next.losses.map((l) => l.smooth)).toEqual([1, 0.9]);
    expect(next.warnings).toEqual(['scores of A are all zero']);
    // 1 step took 500 ms after the first; 8 steps remain.
    expect(runProgress(next)).toEqual({ fraction: 0.2, etaSeconds: 4 });
  });
  it('reports full progress once done and no ETA', () => {
    expect(runProgress({ ...createRunRecord('r', 'run', settings, 0), status: 'done' })).toEqual({ fraction: 1, etaSeconds: null });
  });
});

describe('steps and epochs', () => {
  it('converts both ways on a split that does not divide evenly', () => {
    // 250 examples in batches of 16: one epoch is 15.6 steps, so 16 steps; 2.5 epochs 39.06 → 40.
    expect(stepsForEpochs(1, 250, 16)).toBe(16);
    expect(stepsForEpochs(2.5, 250, 16)).toBe(40);
    expect(stepsForEpochs(0.001, 250, 16)).toBe(1);
    expect(epochsForSteps(16, 250, 16)).toBe(1.02);
    expect(epochsForSteps(stepsForEpochs(3, 2400, 16), 2400, 16)).toBe(3);
  });
});

describe('comparisons of one seed', () => {
  const summary = (accuracy: number) => ({ type: 'summary' as const, budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy, macroF1: 0, mcc: 0, confusion: [], count: 40 }, labels: ['a', 'b'], seconds: 1, firstLossMs: 1 });
  const pair = (standard: Partial<RunRecord>, large: Partial<RunRecord>) => [
    { ...createRunRecord('s', 'standard', settings, 0, { group: 'g', role: 'standard' }), status: 'done' as const, ...standard },
    { ...createRunRecord('l', 'large', settings, 0, { group: 'g', role: 'large-sparse' }), status: 'done' as const, ...large },
  ];
  // 40 dev items: the Large-Sparse run gains items 0–9 and loses none (standard right on 20 of 40, Large-Sparse on 30).
  const standardCorrect = Uint8Array.from({ length: 40 }, (_, i) => (i >= 10 && i < 30 ? 1 : 0));
  const largeCorrect = Uint8Array.from({ length: 40 }, (_, i) => (i < 30 ? 1 : 0));

  it('gives the paired bootstrap over dev items in points and the verdict it implies', () => {
    const [c] = comparisons(pair({ summary: summary(0.5), devCorrect: standardCorrect }, { summary: summary(0.75), devCorrect: largeCorrect }));
    expect(c!.accuracyGain).toBeCloseTo(0.25, 12);
    const direct = pairedBootstrap([largeCorrect], [standardCorrect], PAGE_BOOTSTRAP);
    expect(c!.bootstrap!.mean).toBeCloseTo(25, 9);
    expect(c!.bootstrap!.low).toBeCloseTo(100 * direct.low, 9);
    expect(c!.bootstrap!.high).toBeCloseTo(100 * direct.high, 9);
    expect(c!.bootstrap!.seedsResampled).toBe(false);
    // Every resample's difference is ≥ 0 and P(no gained item drawn) = 0.75^40 ≈ 1e-5: the interval excludes 0.
    expect(c!.verdict).toBe('better');
  });

  it('says "no difference detected" when the runs get as many items right and wrong, and has no interval without per-item data', () => {
    const swapped = Uint8Array.from(standardCorrect, (v, i) => (i < 2 ? 1 - v : v));
    const [c] = comparisons(pair({ summary: summary(0.5), devCorrect: standardCorrect }, { summary: summary(0.5), devCorrect: swapped }));
    expect(c!.verdict).toMatch(/^no difference detected \(±\d+\.\d points at this sample size\)$/);
    const [none] = comparisons(pair({ summary: summary(0.5) }, { summary: summary(0.75), devCorrect: largeCorrect }));
    expect(none!.bootstrap).toBeNull();
    expect(none!.verdict).toBeNull();
    expect(none!.accuracyGain).toBeCloseTo(0.25, 12);
  });
});
