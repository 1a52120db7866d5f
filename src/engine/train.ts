// One SparseAdapter run: build the adapters and head, prune the adapters at initialisation, then
// train the kept weights with AdamW while the PLM stays frozen. `createTrainer` holds the run's whole
// state (every random stream, the data order, the optimizer, masks, the step) as an object whose
// `state()` can be saved and handed back to continue exactly; `runSparseAdapter` is the driver that
// emits typed events through `onEvent` and stops on an AbortSignal-like object. No DOM, no UI, no store.
import * as tf from '@tensorflow/tfjs';
import { createAdapters, disposeAdapters, type AdapterOptions, type Adapters } from './adapters';
import { isHeadOnly } from './adapters/registry';
import { takeGpuErrors } from './backend';
import { forwardEncoder } from './bert';
import { adapterTensorSizes, computeBudget, type Budget } from './budget';
import { classificationMetrics, tokenClassificationMetrics, type ClassificationMetrics } from './data/metrics';
import { encodeTaskSplit, gatherBatch, IGNORE_INDEX, type Batch, type EncodedSplit, type Task } from './data/task';
import { headActivation } from './families';
import { defaultActivationBudget, planMicroBatch, splitBatch, type MemoryPlan } from './memory';
import { createHead, countHeadParameters, type Head } from './head';
import { softmaxCrossEntropy } from './ops';
import { clipByGlobalNorm, createAdamW, linearSchedule, warmupSteps, type AdamW, type AdamWState } from './optim';
import type { Plm } from './plm';
import { pruneAtInit, scoreHistogram, type PruneOptions, type PruneResult, type TensorDensity } from './pruning';
import { createStreams, streamStates, type RandomStream, type Rng } from './random';
import type { TrainOptions } from './settings';

export { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from './settings';

/** A whole run's configuration (Large-Sparse already applied; adapter kind `none` trains the head only). */
export interface RunConfig {
  adapter: AdapterOptions;
  prune: PruneOptions;
  train: TrainOptions;
}

export type Phase = 'scoring' | 'masking' | 'training' | 'evaluating' | 'done';

/** The events a run emits, in order: phase changes, scoring progress, the pruning outcome, steps, evaluations, the summary. */
export type RunEvent =
  | { type: 'phase'; phase: Phase }
  /** First: how each step's batch is split to fit memory (memory.ts). */
  | { type: 'memory'; plan: MemoryPlan }
  | { type: 'scoring'; round: number; rounds: number; batch: number; batches: number }
  /** `snipOverlap`: for SNIP, how many kept entries the other SNIP variant (summed signs vs magnitudes) keeps too. */
  | { type: 'pruned'; density: TensorDensity[]; layerDensity: { layer: number | null; kept: number; total: number }[]; histogram: ReturnType<typeof scoreHistogram>; threshold: number; budget: Budget; snipOverlap?: PruneResult['snipOverlap'] }
  | { type: 'warning'; message: string }
  | { type: 'step'; step: number; loss: number; lr: number; tokensPerSec: number; elapsedMs: number }
  | { type: 'eval'; step: number; split: 'dev'; metrics: ClassificationMetrics }
  | { type: 'summary'; budget: Budget; dev: ClassificationMetrics; labels: string[]; seconds: number; firstLossMs: number };

/** What a finished run returns; the trained adapters and head stay alive until `dispose`. */
export interface RunResult {
  adapters: Adapters;
  head: Head;
  masks: Map<string, tf.Tensor>;
  budget: Budget;
  dev: ClassificationMetrics;
  /** Per dev item, whether the final adapter got it right (for paired tests over examples). */
  devCorrect: Uint8Array;
  /** With `RunOptions.evaluateTest`: the final adapter on the test split, and per test item whether it got it right. */
  test?: ClassificationMetrics;
  testCorrect?: Uint8Array;
  losses: number[];
  dispose(): void;
}

/** Stops a run (an AbortSignal fits); `untilResumed`, when given, is awaited between steps to pause. */
export interface StopSignal {
  readonly aborted: boolean;
  untilResumed?: () => Promise<void>;
}

/** How many steps a loss may lag before it is read: the GPU finishes it while later steps queue. */
export const LOSS_LAG = 2;

/** The version of `TrainState`'s layout. */
export const TRAIN_STATE_VERSION = 1;

/** What a run is, for checking that a saved state belongs to it. */
export interface TrainIdentity {
  config: RunConfig;
  model: { hiddenSize: number; numLayers: number; parameters: number };
  task: { name: string; kind: Task['kind']; labels: string[]; train: number };
}

/** Everything a run needs to continue exactly where it was: plain arrays, ready to save. */
export interface TrainState {
  version: typeof TRAIN_STATE_VERSION;
  identity: TrainIdentity;
  /** Optimizer steps taken. */
  step: number;
  /** Every random stream's state. */
  streams: Record<RandomStream, number>;
  /** The training examples still to come, in order (the rest of the current epoch's shuffle). */
  order: number[];
  /** Adapter and head weights by name. */
  params: Record<string, Float32Array>;
  /** Pruning masks by adapter tensor name (1 kept, 0 pruned). */
  masks: Record<string, Uint8Array>;
  optimizer: AdamWState;
  budget: Budget;
  /** The losses of the steps taken. */
  losses: number[];
}

/** One step's loss before it is read back, and what it is reported with. */
interface PendingLoss { step: number; loss: tf.Tensor; lr: number; tokens: number }

/** A step's loss once read. */
export interface StepRecord { step: number; loss: number; lr: number; tokens: number }

/** A run in progress: prune once, then step; its state can be read at any step. */
export interface Trainer {
  /** How a step's batch is split to fit memory (memory.ts): one pass of the whole batch unless it would not fit. */
  readonly memory: MemoryPlan;
  readonly adapters: Adapters;
  readonly head: Head;
  readonly masks: Map<string, tf.Tensor>;
  readonly budget: Budget;
  /** Optimizer steps taken (including those whose loss is not read yet). */
  readonly stepsTaken: number;
  readonly totalSteps: number;
  /** The losses read so far, one per step. */
  readonly losses: readonly number[];
  /** Whether pruning at initialisation is still to do (sparsity > 0 and not restored). */
  readonly needsPruning: boolean;
  /** Scores the adapter and prunes it (events: scoring progress, warnings, the outcome). */
  prune(onEvent: (event: RunEvent) => void): Promise<void>;
  /** Queues one optimizer step; its loss is read later by `readLosses`. */
  step(): void;
  /** Reads the losses of all but the newest `keep` queued steps, checks them, and returns them. */
  readLosses(keep: number): Promise<StepRecord[]>;
  /** Metrics on the dev (or test) split. */
  evaluate(split?: 'dev' | 'test'): Promise<ClassificationMetrics>;
  /** The same, with per-item correctness. */
  evaluateExamples(split?: 'dev' | 'test'): Promise<Evaluation>;
  /** The whole state (reads every queued loss first). */
  state(): Promise<TrainState>;
  /** Frees the optimizer's moments (after the last step); the adapters, head and masks stay. */
  freeOptimizer(): void;
  /** Frees everything, the trained adapters included. */
  dispose(): void;
}

function logits(plm: Plm, adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, batch: Batch): tf.Tensor2D {
  const hidden = forwardEncoder(plm.model, batch, { hooks: adapters.hooks(masks) }).lastHiddenState; // [B, T, H]
  return head.apply(hidden); // [B, C] for sentences, [B·T, C] for tagging
}

/** Cross-entropy of a batch; tagging batches weigh out the positions that carry no tag (IGNORE_INDEX). */
function batchLoss(plm: Plm, adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, batch: Batch): tf.Scalar {
  const labels = batch.weights ? (tf.maximum(batch.labels, tf.zerosLike(batch.labels)) as tf.Tensor1D) : batch.labels; // oneHot needs ids ≥ 0
  return softmaxCrossEntropy(logits(plm, adapters, head, masks, batch), labels, batch.weights);
}

/** An evaluation's metrics and, per counted item (example, or tagged word), whether it was right: paired tests resample these. */
export interface Evaluation {
  metrics: ClassificationMetrics;
  /** 1 where the prediction was right, in split order (tagging: the tagged positions, row by row). */
  correct: Uint8Array;
}

/** Evaluates on an encoded split in batches (one readback per batch); tagging counts tagged positions only. */
export async function evaluate(plm: Plm, adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, split: EncodedSplit, batchSize: number): Promise<ClassificationMetrics> {
  return (await evaluateExamples(plm, adapters, head, masks, split, batchSize)).metrics;
}

/** `evaluate`, with the per-item correctness. */
export async function evaluateExamples(plm: Plm, adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, split: EncodedSplit, batchSize: number): Promise<Evaluation> {
  const perRow = split.labelsPerToken ? split.seqLen : 1;
  const predicted = new Int32Array(split.count * perRow);
  for (let start = 0; start < split.count; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, split.count - start) }, (_, i) => start + i);
    const argmax = tf.tidy(() => tf.argMax(logits(plm, adapters, head, masks, gatherBatch(split, indices)), -1));
    predicted.set(await argmax.data(), start * perRow);
    argmax.dispose();
  }
  const metrics = split.labelsPerToken ? tokenClassificationMetrics(predicted, split.labels, head.numLabels, IGNORE_INDEX) : classificationMetrics(predicted, split.labels, head.numLabels);
  const correct: number[] = [];
  for (let i = 0; i < predicted.length; i++) if (split.labels[i] !== IGNORE_INDEX) correct.push(predicted[i] === split.labels[i] ? 1 : 0);
  return { metrics, correct: Uint8Array.from(correct) };
}

