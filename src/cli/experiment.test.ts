// `npm run cli -- experiment` as a user runs it: argument errors end with a message and a non-zero
// exit; a 2-configuration tiny grid runs end to end, its numbers equal `train`'s for the same
// settings, and a rerun resumes instead of starting over.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const TINY = 'src/engine/fixtures/tiny-bert';
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'experiment-test-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const GRID = { tasks: ['toy'], adapters: ['houlsby'], dims: [4], sparsities: [0, 0.5], pruners: ['snip'], seeds: [1], steps: 4, batchSize: 4, seqLen: 16 };

describe('npm run cli -- experiment: argument errors', () => {
  it.each([
    [['--preset', 'nope', '--out', dir], 'error: unknown preset "nope" (available: paper, baselines, smoke)'],
    [['--out', dir], 'error: experiment needs exactly one of --preset <name> and --grid <file.json>'],
    [['--grid', '/no/such/grid.json', '--out', dir], 'error: grid file /no/such/grid.json does not exist'],
    [['--grid', file('broken.json', '{"tasks": ["toy"'), '--out', dir], 'broken.json is not valid JSON'],
    [['--grid', file('task.json', JSON.stringify({ ...GRID, tasks: ['sst2'] })), '--out', dir], 'task.json is not a valid grid: tasks.0: Invalid option: expected one of "toy"|"spam"|"genre"|"pos"'],
    [['--grid', file('sparsity.json', JSON.stringify({ ...GRID, sparsities: [0.5, 1] })), '--out', dir], 'sparsity.json is not a valid grid: sparsities.1: Too big: expected number to be <1'],
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
    expect(result.stderr).toMatch(/\[2\/2\] toy houlsby d4 s0\.5 snip seed 1: dev [\d.]+% in [\d.]+ s; ETA/);
    expect(result.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: { spec: { sparsity: number }; trained: { sparsity: number }; dev: { accuracy: number; macroF1: number }; budget: { trainableNonzero: number }; losses: number[] }[] };
    expect(results.runs.map((r) => r.spec.sparsity)).toEqual([0, 0.5]);
    expect(results.runs[1]!.budget.trainableNonzero).toBeLessThan(results.runs[0]!.budget.trainableNonzero);
    expect(results.runs[0]!.losses).toHaveLength(4);

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
    expect(markdown).toContain(`| toy | houlsby (dim 4) | snip | ${pct(results.runs[0]!.dev.accuracy)} | ${pct(results.runs[1]!.dev.accuracy)} |`);
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
