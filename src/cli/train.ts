// `npm run cli -- train`: one SparseAdapter run from the command line, events as JSON lines.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { exportForLibrary, exportLibrary } from '../engine/interop';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADAPTER_KINDS, type AdapterKind } from '../engine/adapters';
import { adapterFileContents, adapterToSafetensors } from '../engine/adapterFile';
import { mergeSettings, resolveRun } from '../engine/config';
import { TASK_SPLIT_SEED, type Task } from '../engine/data/task';
import { BUILTIN_TASKS } from '../engine/data/tasks';
import { parseUpload } from '../engine/data/upload';
import { loadPlm } from '../engine/plm';
import { PRUNER_KINDS, type PrunerKind, type PruneScope } from '../engine/pruning';
import { runSparseAdapter, type RunEvent } from '../engine/train';
import { loadPublicTask } from './builtinTask';
import { DEFAULT_MODEL_DIR, folderReader } from './modelFolder';
import { NODE_BACKEND_CHOICES, startNodeBackend } from './nodeBackend';

export const TRAIN_HELP = `  train    Score, prune and train an adapter on a task.
           --task <${BUILTIN_TASKS.join('|')}>   a built-in task (toy: template sentiment; spam, genre, pos: see public/tasks/*.md)
           --data <file>             train on your own .tsv/.csv/.jsonl instead (sentence[,sentence2],label)
           --text-column <c> --text2-column <c> --label-column <c>   column names or 0-based indices, when ambiguous
           --adapter <${ADAPTER_KINDS.join('|')}>
           --dim <d>                 bottleneck size / LoRA rank / prefix length
           --sparsity <s>            fraction of prunable adapter weights REMOVED, 0 ≤ s < 1
           --pruner <${PRUNER_KINDS.join('|')}>
           --scope <global|local>    --rounds <n>    --large-sparse <k>
           --steps <n> --batch-size <n> --seq-len <n> --lr <x> --seed <n> --eval-every <n>
           --split-seed <n>          seed of the task's dev cut (uploads, toy task); default ${TASK_SPLIT_SEED}, as the page
           --model <dir>             default: ${DEFAULT_MODEL_DIR}
           --backend <cpu|wasm|webgpu|auto>  tfjs backend (webgpu through Dawn and the machine's Vulkan driver; auto: webgpu on a hardware adapter, else wasm)
           --out <dir>               write adapter.safetensors (+ .mask tensors) and adapter_config.json, and the
                                     folder Python loads: <dir>/adapterhub/ (Houlsby, Pfeiffer, parallel: AdapterHub's
                                     load_adapter(dir, use_safetensors=True)) or <dir>/peft/ (LoRA: PeftModel.from_pretrained)
           --json                    print events as JSON lines, then a summary line`;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new Error(`${flag} must be one of ${allowed.join(', ')}; got "${value}"`);
  return value as T;
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${flag} must be a number; got "${value}"`);
  return n;
}

/** A user's file; an unusable file is an error naming the file, the line and the problem. */
async function uploadedTask(file: string, columns: { text?: string; text2?: string; label?: string }, seed: number): Promise<{ task: Task; skipped: number }> {
  const column = (c: string | undefined) => (c === undefined ? undefined : /^\d+$/.test(c) ? Number(c) : c);
  const result = parseUpload(await readFile(file, 'utf8'), file, { textColumn: column(columns.text), text2Column: column(columns.text2), labelColumn: column(columns.label), seed });
  if (!result.task) {
    const q = result.needsMapping;
    throw new Error(`${q.reason}; say which columns to use with --text-column (one of ${q.textCandidates.join(', ')}) and --label-column (one of ${q.labelCandidates.join(', ')})`);
  }
  for (const note of result.notes) console.error(`note: ${note}`);
  if (result.skipped.count > 0) console.error(`note: ${file}: skipped ${result.skipped.count} rows: ${result.skipped.first.map((r) => `line ${r.line}: ${r.reason}`).join('; ')}`);
  return { task: result.task, skipped: result.skipped.count };
}

/** Runs the train sub-command. */
export async function trainCommand(args: string[]): Promise<void> {
  const startedAt = Date.now();
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      task: { type: 'string' }, adapter: { type: 'string' }, dim: { type: 'string' }, sparsity: { type: 'string' }, pruner: { type: 'string' },
      scope: { type: 'string' }, rounds: { type: 'string' }, 'large-sparse': { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' },
      'seq-len': { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, 'split-seed': { type: 'string' }, 'eval-every': { type: 'string' }, model: { type: 'string' },
      backend: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, data: { type: 'string' },
      'text-column': { type: 'string' }, 'text2-column': { type: 'string' }, 'label-column': { type: 'string' },
    },
  });
  const backend = oneOf(v.backend, NODE_BACKEND_CHOICES, '--backend') ?? 'cpu';
  const kind = oneOf(v.adapter, ADAPTER_KINDS, '--adapter') ?? ('houlsby' as AdapterKind);
  if (v.task !== undefined && v.data !== undefined) throw new Error('give either --task or --data, not both');
  const settings = mergeSettings({
    task: v.data !== undefined ? `file:${v.data}` : v.task ?? 'toy',
    adapter: { kind, ...(v.dim !== undefined && { dim: number(v.dim, '--dim') }) },
    prune: {
      ...(v.sparsity !== undefined && { sparsity: number(v.sparsity, '--sparsity') }),
      ...(v.pruner !== undefined && { pruner: oneOf(v.pruner, PRUNER_KINDS, '--pruner') as PrunerKind }),
      ...(v.scope !== undefined && { scope: oneOf(v.scope, ['global', 'local'] as const, '--scope') as PruneScope }),
      ...(v.rounds !== undefined && { rounds: number(v.rounds, '--rounds') }),
    },
    largeSparse: number(v['large-sparse'], '--large-sparse') ?? 1,
    train: {
      ...(v.steps !== undefined && { steps: number(v.steps, '--steps') }),
      ...(v['batch-size'] !== undefined && { batchSize: number(v['batch-size'], '--batch-size') }),
      ...(v['seq-len'] !== undefined && { seqLen: number(v['seq-len'], '--seq-len') }),
      ...(v.lr !== undefined && { learningRate: number(v.lr, '--lr') }),
      ...(v.seed !== undefined && { seed: number(v.seed, '--seed') }),
      ...(v['eval-every'] !== undefined && { evalEvery: number(v['eval-every'], '--eval-every') }),
    },
  });
  const run = resolveRun(settings);
  const backendReport = await startNodeBackend(backend);
  if (backendReport.adapter?.isFallbackAdapter && !v.json) console.log('warning: the WebGPU adapter is a software fallback: this will be slow');
  // With auto, say what was picked and why the others were not (on stderr, so --json stays one object per line).
  if (backend === 'auto') console.error(`backend: ${backendReport.backend}${backendReport.fallbacks.length > 0 ? ` (${backendReport.fallbacks.join('; ')})` : ''}`);
  const dir = v.model ?? DEFAULT_MODEL_DIR;
  const plm = await loadPlm(folderReader(dir), dir);
  // The task's split has its own seed (the page's too), not the training seed: every training seed sees the same split.
  const splitSeed = number(v['split-seed'], '--split-seed') ?? TASK_SPLIT_SEED;
  const { task, skipped } = v.data !== undefined
    ? await uploadedTask(v.data, { text: v['text-column'], text2: v['text2-column'], label: v['label-column'] }, splitSeed)
    : { task: await loadPublicTask(settings.task, splitSeed), skipped: 0 };
  const print = (event: RunEvent) => {
    if (v.json) {
      if (event.type === 'summary') return; // the summary line below carries the resolved configuration
      process.stdout.write(JSON.stringify(event) + '\n');
    } else if (event.type === 'step' && (event.step % 10 === 0 || event.step === 1)) {
      console.log(`step ${event.step}  loss ${event.loss.toFixed(4)}  lr ${event.lr.toExponential(2)}  ${event.tokensPerSec.toFixed(0)} tok/s`);
    } else if (event.type === 'eval') {
      console.log(`dev @${event.step}: accuracy ${event.metrics.accuracy.toFixed(4)}  macro-F1 ${event.metrics.macroF1.toFixed(4)}`);
    } else if (event.type === 'warning') {
      console.log(`warning: ${event.message}`);
    }
  };
  const result = await runSparseAdapter(plm, task, run, print);
  const { confusion: _confusion, ...devMetrics } = result.dev;
  const config = { task: settings.task, model: dir, backend: backendReport.backend, largeSparse: settings.largeSparse, ...run.adapter, ...run.prune, ...run.train };
  const seconds = (Date.now() - startedAt) / 1000;
  const data = { train: task.train.length, dev: task.dev.length, test: task.test.length, skipped, labels: task.labels };
  const summary = { type: 'summary', config, data, budget: result.budget, dev: devMetrics, seconds };
  if (v.out) {
    await mkdir(v.out, { recursive: true });
    // The same metadata object as the page's download; adapter_config.json is its readable copy.
    const adapterRun = { settings, resolved: run };
    await writeFile(join(v.out, 'adapter.safetensors'), await adapterToSafetensors(result, plm, adapterRun, task.labels));
    await writeFile(join(v.out, 'adapter_config.json'), JSON.stringify(adapterFileContents(result.head, plm, adapterRun, task.labels), null, 2) + '\n');
    const library = exportLibrary(run.adapter.kind);
    if (library !== null) {
      const folder = join(v.out, library === 'adapters' ? 'adapterhub' : 'peft');
      await mkdir(folder, { recursive: true });
      const info = { modelName: dir, adapterName: `${run.adapter.kind}_${settings.task}`, labels: task.labels, hiddenSize: plm.model.config.hiddenSize };
      for (const f of await exportForLibrary(result.adapters, result.head, result.masks, info)) await writeFile(join(folder, f.name), f.data);
    }
  }
  if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else console.log(`done in ${seconds.toFixed(1)} s: dev accuracy ${devMetrics.accuracy.toFixed(4)}; trainable non-zero ${result.budget.trainableNonzero} (${result.budget.percentOfPlm.toFixed(3)}% of the PLM)`);
  result.dispose();
}