/** Frees a trained adapter's variables, its head's and its masks. */
export function disposeTrained(adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>): void {
  disposeAdapters(adapters);
  for (const v of head.variables) v.variable.dispose();
  tf.dispose([...masks.values()]);
}

/** A seeded Fisher–Yates shuffle of 0 … n−1. */
function permutation(n: number, rng: Rng): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Why a saved state does not fit this run, or null when it does. */
export function stateMismatch(saved: TrainIdentity, current: TrainIdentity): string | null {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(saved.model, current.model)) return `the checkpoint is of a model with ${saved.model.numLayers} layers × ${saved.model.hiddenSize} (${saved.model.parameters} parameters); the loaded model has ${current.model.numLayers} × ${current.model.hiddenSize} (${current.model.parameters})`;
  if (!same(saved.task, current.task)) return `the checkpoint is of task ${saved.task.name} (${saved.task.train} training examples, labels ${saved.task.labels.join(', ')}); this run's task is ${current.task.name} (${current.task.train}, ${current.task.labels.join(', ')})`;
  for (const part of ['adapter', 'prune', 'train'] as const) {
    if (!same(saved.config[part], current.config[part])) return `the checkpoint's ${part} settings differ from this run's (${JSON.stringify(saved.config[part])} vs ${JSON.stringify(current.config[part])})`;
  }
  return null;
}

/**
 * Sets up a run of `config` on `task`: adapters from the adapter stream, the head from the head stream,
 * the data order from the data stream and the pruner's draws (scoring batches, random scores) from the
 * prune stream, all derived from the run's seed, so two runs with the same seed and task see the same
 * batches in the same order and start from the same head whatever their adapters. With `state`, the
 * run continues from it exactly (it must be a state of the same run: same model, task and settings).
 */
