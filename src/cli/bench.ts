// `npm run bench`: how fast SparseAdapter trains on each tfjs backend in Node, as one JSON object.
// Steps/s and tokens/s for a Houlsby adapter at several dimensions and sparsities, what a masked
// step costs against a dense one, SNIP scoring per batch against a training step, tf.memory() early
// and late in a long run, and the time to the first loss. Every timing comes from the trainer's own
// events ('scoring', 'step'), stamped on arrival: nothing here re-implements the training loop.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { BackendReport } from '../engine/backend';
import { activeGpuCounter, diffCounts, type GpuCounts } from '../engine/gpu/counters';
import { setFusedKernels } from '../engine/gpu/switch';
import { mergeSettings, resolveRun } from '../engine/config';
import { SETTINGS, settingSchema, type NumberSetting } from '../engine/settings';
import { toyTask } from '../engine/data/toy';
import { disposePlm, loadPlm, type Plm } from '../engine/plm';
import { LOSS_LAG, runSparseAdapter, type RunEvent } from '../engine/train';
import { DEFAULT_MODEL_DIR, folderReader } from './modelFolder';
import { NODE_BACKENDS, startNodeBackend, type NodeBackend } from './nodeBackend';

/** What one bench measures; `--quick` and the flags adjust it. */
export interface BenchPlan {
  quick: boolean;
  dims: number[];
  /** Must include 0 (the dense reference) and at least one masked sparsity. */
  sparsities: number[];
  /** Each configuration runs once per repetition; odd repetitions go in reverse order, so drift hits every configuration alike. */
  reps: number;
  /** Training steps per timed run; the first `warmup` step-to-step gaps of each run are dropped. */
  steps: number;
  warmup: number;
  /** Steps of the uncounted first run on a fresh backend, which also gives the time to the first loss. */
  coldSteps: number;
  batchSize: number;
  seqLen: number;
  scoringBatches: number;
  /** tf.memory() is read at these two steps of one long masked run, at its own (small) batch size. */
  memoryAt: [number, number];
  memoryBatchSize: number;
  memorySeqLen: number;
}

export const FULL_PLAN: BenchPlan = { quick: false, dims: [64, 128, 256], sparsities: [0, 0.5, 0.9], reps: 3, steps: 8, warmup: 1, coldSteps: 5, batchSize: 16, seqLen: 32, scoringBatches: 4, memoryAt: [10, 200], memoryBatchSize: 1, memorySeqLen: 8 };
export const QUICK_PLAN: BenchPlan = { quick: true, dims: [64], sparsities: [0, 0.5], reps: 3, steps: 7, warmup: 1, coldSteps: 5, batchSize: 4, seqLen: 16, scoringBatches: 2, memoryAt: [10, 30], memoryBatchSize: 1, memorySeqLen: 8 };

/** The trainer reads each loss a few steps late and drains the last ones together; their gaps are not step times. */
const DRAINED_AT_END = LOSS_LAG;
const TARGETS = { maskedOverDense: 1.1, snipBatchOverTrainStep: 2.5, dispatchesPerStep: 450, buffersCreatedPerStep: 20 };

export const BENCH_HELP = `  bench    Time training on each backend: steps/s and tokens/s (Houlsby adapter, SNIP) per dimension and
           sparsity, masked/dense step time, SNIP scoring per batch, tf.memory() at two steps, time to first loss.
           --model <dir>             default: ${DEFAULT_MODEL_DIR}
           --backends <list>         comma-separated, from ${NODE_BACKENDS.join(', ')}; default: cpu,wasm
           --backend <name>          one backend (webgpu: set VK_ICD_FILENAMES for a software Vulkan driver)
           --quick                   the reduced bench: dim ${QUICK_PLAN.dims.join(',')}, sparsity ${QUICK_PLAN.sparsities.join(',')}, ${QUICK_PLAN.steps} steps per run, memory at steps ${QUICK_PLAN.memoryAt.join(' and ')}
           --dims <list> --sparsities <list> --steps <n> --reps <n> --batch-size <n> --seq-len <n>
           --memory-at <a,b>         steps at which tf.memory() is read (default ${FULL_PLAN.memoryAt.join(',')})
           --unfused                 webgpu: tfjs's own ops instead of the engine's fused kernels (the "before" of docs/benchmarks.md)
           --json                    print one JSON object (progress goes to stderr)
           On webgpu it also counts, per training step and per SNIP batch, the work asked of the GPU:
           dispatches, submits, buffers created, bytes written and read, pipelines and their compile time.`;

