// `npm run bench -- --real-size` as a user runs it, on a one-layer bert-base-shaped model at a small batch
// (CI stays fast; the full 12-layer figures are in docs/benchmarks.md): the JSON says what ran, the
// parameter count is bert-base's formula for one layer, the losses are finite, the step time and
// tokens/s agree, and the peak memory holds at least the weights. Bad flags fail with a message.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRealSizeArgs, type RealSizeResult } from './benchRealSize';

const ROOT = join(__dirname, '..', '..');
const env = { ...process.env };
delete env.XDG_RUNTIME_DIR;
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env, maxBuffer: 16 * 2 ** 20 });

describe('bench --real-size', () => {
  it('reads its flags with the settings\' ranges and refuses bad ones', () => {
    const { plan, backends } = parseRealSizeArgs(['--real-size']);
    expect(plan).toEqual({ layers: 12, steps: 3, batchSize: 16, seqLen: 128, dim: 64, sparsity: 0.5, activationBudgetMiB: null });
    expect(backends).toEqual(['wasm']);
    expect(parseRealSizeArgs(['--real-size', '--backends', 'cpu,wasm', '--layers', '2', '--activation-budget', '64']).plan).toMatchObject({ layers: 2, activationBudgetMiB: 64 });
    expect(() => parseRealSizeArgs(['--real-size', '--sparsity', '1.5'])).toThrow(/--sparsity must be a number from 0 to/);
    expect(() => parseRealSizeArgs(['--real-size', '--seq-len', '1024'])).toThrow(/--seq-len must be/);
    expect(() => parseRealSizeArgs(['--real-size', '--backends', 'tpu'])).toThrow(/--backends must be from cpu, wasm, webgpu; got "tpu"/);
    expect(() => parseRealSizeArgs(['--real-size', '--layers', '0'])).toThrow(/--layers must be a positive whole number/);
  });

  it('measures a one-layer bert-base-shaped model on wasm in a process of its own', () => {
    const run = cli('bench', '--real-size', '--layers', '1', '--steps', '2', '--batch-size', '2', '--seq-len', '16', '--backends', 'wasm', '--json');
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { model: { parameters: number; layers: number }; backends: Record<string, RealSizeResult> };
    const H = 768;
    const layer = 4 * (H * H + H) + 2 * H + H * 3072 + 3072 + 3072 * H + H + 2 * H;
    expect(out.model.parameters).toBe(30522 * H + 512 * H + 2 * H + 2 * H + layer + H * H + H);
    const wasm = out.backends.wasm!;
    expect(wasm.backend).toBe('wasm');
    expect(wasm.memoryPlan).toMatchObject({ microBatch: 2, passes: 1 });
    expect(wasm.losses).toHaveLength(2);
    for (const loss of wasm.losses) expect(Number.isFinite(loss) && loss > 0).toBe(true);
    for (const ms of [wasm.modelLoadMs, wasm.snipMs, wasm.meanStepMs]) expect(ms).toBeGreaterThan(0);
    expect(wasm.tokensPerSec).toBeCloseTo((1000 * 2 * 16) / wasm.meanStepMs, 0);
    // The frozen weights alone are parameters × 4 bytes of tensors, and they are resident.
    expect(wasm.peak.tensorBytes).toBeGreaterThanOrEqual(out.model.parameters * 4);
    expect(wasm.peak.rssBytes).toBeGreaterThan(out.model.parameters * 4);
  }, 600_000);
});