export function createTrainer(plm: Plm, task: Task, config: RunConfig, saved?: TrainState, exec: ExecutionOptions = {}): Trainer {
  const { train: opts } = config;
  const c = plm.model.config;
  // Before any tensor: whether a step fits, and in how many passes (a clear refusal when one example does not).
  const memory = planMicroBatch(c, { batchSize: opts.batchSize, seqLen: opts.seqLen, budgetBytes: exec.activationBudget ?? defaultActivationBudget(tf.getBackend()), requested: exec.microBatch });
  const identity: TrainIdentity = {
    config,
    model: { hiddenSize: c.hiddenSize, numLayers: c.numLayers, parameters: plm.summary.parameters },
    task: { name: task.name, kind: task.kind, labels: task.labels, train: task.train.length },
  };
  if (saved) {
    if (saved.version !== TRAIN_STATE_VERSION) throw new Error(`the checkpoint has state version ${String(saved.version)}; this engine reads ${TRAIN_STATE_VERSION}`);
    const mismatch = stateMismatch(saved.identity, identity);
    if (mismatch) throw new Error(mismatch);
  }
  if (isHeadOnly(config.adapter) && config.prune.sparsity > 0) throw new Error('a head-only run has no adapter to prune: its sparsity must be 0');
  const streams = createStreams(opts.seed);
  const adapters = createAdapters(c, config.adapter, streams.adapter);
  const head = createHead(task.kind === 'token' ? 'token' : 'sequence', c.hiddenSize, task.labels.length, streams.head, headActivation(c.modelType));
  const masks = new Map<string, tf.Tensor>();
  let optimizer: AdamW | null = null;
  const disposeAll = () => {
    optimizer?.dispose();
    optimizer = null;
    disposeTrained(adapters, head, masks);
  };
  try {
    const trainSplit = encodeTaskSplit(plm.tokenizer, task, 'train', opts.seqLen);
    if (trainSplit.count === 0) throw new Error(`task ${task.name} has no training examples`);
    const evalSplits = new Map<'dev' | 'test', EncodedSplit>();
    const splitFor = (name: 'dev' | 'test') => {
      let split = evalSplits.get(name);
      if (!split) evalSplits.set(name, (split = encodeTaskSplit(plm.tokenizer, task, name, opts.seqLen)));
      return split;
    };
    const sizes = adapterTensorSizes(c, config.adapter);
    const headParams = countHeadParameters(head);
    let budget = computeBudget({ plmParams: plm.summary.parameters, sizes, sparsity: 0, headParams });
    const trainable = new Map<string, tf.Variable>([...adapters.params.map((p) => [p.name, p.variable] as const), ...head.variables.map((v) => [v.name, v.variable] as const)]);
    const decays = new Map<string, boolean>([...adapters.params.map((p) => [p.name, p.decays] as const), ...head.variables.map((v) => [v.name, v.decays] as const)]);
    let order: number[] = [];
    let stepsTaken = 0;
    const losses: number[] = [];
    let pruned = config.prune.sparsity === 0;

    if (saved) {
      for (const [name, variable] of trainable) {
        const values = saved.params[name];
        if (!values || values.length !== variable.size) throw new Error(`the checkpoint's ${name} is missing or has the wrong size`);
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      }
      for (const [name, values] of Object.entries(saved.masks)) {
        const p = adapters.params.find((q) => q.name === name);
        if (!p || values.length !== p.variable.size) throw new Error(`the checkpoint has a mask ${name} this adapter does not have`);
        masks.set(name, tf.tensor(Float32Array.from(values), p.variable.shape));
      }
      Object.assign(streams, createStreams(opts.seed, saved.streams));
      order = [...saved.order];
      stepsTaken = saved.step;
      losses.push(...saved.losses);
      budget = saved.budget;
      pruned = true;
      optimizer = createAdamW(trainable, adamOptions(opts, decays), saved.optimizer);
    }

    const nextBatch = (): number[] => {
      if (order.length < opts.batchSize) order = order.concat(permutation(trainSplit.count, streams.data));
      return order.splice(0, opts.batchSize);
    };
    const lossOn = (batch: Batch, m: ReadonlyMap<string, tf.Tensor>) => batchLoss(plm, adapters, head, m, batch);
    const warmup = warmupSteps(opts.warmupRatio, opts.steps);
    const pending: PendingLoss[] = [];

    /** What each example counts for in the batch's mean loss: 1, or its tagged positions for tagging. */
    const itemsOf = (row: number) => {
      if (!trainSplit.labelsPerToken) return 1;
      let n = 0;
      for (let t = row * trainSplit.seqLen; t < (row + 1) * trainSplit.seqLen; t++) if (trainSplit.labels[t] !== IGNORE_INDEX) n++;
      return n;
    };
    /**
     * One step in passes of `memory.microBatch` examples: each pass's loss is weighted by its share of the
     * batch's items, so the summed gradients are those of the whole batch's mean loss (up to float
     * rounding); then clipping and the update, once, as for one pass.
     */
    const accumulatedStep = (indices: number[], lr: number, opt: AdamW): tf.Scalar => {
      const parts = splitBatch(indices, memory.microBatch);
      const counts = parts.map((part) => part.reduce((n, row) => n + itemsOf(row), 0));
      const total = Math.max(1, counts.reduce((a, b) => a + b, 0));
      const sums = new Map<string, tf.Tensor>();
      let loss: tf.Scalar = tf.scalar(0);
      try {
        parts.forEach((part, i) => {
          const share = counts[i]! / total;
          if (share === 0) return;
          const { value, grads } = tf.tidy(() => {
            const batch = gatherBatch(trainSplit, part);
            return tf.variableGrads(() => tf.mul(lossOn(batch, masks), share), [...trainable.values()]);
          });
          for (const [name, variable] of trainable) {
            const g = grads[variable.name];
            if (!g) continue;
            const before = sums.get(name);
            sums.set(name, before ? tf.add(before, g) : tf.clone(g));
            before?.dispose();
          }
          tf.dispose(grads);
          const next = tf.add(loss, value);
          tf.dispose([loss, value]);
          loss = next as tf.Scalar;
        });
        tf.tidy(() => opt.step(clipByGlobalNorm(Object.fromEntries(sums), opts.maxGradNorm).grads, lr));
        return loss;
      } catch (error) {
        loss.dispose();
        throw error;
      } finally {
        tf.dispose([...sums.values()]);
      }
    };

    const trainer: Trainer = {
      memory,
      adapters,
      head,
      masks,
      get budget() { return budget; },
      get stepsTaken() { return stepsTaken; },
      totalSteps: opts.steps,
      losses,
      get needsPruning() { return !pruned; },
      async prune(onEvent) {
        if (pruned) return;
        onEvent({ type: 'phase', phase: 'scoring' });
        // The scoring batches come from the prune stream, so pruning leaves the training order alone.
        const shuffled = permutation(trainSplit.count, streams.prune);
        // A scoring batch is one pass: the whole batch, or a micro-batch where the whole would not fit.
        const scoringSize = memory.microBatch;
        if (memory.passes > 1) onEvent({ type: 'warning', message: `scoring batches hold ${scoringSize} examples instead of ${opts.batchSize}: a whole batch would not fit in memory (about ${(opts.batchSize * memory.perExampleBytes / 2 ** 30).toFixed(2)} GiB of activations)` });
        const scoringIndices = Array.from({ length: config.prune.scoringBatches }, (_, b) => Array.from({ length: Math.min(scoringSize, trainSplit.count) }, (_, i) => shuffled[(b * scoringSize + i) % shuffled.length]!));
        const result = await pruneAtInit(
          {
            params: adapters.params,
            chains: adapters.chains,
            rng: streams.prune,
            loss: (i, m) => tf.tidy(() => lossOn(gatherBatch(trainSplit, scoringIndices[i % scoringIndices.length]!), m)),
            onProgress: (p) => onEvent({ type: 'scoring', ...p }),
          },
          config.prune,
        );
        onEvent({ type: 'phase', phase: 'masking' });
        for (const [name, mask] of result.masks) masks.set(name, mask);
        // Pruned weights become exact zeros now, and the masked forward keeps them there.
        for (const p of adapters.params) {
          const mask = masks.get(p.name);
          if (mask) tf.tidy(() => p.variable.assign(tf.mul(p.variable, mask)));
        }
        for (const message of result.warnings) onEvent({ type: 'warning', message });
        budget = computeBudget({ plmParams: plm.summary.parameters, sizes, sparsity: config.prune.sparsity, headParams, keptPrunable: result.kept });
        const byLayer = new Map<number | null, { layer: number | null; kept: number; total: number }>();
        for (const d of result.density) {
          const entry = byLayer.get(d.layer) ?? { layer: d.layer, kept: 0, total: 0 };
          entry.kept += d.kept;
          entry.total += d.total;
          byLayer.set(d.layer, entry);
        }
        pruned = true;
        onEvent({ type: 'pruned', density: result.density, layerDensity: [...byLayer.values()], histogram: scoreHistogram(result.scores, 40, result.threshold), threshold: result.threshold, budget, ...(result.snipOverlap && { snipOverlap: result.snipOverlap }) });
      },
      step() {
        if (!pruned) throw new Error('prune the adapter before training it');
        if (stepsTaken >= opts.steps) throw new Error(`the run has taken all its ${opts.steps} steps`);
        optimizer ??= createAdamW(trainable, adamOptions(opts, decays));
        const lr = linearSchedule(stepsTaken, opts.steps, warmup, opts.learningRate);
        const indices = nextBatch();
        const opt = optimizer;
        const loss = memory.passes === 1 ? tf.tidy(() => {
          const batch = gatherBatch(trainSplit, indices);
          const { value, grads } = tf.variableGrads(() => lossOn(batch, masks), [...trainable.values()]);
          const named: Record<string, tf.Tensor> = {};
          for (const [name, variable] of trainable) if (grads[variable.name]) named[name] = grads[variable.name]!;
          opt.step(clipByGlobalNorm(named, opts.maxGradNorm).grads, lr);
          return value;
        }) : accumulatedStep(indices, lr, opt);
        stepsTaken += 1;
        pending.push({ step: stepsTaken, loss, lr, tokens: indices.reduce((s, i) => s + trainSplit.lengths[i]!, 0) });
      },
      async readLosses(keep) {
        const read: StepRecord[] = [];
        while (pending.length > keep) {
          const { step, loss, lr, tokens } = pending.shift()!;
          const value = (await loss.data())[0]!;
          loss.dispose();
          const gpuErrors = takeGpuErrors();
          if (gpuErrors.length > 0) throw new Error(`WebGPU reported an error by step ${step}: ${gpuErrors[0]} — training stopped`);
          if (!Number.isFinite(value)) throw new Error(`the loss became ${value} at step ${step}: training stopped (try a lower learning rate)`);
          losses.push(value);
          read.push({ step, loss: value, lr, tokens });
        }
        return read;
      },
      // Forward passes only, in batches no larger than a training pass (per example, the same predictions).
      evaluate: (split = 'dev') => evaluate(plm, adapters, head, masks, splitFor(split), memory.microBatch),
      evaluateExamples: (split = 'dev') => evaluateExamples(plm, adapters, head, masks, splitFor(split), memory.microBatch),
      async state() {
        if (pending.length > 0) throw new Error('read the pending losses (readLosses(0)) before taking the state');
        const params: Record<string, Float32Array> = {};
        for (const [name, variable] of trainable) params[name] = (await variable.data()) as Float32Array;
        const maskValues: Record<string, Uint8Array> = {};
        for (const [name, mask] of masks) maskValues[name] = Uint8Array.from((await mask.data()) as Float32Array);
        const optimizerState: AdamWState = optimizer ? await optimizer.state() : { t: 0, moments: Object.fromEntries([...trainable].map(([name, v]) => [name, { m: new Float32Array(v.size), v: new Float32Array(v.size) }])) };
        return { version: TRAIN_STATE_VERSION, identity, step: stepsTaken, streams: streamStates(streams), order: [...order], params, masks: maskValues, optimizer: optimizerState, budget, losses: [...losses] };
      },
      freeOptimizer() {
        tf.dispose(pending.map((p) => p.loss));
        pending.length = 0;
        optimizer?.dispose();
        optimizer = null;
      },
      dispose() {
        tf.dispose(pending.map((p) => p.loss));
        pending.length = 0;
        disposeAll();
      },
    };
    return trainer;
  } catch (error) {
    disposeAll();
    throw error;
  }
}

