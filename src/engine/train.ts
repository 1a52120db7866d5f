// One SparseAdapter run: build the adapters and head, prune the adapters at initialisation, then
// train the kept weights with AdamW while the PLM stays frozen. Progress goes out as typed events
// through `onEvent`; an AbortSignal-like object stops the run. No DOM, no UI, no store.
import * as tf from '@tensorflow/tfjs';
import { createAdapters, disposeAdapters, noAdapters, type AdapterOptions, type Adapters } from './adapters';
import { takeGpuErrors } from './backend';
import { forwardEncoder } from './bert';
import { adapterTensorSizes, computeBudget, type Budget } from './budget';
import { classificationMetrics, tokenClassificationMetrics, type ClassificationMetrics } from './data/metrics';
import { encodeTaskSplit, gatherBatch, IGNORE_INDEX, type Batch, type EncodedSplit, type Task } from './data/task';
import { createHead, countHeadParameters, type Head } from './head';
import { softmaxCrossEntropy } from './ops';
import { clipByGlobalNorm, createAdamW, linearSchedule } from './optim';
import type { Plm } from './plm';
import { pruneAtInit, scoreHistogram, type PruneOptions, type TensorDensity } from './pruning';
import { createRng } from './random';
import type { TrainOptions } from './settings';

export { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from './settings';

/** A whole run's configuration. */
export interface RunConfig {
  adapter: AdapterOptions;
  prune: PruneOptions;
  train: TrainOptions;
  /** Train the head only, with no adapter (a baseline); the prune settings must ask for sparsity 0. */
  headOnly?: boolean;
}

export type Phase = 'scoring' | 'masking' | 'training' | 'evaluating' | 'done';

/** The events a run emits, in order: phase changes, scoring progress, the pruning outcome, steps, evaluations, the summary. */
export type RunEvent =
  | { type: 'phase'; phase: Phase }
  | { type: 'scoring'; round: number; rounds: number; batch: number; batches: number }
  | { type: 'pruned'; density: TensorDensity[]; layerDensity: { layer: number | null; kept: number; total: number }[]; histogram: ReturnType<typeof scoreHistogram>; threshold: number; budget: Budget }
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
/** Weight decay applies to weight matrices only, as in the Hugging Face trainer. */
const decays = (name: string) => !name.endsWith('.bias') && !name.startsWith('prefix.embedding');

function logits(plm: Plm, adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, batch: Batch): tf.Tensor2D {
  const hidden = forwardEncoder(plm.model, batch, { hooks: adapters.hooks(masks) }).lastHiddenState; // [B, T, H]
  return head.apply(hidden); // [B, C] for sentences, [B·T, C] for tagging
}

/** Cross-entropy of a batch; tagging batches weigh out the positions that carry no tag (IGNORE_INDEX). */
function batchLoss(plm: Plm, adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, batch: Batch): tf.Scalar {
  const labels = batch.weights ? (tf.maximum(batch.labels, tf.zerosLike(batch.labels)) as tf.Tensor1D) : batch.labels; // oneHot needs ids ≥ 0
  return softmaxCrossEntropy(logits(plm, adapters, head, masks, batch), labels, batch.weights);
}

/** Evaluates on an encoded split in batches (one readback per batch); tagging counts tagged positions only. */
export async function evaluate(plm: Plm, adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, split: EncodedSplit, batchSize: number): Promise<ClassificationMetrics> {
  const perRow = split.labelsPerToken ? split.seqLen : 1;
  const predicted = new Int32Array(split.count * perRow);
  for (let start = 0; start < split.count; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, split.count - start) }, (_, i) => start + i);
    const argmax = tf.tidy(() => tf.argMax(logits(plm, adapters, head, masks, gatherBatch(split, indices)), -1));
    predicted.set(await argmax.data(), start * perRow);
    argmax.dispose();
  }
  return split.labelsPerToken ? tokenClassificationMetrics(predicted, split.labels, head.numLabels, IGNORE_INDEX) : classificationMetrics(predicted, split.labels, head.numLabels);
}

