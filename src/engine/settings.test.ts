// One table, every reader: each setting of settings.ts is accepted at the ends of its range and
// refused just outside them, with the same bounds, by share links (encoded and decoded), run files,
// adapter files (written and read back), grid files, the CLI's flags and the engine's resolveRun
// (table-driven: a new setting is checked everywhere). The controls take min, max and step from the table.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeShare, encodeShare } from '../app/share';
import { importRuns } from '../app/runFile';
import { GridSchema } from '../cli/experiment/grid';
import { overridesFromFlags, settingFlagsHelp } from '../cli/settingFlags';
import { adapterFromSafetensors, adapterToSafetensors } from './adapterFile';
import { createAdapters } from './adapters';
import { resolveRun } from './config';
import { createHead } from './head';
import type { Plm } from './plm';
import { createRng } from './random';
import { loadTinyPlm } from './testing/tinyModel';
import { disposeTrained, type RunConfig } from './train';
import { ADAPTER_KINDS, DEFAULT_PAGE_SETTINGS, defaultAdapterOptions, defaultRunSettings, mergeSettings, PAGE_SETTINGS, parsePageSettings, parseRunSettings, SETTING_LEAVES, withAdapterKind, type RunSettings, type Setting, type SettingLeaf } from './settings';

/** Values a setting must accept, and values it must refuse. */
function edges(s: Setting): { good: unknown[]; bad: unknown[] } {
  if (s.type === 'choice') return { good: [...s.values], bad: ['not-a-choice', 3] };
  if (s.type === 'switch') return { good: [true, false], bad: ['yes', 1] };
  const good = [s.above ? s.min + s.step : s.min, s.max];
  const bad = [s.above ? s.min : s.min - s.step, s.max + s.step, ...(s.type === 'int' ? [s.min + 0.5] : [])];
  return { good, bad };
}

/** Default settings with one leaf set (the kind's own defaults when the leaf is the kind). */
function withLeaf(leaf: SettingLeaf, value: unknown): RunSettings {
  const kind = ADAPTER_KINDS.find((k) => leaf.path === 'adapter.kind' && k === value) ?? 'houlsby';
  const settings = defaultRunSettings(kind);
  if (leaf.section) (settings[leaf.section] as Record<string, unknown>)[leaf.key] = value;
  else (settings as unknown as Record<string, unknown>)[leaf.key] = value;
  return settings;
}
const read = (settings: RunSettings, leaf: SettingLeaf) => (leaf.section ? (settings[leaf.section] as Record<string, unknown>)[leaf.key] : (settings as unknown as Record<string, unknown>)[leaf.key]);

/** Where each setting sits in a grid file (a list of values, or one value); null: grids do not vary it. */
const GRID_FIELD: Record<string, { field: string; list: boolean } | null> = {
  'adapter.kind': { field: 'adapters', list: true }, 'adapter.dim': { field: 'dims', list: true },
  'adapter.nonlinearity': null, 'adapter.init': null, 'adapter.loraAlpha': null, 'adapter.parallelScale': null, 'adapter.prefixHidden': null, 'adapter.mamParallelDim': null, 'adapter.pruneBiases': null, 'adapter.prunePrefix': null,
  'prune.pruner': { field: 'pruners', list: true }, 'prune.sparsity': { field: 'sparsities', list: true }, 'prune.scope': { field: 'scope', list: false },
  'prune.rounds': { field: 'rounds', list: false }, 'prune.schedule': null, 'prune.scoringBatches': { field: 'scoringBatches', list: false },
  largeSparse: { field: 'largeSparse', list: true },
  'train.steps': { field: 'steps', list: false }, 'train.batchSize': { field: 'batchSize', list: false }, 'train.seqLen': { field: 'seqLen', list: false },
  'train.learningRate': { field: 'learningRate', list: false }, 'train.warmupRatio': { field: 'warmupRatio', list: false }, 'train.weightDecay': { field: 'weightDecay', list: false },
  'train.maxGradNorm': null, 'train.seed': { field: 'seeds', list: true }, 'train.evalEvery': { field: 'evalEvery', list: false }, splitSeed: null,
};
const BASE_GRID = { tasks: ['toy'], adapters: ['houlsby'], sparsities: [0], pruners: ['snip'], seeds: [1], steps: 1 };