function adamOptions(opts: TrainOptions, decays: ReadonlyMap<string, boolean>) {
  return { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: opts.weightDecay, decay: (name: string) => decays.get(name) ?? false };
}

/**
 * How a run executes, apart from what it trains (neither is part of a run's settings or its identity:
 * the result is the same up to float rounding): `microBatch` examples per forward/backward pass (absent
 * or 0: the whole batch, or the largest part that fits `activationBudget` bytes, by default the
 * backend's, memory.ts).
 */
export interface ExecutionOptions {
  microBatch?: number;
  activationBudget?: number;
}

/** Options of the driver: a saved state to continue from, and a callback for checkpoints. */
export interface RunOptions extends ExecutionOptions {
  state?: TrainState;
  /** Called with the trainer every `every` steps (and not after the last), e.g. to save its state. */
  checkpoint?: { every: number; save(trainer: Trainer): Promise<void> };
  /** Also evaluate the final adapter on the test split (for figures reported on test after selection on dev). */
  evaluateTest?: boolean;
}

/** Runs scoring, masking, training and evaluation for `config` on `task` (continuing from `options.state` if given). */
export async function runSparseAdapter(plm: Plm, task: Task, config: RunConfig, onEvent: (event: RunEvent) => void, signal?: StopSignal, options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const opts = config.train;
  const trainer = createTrainer(plm, task, config, options.state, { microBatch: options.microBatch, activationBudget: options.activationBudget });
  try {
    onEvent({ type: 'memory', plan: trainer.memory });
    if (trainer.needsPruning) await trainer.prune(onEvent);
    onEvent({ type: 'phase', phase: 'training' });
    let firstLossMs = NaN;
    let windowStart = Date.now();
    let windowTokens = 0;
    let dev = classificationMetrics([], [], trainer.head.numLabels);
    const report = (records: StepRecord[]) => {
      for (const { step, loss, lr, tokens } of records) {
        if (Number.isNaN(firstLossMs)) firstLossMs = Date.now() - started;
        windowTokens += tokens;
        const now = Date.now();
        onEvent({ type: 'step', step, loss, lr, tokensPerSec: (1000 * windowTokens) / Math.max(1, now - windowStart), elapsedMs: now - started });
        if (now - windowStart > 5000) { windowStart = now; windowTokens = 0; }
      }
    };
    try {
      while (trainer.stepsTaken < opts.steps && !signal?.aborted) {
        trainer.step();
        const step = trainer.stepsTaken;
        report(await trainer.readLosses(LOSS_LAG));
        if (signal?.untilResumed) await signal.untilResumed();
        if (opts.evalEvery > 0 && step % opts.evalEvery === 0 && step < opts.steps) {
          report(await trainer.readLosses(0));
          onEvent({ type: 'phase', phase: 'evaluating' });
          dev = await trainer.evaluate('dev');
          onEvent({ type: 'eval', step, split: 'dev', metrics: dev });
          onEvent({ type: 'phase', phase: 'training' });
        }
        if (options.checkpoint && step % options.checkpoint.every === 0 && step < opts.steps) {
          report(await trainer.readLosses(0));
          await options.checkpoint.save(trainer);
        }
      }
      report(await trainer.readLosses(0));
    } finally {
      trainer.freeOptimizer();
    }
    onEvent({ type: 'phase', phase: 'evaluating' });
    const final = await trainer.evaluateExamples('dev');
    dev = final.metrics;
    onEvent({ type: 'eval', step: trainer.losses.length, split: 'dev', metrics: dev });
    const test = options.evaluateTest ? await trainer.evaluateExamples('test') : null;
    onEvent({ type: 'phase', phase: 'done' });
    onEvent({ type: 'summary', budget: trainer.budget, dev, labels: task.labels, seconds: (Date.now() - started) / 1000, firstLossMs });
    const { adapters, head, masks } = trainer;
    return { adapters, head, masks, budget: trainer.budget, dev, devCorrect: final.correct, ...(test && { test: test.metrics, testCorrect: test.correct }), losses: [...trainer.losses], dispose: () => trainer.dispose() };
  } catch (error) {
    trainer.dispose();
    throw error;
  }
}
