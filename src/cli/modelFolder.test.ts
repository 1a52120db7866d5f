// `--model <dir>` with the other families' folders, as a user runs the CLI: a DistilBERT folder trains a
// pruned LoRA and writes a PEFT folder under DistilBERT's names, a RoBERTa folder (byte-level BPE) a
// Houlsby adapter for AdapterHub's RobertaAdapterModel, and a T5 folder is refused naming its type.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../engine/safetensors';
import { folderReader, loadReporter } from './modelFolder';

const ROOT = join(__dirname, '..', '..');
const env = { ...process.env };
delete env.XDG_RUNTIME_DIR;
const cli = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env });
const quick = ['--task', 'toy', '--dim', '4', '--sparsity', '0.5', '--pruner', 'snip', '--steps', '2', '--batch-size', '4', '--seq-len', '12', '--backend', 'cpu'];
const names = (file: string) => [...parseSafetensors(new Uint8Array(readFileSync(file))).tensors.keys()];

describe('--model with RoBERTa, DistilBERT and T5 folders', () => {
  it('DistilBERT: LoRA exported for PEFT on distilbert.transformer.layer.N.attention.q_lin/v_lin', () => {
    const out = mkdtempSync(join(tmpdir(), 'distil-'));
    const run = cli('train', '--model', 'src/engine/fixtures/tiny-distilbert', '--adapter', 'lora', ...quick, '--out', out);
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
    const tensors = names(join(out, 'peft', 'adapter_model.safetensors'));
    expect(tensors).toContain('base_model.model.distilbert.transformer.layer.1.attention.v_lin.lora_B.weight');
    expect(tensors).toContain('base_model.model.pre_classifier.weight');
    expect(JSON.parse(readFileSync(join(out, 'peft', 'adapter_config.json'), 'utf8'))).toMatchObject({ target_modules: ['q_lin', 'v_lin'], modules_to_save: ['pre_classifier', 'classifier'] });
  }, 120_000);

  it('RoBERTa: a Houlsby adapter exported for AdapterHub under roberta.encoder.layer.N', () => {
    const out = mkdtempSync(join(tmpdir(), 'roberta-'));
    const run = cli('train', '--model', 'src/engine/fixtures/tiny-roberta', '--adapter', 'houlsby', ...quick, '--out', out);
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.status).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'adapterhub', 'adapter_config.json'), 'utf8')) as { name: string; model_class: string; model_type: string };
    expect(config).toMatchObject({ model_class: 'RobertaAdapterModel', model_type: 'roberta' });
    expect(names(join(out, 'adapterhub', 'adapter.safetensors'))).toContain(`roberta.encoder.layer.0.attention.output.adapters.${config.name}.adapter_down.0.weight`);
  }, 120_000);

  it('T5: refused with its model_type named, exit status 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 't5-'));
    const source = join(ROOT, 'src/engine/fixtures/tiny-roberta');
    for (const f of readdirSync(source)) copyFileSync(join(source, f), join(dir, f));
    const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 't5', architectures: ['T5ForConditionalGeneration'] }));
    const run = cli('encode', '--model', dir, '--text', 'hello');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('config.json: model_type is "t5": T5 is an encoder-decoder model, out of scope here');
  }, 120_000);
});

describe('reading a model folder and reporting its loading', () => {
  it('reads a large file in pieces, telling how much it has read of how much; a missing file is null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reader-'));
    const bytes = new Uint8Array(20 * 2 ** 20 + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) % 251;
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const seen: [number, number | null][] = [];
    const read = await folderReader(dir)('model.safetensors', (loaded, total) => seen.push([loaded, total]));
    // Compared as buffers: a deep equality over 20 M elements would take minutes.
    expect(read).not.toBeNull();
    expect(Buffer.from(read!.buffer, read!.byteOffset, read!.byteLength).equals(Buffer.from(bytes.buffer))).toBe(true);
    expect(seen).toEqual([[16 * 2 ** 20, bytes.length], [bytes.length, bytes.length]]);
    expect(await folderReader(dir)('vocab.txt')).toBeNull();
  });

  it('the CLI says what was read and made, and how long each took; a terminal gets a line that updates in place', async () => {
    const lines: string[] = [];
    const quiet = loadReporter('m', (t) => lines.push(t), false);
    quiet.onProgress({ stage: 'reading', file: 'model.safetensors', bytes: 3 * 2 ** 20, totalBytes: 3 * 2 ** 20 });
    quiet.onProgress({ stage: 'uploading', tensors: 40, totalTensors: 40, bytes: 6 * 2 ** 20, totalBytes: 6 * 2 ** 20 });
    quiet.done();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^model: read 3\.0 MB of weights in \d+\.\d s, 40 tensors \(6\.0 MB as float32\) made in \d+\.\d s\n$/);
    const drawn: string[] = [];
    const tty = loadReporter('bert-base', (t) => drawn.push(t), true);
    tty.onProgress({ stage: 'reading', file: 'model.safetensors', bytes: 2 ** 20, totalBytes: 4 * 2 ** 20 });
    expect(drawn[0]).toBe('\r\x1b[2Kbert-base: reading model.safetensors: 1.0 MB of 4.0 MB');
  });

  it('train prints the loading line on stderr for the model it loads', () => {
    const run = cli('train', '--model', 'src/engine/fixtures/tiny-bert', ...quick);
    expect(run.status, run.stderr).toBe(0);
    const tensors = parseSafetensors(new Uint8Array(readFileSync(join(ROOT, 'src/engine/fixtures/tiny-bert/model.safetensors')))).tensors.size;
    expect(run.stderr).toMatch(new RegExp(`^model: read \\d+\\.\\d MB of weights in \\d+\\.\\d s, ${tensors} tensors \\(\\d+\\.\\d MB as float32\\) made in \\d+\\.\\d s$`, 'm'));
  }, 120_000);
});
