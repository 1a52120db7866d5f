// Grid files and presets: schema errors name the file and the field; expansion covers every
// combination once, applies Large-Sparse, and shares the dense run between grids.
import { describe, expect, it } from 'vitest';
import { expandExperiment, parseGridFile, PRESETS } from './grid';

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

  it('the paper preset covers its three questions on the built-in tasks with 3 seeds, with no run twice', () => {
    const runs = expandExperiment(PRESETS.paper!);
    const seeds = new Set(runs.map((r) => r.spec.seed));
    expect([...seeds]).toEqual([1, 2, 3]);
    expect(new Set(runs.map((r) => r.spec.task))).toEqual(new Set(['spam', 'genre', 'pos']));
    expect(new Set(runs.map((r) => r.spec.pruner))).toEqual(new Set([null, 'snip', 'snip-abs', 'random', 'magnitude', 'grasp', 'synflow']));
    expect(new Set(runs.filter((r) => r.spec.largeSparse > 1).map((r) => r.spec.adapter))).toEqual(new Set(['houlsby', 'pfeiffer', 'lora']));
    expect(Math.max(...runs.map((r) => r.spec.sparsity))).toBe(0.9);
    // The standard adapter of the Large-Sparse grid is the dense run of the sparsity grid; the pruner grid's
    // SNIP at 70% is the sparsity grid's Houlsby run: 3 adapters × 4 sparsities + 5 other pruners + 3 × 2 Large-Sparse.
    const perSeedPerTask = runs.length / 9;
    expect(perSeedPerTask).toBe(3 * 4 + 5 + 3 * 2);
  });
});
