// `npm run bench -- --real-size`: what training a bert-base-shaped model costs on each backend in Node.
// The checkpoint is generated (generatedModel.ts: bert-base's sizes, random weights, 12 layers unless
// --layers says otherwise) and every backend is measured in a process of its own, so its peak resident
// memory is its own: model load time, the memory plan (micro-batches), SNIP scoring, mean step time and
// tokens/s over the run's steps (the first included: a short run has no steady state to separate), and
// peak memory (tensor bytes and resident set, sampled at every event, and the process's peak RSS).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { mergeSettings, resolveRun } from '../engine/config';
import { toyTask } from '../engine/data/toy';
import type { MemoryPlan } from '../engine/memory';
import { disposePlm, loadPlm } from '../engine/plm';
import { SETTINGS, settingSchema, type NumberSetting } from '../engine/settings';
import { runSparseAdapter, type RunEvent } from '../engine/train';
import { BERT_BASE_SHAPE, bertBaseParameters, writeBertBaseShapedFolder } from './generatedModel';
import { folderReader } from './modelFolder';
import { NODE_BACKENDS, startNodeBackend, type NodeBackend } from './nodeBackend';

export const REAL_SIZE_HELP = `           --real-size               instead: a generated bert-base-shaped model (768 × 3072, 12 heads, 30,522 tokens),
                                     each backend in its own process: load, memory plan, SNIP, step time, tokens/s,
                                     peak memory. With it: --layers <n> (12), --steps <n> (3), --batch-size (16),
                                     --seq-len (128), --dim (64), --sparsity (0.5), --activation-budget <MiB>,
                                     --backends/--backend (default wasm), --json`;

export interface RealSizePlan {
  layers: number;
  steps: number;
  batchSize: number;
  seqLen: number;
  dim: number;
  sparsity: number;
  activationBudgetMiB: number | null;
}

const MiB = 2 ** 20;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

function oneNumber(value: string | undefined, flag: string, s: NumberSetting | null, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const ok = s ? settingSchema(s).safeParse(n).success : Number.isInteger(n) && n >= 1;
  if (!ok) throw new Error(`${flag} must be ${s ? `a ${s.type === 'int' ? 'whole number' : 'number'} from ${s.min} to ${s.max}` : 'a positive whole number'}; got "${value}"`);
  return n;
}

/** Reads --real-size's flags (the caller has seen --real-size). */
export function parseRealSizeArgs(args: string[]): { plan: RealSizePlan; backends: NodeBackend[]; json: boolean; child: boolean } {
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      'real-size': { type: 'boolean' }, layers: { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' }, 'seq-len': { type: 'string' },
      dim: { type: 'string' }, sparsity: { type: 'string' }, 'activation-budget': { type: 'string' }, backends: { type: 'string' }, backend: { type: 'string' },
      json: { type: 'boolean' }, 'measure-one': { type: 'string' },
    },
  });
  if (v.backend !== undefined && v.backends !== undefined) throw new Error('give --backend or --backends, not both');
  const names = (v.backend ?? v.backends ?? 'wasm').split(',').map((s) => s.trim());
  for (const name of names) if (!NODE_BACKENDS.includes(name as NodeBackend)) throw new Error(`--backends must be from ${NODE_BACKENDS.join(', ')}; got "${name}"`);
  const layers = oneNumber(v.layers, '--layers', null, BERT_BASE_SHAPE.layers);
  if (layers > 48) throw new Error(`--layers must be at most 48; got ${layers}`);
  const plan: RealSizePlan = {
    layers,
    steps: oneNumber(v.steps, '--steps', null, 3),
    batchSize: oneNumber(v['batch-size'], '--batch-size', SETTINGS.train.batchSize, 16),
    seqLen: oneNumber(v['seq-len'], '--seq-len', SETTINGS.train.seqLen, 128),
    dim: oneNumber(v.dim, '--dim', SETTINGS.adapter.dim, 64),
    sparsity: oneNumber(v.sparsity, '--sparsity', SETTINGS.prune.sparsity, 0.5),
    activationBudgetMiB: v['activation-budget'] === undefined ? null : oneNumber(v['activation-budget'], '--activation-budget', null, 0),
  };
  if (plan.seqLen > BERT_BASE_SHAPE.positions) throw new Error(`--seq-len must be at most ${BERT_BASE_SHAPE.positions} (bert-base's positions)`);
  return { plan, backends: [...new Set(names)] as NodeBackend[], json: Boolean(v.json), child: v['measure-one'] !== undefined };
}

/** One backend's figures. */
export interface RealSizeResult {
  backend: NodeBackend;
  device: string;
  modelLoadMs: number;
  memoryPlan: MemoryPlan;
  snipMs: number;
  meanStepMs: number;
  tokensPerSec: number;
  losses: number[];
  peak: { tensorBytes: number; rssBytes: number; processMaxRssBytes: number };
}

