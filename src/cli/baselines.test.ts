// `npm run cli -- baselines` end to end on the toy task and the tiny model: every method gets a row,
// the majority row equals a count made here from the task file, and the PLM rows come from the runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toyTask } from '../engine/data/toy';

const ROOT = join(__dirname, '..', '..');

describe('npm run cli -- baselines', () => {
  it('writes one row per method with the majority class counted from the data', () => {
    const out = mkdtempSync(join(tmpdir(), 'baselines-test-'));
    const run = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'baselines', '--out', out, '--tasks', 'toy', '--seeds', '1,2', '--steps', '3', '--model', 'src/engine/fixtures/tiny-bert', '--backend', 'cpu'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).toContain('baselines: 8 runs');
    expect(run.status).toBe(0);
    const md = readFileSync(join(out, 'baselines.md'), 'utf8');
    // The figures name the model file they belong to, as the experiment's results do.
    const json = JSON.parse(readFileSync(join(out, 'baselines.json'), 'utf8')) as { model: { dir: string; sha256: string }; seqLen: number };
    expect(json.model).toEqual((JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { model: unknown }).model);
    expect(json.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(md).toContain(`sha256 of its config.json and model.safetensors: \`${json.model.sha256.slice(0, 16)}…\``);
    const rows = md.split('\n').filter((l) => l.startsWith('| toy |'));
    expect(rows.map((r) => r.split(' | ')[1])).toEqual([
      'majority class', 'bag-of-words logistic regression, every word', 'bag-of-words logistic regression, the first 32 word pieces, as the PLM', 'linear head, frozen PLM', 'dense Houlsby adapter (dim 16) + head, frozen PLM',
      'linear head, frozen random encoder', 'dense Houlsby adapter (dim 16) + head, frozen random encoder',
    ]);
    const task = toyTask();
    const counts = task.labels.map((_, k) => task.train.filter((e) => e.label === k).length);
    const majority = counts.indexOf(Math.max(...counts));
    const expected = task.dev.filter((e) => e.label === majority).length / task.dev.length;
    expect(rows[0]).toContain(`| ${(100 * expected).toFixed(1)} |`);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: { spec: { adapter: string; encoder: string; seed: number }; dev: { accuracy: number } }[] };
    const head = results.runs.filter((r) => r.spec.adapter === 'none' && r.spec.encoder === 'pretrained').map((r) => r.dev.accuracy);
    const mean = (head[0]! + head[1]!) / 2;
    const std = Math.abs(head[0]! - head[1]!) / Math.SQRT2;
    expect(rows[3]).toContain(`| ${(100 * mean).toFixed(1)} ± ${(100 * std).toFixed(1)} |`);
  });
});