/** Frees a trained adapter's variables, its head's and its masks. */
export function disposeTrained(adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>): void {
  disposeAdapters(adapters);
  for (const v of head.variables) v.variable.dispose();
  tf.dispose([...masks.values()]);
}

/** Runs scoring, masking, training and evaluation for `config` on `task`. */
export async function runSparseAdapter(plm: Plm, task: Task, config: RunConfig, onEvent: (event: RunEvent) => void, signal?: StopSignal): Promise<RunResult> {
  const started = Date.now();
  const { train: opts } = config;
  const rng = createRng(opts.seed);
  if (config.headOnly && config.prune.sparsity > 0) throw new Error('a head-only run has no adapter to prune: its sparsity must be 0');
  const adapters = config.headOnly ? noAdapters(config.adapter) : createAdapters(plm.model.config, config.adapter, rng);
  const head = createHead(task.kind === 'token' ? 'token' : 'sequence', plm.model.config.hiddenSize, task.labels.length, rng);
  let masks = new Map<string, tf.Tensor>();
  const dispose = () => disposeTrained(adapters, head, masks);
  try {
    const trainSplit = encodeTaskSplit(plm.tokenizer, task, 'train', opts.seqLen);
    const devSplit = encodeTaskSplit(plm.tokenizer, task, 'dev', opts.seqLen);
    if (trainSplit.count === 0) throw new Error(`task ${task.name} has no training examples`);
    // A seeded shuffle per epoch; the first batches also serve as the pruner's scoring batches.
    let order: number[] = [];
    const nextBatch = (): number[] => {
      if (order.length < opts.batchSize) {
        const epoch = Array.from({ length: trainSplit.count }, (_, i) => i);
        for (let i = epoch.length - 1; i > 0; i--) {
          const j = Math.floor(rng() * (i + 1));
          [epoch[i], epoch[j]] = [epoch[j]!, epoch[i]!];
        }
        order = order.concat(epoch);
      }
      return order.splice(0, opts.batchSize);
    };
    const lossOn = (batch: Batch, m: ReadonlyMap<string, tf.Tensor>) => batchLoss(plm, adapters, head, m, batch);

    const sizes = config.headOnly ? { prunable: 0, fixed: 0 } : adapterTensorSizes(plm.model.config, config.adapter);
    const headParams = countHeadParameters(head);
    const plmParams = plm.summary.parameters;
    let budget = computeBudget({ plmParams, sizes, sparsity: 0, headParams });
    if (config.prune.sparsity > 0) {
      onEvent({ type: 'phase', phase: 'scoring' });
      const scoringIndices = Array.from({ length: config.prune.scoringBatches }, () => nextBatch());
      const result = await pruneAtInit(
        {
          params: adapters.params,
          chains: adapters.chains,
          rng,
          loss: (i, m) => tf.tidy(() => lossOn(gatherBatch(trainSplit, scoringIndices[i % scoringIndices.length]!), m)),
          onProgress: (p) => onEvent({ type: 'scoring', ...p }),
        },
        config.prune,
      );
      onEvent({ type: 'phase', phase: 'masking' });
      masks = result.masks;
      // Pruned weights become exact zeros now, and the masked forward keeps them there.
      for (const p of adapters.params) {
        const mask = masks.get(p.name);
        if (mask) tf.tidy(() => p.variable.assign(tf.mul(p.variable, mask)));
      }
      for (const message of result.warnings) onEvent({ type: 'warning', message });
      budget = computeBudget({ plmParams, sizes, sparsity: config.prune.sparsity, headParams, keptPrunable: result.kept });
      const byLayer = new Map<number | null, { layer: number | null; kept: number; total: number }>();
      for (const d of result.density) {
        const entry = byLayer.get(d.layer) ?? { layer: d.layer, kept: 0, total: 0 };
        entry.kept += d.kept;
        entry.total += d.total;
        byLayer.set(d.layer, entry);
      }
      onEvent({ type: 'pruned', density: result.density, layerDensity: [...byLayer.values()], histogram: scoreHistogram(result.scores, 40, result.threshold), threshold: result.threshold, budget });
    }

    onEvent({ type: 'phase', phase: 'training' });
    const trainable = new Map<string, tf.Variable>([...adapters.params.map((p) => [p.name, p.variable] as const), ...head.variables.map((v) => [v.name, v.variable] as const)]);
    const optimizer = createAdamW(trainable, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: opts.weightDecay, decay: decays });
    const warmup = Math.round(opts.warmupRatio * opts.steps);
    const losses: number[] = [];
    const pending: { step: number; loss: tf.Tensor; lr: number; tokens: number }[] = [];
    let firstLossMs = NaN;
    let windowStart = Date.now();
    let windowTokens = 0;
    let dev = classificationMetrics([], [], head.numLabels);
    // Reads the oldest pending losses (a few steps behind), checks them, and reports them.
    const drain = async (keep: number) => {
      while (pending.length > keep) {
        const { step, loss, lr, tokens } = pending.shift()!;
        const value = (await loss.data())[0]!;
        loss.dispose();
        const gpuErrors = takeGpuErrors();
        if (gpuErrors.length > 0) throw new Error(`WebGPU reported an error by step ${step}: ${gpuErrors[0]} — training stopped`);
        if (!Number.isFinite(value)) throw new Error(`the loss became ${value} at step ${step}: training stopped (try a lower learning rate)`);
        if (Number.isNaN(firstLossMs)) firstLossMs = Date.now() - started;
        losses.push(value);
        windowTokens += tokens;
        const now = Date.now();
        onEvent({ type: 'step', step, loss: value, lr, tokensPerSec: (1000 * windowTokens) / Math.max(1, now - windowStart), elapsedMs: now - started });
        if (now - windowStart > 5000) { windowStart = now; windowTokens = 0; }
      }
    };
    try {
      for (let step = 1; step <= opts.steps && !signal?.aborted; step++) {
        const lr = linearSchedule(step - 1, opts.steps, warmup, opts.learningRate);
        const indices = nextBatch();
        const loss = tf.tidy(() => {
          const batch = gatherBatch(trainSplit, indices);
          const { value, grads } = tf.variableGrads(() => lossOn(batch, masks), [...trainable.values()]);
          const named: Record<string, tf.Tensor> = {};
          for (const [name, variable] of trainable) if (grads[variable.name]) named[name] = grads[variable.name]!;
          optimizer.step(clipByGlobalNorm(named, opts.maxGradNorm).grads, lr);
          return value;
        });
        pending.push({ step, loss, lr, tokens: indices.reduce((s, i) => s + trainSplit.lengths[i]!, 0) });
        await drain(LOSS_LAG);
        if (signal?.untilResumed) await signal.untilResumed();
        if (opts.evalEvery > 0 && step % opts.evalEvery === 0 && step < opts.steps) {
          await drain(0);
          onEvent({ type: 'phase', phase: 'evaluating' });
          dev = await evaluate(plm, adapters, head, masks, devSplit, opts.batchSize);
          onEvent({ type: 'eval', step, split: 'dev', metrics: dev });
          onEvent({ type: 'phase', phase: 'training' });
        }
      }
      await drain(0);
    } finally {
      tf.dispose(pending.map((p) => p.loss));
      optimizer.dispose();
    }
    onEvent({ type: 'phase', phase: 'evaluating' });
    dev = await evaluate(plm, adapters, head, masks, devSplit, opts.batchSize);
    onEvent({ type: 'eval', step: losses.length, split: 'dev', metrics: dev });
    onEvent({ type: 'phase', phase: 'done' });
    onEvent({ type: 'summary', budget, dev, labels: task.labels, seconds: (Date.now() - started) / 1000, firstLossMs });
    return { adapters, head, masks, budget, dev, losses, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
