// Run files: an exported run imports back equal (NaN curves included, under a new id); damaged,
// foreign or newer files are refused with a message naming the file and the place.
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../engine/settings';
import { exportRuns, importRuns } from './runFile';
import { applyRunEvents, createRunRecord, fromSharedRun } from './runs';

const trained = { ...applyRunEvents(createRunRecord('r1', 'houlsby d=16', { ...defaultRunSettings(), task: 'file:reviews.csv' }, 1234), [
  { type: 'step', step: 1, loss: 0.69, lr: 1e-4, tokensPerSec: 100, elapsedMs: 10 },
  { type: 'eval', step: 1, split: 'dev', metrics: { accuracy: 0.5, macroF1: 0.4, mcc: 0, confusion: [[1, 1], [0, 2]], count: 4 } },
  { type: 'summary', budget: { plmParams: 10, adapterParams: 5, adapterPrunable: 4, adapterNonzero: 3, headParams: 2, trainableNonzero: 5, percentOfPlm: 50 }, dev: { accuracy: 0.5, macroF1: 0.4, mcc: 0, confusion: [[1, 1], [0, 2]], count: 4 }, labels: ['no', 'yes'], seconds: 1.5, firstLossMs: 12 },
]), status: 'done' as const };
const shared = fromSharedRun({ label: 'from a link', settings: defaultRunSettings('lora'), results: { status: 'done', seconds: 2, budget: trained.summary!.budget, dev: { accuracy: 0.7, macroF1: 0.6, mcc: 0.2, count: 10 }, labels: ['a', 'b'], confusion: null, losses: [[1, 0.5], [2, 0.4]], evals: [] }, comparison: null }, 's1', 99);

describe('run files', () => {
  it('import what was exported, under new ids, NaN included', () => {
    const { runs, notes } = importRuns(exportRuns([trained, shared]), 'runs.json', 5);
    expect(notes).toEqual([]);
    expect(runs.map((r) => r.id)).toEqual(['imported-5-0', 'imported-5-1']);
    expect({ ...runs[0], id: 'r1' }).toEqual({ ...trained, phase: 'done' });
    expect(runs[0]!.settings.task).toBe('file:reviews.csv');
    expect(Number.isNaN(runs[1]!.losses[0]!.lr)).toBe(true);
    expect({ ...runs[1], id: 's1', phase: shared.phase }).toEqual(shared);
  });

  it('keeps per-item correctness, bit-packed in the file, and reads files without it', () => {
    const devCorrect = Uint8Array.from({ length: 301 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const text = exportRuns([{ ...trained, devCorrect }]);
    expect(text).toContain('"devCorrect": {');
    expect(text).not.toContain('"300":'); // not spelled out key by key
    const [back] = importRuns(text, 'runs.json', 5).runs;
    expect(back!.devCorrect).toEqual(devCorrect);
    expect(importRuns(exportRuns([trained]), 'runs.json', 5).runs[0]!.devCorrect).toBeUndefined();
    expect(() => importRuns(text.replace(/"count": 301/, '"count": 900'), 'd.json', 1)).toThrow(/d\.json: run 1 is damaged at devCorrect/);
  });

  it('refuses what is not a run file, or is damaged, naming where', () => {
    expect(() => importRuns('{', 'a.json', 1)).toThrow('a.json is not a JSON file');
    expect(() => importRuns('{"runs":[]}', 'b.json', 1)).toThrow('b.json is not a run file exported by this playground');
    expect(() => importRuns(exportRuns([trained]).replace('"version": 1', '"version": 2'), 'c.json', 1)).toThrow('c.json has run-file version 2; this page reads version 1');
    const damaged = JSON.parse(exportRuns([trained])) as { runs: { losses: unknown[] }[] };
    damaged.runs[0]!.losses[0] = { step: 'one' };
    expect(() => importRuns(JSON.stringify(damaged), 'd.json', 1)).toThrow(/^d\.json: run 1 is damaged at losses\.0\.step/);
  });

  it('brings a run saved mid-training back as interrupted, and settings problems back as notes', () => {
    const file = JSON.parse(exportRuns([{ ...trained, status: 'running' }])) as { runs: { settings: { prune: { sparsity: unknown } } }[] };
    file.runs[0]!.settings.prune.sparsity = 7;
    const { runs, notes } = importRuns(JSON.stringify(file), 'e.json', 1);
    expect(runs[0]!.status).toBe('interrupted');
    expect(notes).toEqual(['e.json, run 1: prune.sparsity 7 is not valid (Too big: expected number to be <=0.99); using 0.4']);
  });

  it("keep a run's seed group; files without one import as single runs; a malformed one is a note and the run stays", () => {
    const grouped = { ...trained, seedGroup: { group: 'seeds-7', seeds: 3 } };
    expect(importRuns(exportRuns([grouped]), 'g.json', 5).runs[0]!.seedGroup).toEqual({ group: 'seeds-7', seeds: 3 });
    const before = importRuns(exportRuns([trained]), 'g.json', 5);
    expect(before.notes).toEqual([]);
    expect(before.runs[0]!.seedGroup).toBeUndefined();
    const file = JSON.parse(exportRuns([grouped])) as { runs: { seedGroup: { seeds: unknown } }[] };
    file.runs[0]!.seedGroup.seeds = 21;
    const { runs, notes } = importRuns(JSON.stringify(file), 'h.json', 5);
    expect(notes).toEqual(['h.json, run 1: seeds 21 is not a whole number from 1 to 20; showing it as a single run']);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.seedGroup).toBeUndefined();
    expect({ ...runs[0], id: 'r1' }).toEqual({ ...trained, phase: 'done' });
  });
});
