// `npm run cli -- train`: one SparseAdapter run from the command line, events as JSON lines.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { exportForLibrary, exportLibrary } from '../engine/interop';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adapterFileContents, adapterToSafetensors } from '../engine/adapterFile';
import { mergeSettings, resolveRun, type RunSettings } from '../engine/config';
import type { Task } from '../engine/data/task';
import { BUILTIN_TASKS } from '../engine/data/tasks';
import { parseUpload } from '../engine/data/upload';
import { loadPlm } from '../engine/plm';
import { checkpointFromSafetensors, checkpointToSafetensors } from '../engine/checkpointFile';
import { parseRunSettings, SETTING_LEAVES } from '../engine/settings';
import { runSparseAdapter, type RunEvent, type TrainState, type Trainer } from '../engine/train';
import { loadPublicTask } from './builtinTask';
import { DEFAULT_MODEL_DIR, folderReader, loadReporter } from './modelFolder';
import { NODE_BACKEND_CHOICES, startNodeBackend } from './nodeBackend';
import { overridesFromFlags, SETTING_FLAG_OPTIONS, settingFlagsHelp } from './settingFlags';

export const TRAIN_HELP = `  train    Score, prune and train an adapter on a task.
           --task <${BUILTIN_TASKS.join('|')}>   a built-in task (toy: template sentiment; spam, genre, pos: see public/tasks/*.md)
           --data <file>             train on your own .tsv/.csv/.jsonl instead (sentence[,sentence2],label)
           --text-column <c> --text2-column <c> --label-column <c>   column names or 0-based indices, when ambiguous
${settingFlagsHelp('           ')}
           --model <dir>             default: ${DEFAULT_MODEL_DIR}
           --backend <cpu|wasm|webgpu|auto>  tfjs backend, default auto (webgpu through Dawn and the machine's Vulkan driver; auto: webgpu on a hardware adapter, else wasm)
           --out <dir>               write adapter.safetensors (+ .mask tensors) and adapter_config.json, and the
                                     folder Python loads: <dir>/adapterhub/ (Houlsby, Pfeiffer, parallel: AdapterHub's
                                     load_adapter(dir, use_safetensors=True)) or <dir>/peft/ (LoRA: PeftModel.from_pretrained)
           --checkpoint-every <n>    write <out>/checkpoint.safetensors every n steps (the whole training state)
           --resume <dir>            continue the run of <dir>/checkpoint.safetensors exactly (same model; its settings)
           --micro-batch <n>         examples per forward/backward pass, gradients accumulated over the batch (the same
                                     step up to float rounding); default: the whole batch, or what memory allows
           --activation-budget <MiB> memory a step's activations may take (default: the backend's; wasm 1536 MiB)
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

/** The checkpoint file `--checkpoint-every` writes into the output folder and `--resume` reads. */
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
/** Flags that set the run; a resumed run keeps its checkpoint's. */
const SETTING_FLAGS = ['task', ...SETTING_LEAVES.map((l) => l.setting.flag), 'data'];

/** Reads `dir`'s checkpoint for `--resume`: the state, the run's settings and its split seed. */
async function readResume(dir: string, flags: Record<string, unknown>): Promise<{ state: TrainState; settings: RunSettings; splitSeed: number }> {
  const given = SETTING_FLAGS.filter((f) => flags[f] !== undefined && !(f === 'data'));
  if (given.length > 0) throw new Error(`--resume continues the checkpoint's run with its own settings: drop ${given.map((f) => `--${f}`).join(', ')}`);
  const path = join(dir, CHECKPOINT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new Error(`--resume ${dir}: there is no ${CHECKPOINT_FILE} in it (train with --checkpoint-every n --out ${dir} to write one)`);
  }
  const { state, settings: saved } = checkpointFromSafetensors(bytes, path);
  const record = (typeof saved === 'object' && saved !== null ? saved : {}) as { settings?: unknown; splitSeed?: unknown };
  if (typeof record.settings !== 'object' || record.settings === null || typeof record.splitSeed !== 'number') throw new Error(`${path}: the run's settings in its metadata are missing: the file is damaged`);
  // Read leaf by leaf like any stored settings; the split seed is also kept beside them (checkpoints from before it was a setting).
  const settings = { ...parseRunSettings(record.settings, path, { allowFileTasks: true }).settings, splitSeed: record.splitSeed };
  return { state, settings, splitSeed: record.splitSeed };
}