/** One training run's timings, from its events. */
interface RunTimes {
  stepMs: number[];
  scoringBatchMs: number[];
  firstLossMs: number;
  memory: Map<number, tf.MemoryInfo>;
  /** WebGPU only: the work counted at the API between consecutive events (the same gaps as stepMs), and over the whole run. */
  stepCounts: GpuCounts[];
  scoringCounts: GpuCounts[];
  runCounts: GpuCounts | null;
}

/** A configuration's result as the JSON reports it. */
interface ConfigResult {
  dim: number;
  sparsity: number;
  stepsPerSec: number;
  tokensPerSec: number;
  stepMs: number;
  samples: number;
  /** The median step time of each run, in run order: how much the machine drifted. */
  stepMsPerRun: number[];
  snipBatchMs?: number;
  maskedOverDense?: number;
  snipBatchOverTrainStep?: number;
  /** WebGPU only: the work of one steady-state training step and of one SNIP scoring batch, counted at the API. */
  gpuPerStep?: GpuCounts & { variesFromStepToStep: boolean };
  gpuPerSnipBatch?: GpuCounts;
}

/** Field-by-field median of counts (they are the same from one steady step to the next; the flag says if not). */
function medianCounts(all: readonly GpuCounts[]): GpuCounts & { variesFromStepToStep: boolean } {
  const first = all[0]!;
  const out = { ...first, variesFromStepToStep: false };
  for (const key of Object.keys(first) as (keyof GpuCounts)[]) {
    out[key] = round(median(all.map((c) => c[key])), 3);
    if (key !== 'pipelineMs' && all.some((c) => c[key] !== first[key])) out.variesFromStepToStep = true;
  }
  return out;
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const gpuBytes = (m: tf.MemoryInfo) => (m as tf.MemoryInfo & { numBytesInGPU?: number }).numBytesInGPU;

function list(value: string, flag: string, check: (n: number) => boolean, what: string): number[] {
  const items = value.split(',').map((s) => Number(s.trim()));
  if (items.length === 0 || items.some((n) => !Number.isFinite(n) || !check(n))) throw new Error(`${flag} must be a comma-separated list of ${what}; got "${value}"`);
  return items;
}
const positiveInteger = (n: number) => Number.isInteger(n) && n >= 1;
const oneInteger = (value: string, flag: string) => list(value, flag, positiveInteger, 'positive integers')[0]!;
/** A list of values of a run setting, in its range (settings.ts). */
const settingList = (value: string, flag: string, s: NumberSetting) => list(value, flag, (n) => settingSchema(s).safeParse(n).success, `${s.type === 'int' ? 'whole numbers' : 'numbers'} from ${s.min} to ${s.max}`);

/** Reads the flags into a plan and the backends to run. */
export function parseBenchArgs(args: string[]): { plan: BenchPlan; backends: NodeBackend[]; model: string; json: boolean; fused: boolean } {
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      model: { type: 'string' }, backend: { type: 'string' }, backends: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'boolean' },
      dims: { type: 'string' }, sparsities: { type: 'string' }, steps: { type: 'string' }, reps: { type: 'string' }, 'batch-size': { type: 'string' },
      'seq-len': { type: 'string' }, 'memory-at': { type: 'string' }, unfused: { type: 'boolean' },
    },
  });
  if (v.backend !== undefined && v.backends !== undefined) throw new Error('give --backend or --backends, not both');
  const names = (v.backend ?? v.backends ?? 'cpu,wasm').split(',').map((s) => s.trim());
  for (const name of names) if (!NODE_BACKENDS.includes(name as NodeBackend)) throw new Error(`--backends must be from ${NODE_BACKENDS.join(', ')}; got "${name}"`);
  const plan: BenchPlan = { ...(v.quick ? QUICK_PLAN : FULL_PLAN) };
  if (v.dims !== undefined) plan.dims = settingList(v.dims, '--dims', SETTINGS.adapter.dim);
  if (v.sparsities !== undefined) plan.sparsities = settingList(v.sparsities, '--sparsities', SETTINGS.prune.sparsity);
  if (!plan.sparsities.includes(0) || !plan.sparsities.some((s) => s > 0)) throw new Error('--sparsities must include 0 (the dense reference) and at least one sparsity above 0');
  if (v.steps !== undefined) plan.steps = oneInteger(v.steps, '--steps');
  if (plan.steps < plan.warmup + DRAINED_AT_END + 2) throw new Error(`--steps must be at least ${plan.warmup + DRAINED_AT_END + 2} (per run the first ${plan.warmup} and the last ${DRAINED_AT_END} step gaps are not counted)`);
  if (v.reps !== undefined) plan.reps = oneInteger(v.reps, '--reps');
  if (v['batch-size'] !== undefined) plan.batchSize = settingList(v['batch-size'], '--batch-size', SETTINGS.train.batchSize)[0]!;
  if (v['seq-len'] !== undefined) plan.seqLen = settingList(v['seq-len'], '--seq-len', SETTINGS.train.seqLen)[0]!;
  if (v['memory-at'] !== undefined) {
    const at = list(v['memory-at'], '--memory-at', positiveInteger, 'two increasing step numbers');
    if (at.length !== 2 || at[0]! >= at[1]!) throw new Error(`--memory-at must be two increasing step numbers; got "${v['memory-at']}"`);
    plan.memoryAt = [at[0]!, at[1]!];
  }
  return { plan, backends: [...new Set(names)] as NodeBackend[], model: v.model ?? DEFAULT_MODEL_DIR, json: Boolean(v.json), fused: !v.unfused };
}

