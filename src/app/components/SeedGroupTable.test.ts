// The seed-group table: each group's final figures as mean and t interval over its finished seeds
// (hand-computed), nothing for single runs.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../../engine/settings';
import { createRunRecord, type RunRecord } from '../runs';
import { SeedGroupTable } from './SeedGroupTable';

const settings = defaultRunSettings('houlsby');
const run = (seed: number, accuracy: number, group: string | null, status: RunRecord['status'] = 'done'): RunRecord => ({
  ...createRunRecord(`r${seed}`, `r${seed}`, { ...settings, train: { ...settings.train, seed } }, 0, null, group ? { group, seeds: 4 } : undefined),
  status, summary: { type: 'summary', budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy, macroF1: accuracy - 0.1, mcc: 0, confusion: [], count: 100 }, labels: ['a', 'b'], seconds: 1, firstLossMs: 1 },
});
const html = (runs: RunRecord[]) => renderToStaticMarkup(createElement(SeedGroupTable, { runs })).replace(/<!-- -->/g, '');

describe('SeedGroupTable', () => {
  it("gives each group's mean and t interval over its finished seeds", () => {
    // 0.50, 0.70, 0.60: mean 60.0%, half-width 4.302653 · 0.1 / √3 = 24.84 points: 35.2% to 84.8%.
    const out = html([run(1, 0.5, 'g'), run(2, 0.7, 'g'), run(3, 0.6, 'g'), run(4, 0.9, 'g', 'running')]);
    expect(out).toContain('<td>houlsby d=16 40% snip</td><td>3 of 4 (1, 2, 3)</td><td>60.0% (95% CI 35.2% to 84.8%)</td><td>50.0% (95% CI 25.2% to 74.8%)</td>');
  });

  it('shows nothing for single runs', () => {
    expect(html([run(1, 0.5, null), run(2, 0.6, 'lonely')])).toBe('');
  });
});
