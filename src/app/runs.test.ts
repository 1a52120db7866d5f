// The page's run reducer: events fold into plain arrays, the smoothed loss is an EMA, and progress/ETA
// come from the recorded steps.
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../engine/settings';
import { applyRunEvents, createRunRecord, epochsForSteps, runProgress, stepsForEpochs } from './runs';

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