const runFile = (settings: unknown) => JSON.stringify({ format: 'sparseadapter-run', version: 1, runs: [{ id: 'r', label: 'r', settings, status: 'shared', losses: [], evals: [], pruned: null, summary: null, warnings: [], error: null, startedAt: 0, comparison: null }] });

/** An untrained adapter and head on the tiny model: a file's settings are read apart from its tensors, so any will do. */
let plm: Plm;
let trained: { adapters: ReturnType<typeof createAdapters>; head: ReturnType<typeof createHead>; masks: Map<string, tf.Tensor> };
let resolved: RunConfig;
beforeAll(async () => {
  await tf.setBackend('cpu');
  plm = await loadTinyPlm();
  resolved = resolveRun(defaultRunSettings('houlsby'));
  trained = { adapters: createAdapters(plm.model.config, resolved.adapter, createRng(1)), head: createHead('sequence', plm.model.config.hiddenSize, 2, createRng(2)), masks: new Map() };
});
afterAll(() => disposeTrained(trained.adapters, trained.head, trained.masks));

/** The settings an adapter file holding `settings` reads back as, with its notes. */
async function throughAdapterFile(settings: unknown): Promise<{ settings: RunSettings; notes: string[] }> {
  const bytes = await adapterToSafetensors(trained, plm, { settings: settings as RunSettings, resolved }, ['a', 'b']);
  const loaded = adapterFromSafetensors(bytes, plm, 'adapter.safetensors');
  loaded.dispose();
  return { settings: loaded.run.settings, notes: loaded.notes };
}
/** The settings a share link of one run with `settings` opens as, with its problems. */
function throughLink(settings: unknown): { settings: RunSettings; problems: string[] } {
  const decoded = decodeShare(encodeShare([{ label: 'r', settings: settings as RunSettings, results: null, comparison: null }]));
  return { settings: decoded.runs[0]!.settings, problems: decoded.problems };
}

describe('every setting, through every reader', () => {
  it('the grid table names every setting of the settings table', () => {
    expect(Object.keys(GRID_FIELD).sort()).toEqual(SETTING_LEAVES.map((l) => l.path).sort());
  });

  it.each(SETTING_LEAVES.map((leaf) => [leaf.path, leaf] as const))('%s: the same bounds in links, run files, adapter files, grids, CLI flags and resolveRun', async (_path, leaf) => {
    const s = leaf.setting;
    const { good, bad } = edges(s);
    const grid = GRID_FIELD[leaf.path];
    for (const value of good) {
      const settings = withLeaf(leaf, value);
      // Share links and adapter files read settings with parseRunSettings; both are also taken end to end.
      const link = parseRunSettings(JSON.parse(JSON.stringify(settings)), 'link');
      expect(link.problems).toEqual([]);
      expect(read(link.settings, leaf)).toEqual(value);
      const shared = throughLink(settings);
      expect(shared.problems).toEqual([]);
      expect(read(shared.settings, leaf)).toEqual(value);
      const adapterFile = await throughAdapterFile(settings);
      expect(adapterFile.notes).toEqual([]);
      expect(read(adapterFile.settings, leaf)).toEqual(value);
      const file = importRuns(runFile(settings), 'runs.json', 0);
      expect(file.notes).toEqual([]);
      expect(read(file.runs[0]!.settings, leaf)).toEqual(value);
      if (grid) expect(GridSchema.safeParse({ ...BASE_GRID, [grid.field]: grid.list ? [value] : value }).success).toBe(true);
      if (s.type !== 'switch' || value === true) {
        const flags = overridesFromFlags({ [s.flag]: s.type === 'switch' ? true : String(value) });
        expect(read(mergeSettings(flags), leaf)).toEqual(value);
      }
      expect(() => resolveRun(settings)).not.toThrow();
    }
    for (const value of bad) {
      const settings = withLeaf(leaf, value);
      const link = parseRunSettings(JSON.parse(JSON.stringify(settings)), 'link');
      expect(link.problems).toHaveLength(1);
      expect(link.problems[0]).toContain(leaf.path === 'adapter.kind' ? 'adapter.kind' : leaf.path);
      expect(read(link.settings, leaf)).toEqual(read(defaultRunSettings(), leaf));
      const shared = throughLink(settings);
      expect(shared.problems).toHaveLength(1);
      expect(shared.problems[0]).toContain(leaf.path);
      expect(read(shared.settings, leaf)).toEqual(read(defaultRunSettings(), leaf));
      const adapterFile = await throughAdapterFile(settings);
      expect(adapterFile.notes).toHaveLength(1);
      expect(adapterFile.notes[0]).toContain(leaf.path);
      expect(read(adapterFile.settings, leaf)).toEqual(read(defaultRunSettings(), leaf));
      expect(importRuns(runFile(settings), 'runs.json', 0).notes).toHaveLength(1);
      if (grid) expect(GridSchema.safeParse({ ...BASE_GRID, [grid.field]: grid.list ? [value] : value }).success).toBe(false);
      if (s.type !== 'switch') expect(() => overridesFromFlags({ [s.flag]: String(value) })).toThrow(`--${s.flag} must be`);
      expect(() => resolveRun(settings)).toThrow(leaf.path);
    }
  });

  it("the CLI's help lists every setting's flag with its range and default", () => {
    const help = settingFlagsHelp('');
    for (const { setting: s } of SETTING_LEAVES) {
      const line = help.split('\n').find((l) => l.startsWith(`--${s.flag} `) || l === `--${s.flag}`)!;
      expect(line).toBeDefined();
      expect(line).toContain(`default ${s.default}`);
      if (s.type === 'int' || s.type === 'real') expect(line).toContain(`${s.max}`);
    }
  });
});

