// A BERT at real width (bert-base's 768 × 3072, 12 heads, 30,522-token embedding; one layer so CI stays
// fast), generated here rather than committed, trains at batch 16 × 128 on wasm through `train`: in one
// pass, and in the micro-batches a small activation budget forces, with the same losses up to float
// rounding. A budget that cannot hold one example is refused before anything is allocated.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBertBaseShapedFolder } from './generatedModel';

const ROOT = join(__dirname, '..', '..');
const env = { ...process.env };
delete env.XDG_RUNTIME_DIR;
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env, maxBuffer: 64 * 2 ** 20 });

const losses = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss?: number }).filter((e) => e.type === 'step').map((e) => e.loss!);
const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as { memory: { microBatch: number; passes: number }; budget: { plmParams: number } };

describe('a bert-base-width model on wasm', () => {
  it('trains 3 steps at 16 × 128 in one pass and in micro-batches with the same losses; refuses a budget below one example', () => {
    const dir = writeBertBaseShapedFolder(1);
    const args = ['train', '--model', dir, '--backend', 'wasm', '--task', 'toy', '--adapter', 'houlsby', '--dim', '64', '--sparsity', '0', '--steps', '3', '--batch-size', '16', '--seq-len', '128', '--eval-every', '0', '--json'];
    const whole = cli(...args);
    expect(whole.status, whole.stderr).toBe(0);
    expect(summaryOf(whole.stdout).memory).toMatchObject({ microBatch: 16, passes: 1 });
    // 30,522 × 768 word + 512 × 768 position + 2 × 768 type embeddings and their LayerNorm, one layer of 7.1 M, the pooler.
    expect(summaryOf(whole.stdout).budget.plmParams).toBe(30522 * 768 + 512 * 768 + 2 * 768 + 2 * 768 + (4 * (768 * 768 + 768) + 2 * 768 + 768 * 3072 + 3072 + 3072 * 768 + 768 + 2 * 768) + 768 * 768 + 768);
    // 360 MiB holds 4 examples of about 84.9 MB (one layer at 128 tokens: 6 × 3,538,944 floats): 4 passes of 4.
    const split = cli(...args, '--activation-budget', '360');
    expect(split.status, split.stderr).toBe(0);
    expect(summaryOf(split.stdout).memory).toMatchObject({ microBatch: 4, passes: 4 });
    const a = losses(whole.stdout);
    const b = losses(split.stdout);
    expect(a).toHaveLength(3);
    b.forEach((loss, i) => expect(Math.abs(loss - a[i]!) / a[i]!).toBeLessThan(1e-4));
    const refused = cli(...args, '--activation-budget', '4');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/error: one example of 128 tokens needs about 0\.08 GiB of activations for a training step on this 1-layer × 768 model, more than the 0\.00 GiB this backend can give a step: lower the sequence length/);
  }, 1_200_000);
});