/** Runs one SparseAdapter training run and stamps its events as they arrive. */
async function timedRun(plm: Plm, options: { dim: number; sparsity: number; steps: number; batchSize: number; seqLen: number; scoringBatches: number; memoryAt?: readonly number[] }): Promise<RunTimes> {
  const run = resolveRun(mergeSettings({
    adapter: { kind: 'houlsby', dim: options.dim },
    prune: { pruner: 'snip', sparsity: options.sparsity, scoringBatches: options.scoringBatches },
    train: { steps: options.steps, batchSize: options.batchSize, seqLen: options.seqLen, evalEvery: 0, seed: 1 },
  }));
  const task = toyTask(1, { train: 256, dev: options.batchSize, test: 0 });
  const stamps: number[] = [];
  const scoringBatchMs: number[] = [];
  const memory = new Map<number, tf.MemoryInfo>();
  // On WebGPU the counter is read at the same moments as the clock, so counts and times cover the same gaps.
  const counter = tf.getBackend() === 'webgpu' ? activeGpuCounter() : null;
  const stepSnapshots: GpuCounts[] = [];
  const scoringCounts: GpuCounts[] = [];
  let lastScoringSnapshot: GpuCounts | undefined;
  let lastScoring = NaN;
  let firstLossMs = NaN;
  const runStart = counter?.snapshot();
  const onEvent = (event: RunEvent) => {
    const now = performance.now();
    const snapshot = counter?.snapshot();
    if (event.type === 'phase' && event.phase === 'scoring') {
      lastScoring = now;
      lastScoringSnapshot = snapshot;
    } else if (event.type === 'scoring') {
      scoringBatchMs.push(now - lastScoring);
      lastScoring = now;
      if (snapshot && lastScoringSnapshot) scoringCounts.push(diffCounts(snapshot, lastScoringSnapshot));
      lastScoringSnapshot = snapshot;
    } else if (event.type === 'step') {
      stamps.push(now);
      if (snapshot) stepSnapshots.push(snapshot);
      if (options.memoryAt?.includes(event.step)) memory.set(event.step, tf.memory());
    } else if (event.type === 'summary') firstLossMs = event.firstLossMs;
  };
  const result = await runSparseAdapter(plm, task, run, onEvent);
  result.dispose();
  // Step k's event arrives once step k + lag has run, so consecutive gaps are step times in the
  // steady state; the last events are drained together and their gaps are dropped.
  const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
  const stepCounts = stepSnapshots.slice(1).map((c, i) => diffCounts(c, stepSnapshots[i]!));
  const drop = (xs: readonly GpuCounts[]) => xs.slice(0, xs.length - DRAINED_AT_END);
  return { stepMs: gaps.slice(0, gaps.length - DRAINED_AT_END), scoringBatchMs, firstLossMs, memory, stepCounts: drop(stepCounts), scoringCounts, runCounts: counter && runStart ? diffCounts(counter.snapshot(), runStart) : null };
}

