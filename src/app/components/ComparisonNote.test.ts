// The comparison note says the difference, its intervals and verdict: with one seed a bootstrap over
// dev examples (saying seeds are not resampled), with several the t interval over seeds, the
// per-seed differences and, with few seeds, the bootstrap over seeds and examples; without per-item
// data and with one seed it says why there is no interval.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../../engine/settings';
import { comparisons } from '../comparison';
import { createRunRecord, type RunRecord } from '../runs';
import { ComparisonNote } from './ComparisonNote';

const settings = defaultRunSettings('houlsby');
const summary = (accuracy: number) => ({ type: 'summary' as const, budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy, macroF1: 0, mcc: 0, confusion: [], count: 40 }, labels: ['a', 'b'], seconds: 1, firstLossMs: 1 });
const renderRuns = (runs: RunRecord[]) => {
  const [c] = comparisons(runs);
  return renderToStaticMarkup(createElement(ComparisonNote, { comparison: c! })).replace(/<!-- -->/g, '');
};
const render = (standard: Partial<RunRecord>, large: Partial<RunRecord>) => renderRuns([
  { ...createRunRecord('s', 'standard', settings, 0, { group: 'g', role: 'standard' }), status: 'done', ...standard },
  { ...createRunRecord('l', 'large', settings, 0, { group: 'g', role: 'large-sparse' }), status: 'done', ...large },
]);
const seeded = (role: 'standard' | 'large-sparse', seed: number, accuracy: number): RunRecord => ({
  ...createRunRecord(`${role}${seed}`, `${role} seed ${seed}`, { ...settings, largeSparse: role === 'standard' ? 1 : 2, train: { ...settings.train, seed } }, 0, { group: 'g', role }, { group: role, seeds: 3 }),
  status: 'done', summary: summary(accuracy),
});

describe('ComparisonNote', () => {
  it('shows the difference with its bootstrap interval and verdict, and says seeds are not resampled', () => {
    const html = render({ summary: summary(0.5), devCorrect: Uint8Array.from({ length: 40 }, (_, i) => (i >= 10 && i < 30 ? 1 : 0)) }, { summary: summary(0.75), devCorrect: Uint8Array.from({ length: 40 }, (_, i) => (i < 30 ? 1 : 0)) });
    expect(html).toContain('dev accuracy +25.0 points for Large-Sparse, 95% CI [+');
    expect(html).toContain('<strong data-testid="comparison-verdict">better</strong>');
    expect(html).toContain('paired bootstrap over the 40 dev examples');
    expect(html).toContain('seeds are not resampled');
    expect(html).toMatch(/data-verdict="better"/);
  });

  it('says why there is no interval when a run lacks per-item data', () => {
    const html = render({ summary: summary(0.5) }, { summary: summary(0.45) });
    expect(html).toContain('dev accuracy −5.0 points for Large-Sparse.');
    expect(html).toContain('No interval:');
    expect(html).not.toContain('data-verdict');
  });

  it('with several seeds shows the t interval over seeds, each seed, and the verdict it allows', () => {
    // Differences 5, 2, 5 points: mean +4.0, half-width t(2) = 4.30 × √3/√3: [−0.3, +8.3].
    const html = renderRuns([seeded('standard', 1, 0.5), seeded('large-sparse', 1, 0.55), seeded('standard', 2, 0.6), seeded('large-sparse', 2, 0.62), seeded('standard', 3, 0.55), seeded('large-sparse', 3, 0.6)]);
    expect(html).toContain('houlsby d=32 70% snip (Large-Sparse ×2) keeps 5 trainable non-zero parameters, houlsby d=16 40% snip 5; 3 of 3 paired seeds finished');
    expect(html).toContain('dev accuracy +4.0 points for Large-Sparse (mean of the 3 paired differences), 95% CI over seeds [−0.3, +8.3]');
    expect(html).toContain('<strong data-testid="comparison-verdict">no difference detected (±4.3 points at this sample size)</strong>');
    expect(html).toContain('seed 1 +5.0, seed 2 +2.0, seed 3 +5.0');
    expect(html).toContain('t(2) = 4.30');
    expect(html).toMatch(/data-pairs="3"/);
    expect(html).not.toContain('bootstrap');
  });
});

describe('ComparisonNote while seeds are still running', () => {
  it('counts the finished pairs and says the interval over seeds is still to come', () => {
    const item = (f: (i: number) => boolean) => Uint8Array.from({ length: 40 }, (_, i) => (f(i) ? 1 : 0));
    const queued = { ...seeded('large-sparse', 2, 0.6), status: 'queued' as const, summary: null };
    const html = renderRuns([{ ...seeded('standard', 1, 0.5), devCorrect: item((i) => i < 20) }, { ...seeded('large-sparse', 1, 0.55), devCorrect: item((i) => i < 22) }, seeded('standard', 2, 0.6), queued]);
    expect(html).toContain('1 of 3 paired seeds finished');
    expect(html).toContain('The interval over seeds comes with the next finished pair.');
    expect(html).not.toContain('Set Seeds to 2');
  });
});
