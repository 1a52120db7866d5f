// Grid files and presets: schema errors name the file and the field; expansion covers every
// combination once, applies Large-Sparse, and shares the dense run between grids.
import { describe, expect, it } from 'vitest';
import { shardRuns } from '../experiment';
import { chooseLearningRate, expandExperiment, parseGridFile, planExperiment, PRESETS, selectedRecords, stepsForEpochs } from './grid';

const grid = (over: Record<string, unknown> = {}) => JSON.stringify({ tasks: ['spam'], adapters: ['houlsby'], dims: [8], sparsities: [0, 0.5], pruners: ['snip'], seeds: [1], steps: 3, ...over });

describe('parseGridFile', () => {
  it('reads the example grid of the issue and names it after the file', () => {
    const e = parseGridFile(grid(), 'grids/tiny.json');
    expect(e.name).toBe('tiny');
    expect(e.grids).toHaveLength(1);
    expect(expandExperiment(e)).toHaveLength(2);
  });

  it.each([
    ['{"tasks": [', /grids\/bad\.json is not valid JSON/],
    [grid({ tasks: ['sst2'] }), /grids\/bad\.json is not a valid grid: tasks\.0: .*"toy"\|"spam"\|"genre"\|"pos"/],
    [grid({ sparsities: [0, 1] }), /sparsities\.1: .*<=0\.99/],
    [grid({ sparsities: [-0.1] }), /sparsities\.0: .*>=0/],
    [grid({ pruners: [] }), /pruners: .*>=1/],
    [grid({ steps: 2.5 }), /steps: .*int/],
    [grid({ adpaters: ['lora'] }), /Unrecognized key.*adpaters/],
    ['[1, 2]', /not a valid grid: \(top level\)/],
  ])('rejects %s with a message naming the problem', (text, message) => {
    expect(() => parseGridFile(text, 'grids/bad.json')).toThrow(message);
  });
});