/** What the backend runs on, in one line. */
async function describeDevice(name: NodeBackend, adapter: BackendReport['adapter']): Promise<string> {
  const cpu = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`;
  if (name === 'cpu') return `tfjs cpu backend (plain JavaScript) on ${cpu}`;
  if (name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return `tfjs wasm backend (XNNPACK, SIMD ${simd ? 'on' : 'off'}, ${threads ? 'multi-threaded' : 'single thread'}) on ${cpu}`;
  }
  const a = adapter;
  const label = a ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unnamed adapter' : 'no adapter';
  return `tfjs webgpu backend via Dawn: ${label}${a?.isFallbackAdapter ? ' (software fallback adapter)' : ''}`;
}

/** Every measurement for one backend, on a freshly loaded copy of the model; `log` reports progress. */
async function measureBackend(name: NodeBackend, started: BackendReport, backendStartMs: number, plan: BenchPlan, modelDir: string, log: (line: string) => void) {
  const t = performance.now();
  const plm = await loadPlm(folderReader(modelDir), modelDir);
  const modelLoadMs = performance.now() - t;
  const model = { layers: plm.summary.layers, hiddenSize: plm.summary.hiddenSize, parameters: plm.summary.parameters };
  try {
    const device = await describeDevice(name, started.adapter);
    const configs = plan.dims.flatMap((dim) => plan.sparsities.map((sparsity) => ({ dim, sparsity })));
    // Per configuration: every counted step time, every scoring batch, and per repetition the run's
    // median step and median scoring batch (the ratios pair runs of the same repetition, which ran
    // next to each other and so saw the same machine).
    const samples = configs.map(() => ({ stepMs: [] as number[], scoringBatchMs: [] as number[], runStepMs: [] as number[], runScoringMs: [] as number[], stepCounts: [] as GpuCounts[], scoringCounts: [] as GpuCounts[] }));
    // The first run on a fresh backend pays for kernel set-up (shader compilation on WebGPU): it
    // gives the time to the first loss and is not otherwise counted.
    log(`${name}: cold run, ${plan.coldSteps} steps`);
    const cold = await timedRun(plm, { dim: plan.dims[0]!, sparsity: 0, steps: plan.coldSteps, batchSize: plan.batchSize, seqLen: plan.seqLen, scoringBatches: plan.scoringBatches });
    const timeToFirstLossMs = cold.firstLossMs;
    for (let rep = 0; rep < plan.reps; rep++) {
      const order = configs.map((_, i) => i);
      if (rep % 2 === 1) order.reverse();
      for (const i of order) {
        const { dim, sparsity } = configs[i]!;
        log(`${name}: repetition ${rep + 1}/${plan.reps}, dim ${dim}, sparsity ${sparsity}`);
        const times = await timedRun(plm, { dim, sparsity, steps: plan.steps, batchSize: plan.batchSize, seqLen: plan.seqLen, scoringBatches: plan.scoringBatches });
        const counted = times.stepMs.slice(plan.warmup);
        samples[i]!.stepMs.push(...counted);
        samples[i]!.scoringBatchMs.push(...times.scoringBatchMs);
        samples[i]!.runStepMs.push(median(counted));
        samples[i]!.runScoringMs.push(median(times.scoringBatchMs));
        samples[i]!.stepCounts.push(...times.stepCounts.slice(plan.warmup));
        // The first scoring batch of a run may compile shaders the training steps did not need; the last is the steady one.
        if (times.scoringCounts.length > 0) samples[i]!.scoringCounts.push(times.scoringCounts[times.scoringCounts.length - 1]!);
      }
    }
    const results: ConfigResult[] = configs.map(({ dim, sparsity }, i) => {
      const stepMs = median(samples[i]!.stepMs);
      const own = samples[i]!;
      return {
        dim, sparsity, stepsPerSec: round(1000 / stepMs), tokensPerSec: round((1000 / stepMs) * plan.batchSize * plan.seqLen, 1), stepMs: round(stepMs, 2), samples: own.stepMs.length, stepMsPerRun: own.runStepMs.map((x) => round(x, 1)),
        ...(own.stepCounts.length > 0 && { gpuPerStep: medianCounts(own.stepCounts) }),
        ...(own.scoringCounts.length > 0 && { gpuPerSnipBatch: medianCounts(own.scoringCounts) }),
      };
    });
    results.forEach((r, i) => {
      if (r.sparsity === 0) return;
      const own = samples[i]!;
      const dense = samples[results.findIndex((d) => d.dim === r.dim && d.sparsity === 0)]!;
      Object.assign(r, {
        snipBatchMs: round(median(own.scoringBatchMs), 2),
        maskedOverDense: round(median(own.runStepMs.map((ms, rep) => ms / dense.runStepMs[rep]!))),
        snipBatchOverTrainStep: round(median(own.runScoringMs.map((ms, rep) => ms / own.runStepMs[rep]!))),
      });
    });
    const masked = results.filter((r) => r.sparsity > 0);

    const [early, late] = plan.memoryAt;
    const memorySparsity = Math.max(...plan.sparsities);
    log(`${name}: memory run, ${late + DRAINED_AT_END + 1} steps (dim ${plan.dims[0]}, sparsity ${memorySparsity}, batch ${plan.memoryBatchSize}×${plan.memorySeqLen})`);
    const memoryRun = await timedRun(plm, { dim: plan.dims[0]!, sparsity: memorySparsity, steps: late + DRAINED_AT_END + 1, batchSize: plan.memoryBatchSize, seqLen: plan.memorySeqLen, scoringBatches: 1, memoryAt: plan.memoryAt });
    const at = (step: number) => memoryRun.memory.get(step)!;
    const maskedOverDense = median(masked.map((r) => r.maskedOverDense!));
    const snipOverStep = median(masked.map((r) => r.snipBatchOverTrainStep!));
    // WebGPU: the issue's probe is the first masked configuration (quick bench: dim 64 at 50% SNIP, batch 4 × 16).
    const probe = masked.find((r) => r.gpuPerStep);
    const gpu = probe?.gpuPerStep && cold.runCounts ? {
      probe: { dim: probe.dim, sparsity: probe.sparsity, batchSize: plan.batchSize, seqLen: plan.seqLen },
      perStep: probe.gpuPerStep,
      perSnipBatch: probe.gpuPerSnipBatch,
      // The cold run compiles almost every shader the run needs: tfjs compiles on first use.
      shaderWarmup: { pipelines: cold.runCounts.pipelines, shaderModules: cold.runCounts.shaderModules, compileMs: round(cold.runCounts.pipelineMs, 1), firstLossMs: round(cold.firstLossMs, 1) },
      pipelinesAfterWarmup: probe.gpuPerStep.pipelines,
      counting: 'counted by wrapping GPUDevice, GPUQueue, GPUCommandEncoder and GPUComputePassEncoder (src/engine/gpu/counters.ts); per step: the difference between the counter at consecutive step events in the steady state, median over the counted steps; per SNIP batch: the last scoring batch of each run',
    } : undefined;
    const result = {
      device,
      backendStartMs: round(backendStartMs, 1),
      modelLoadMs: round(modelLoadMs, 1),
      timeToFirstLossMs: round(timeToFirstLossMs, 1),
      maskedOverDenseStepTime: round(maskedOverDense),
      maskedOverDenseStepTimeWorst: Math.max(...masked.map((r) => r.maskedOverDense!)),
      snipBatchMs: round(median(samples.flatMap((s) => s.scoringBatchMs)), 2),
      snipBatchOverTrainStep: round(snipOverStep),
      snipBatchOverTrainStepWorst: Math.max(...masked.map((r) => r.snipBatchOverTrainStep!)),
      [`tensorsAtStep${early}`]: at(early).numTensors,
      [`tensorsAtStep${late}`]: at(late).numTensors,
      [`bytesAtStep${early}`]: at(early).numBytes,
      [`bytesAtStep${late}`]: at(late).numBytes,
      memory: {
        atSteps: plan.memoryAt, tensors: [at(early).numTensors, at(late).numTensors], bytes: [at(early).numBytes, at(late).numBytes],
        // WebGPU pools its buffers, so its GPU byte count says little; the tensor count is the check.
        ...(gpuBytes(at(early)) !== undefined && { gpuBytes: [gpuBytes(at(early)), gpuBytes(at(late))] }),
        dim: plan.dims[0], sparsity: memorySparsity, batchSize: plan.memoryBatchSize, seqLen: plan.memorySeqLen },
      ...(gpu && { gpu }),
      targets: {
        ...(gpu && {
          dispatchesPerStep: { target: `≤ ${TARGETS.dispatchesPerStep}`, value: gpu.perStep.dispatches, met: gpu.perStep.dispatches <= TARGETS.dispatchesPerStep },
          buffersCreatedPerStep: { target: `≤ ${TARGETS.buffersCreatedPerStep}`, value: gpu.perStep.buffersCreated, met: gpu.perStep.buffersCreated <= TARGETS.buffersCreatedPerStep },
        }),
        maskedOverDenseStepTime: { target: `≤ ${TARGETS.maskedOverDense}`, met: maskedOverDense <= TARGETS.maskedOverDense },
        snipBatchOverTrainStep: { target: `≤ ${TARGETS.snipBatchOverTrainStep}`, met: snipOverStep <= TARGETS.snipBatchOverTrainStep },
        memory: { target: `no growth from step ${early} to step ${late}`, met: at(late).numTensors <= at(early).numTensors && at(late).numBytes <= at(early).numBytes },
      },
      configs: results,
    };
    return { result, model };
  } finally {
    disposePlm(plm);
  }
}

type BackendResult = Awaited<ReturnType<typeof measureBackend>>['result'];
type ModelSummary = Awaited<ReturnType<typeof measureBackend>>['model'];

/** Starts `name` and measures it; a backend that cannot start (no Vulkan driver for WebGPU) is reported as an error entry. */
async function benchBackend(name: NodeBackend, plan: BenchPlan, modelDir: string, log: (line: string) => void): Promise<{ result: BackendResult | { error: string }; model: ModelSummary | null }> {
  const t = performance.now();
  let started: BackendReport;
  try {
    started = await startNodeBackend(name);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${name}: not measured: ${message}`);
    return { result: { error: message }, model: null };
  }
  return measureBackend(name, started, performance.now() - t, plan, modelDir, log);
}