/** Measures the running process's backend on the folder (the child's half). */
async function measureHere(name: NodeBackend, dir: string, plan: RealSizePlan): Promise<RealSizeResult> {
  const report = await startNodeBackend(name);
  const t0 = performance.now();
  const plm = await loadPlm(folderReader(dir), 'bert-base-shaped (generated)');
  const modelLoadMs = performance.now() - t0;
  if (plm.summary.parameters !== bertBaseParameters(plan.layers)) throw new Error(`the generated model has ${plm.summary.parameters} parameters, expected ${bertBaseParameters(plan.layers)}`);
  const peak = { tensorBytes: tf.memory().numBytes, rssBytes: process.memoryUsage().rss };
  const sample = () => {
    peak.tensorBytes = Math.max(peak.tensorBytes, tf.memory().numBytes);
    peak.rssBytes = Math.max(peak.rssBytes, process.memoryUsage().rss);
  };
  const run = resolveRun(mergeSettings({
    adapter: { kind: 'houlsby', dim: plan.dim },
    prune: { pruner: 'snip', sparsity: plan.sparsity, scoringBatches: 1 },
    train: { steps: plan.steps, batchSize: plan.batchSize, seqLen: plan.seqLen, evalEvery: 0, seed: 1 },
  }));
  const task = toyTask(1, { train: 64, dev: plan.batchSize, test: 0 });
  let memoryPlan: MemoryPlan | null = null;
  let scoringStart = NaN;
  let trainingStart = NaN;
  let snipMs = NaN;
  let trainingMs = NaN;
  const onEvent = (event: RunEvent) => {
    sample();
    const now = performance.now();
    if (event.type === 'memory') memoryPlan = event.plan;
    else if (event.type === 'phase' && event.phase === 'scoring') scoringStart = now;
    else if (event.type === 'phase' && event.phase === 'training') {
      trainingStart = now;
      snipMs = now - scoringStart;
    } else if (event.type === 'phase' && event.phase === 'evaluating' && Number.isNaN(trainingMs)) trainingMs = now - trainingStart;
  };
  const budget = plan.activationBudgetMiB === null ? {} : { activationBudget: plan.activationBudgetMiB * MiB };
  const result = await runSparseAdapter(plm, task, run, onEvent, undefined, budget);
  const losses = [...result.losses];
  result.dispose();
  disposePlm(plm);
  const meanStepMs = trainingMs / plan.steps;
  const a = report.adapter;
  const device = name === 'webgpu' ? `webgpu via Dawn: ${a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') : 'no adapter'}` : name;
  return {
    backend: name, device, modelLoadMs: round(modelLoadMs), memoryPlan: memoryPlan!, snipMs: round(snipMs), meanStepMs: round(meanStepMs), tokensPerSec: round((1000 * plan.batchSize * plan.seqLen) / meanStepMs),
    losses, peak: { ...peak, processMaxRssBytes: process.resourceUsage().maxRSS * 1024 },
  };
}

/** Runs `bench --real-size`: writes the model once, then measures each backend in a child process. */
export async function benchRealSizeCommand(args: string[]): Promise<void> {
  const { plan, backends, json, child } = parseRealSizeArgs(args);
  if (child) {
    const dir = args[args.indexOf('--measure-one') + 1]!;
    process.stdout.write(JSON.stringify(await measureHere(backends[0]!, dir, plan)) + '\n');
    return;
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  log(`writing a ${plan.layers}-layer bert-base-shaped checkpoint (${bertBaseParameters(plan.layers).toLocaleString('en-US')} parameters)`);
  const dir = writeBertBaseShapedFolder(plan.layers);
  const results: Record<string, RealSizeResult | { error: string }> = {};
  try {
    for (const name of backends) {
      log(`${name}: ${plan.steps} steps at ${plan.batchSize} × ${plan.seqLen}, Houlsby d${plan.dim}, SNIP ${plan.sparsity}`);
      const rest = args.filter((a, i) => a !== '--backends' && a !== '--backend' && args[i - 1] !== '--backends' && args[i - 1] !== '--backend' && a !== '--json');
      const run = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, 'bench', ...rest, '--backend', name, '--measure-one', dir], { encoding: 'utf8', maxBuffer: 16 * MiB });
      const line = run.stdout.trim().split('\n').pop() ?? '';
      if (run.status === 0 && line.startsWith('{')) results[name] = JSON.parse(line) as RealSizeResult;
      else {
        const reason = (run.stderr.match(/error: .*/)?.[0] ?? run.stderr.trim().split('\n').pop() ?? `exit ${run.status}`).replace(/^error: /, '');
        log(`${name}: not measured: ${reason}`);
        results[name] = { error: reason };
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = { bench: 'real-size', model: { shape: 'bert-base', ...BERT_BASE_SHAPE, layers: plan.layers, parameters: bertBaseParameters(plan.layers), weights: 'generated, F32, N(0, 0.02)' }, plan, machine: { node: process.version, tfjs: tf.version.tfjs }, backends: results };
  if (json) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  console.log(`bench --real-size: ${plan.layers}-layer bert-base shape, ${out.model.parameters.toLocaleString('en-US')} parameters; Houlsby d${plan.dim} SNIP ${plan.sparsity}; ${plan.steps} steps of ${plan.batchSize} × ${plan.seqLen}`);
  console.log('  backend  load s  passes × ex.  SNIP s  step s  tokens/s  peak tensors MB  peak RSS MB');
  for (const [name, r] of Object.entries(results)) {
    if ('error' in r) {
      console.log(`  ${name.padEnd(7)}  not measured: ${r.error}`);
      continue;
    }
    const planText = `${r.memoryPlan.passes} × ${r.memoryPlan.microBatch}`;
    console.log(`  ${name.padEnd(7)}  ${(r.modelLoadMs / 1000).toFixed(1).padStart(6)}  ${planText.padEnd(12)}  ${(r.snipMs / 1000).toFixed(1).padStart(6)}  ${(r.meanStepMs / 1000).toFixed(1).padStart(6)}  ${r.tokensPerSec.toFixed(0).padStart(8)}  ${(r.peak.tensorBytes / MiB).toFixed(0).padStart(15)}  ${(r.peak.processMaxRssBytes / MiB).toFixed(0).padStart(11)}`);
  }
}
