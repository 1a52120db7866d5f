// `npm run cli -- experiment` as a user runs it: argument errors end with a message and a non-zero
// exit; a 2-configuration tiny grid runs end to end, its numbers equal `train`'s for the same
// settings, and a rerun resumes instead of starting over.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneAtATime, parseShard, shardRuns } from './experiment';
import { expandExperiment, parseGridFile } from './experiment/grid';

const ROOT = join(__dirname, '..', '..');
const TINY = 'src/engine/fixtures/tiny-bert';
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'experiment-test-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const GRID = { tasks: ['toy'], adapters: ['houlsby'], dims: [4], sparsities: [0, 0.5], pruners: ['snip'], seeds: [1], steps: 4, batchSize: 4, seqLen: 16 };

describe('oneAtATime (saving results from several jobs)', () => {
  it('runs overlapping calls one after another, and a failed call does not stop the next', async () => {
    const events: string[] = [];
    let calls = 0;
    const save = oneAtATime(async () => {
      const n = ++calls;
      events.push(`start ${n}`);
      await new Promise((r) => setTimeout(r, 5));
      events.push(`end ${n}`);
      if (n === 2) throw new Error('disk full');
    });
    const results = await Promise.allSettled([save(), save(), save()]);
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('shards', () => {
  it('deal a grid\'s runs by sorted key: disjoint, covering, sizes within one, whatever the grid file\'s order', () => {
    const planned = expandExperiment(parseGridFile(JSON.stringify({ ...GRID, dims: [2, 4, 8], seeds: [1, 2, 3], sparsities: [0, 0.3, 0.6] }), 'g.json'));
    const reversed = [...planned].reverse();
    for (const n of [1, 2, 5, 27, 40]) {
      const parts = Array.from({ length: n }, (_, i) => shardRuns(planned, { index: i + 1, count: n }).map((p) => p.key));
      const all = parts.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(new Set(all)).toEqual(new Set(planned.map((p) => p.key)));
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      parts.forEach((keys, i) => expect(new Set(shardRuns(reversed, { index: i + 1, count: n }).map((p) => p.key))).toEqual(new Set(keys)));
    }
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard must be i\/n/);
  });
});

describe('npm run cli -- experiment: argument errors', () => {
  it.each([
    [['--preset', 'nope', '--out', dir], 'error: unknown preset "nope" (available: paper, baselines, smoke)'],
    [['--out', dir], 'error: experiment needs exactly one of --preset <name> and --grid <file.json>'],
    [['--grid', '/no/such/grid.json', '--out', dir], 'error: grid file /no/such/grid.json does not exist'],
    [['--grid', file('broken.json', '{"tasks": ["toy"'), '--out', dir], 'broken.json is not valid JSON'],
    [['--grid', file('task.json', JSON.stringify({ ...GRID, tasks: ['sst2'] })), '--out', dir], 'task.json is not a valid grid: tasks.0: Invalid option: expected one of "toy"|"spam"|"genre"|"pos"'],
    [['--grid', file('sparsity.json', JSON.stringify({ ...GRID, sparsities: [0.5, 1] })), '--out', dir], 'sparsity.json is not a valid grid: sparsities.1: Too big: expected number to be <=0.99'],
    [['--preset', 'smoke', '--out', dir, '--jobs', '0'], 'error: --jobs must be a whole number from 1 to 64; got "0"'],
    [['--preset', 'smoke', '--out', dir, '--backend', 'tpu'], 'error: --backend must be one of cpu, wasm, webgpu, auto; got "tpu"'],
    [['--preset', 'smoke'], 'error: experiment needs --out <dir>'],
    [['--preset', 'smoke', '--out', dir, '--model', '/no/model'], 'error: model folder /no/model has no config.json'],
  ])('%j → %s', (args, message) => {
    const result = cli('experiment', ...args);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
  });
});

describe('npm run cli -- experiment: a tiny grid', () => {
  const out = join(dir, 'out');
  const grid = file('tiny.json', JSON.stringify(GRID));

  it('runs 2 configurations × 1 seed, writes results.json, the table and a chart, with the same numbers as train', () => {
    const result = cli('experiment', '--grid', grid, '--out', out, '--model', TINY, '--backend', 'cpu');
    expect(result.stderr).toContain('tiny: 2 runs, 0 already in');
    expect(result.stderr).toMatch(/\[2\/2\] toy houlsby d4 s0\.5 snip seed 1: dev [\d.]+%, test [\d.]+% in [\d.]+ s; ETA/);
    expect(result.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: { spec: { sparsity: number }; trained: { sparsity: number }; dev: { accuracy: number; macroF1: number }; test: { accuracy: number; count: number }; testCorrect: { count: number }; budget: { trainableNonzero: number }; losses: number[] }[] };
    expect(results.runs.map((r) => r.spec.sparsity)).toEqual([0, 0.5]);
    expect(results.runs[1]!.budget.trainableNonzero).toBeLessThan(results.runs[0]!.budget.trainableNonzero);
    expect(results.runs[0]!.losses).toHaveLength(4);
    // Every run is also scored on the test split (64 toy examples), item by item.
    for (const r of results.runs) expect([r.test.count, r.testCorrect.count]).toEqual([64, 64]);

    // The same configuration through `train`: an independent path to the same numbers.
    const train = cli('train', '--task', 'toy', '--model', TINY, '--backend', 'cpu', '--adapter', 'houlsby', '--dim', '4', '--sparsity', '0.5', '--pruner', 'snip', '--steps', '4', '--batch-size', '4', '--seq-len', '16', '--seed', '1', '--json');
    expect(train.status).toBe(0);
    const summary = JSON.parse(train.stdout.trim().split('\n').pop()!) as { dev: { accuracy: number; macroF1: number }; budget: { trainableNonzero: number } };
    expect(results.runs[1]!.dev.accuracy).toBe(summary.dev.accuracy);
    expect(results.runs[1]!.dev.macroF1).toBe(summary.dev.macroF1);
    expect(results.runs[1]!.budget.trainableNonzero).toBe(summary.budget.trainableNonzero);

    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    expect(markdown).toContain('2 of 2 runs finished');
    const pct = (x: number) => (100 * x).toFixed(1);
    // Reported on test where every run has it.
    expect(markdown).toContain('## Test metric vs sparsity');
    expect(markdown).toContain(`| toy | houlsby (dim 4) | snip | ${pct(results.runs[0]!.test.accuracy)} | ${pct(results.runs[1]!.test.accuracy)} |`);
    expect(readFileSync(join(out, 'charts', 'sparsity-toy.svg'), 'utf8')).toMatch(/^<svg[^]*<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"[^]*<\/svg>\n$/);
  });

  it('resumes: a finished grid runs nothing again; a run missing from results.json runs alone', () => {
    const again = cli('experiment', '--grid', grid, '--out', out, '--model', TINY, '--backend', 'cpu');
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('tiny: 2 runs, 2 already in');
    expect(again.stderr).toContain('0 to go');
    const resultsFile = join(out, 'results.json');
    const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as { runs: { key: string; dev: unknown }[] };
    const kept = results.runs[0]!;
    writeFileSync(resultsFile, JSON.stringify({ ...results, runs: [kept] }));
    const resumed = cli('experiment', '--grid', grid, '--out', out, '--model', TINY, '--backend', 'cpu');
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain('1 already in');
    expect(resumed.stderr).toContain('1 to go');
    const after = JSON.parse(readFileSync(resultsFile, 'utf8')) as { runs: { key: string; dev: unknown }[] };
    expect(after.runs).toHaveLength(2);
    expect(after.runs[0]).toEqual(kept);
    expect(after.runs[1]!.dev).toEqual(results.runs[1]!.dev);
  });

  it('records the model its runs used, and refuses to add runs of another model to them', () => {
    const resultsFile = join(out, 'results.json');
    const before = readFileSync(resultsFile, 'utf8');
    const recorded = (JSON.parse(before) as { model: { dir: string; sha256: string } }).model;
    const sha = createHash('sha256').update(readFileSync(join(ROOT, TINY, 'config.json'))).update(readFileSync(join(ROOT, TINY, 'model.safetensors'))).digest('hex');
    expect(recorded).toEqual({ dir: TINY, sha256: sha });
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain(`Model: \`${TINY}\` (sha256 of its config.json and model.safetensors: \`${sha.slice(0, 16)}…\`)`);
    // The same model under another name is another file's bytes only if they differ: a trailing space in config.json does.
    const other = join(dir, 'other-model');
    cpSync(join(ROOT, TINY), other, { recursive: true });
    writeFileSync(join(other, 'config.json'), readFileSync(join(other, 'config.json'), 'utf8') + ' ');
    const refused = cli('experiment', '--grid', grid, '--out', out, '--model', other, '--backend', 'cpu');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`holds runs of another model (${TINY}, sha256 ${sha.slice(0, 12)}…) than ${other}`);
    expect(readFileSync(resultsFile, 'utf8')).toBe(before);
    // A file from before models were recorded resumes, saying what it assumes.
    const { model: _model, ...legacy } = JSON.parse(before) as Record<string, unknown>;
    writeFileSync(resultsFile, JSON.stringify(legacy));
    const resumed = cli('experiment', '--grid', grid, '--out', out, '--model', TINY, '--backend', 'cpu');
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain(`does not record which model its runs used (written before that was recorded); it is taken to be ${TINY}`);
    expect((JSON.parse(readFileSync(resultsFile, 'utf8')) as { model: unknown }).model).toEqual(recorded);
  });

  it('--shard i/n runs disjoint parts, and merge joins them into what the unsharded run wrote (same keys, same numbers); other grids and conflicting numbers are refused', () => {
    const parts = [1, 2].map((i) => {
      const shardOut = join(dir, `shard-${i}`);
      const result = cli('experiment', '--grid', grid, '--out', shardOut, '--model', TINY, '--backend', 'cpu', '--shard', `${i}/2`);
      expect(result.status).toBe(0);
      expect(result.stderr).toContain(`tiny shard ${i}/2: 1 runs`);
      return shardOut;
    });
    const merged = join(dir, 'merged');
    const merge = cli('experiment', 'merge', '--out', merged, ...parts);
    expect(merge.status).toBe(0);
    expect(merge.stderr).toContain('merged 2 shard(s): 2 of 2 runs');
    type Results = { runs: { key: string; spec: unknown; trained: unknown; budget: unknown; dev: unknown; losses: number[] }[] };
    const read = (d: string) => JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as Results;
    const numbers = (r: Results) => r.runs.map(({ key, spec, trained, budget, dev, losses }) => ({ key, spec, trained, budget, dev, losses }));
    expect(numbers(read(merged))).toEqual(numbers(read(out)));
    expect(readFileSync(join(merged, 'results.md'), 'utf8')).toContain('2 of 2 runs finished');
    // A shard of another grid, and a run reported with other numbers, are refused.
    const otherOut = join(dir, 'other-grid');
    mkdirSync(otherOut);
    const otherGrid = { ...read(parts[0]!), experiment: { name: 'other', description: '', grids: [] } };
    writeFileSync(join(otherOut, 'results.json'), JSON.stringify(otherGrid));
    expect(cli('experiment', 'merge', '--out', join(dir, 'm2'), parts[0]!, otherOut).stderr).toMatch(/holds results of another grid \("other"\)/);
    const tampered = read(parts[0]!);
    (tampered.runs[0]!.dev as { accuracy: number }).accuracy += 0.01;
    const tamperedOut = join(dir, 'tampered');
    mkdirSync(tamperedOut);
    writeFileSync(join(tamperedOut, 'results.json'), JSON.stringify(tampered));
    expect(cli('experiment', 'merge', '--out', join(dir, 'm3'), parts[0]!, tamperedOut).stderr).toMatch(/is in .* and .* with different numbers/);
  }, 180_000);

  it('sweeps learning rates on the sweep seed, runs the other seeds at the rate chosen on dev, and reports on test', () => {
    const sweepOut = join(dir, 'sweep');
    const sweepGrid = file('sweep.json', JSON.stringify({ ...GRID, sparsities: [0], seeds: [1, 2], learningRates: [0.0001, 0.05], sweepSeeds: [1] }));
    const dry = cli('experiment', '--grid', sweepGrid, '--out', sweepOut, '--model', TINY, '--backend', 'cpu', '--dry-run');
    expect(dry.stdout).toContain('2 runs, and 1 more at the learning rates their sweeps will choose');
    // Two worker processes: both sweep runs at once, then one of them takes the run the sweep makes possible.
    const result = cli('experiment', '--grid', sweepGrid, '--out', sweepOut, '--model', TINY, '--backend', 'cpu', '--jobs', '2');
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('sweep: 3 runs (1 of them at the learning rates their sweeps will choose)');
    expect(result.stderr).toMatch(/\[3\/3\] toy houlsby d4 s0 seed 2 lr [\d.]+: dev/);
    type Run = { spec: { seed: number; train: { learningRate: number } }; dev: { accuracy: number }; test: { accuracy: number }; sweep: { learningRates: number[]; seeds: number[] } };
    const { runs } = JSON.parse(readFileSync(join(sweepOut, 'results.json'), 'utf8')) as { runs: Run[] };
    expect(runs.map((r) => [r.spec.seed, r.spec.train.learningRate])).toEqual([[1, 0.0001], [1, 0.05], [2, expect.any(Number)]]);
    // The rate of seed 2 is seed 1's better one on dev (the earlier on a tie).
    const [low, high] = runs;
    const chosen = high!.dev.accuracy > low!.dev.accuracy ? 0.05 : 0.0001;
    expect(runs[2]!.spec.train.learningRate).toBe(chosen);
    const markdown = readFileSync(join(sweepOut, 'results.md'), 'utf8');
    expect(markdown).toContain('## Learning rates');
    expect(markdown).toMatch(new RegExp(`\\| toy \\| houlsby \\| 1 \\| 0% \\| — \\| [^|]+ \\| [^|]+ \\| ${chosen} \\| 1 \\|`));
    // The configuration's row holds the two seeds at the chosen rate only, on test.
    const atChosen = runs.filter((r) => r.spec.train.learningRate === chosen).map((r) => 100 * r.test.accuracy);
    const meanOf = atChosen.reduce((a, b) => a + b, 0) / atChosen.length;
    expect(markdown).toContain(`| ${chosen} (chosen) | 4 |`);
    expect(markdown).toContain(`| ${meanOf.toFixed(1)} ± `);
    // Rerun: nothing left.
    const again = cli('experiment', '--grid', sweepGrid, '--out', sweepOut, '--model', TINY, '--backend', 'cpu');
    expect(again.stderr).toContain('3 runs, 3 already in');
    // A rate added to the sweep: only its run is new; seed 2's run waits in the file for the new choice and
    // is used again when the choice stays (a learning rate of 1e-9 cannot win: it leaves the head at its start).
    const wider = file('sweep-wider.json', JSON.stringify({ ...GRID, sparsities: [0], seeds: [1, 2], learningRates: [0.0001, 0.05, 1e-9], sweepSeeds: [1] }));
    const more = cli('experiment', '--grid', wider, '--out', sweepOut, '--model', TINY, '--backend', 'cpu');
    expect(more.status).toBe(0);
    expect(more.stderr).toContain('4 runs (1 of them at the learning rates their sweeps will choose), 2 already in');
    expect(more.stderr).toContain('1 to go now');
    const after = (JSON.parse(readFileSync(join(sweepOut, 'results.json'), 'utf8')) as { runs: Run[] }).runs;
    expect(after).toHaveLength(4);
    expect(after.every((r) => r.sweep.learningRates.length === 3)).toBe(true);
    expect(after.find((r) => r.spec.seed === 2)).toMatchObject({ dev: runs[2]!.dev, spec: runs[2]!.spec });
  }, 120_000);

  it('with --backend auto says which backend it picked and why not the others', () => {
    const result = cli('experiment', '--preset', 'smoke', '--out', join(dir, 'auto'), '--model', TINY, '--backend', 'auto');
    expect(result.status).toBe(0);
    // Without a hardware GPU (CI, this machine) Dawn either fails to start or offers SwiftShader: wasm, with the reason.
    expect(result.stderr).toMatch(/^backend: (webgpu \(.*\)|wasm; not webgpu: .+)$/m);
  });

  it('refuses to resume into a folder whose results.json is not one of its own', () => {
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'results.json'), '{"hello": 1}');
    const result = cli('experiment', '--grid', grid, '--out', foreign, '--model', TINY, '--backend', 'cpu');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('results.json is not an experiment results file; choose another --out');
    expect(readFileSync(join(foreign, 'results.json'), 'utf8')).toBe('{"hello": 1}');
  });
});