describe('expandExperiment', () => {
  it('expands tasks × adapters × dims × sparsities × pruners × k × seeds, each configuration once', () => {
    const e = parseGridFile(JSON.stringify({ grids: [
      { tasks: ['spam', 'genre'], adapters: ['houlsby', 'lora'], dims: [4, 8], sparsities: [0, 0.5, 0.9], pruners: ['snip', 'random'], seeds: [1, 2], steps: 3 },
    ] }), 'g.json');
    const runs = expandExperiment(e);
    // At sparsity 0 the pruner cannot matter: 2 tasks × 2 adapters × 2 dims × (1 dense + 2 sparsities × 2 pruners) × 2 seeds.
    expect(runs).toHaveLength(2 * 2 * 2 * (1 + 2 * 2) * 2);
    expect(new Set(runs.map((r) => r.key)).size).toBe(runs.length);
    expect(runs.filter((r) => r.spec.sparsity === 0).every((r) => r.spec.pruner === null)).toBe(true);
    // Seeds share a group; nothing else does.
    expect(new Set(runs.map((r) => r.group)).size).toBe(runs.length / 2);
  });

  it('applies Large-Sparse: k× the dimension at sparsity 1 − (1 − s)/k, pruned by the grid’s pruner', () => {
    const runs = expandExperiment(parseGridFile(grid({ sparsities: [0, 0.5], largeSparse: [1, 2, 4], pruners: ['magnitude'] }), 'g.json'));
    const find = (s: number, k: number) => runs.find((r) => r.spec.sparsity === s && r.spec.largeSparse === k)!;
    expect(find(0, 1).config.adapter.dim).toBe(8);
    expect(find(0, 1).config.prune.sparsity).toBe(0);
    expect(find(0, 2).config.adapter.dim).toBe(16);
    expect(find(0, 2).config.prune.sparsity).toBeCloseTo(0.5, 12);
    expect(find(0, 2).spec.pruner).toBe('magnitude');
    expect(find(0.5, 4).config.adapter.dim).toBe(32);
    expect(find(0.5, 4).config.prune.sparsity).toBeCloseTo(1 - 0.5 / 4, 12);
  });

  it('takes each adapter kind’s default dimension when dims is absent, and the training settings given', () => {
    const runs = expandExperiment(parseGridFile(grid({ dims: undefined, adapters: ['houlsby', 'lora'], sparsities: [0], batchSize: 4, seqLen: 16, learningRate: 0.01 }), 'g.json'));
    expect(runs.map((r) => [r.spec.adapter, r.config.adapter.dim])).toEqual([['houlsby', 16], ['lora', 8]]);
    expect(runs[0]!.config.train).toMatchObject({ steps: 3, batchSize: 4, seqLen: 16, learningRate: 0.01, seed: 1 });
  });

  it('trains only the head for adapter "none", and refuses to prune it', () => {
    const runs = expandExperiment(parseGridFile(grid({ adapters: ['none'], sparsities: [0] }), 'g.json'));
    expect(runs[0]!.config.adapter.kind).toBe('none');
    expect(runs[0]!.spec.dim).toBe(0);
    expect(() => expandExperiment(parseGridFile(grid({ adapters: ['none'] }), 'g.json'))).toThrow(/head-only baseline .* sparsity 0/);
  });

  it('reports a combination the engine cannot run before anything runs', () => {
    expect(() => expandExperiment(parseGridFile(grid({ adapters: ['prefix'], largeSparse: [2] }), 'g.json'))).toThrow(/Large-Sparse for prefix-tuning/);
  });

  it('the paper preset covers its three questions on the built-in tasks: a sweep on seed 1, then seeds 2–5 at the chosen rate, no run twice', () => {
    const first = planExperiment(PRESETS.paper!);
    // Before any record: 4 rates × seed 1 per configuration; the other 4 seeds wait for the choice.
    const units = new Set(first.runs.map((r) => r.unit));
    expect(first.runs).toHaveLength(4 * units.size);
    expect(first.waiting).toBe(4 * units.size);
    expect(new Set(first.runs.map((r) => r.spec.seed))).toEqual(new Set([1]));
    expect(new Set(first.runs.map((r) => r.spec.train.learningRate))).toEqual(new Set([1e-3, 3e-3, 1e-2, 3e-2]));
    // Large-Sparse: 3 tasks × 2 adapters × k 1, 2, 4; sparsity: 3 tasks × 3 pruned sparsities (dense shared); pruners: 3 × 2.
    expect(units.size).toBe(3 * 2 * 3 + 3 * 3 + 3 * 2);
    // One epoch per task.
    expect(new Set(first.runs.map((r) => `${r.spec.task} ${r.spec.train.steps}`))).toEqual(new Set(['spam 218', 'genre 225', 'pos 300']));
    // With seed 1's records (the middle rate best everywhere), every configuration's seeds 2–5 run at 3e-3.
    const records = first.runs.map((r) => ({ unit: r.unit, sweep: r.sweep, spec: r.spec, dev: { accuracy: r.spec.train.learningRate === 3e-3 ? 0.8 : 0.7 } }));
    const second = planExperiment(PRESETS.paper!, records);
    expect(second.waiting).toBe(0);
    expect(second.runs).toHaveLength(8 * units.size);
    const later = second.runs.filter((r) => r.spec.seed > 1);
    expect(new Set(later.map((r) => r.spec.seed))).toEqual(new Set([2, 3, 4, 5]));
    expect(new Set(later.map((r) => r.spec.train.learningRate))).toEqual(new Set([3e-3]));
    expect(new Set(second.runs.map((r) => r.key)).size).toBe(second.runs.length);
    expect(new Set(second.runs.map((r) => r.spec.pruner))).toEqual(new Set([null, 'snip', 'random', 'magnitude']));
    expect(new Set(second.runs.filter((r) => r.spec.largeSparse > 1).map((r) => r.spec.adapter))).toEqual(new Set(['houlsby', 'lora']));
  });
});