/** Runs the train sub-command. */
export async function trainCommand(args: string[]): Promise<void> {
  const startedAt = Date.now();
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      ...SETTING_FLAG_OPTIONS,
      task: { type: 'string' }, model: { type: 'string' }, backend: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, data: { type: 'string' },
      'text-column': { type: 'string' }, 'text2-column': { type: 'string' }, 'label-column': { type: 'string' },
      'checkpoint-every': { type: 'string' }, resume: { type: 'string' }, 'micro-batch': { type: 'string' }, 'activation-budget': { type: 'string' },
    },
  });
  const resumed = v.resume === undefined ? null : await readResume(v.resume, v);
  // auto: WebGPU on a hardware adapter, else wasm (6× faster than cpu here); it says what it picked.
  const backend = oneOf(v.backend, NODE_BACKEND_CHOICES, '--backend') ?? 'auto';
  if (v.task !== undefined && v.data !== undefined) throw new Error('give either --task or --data, not both');
  // Every setting's flag is the settings table's, checked against its range (settingFlags.ts).
  const settings = resumed?.settings ?? mergeSettings({ ...overridesFromFlags(v), task: v.data !== undefined ? `file:${v.data}` : v.task ?? 'toy' });
  const run = resolveRun(settings);
  const backendReport = await startNodeBackend(backend);
  if (backendReport.adapter?.isFallbackAdapter && !v.json) console.log('warning: the WebGPU adapter is a software fallback: this will be slow');
  // With auto, say what was picked and why the others were not (on stderr, so --json stays one object per line).
  if (backend === 'auto') console.error(`backend: ${backendReport.backend}${backendReport.fallbacks.length > 0 ? ` (${backendReport.fallbacks.join('; ')})` : ''}`);
  const dir = v.model ?? DEFAULT_MODEL_DIR;
  const loading = loadReporter(dir);
  const plm = await loadPlm(folderReader(dir), dir, (p) => loading.onProgress(p));
  loading.done();
  // The task's split has its own seed (the page's too), not the training seed: every training seed sees the same split.
  const { splitSeed } = settings;
  const dataFile = v.data ?? (settings.task.startsWith('file:') ? settings.task.slice(5) : undefined);
  const { task, skipped } = dataFile !== undefined
    ? await uploadedTask(dataFile, { text: v['text-column'], text2: v['text2-column'], label: v['label-column'] }, splitSeed)
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
  const every = number(v['checkpoint-every'], '--checkpoint-every');
  const out = v.out ?? v.resume;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new Error(`--checkpoint-every must be a positive whole number of steps; got ${every}`);
  if (every !== undefined && out === undefined) throw new Error('--checkpoint-every needs --out <dir> to write the checkpoint into');
  const checkpoint = every === undefined || out === undefined ? undefined : {
    every,
    async save(trainer: Trainer) {
      await mkdir(out, { recursive: true });
      // Written beside and renamed: a run killed while writing leaves the previous checkpoint whole.
      const path = join(out, CHECKPOINT_FILE);
      await writeFile(`${path}.partial`, checkpointToSafetensors(await trainer.state(), { settings, splitSeed, model: dir }));
      await rename(`${path}.partial`, path);
    },
  };
  if (resumed && !v.json) console.log(`resuming from ${join(v.resume!, CHECKPOINT_FILE)} at step ${resumed.state.step} of ${run.train.steps}`);
  const microBatch = number(v['micro-batch'], '--micro-batch');
  if (microBatch !== undefined && (!Number.isInteger(microBatch) || microBatch < 1)) throw new Error(`--micro-batch must be a positive whole number of examples; got ${microBatch}`);
  const budgetMiB = number(v['activation-budget'], '--activation-budget');
  if (budgetMiB !== undefined && !(budgetMiB > 0)) throw new Error(`--activation-budget must be a positive number of MiB; got ${budgetMiB}`);
  let memory: Trainer['memory'] | null = null;
  const result = await runSparseAdapter(plm, task, run, (event) => {
    if (event.type === 'memory') {
      memory = event.plan;
      if (!v.json && event.plan.passes > 1) console.log(`memory: ${event.plan.passes} passes of ${event.plan.microBatch} examples per step (about ${(event.plan.passBytes / 2 ** 20).toFixed(0)} MiB of activations each; the whole batch would take ${((run.train.batchSize * event.plan.perExampleBytes) / 2 ** 20).toFixed(0)} MiB of ${(event.plan.budgetBytes / 2 ** 20).toFixed(0)})`);
    }
    print(event);
  }, undefined, { state: resumed?.state, checkpoint, microBatch, ...(budgetMiB !== undefined && { activationBudget: budgetMiB * 2 ** 20 }) });
  const { confusion: _confusion, ...devMetrics } = result.dev;
  const config = { task: settings.task, model: dir, backend: backendReport.backend, largeSparse: settings.largeSparse, ...run.adapter, ...run.prune, ...run.train };
  const seconds = (Date.now() - startedAt) / 1000;
  const data = { train: task.train.length, dev: task.dev.length, test: task.test.length, skipped, labels: task.labels };
  const summary = { type: 'summary', config, data, budget: result.budget, dev: devMetrics, memory, seconds };
  if (out) {
    await mkdir(out, { recursive: true });
    // The same metadata object as the page's download; adapter_config.json is its readable copy.
    const adapterRun = { settings, resolved: run };
    await writeFile(join(out, 'adapter.safetensors'), await adapterToSafetensors(result, plm, adapterRun, task.labels));
    await writeFile(join(out, 'adapter_config.json'), JSON.stringify(adapterFileContents(result.head, plm, adapterRun, task.labels), null, 2) + '\n');
    const library = exportLibrary(run.adapter.kind);
    if (library !== null) {
      const folder = join(out, library === 'adapters' ? 'adapterhub' : 'peft');
      await mkdir(folder, { recursive: true });
      const info = { modelName: dir, adapterName: `${run.adapter.kind}_${settings.task}`, labels: task.labels, hiddenSize: plm.model.config.hiddenSize, modelType: plm.model.config.modelType };
      for (const f of await exportForLibrary(result.adapters, result.head, result.masks, info)) await writeFile(join(folder, f.name), f.data);
    }
  }
  if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else console.log(`done in ${seconds.toFixed(1)} s: dev accuracy ${devMetrics.accuracy.toFixed(4)}; trainable non-zero ${result.budget.trainableNonzero} (${result.budget.percentOfPlm.toFixed(3)}% of the PLM)`);
  result.dispose();
}

