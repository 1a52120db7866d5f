// `npm run cli -- train` as a user runs it: JSON-lines events, the summary line's shape and numbers,
// the written adapter file (pruned entries exactly zero, masks beside them, the same format the page
// reads and writes), and clear errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runLabel } from '../app/labels';
import { createAppStore } from '../app/store';
import type { WorkerClient } from '../app/workerClient';
import { adapterFromSafetensors, adapterToSafetensors } from '../engine/adapterFile';
import { mergeSettings, resolveRun } from '../engine/config';
import { toyTask } from '../engine/data/toy';
import { parseSafetensors } from '../engine/safetensors';
import { loadTinyPlm } from '../engine/testing/tinyModel';
import { runSparseAdapter } from '../engine/train';
import type { FromWorker } from '../worker/protocol';

const ROOT = join(__dirname, '..', '..');
// XDG_RUNTIME_DIR unset as on CI machines and in containers (where Mesa's Vulkan drivers complain about it on stderr).
const env = { ...process.env };
delete env.XDG_RUNTIME_DIR;
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env });
/** SwiftShader's Vulkan driver ships with Debian's Chromium; with libvulkan1 it gives Dawn a WebGPU adapter. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasVulkan = existsSync(SWIFTSHADER_ICD) && ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync);
const losses = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss?: number }).filter((e) => e.type === 'step').map((e) => e.loss!);

describe('npm run cli -- train', () => {
  it('prints events and a summary line, and writes the masked adapter', () => {
    const out = mkdtempSync(join(tmpdir(), 'sparse-'));
    const run = cli('train', '--model', 'src/engine/fixtures/tiny-bert', '--adapter', 'lora', '--dim', '4', '--sparsity', '0.5', '--pruner', 'snip', '--large-sparse', '2', '--steps', '3', '--batch-size', '4', '--seq-len', '16', '--seed', '7', '--json', '--out', out);
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
    // No --backend: auto, as experiment does, and it says which backend it picked (wasm without a hardware GPU).
    const picked = /^backend: (\w+)/m.exec(run.stderr)?.[1];
    expect(['wasm', 'webgpu']).toContain(picked);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; [key: string]: unknown });
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(3);
    expect(lines.some((l) => l.type === 'pruned')).toBe(true);
    const summary = lines[lines.length - 1] as unknown as { type: string; config: { dim: number; sparsity: number; kind: string; backend: string }; budget: Record<string, number>; dev: { accuracy: number }; seconds: number };
    expect(summary.type).toBe('summary');
    // Large-Sparse ×2 of LoRA r=4 at 50%: r = 8 at 75%.
    expect(summary.config).toMatchObject({ kind: 'lora', dim: 8, sparsity: 0.75, backend: picked });
    const { plmParams, adapterParams, adapterNonzero, headParams, trainableNonzero, percentOfPlm } = summary.budget as Record<string, number>;
    expect(plmParams).toBe(84_320);
    expect(adapterParams).toBe(2 * 2 * 2 * 32 * 8); // layers × (query, value) × (A, B) × H × r
    expect(adapterNonzero).toBe(adapterParams! - Math.round(0.75 * adapterParams!));
    expect(trainableNonzero).toBe(adapterNonzero! + headParams!);
    expect(percentOfPlm).toBeCloseTo((100 * trainableNonzero!) / plmParams!, 10);
    expect(summary.dev.accuracy).toBeGreaterThanOrEqual(0);
    expect(summary.seconds).toBeGreaterThan(0);

    const file = parseSafetensors(new Uint8Array(readFileSync(join(out, 'adapter.safetensors'))));
    const weight = file.readFloat32('layer.0.lora_query.A');
    const mask = file.readBytes('layer.0.lora_query.A.mask');
    expect(mask.length).toBe(weight.length);
    let pruned = 0;
    mask.forEach((m, i) => { if (m === 0) { pruned += 1; expect(Math.abs(weight[i]!)).toBe(0); } });
    expect(pruned).toBeGreaterThan(0);
    expect(JSON.parse(file.metadata.contents!)).toMatchObject({ resolved: { adapter: { kind: 'lora', dim: 8 } } });
    expect(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'))).toMatchObject({ resolved: { adapter: { kind: 'lora' }, prune: { sparsity: 0.75 } }, head: { labels: ['negative', 'positive'] } });
    // The PEFT folder beside it: r = the Large-Sparse rank (4 × 2), the trained LoRA tensors with the same zeros.
    expect(JSON.parse(readFileSync(join(out, 'peft', 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: 8, task_type: 'SEQ_CLS' });
    const peft = parseSafetensors(new Uint8Array(readFileSync(join(out, 'peft', 'adapter_model.safetensors'))));
    const ours = file.readFloat32('layer.1.lora_value.A'); // [H, r]
    const theirs = peft.readFloat32('base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight'); // [r, H]
    expect(theirs.length).toBe(ours.length);
    expect(theirs[3 * 32 + 5]).toBe(ours[5 * 8 + 3]);
    expect(theirs.filter((x) => x === 0).length).toBe(ours.filter((x) => x === 0).length);
  });

  // The real-GPU path in Node (Dawn): here on SwiftShader, which .ci/run installs (chromium + libvulkan1).
  it.skipIf(!hasVulkan)('runs on WebGPU in Node (Dawn) with the same losses as cpu, within 1e-3 relative', () => {
    const args = ['train', '--model', 'src/engine/fixtures/tiny-bert', '--adapter', 'houlsby', '--dim', '8', '--sparsity', '0.5', '--steps', '4', '--batch-size', '4', '--seq-len', '16', '--eval-every', '0', '--json'];
    const cpu = losses(cli(...args, '--backend', 'cpu').stdout);
    const gpu = spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args, '--backend', 'webgpu'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: tmpdir() } });
    expect(gpu.stderr).not.toMatch(/error:/);
    const webgpu = losses(gpu.stdout);
    expect(webgpu).toHaveLength(4);
    webgpu.forEach((loss, i) => expect(Math.abs(loss - cpu[i]!) / cpu[i]!).toBeLessThan(1e-3));
  }, 180_000);

  it('trains on a built-in tagging task and on a user CSV, reporting the data and skipped rows', () => {
    const pos = cli('train', '--task', 'pos', '--model', 'src/engine/fixtures/tiny-bert', '--adapter', 'lora', '--dim', '2', '--steps', '2', '--batch-size', '4', '--seq-len', '24', '--json');
    expect(pos.status).toBe(0);
    const posSummary = JSON.parse(pos.stdout.trim().split('\n').pop()!) as { data: { train: number; labels: string[] }; dev: { count: number } };
    expect(posSummary.data.labels).toContain('NOUN');
    expect(posSummary.data.train).toBeGreaterThan(1000);

    const dir = mkdtempSync(join(tmpdir(), 'csv-'));
    const csv = join(dir, 'mine.csv');
    writeFileSync(csv, '\ufeffsentence,label\r\n"great film, really",pos\r\nawful,neg\r\n"so bad\nreally",neg\r\nnice,pos\r\n,pos\r\ngood,pos\r\nbad,neg\r\nfine,pos\r\nugly,neg\r\nsad,neg\r\n\r\n');
    const mine = cli('train', '--data', csv, '--model', 'src/engine/fixtures/tiny-bert', '--steps', '2', '--batch-size', '4', '--seq-len', '16', '--json');
    expect(mine.status).toBe(0);
    const summary = JSON.parse(mine.stdout.trim().split('\n').pop()!) as { data: { train: number; dev: number; skipped: number; labels: string[] } };
    expect(summary.data.skipped).toBe(1);
    expect(summary.data.train + summary.data.dev).toBe(9);
    expect(summary.data.labels).toEqual(['neg', 'pos']);
    expect(mine.stderr).toContain('line 7: empty text');

    writeFileSync(csv, 'a,b\n');
    const bad = cli('train', '--data', csv, '--model', 'src/engine/fixtures/tiny-bert');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error: .*mine\.csv/);
    const unknown = cli('train', '--task', 'sentiment140', '--model', 'src/engine/fixtures/tiny-bert');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('error: unknown task "sentiment140" (available: toy, spam, genre, pos)');
  }, 120_000);

  // The cross-over: the CLI's file and the page's download are one format, read by one function.
  it("writes an adapter file the page imports as the run it was (a LoRA with its settings), and reads the page's files", async () => {
    const out = mkdtempSync(join(tmpdir(), 'cross-'));
    const run = cli('train', '--model', 'src/engine/fixtures/tiny-bert', '--adapter', 'lora', '--dim', '4', '--sparsity', '0.5', '--scope', 'local', '--large-sparse', '2', '--steps', '2', '--batch-size', '4', '--seq-len', '16', '--lr', '0.002', '--seed', '7', '--eval-every', '0', '--json', '--out', out);
    expect(run.status).toBe(0);
    await tf.setBackend('cpu');
    const plm = await loadTinyPlm();
    // The page's path: the worker's importAdapter reads the file (its settings leaf by leaf, as a link's)
    // and replies with the settings and the notes, which the store shows: every leaf is there, none falls back.
    const loaded = adapterFromSafetensors(new Uint8Array(readFileSync(join(out, 'adapter.safetensors'))), plm, 'adapter.safetensors');
    const cliSettings = mergeSettings({ task: 'toy', adapter: { kind: 'lora', dim: 4 }, prune: { sparsity: 0.5, scope: 'local' }, largeSparse: 2, train: { steps: 2, batchSize: 4, seqLen: 16, learningRate: 0.002, seed: 7, evalEvery: 0 } });
    try {
      const { settings } = loaded.run;
      expect(loaded.notes).toEqual([]);
      expect(settings).toEqual(cliSettings);
      expect(loaded.run.resolved).toEqual(resolveRun(settings));
      expect(loaded.adapters.options).toMatchObject({ kind: 'lora', dim: 8 });
    } finally {
      loaded.dispose();
    }
    // Then the page's store, over a client that answers importAdapter as the worker does (worker.ts), makes a
    // finished run of it: a LoRA with the CLI's settings, named as the runs panel names it, with no notes.
    const client: WorkerClient = {
      send: async (command) => {
        if (command.type !== 'importAdapter') throw new Error(`unexpected ${command.type}`);
        const file = adapterFromSafetensors(command.bytes, plm, command.name);
        file.dispose();
        return { v: 1, id: 0, type: 'adapterImported', runId: command.runId, labels: file.labels, settings: file.run.settings, notes: file.notes, kept: [command.runId] } as FromWorker;
      },
      onCrash: () => () => {},
      terminate() {},
    };
    const store = createAppStore(client, null);
    await store.getState().importAdapter('adapter.safetensors', new Uint8Array(readFileSync(join(out, 'adapter.safetensors'))));
    expect(store.getState().adapterImport).toEqual({ state: 'done', value: 'adapter.safetensors' });
    expect(store.getState().importNotes).toEqual([]);
    const imported = store.getState().runs.at(-1)!;
    expect(imported).toMatchObject({ status: 'done', phase: 'imported', settings: cliSettings });
    expect(runLabel(imported.settings)).toBe('lora r=8 75% snip (Large-Sparse ×2)');
    // The reverse: a file as the page downloads it (the worker's exportAdapter) is the same object the CLI writes.
    const settings = mergeSettings({ adapter: { kind: 'lora', dim: 4 }, prune: { sparsity: 0.5, scope: 'local' }, largeSparse: 2, train: { steps: 2, batchSize: 4, seqLen: 16, learningRate: 0.002, seed: 7, evalEvery: 0 } });
    const resolved = resolveRun(settings);
    const task = toyTask();
    const trained = await runSparseAdapter(plm, task, resolved, () => {});
    try {
      const page = parseSafetensors(await adapterToSafetensors(trained, plm, { settings, resolved }, task.labels));
      const cliFile = parseSafetensors(new Uint8Array(readFileSync(join(out, 'adapter.safetensors'))));
      expect(page.metadata).toEqual(cliFile.metadata);
      expect([...page.tensors.keys()]).toEqual([...cliFile.tensors.keys()]);
    } finally {
      trained.dispose();
    }
  }, 120_000);

  it('checkpoints every n steps and resumes exactly: steps 4–6 of a resumed run equal those of the uninterrupted run; a damaged checkpoint is refused', () => {
    const out = mkdtempSync(join(tmpdir(), 'resume-'));
    const args = ['--model', 'src/engine/fixtures/tiny-bert', '--backend', 'cpu', '--adapter', 'houlsby', '--dim', '4', '--sparsity', '0.5', '--steps', '6', '--batch-size', '4', '--seq-len', '16', '--seed', '3', '--eval-every', '0', '--json'];
    // The uninterrupted run writes its checkpoints at steps 3 (and not after the last step): the state at step 3.
    const straight = cli('train', ...args, '--checkpoint-every', '3', '--out', out);
    expect(straight.stderr).not.toMatch(/error:/);
    const all = losses(straight.stdout);
    expect(all).toHaveLength(6);
    const resumed = cli('train', '--model', 'src/engine/fixtures/tiny-bert', '--backend', 'cpu', '--resume', out, '--json');
    expect(resumed.stderr).not.toMatch(/error:/);
    expect(losses(resumed.stdout)).toEqual(all.slice(3));
    const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as { dev: unknown; budget: unknown };
    expect(last(resumed.stdout).dev).toEqual(last(straight.stdout).dev);
    expect(last(resumed.stdout).budget).toEqual(last(straight.stdout).budget);
    // Settings cannot change on resume; another model is refused with the reason; a damaged file is named.
    expect(cli('train', '--resume', out, '--steps', '9').stderr).toContain("--resume continues the checkpoint's run with its own settings: drop --steps");
    const other = cli('train', '--resume', out, '--backend', 'cpu');
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/error: the checkpoint is of a model with 2 layers × 32/);
    const file = join(out, 'checkpoint.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const damaged = cli('train', '--model', 'src/engine/fixtures/tiny-bert', '--resume', out, '--backend', 'cpu');
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(/error: .*checkpoint\.safetensors/);
  }, 180_000);

  it('rejects bad flags with a message naming them', () => {
    const bad = cli('train', '--model', 'src/engine/fixtures/tiny-bert', '--pruner', 'lottery');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error: --pruner must be one of snip, snip-abs, random, magnitude, grasp, synflow; got "lottery"');
    const range = cli('train', '--model', 'src/engine/fixtures/tiny-bert', '--sparsity', '1.5');
    expect(range.status).toBe(1);
    expect(range.stderr).toContain('error: --sparsity must be a number from 0 to 0.99; got "1.5"');
  });
});