describe('learning-rate sweeps and epochs', () => {
  const sweepGrid = (over: Record<string, unknown> = {}) => grid({ sparsities: [0], seeds: [1, 2, 3], learningRates: [1e-3, 1e-2], sweepSeeds: [1, 2], ...over });

  it.each([
    [grid({ epochs: 1 }), /steps: give exactly one of steps and epochs/],
    [grid({ steps: undefined }), /steps: give exactly one of steps and epochs/],
    [sweepGrid({ learningRate: 0.01 }), /learningRates: give learningRate .* not both/],
    [sweepGrid({ learningRates: [0.01, 0.01] }), /learningRates: a learning rate is listed twice/],
    [sweepGrid({ sweepSeeds: [4] }), /sweepSeeds\.0: sweep seed 4 is not one of the grid's seeds/],
    [grid({ sweepSeeds: [1] }), /sweepSeeds: sweepSeeds needs learningRates/],
    [sweepGrid({ learningRates: [0] }), /learningRates\.0: .*>0/],
  ])('rejects %s with a message naming the problem', (text, message) => {
    expect(() => parseGridFile(text, 'g.json')).toThrow(message);
  });

  it('trains epochs × the train split in batches: ⌈epochs × examples / batch⌉ steps per task', () => {
    expect(stepsForEpochs(1, 3485, 16)).toBe(218);
    expect(stepsForEpochs(2, 64, 16)).toBe(8);
    expect(stepsForEpochs(0.5, 256, 4)).toBe(32);
    expect(stepsForEpochs(0.001, 10, 16)).toBe(1);
    const runs = expandExperiment(parseGridFile(grid({ tasks: ['toy', 'pos'], sparsities: [0], steps: undefined, epochs: 2, batchSize: 32 }), 'g.json'));
    expect(runs.map((r) => [r.spec.task, r.config.train.steps])).toEqual([['toy', 16], ['pos', 300]]);
  });

  it('plans each rate on the sweep seeds, then the other seeds at the best mean dev accuracy (the earlier rate on a tie)', () => {
    const e = parseGridFile(sweepGrid(), 'g.json');
    const first = planExperiment(e);
    expect(first.runs.map((r) => [r.spec.seed, r.spec.train.learningRate])).toEqual([[1, 1e-3], [2, 1e-3], [1, 1e-2], [2, 1e-2]]);
    expect(first.waiting).toBe(1);
    expect(new Set(first.runs.map((r) => r.unit)).size).toBe(1);
    const record = (seed: number, lr: number, accuracy: number) => ({ unit: first.runs[0]!.unit, sweep: first.runs[0]!.sweep, spec: { seed, train: { ...first.runs[0]!.spec.train, learningRate: lr, seed } }, dev: { accuracy } });
    // Mean over seeds 1 and 2: 1e-3 → 0.75, 1e-2 → 0.8 (seed 1 alone would have chosen 1e-3).
    const records = [record(1, 1e-3, 0.9), record(2, 1e-3, 0.6), record(1, 1e-2, 0.8), record(2, 1e-2, 0.8)];
    expect(chooseLearningRate(first.runs[0]!.sweep!, records)).toBe(1e-2);
    const second = planExperiment(e, records);
    expect(second.waiting).toBe(0);
    expect(second.runs.at(-1)!.spec).toMatchObject({ seed: 3, train: { learningRate: 1e-2, seed: 3 } });
    // Three of the four sweep runs: still waiting.
    expect(planExperiment(e, records.slice(0, 3)).waiting).toBe(1);
    expect(chooseLearningRate(first.runs[0]!.sweep!, records.slice(0, 3))).toBeNull();
    // A tie goes to the rate listed first.
    expect(chooseLearningRate({ learningRates: [1e-2, 1e-3], seeds: [1] }, [record(1, 1e-3, 0.8), record(1, 1e-2, 0.8)])).toBe(1e-2);
    // A report shows the runs at the chosen rate only.
    expect(selectedRecords([...records, { ...record(3, 1e-2, 0.7) }]).map((r) => [r.spec.seed, r.spec.train.learningRate])).toEqual([[1, 1e-2], [2, 1e-2], [3, 1e-2]]);
  });

  it('refuses two grids that sweep the same configuration differently', () => {
    const a = JSON.parse(sweepGrid()) as Record<string, unknown>;
    const text = JSON.stringify({ grids: [{ ...a, name: 'a' }, { ...a, name: 'b', learningRates: [1e-3, 3e-3] }] });
    expect(() => expandExperiment(parseGridFile(text, 'g.json'))).toThrow(/grids "a" and "b" sweep the same configuration with different learning rates/);
  });

  it('keeps a sweep in one shard', () => {
    const e = parseGridFile(JSON.stringify({ ...JSON.parse(sweepGrid()), dims: [4, 8, 16] }), 'g.json');
    const runs = expandExperiment(e);
    for (const n of [2, 3]) {
      const parts = Array.from({ length: n }, (_, i) => shardRuns(runs, { index: i + 1, count: n }));
      expect(parts.flat()).toHaveLength(runs.length);
      for (const unit of new Set(runs.map((r) => r.unit))) expect(parts.filter((p) => p.some((r) => r.unit === unit))).toHaveLength(1);
    }
  });
});
