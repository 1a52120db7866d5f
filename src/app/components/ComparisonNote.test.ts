// The comparison note says the difference, its interval and verdict, and that seeds are not
// resampled; without per-item data it says why there is no interval.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../../engine/settings';
import { comparisons, createRunRecord, type RunRecord } from '../runs';
import { ComparisonNote } from './ComparisonNote';

const settings = defaultRunSettings('houlsby');
const summary = (accuracy: number) => ({ type: 'summary' as const, budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy, macroF1: 0, mcc: 0, confusion: [], count: 40 }, labels: ['a', 'b'], seconds: 1, firstLossMs: 1 });
const render = (standard: Partial<RunRecord>, large: Partial<RunRecord>) => {
  const [c] = comparisons([
    { ...createRunRecord('s', 'standard', settings, 0, { group: 'g', role: 'standard' }), status: 'done', ...standard },
    { ...createRunRecord('l', 'large', settings, 0, { group: 'g', role: 'large-sparse' }), status: 'done', ...large },
  ]);
  return renderToStaticMarkup(createElement(ComparisonNote, { comparison: c! })).replace(/<!-- -->/g, '');
};

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
});