function printTable(name: string, r: BackendResult): void {
  console.log(`\n${name}: ${r.device}`);
  console.log(`  backend start ${r.backendStartMs} ms, model load ${r.modelLoadMs} ms, time to first loss ${r.timeToFirstLossMs} ms`);
  console.log('  dim  sparsity  steps/s  tokens/s  step ms  masked/dense  SNIP batch ms  SNIP/step');
  for (const c of r.configs) {
    const cells = [String(c.dim).padStart(4), String(c.sparsity).padStart(8), c.stepsPerSec.toFixed(2).padStart(8), c.tokensPerSec.toFixed(0).padStart(9), c.stepMs.toFixed(1).padStart(8), (c.maskedOverDense?.toFixed(3) ?? '—').padStart(13), (c.snipBatchMs?.toFixed(1) ?? '—').padStart(14), (c.snipBatchOverTrainStep?.toFixed(2) ?? '—').padStart(10)];
    console.log(`  ${cells.join(' ')}`);
  }
  const t = r.targets;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  console.log(`  masked/dense step time ${r.maskedOverDenseStepTime} (median; worst ${r.maskedOverDenseStepTimeWorst}), target ${t.maskedOverDenseStepTime.target}: ${verdict(t.maskedOverDenseStepTime.met)}`);
  console.log(`  SNIP batch / training step ${r.snipBatchOverTrainStep} (median; worst ${r.snipBatchOverTrainStepWorst}), target ${t.snipBatchOverTrainStep.target}: ${verdict(t.snipBatchOverTrainStep.met)}`);
  if (r.gpu) {
    const g = r.gpu.perStep;
    console.log(`  WebGPU per step (dim ${r.gpu.probe.dim}, sparsity ${r.gpu.probe.sparsity}): ${g.dispatches} dispatches, ${g.submits} submits, ${g.buffersCreated} buffers created (${g.bytesCreated} B), ${g.writes} writes (${g.bytesWritten} B), ${g.readbackCopies} readbacks (${g.bytesRead} B), ${g.pipelines} pipelines`);
    if (r.gpu.perSnipBatch) console.log(`  WebGPU per SNIP batch: ${r.gpu.perSnipBatch.dispatches} dispatches, ${r.gpu.perSnipBatch.buffersCreated} buffers created`);
    console.log(`  shader warm-up: ${r.gpu.shaderWarmup.pipelines} pipelines, ${r.gpu.shaderWarmup.compileMs} ms compiling; targets ≤ ${TARGETS.dispatchesPerStep} dispatches: ${verdict(g.dispatches <= TARGETS.dispatchesPerStep)}, ≤ ${TARGETS.buffersCreatedPerStep} buffers: ${verdict(g.buffersCreated <= TARGETS.buffersCreatedPerStep)}`);
  }
  console.log(`  tf.memory() at steps ${r.memory.atSteps.join(' / ')}: ${r.memory.tensors.join(' / ')} tensors, ${r.memory.bytes.join(' / ')} bytes: ${verdict(t.memory.met)}`);
}