describe('switching the adapter kind', () => {
  it("takes the kind's own defaults and keeps the rest; a head-only kind gets sparsity 0 and no Large-Sparse factor, so it can run", () => {
    const chosen = mergeSettings({ prune: { sparsity: 0.7, pruner: 'magnitude' }, largeSparse: 4, train: { steps: 9 } });
    for (const kind of ADAPTER_KINDS.filter((k) => k !== 'none')) {
      expect(withAdapterKind(chosen, kind)).toEqual({ ...chosen, adapter: defaultAdapterOptions(kind) });
    }
    const none = withAdapterKind(chosen, 'none');
    expect(none).toEqual({ ...chosen, adapter: defaultAdapterOptions('none'), prune: { ...chosen.prune, sparsity: 0 }, largeSparse: 1 });
    expect(() => resolveRun(none)).not.toThrow();
  });
});

describe("the page's repetition settings", () => {
  it('are declared apart from the run settings, so they never reach RunSettings, adapter files or grids', () => {
    expect(SETTING_LEAVES.some((l) => l.key === 'seeds')).toBe(false);
    expect(Object.keys(defaultRunSettings())).not.toContain('seeds');
    expect(Object.keys(DEFAULT_PAGE_SETTINGS)).toEqual(Object.keys(PAGE_SETTINGS));
  });

  it('take each value at the ends of its range and refuse those just outside, with a message naming it', () => {
    for (const [key, s] of Object.entries(PAGE_SETTINGS)) {
      for (const good of [s.min, s.max]) expect(parsePageSettings({ [key]: good }, 'the link')).toEqual({ settings: { ...DEFAULT_PAGE_SETTINGS, [key]: good }, problems: [] });
      for (const bad of [s.min - s.step, s.max + s.step, s.min + 0.5, 'three', null]) {
        const { settings, problems } = parsePageSettings({ [key]: bad }, 'the link');
        expect(settings).toEqual(DEFAULT_PAGE_SETTINGS);
        expect(problems).toEqual([`the link: ${key} ${JSON.stringify(bad)} is not a whole number from ${s.min} to ${s.max}; using ${s.default}`]);
      }
    }
  });

  it('default silently where they are absent (older links and files), and report what is not an object', () => {
    expect(parsePageSettings(undefined, 'x')).toEqual({ settings: DEFAULT_PAGE_SETTINGS, problems: [] });
    expect(parsePageSettings({}, 'x')).toEqual({ settings: DEFAULT_PAGE_SETTINGS, problems: [] });
    expect(parsePageSettings(7, 'the file').problems).toEqual(['the file: its page settings 7 are not an object; using the defaults (seeds = 1)']);
  });
});