/** Runs the bench sub-command. */
export async function benchCommand(args: string[]): Promise<void> {
  const startedAt = performance.now();
  const { plan, backends, model, json, fused } = parseBenchArgs(args);
  setFusedKernels(fused);
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  if (!existsSync(join(model, 'config.json'))) throw new Error(`model folder ${model} does not exist or has no config.json`);
  const results: Record<string, BackendResult | { error: string }> = {};
  let summary: ModelSummary | null = null;
  for (const name of backends) {
    const { result, model: loaded } = await benchBackend(name, plan, model, log);
    results[name] = result;
    summary ??= loaded;
  }
  const measured = Object.entries(results).filter((e): e is [string, BackendResult] => !('error' in e[1]));
  if (measured.length === 0 || summary === null) throw new Error(`no backend could be measured: ${Object.entries(results).map(([n, r]) => `${n}: ${'error' in r ? r.error : ''}`).join('; ')}`);
  const reference = (r: BackendResult) => r.configs.find((c) => c.dim === plan.dims[0] && c.sparsity === 0)!.stepsPerSec;
  const fastest = measured.reduce((best, e) => (reference(e[1]) > reference(best[1]) ? e : best))[0];
  const out = {
    bench: plan.quick ? 'quick: a reduced bench (fewer configurations, steps and a smaller batch); its numbers are not comparable with the full bench' : 'full',
    quick: plan.quick,
    model: { dir: model, ...summary },
    settings: {
      adapter: 'houlsby (swish)', pruner: 'snip, global', task: 'toy sentiment', batchSize: plan.batchSize, seqLen: plan.seqLen,
      tokensPerStep: plan.batchSize * plan.seqLen, tokens: 'tokensPerSec counts batchSize × seqLen positions, padding included',
      fusedKernels: fused ? 'on webgpu: the fused AdamW, GELU, residual + LayerNorm, attention softmax, cross-entropy, masked adapter bottleneck and frozen dense bias (src/engine/gpu/)' : 'off (--unfused): tfjs ops only',
      stepsPerRun: plan.steps, warmupGapsDropped: plan.warmup, reps: plan.reps, scoringBatches: plan.scoringBatches, coldRunSteps: plan.coldSteps,
      timing: `a step's time is the gap between consecutive 'step' events (the trainer reads each loss ${DRAINED_AT_END} steps late, so the first steps are never timed); `
        + `per run the first ${plan.warmup} gap(s) and the last ${DRAINED_AT_END} (drained together) are dropped; the median over all repetitions is reported; `
        + 'configurations alternate within a repetition and reverse order in the next; an uncounted cold run starts each backend; '
        + 'maskedOverDense and snipBatchOverTrainStep are medians over repetitions of the ratio between runs of the same repetition',
    },
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, tfjs: tf.version.tfjs },
    fastestBackend: fastest,
    seconds: round((performance.now() - startedAt) / 1000, 1),
    backends: results,
  };
  if (json) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  console.log(`bench (${plan.quick ? 'quick' : 'full'}) on ${model}: ${summary.layers} layers, hidden ${summary.hiddenSize}; batch ${plan.batchSize}×${plan.seqLen}`);
  for (const [name, r] of Object.entries(results)) {
    if ('error' in r) console.log(`\n${name}: not measured: ${r.error}`);
    else printTable(name, r);
  }
  console.log(`\nfastest: ${fastest}; ${out.seconds} s in all`);
}
