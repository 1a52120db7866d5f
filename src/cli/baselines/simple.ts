// The baselines that need no PLM: the majority class, and a logistic regression on bag-of-words
// features (for tagging: on each word's own features). Plain TypeScript with sparse binary features
// and seeded mini-batch SGD; deterministic for a seed.
import { classificationMetrics, type ClassificationMetrics } from '../../engine/data/metrics';
import type { SentenceExample, TaggedSentence, Task } from '../../engine/data/task';
import { convertIdsToTokens, encode, encodeWords, type Tokenizer } from '../../engine/tokenizers';
import { createRng } from '../../engine/random';

/** Predicts the training split's most frequent label (words' tags for tagging) everywhere. */
export function majorityBaseline(task: Task): ClassificationMetrics {
  const counts = new Array<number>(task.labels.length).fill(0);
  const gold: number[] = [];
  if (task.kind === 'token') {
    for (const s of task.train) for (const t of s.tags) counts[t]! += 1;
    for (const s of task.dev) gold.push(...s.tags);
  } else {
    for (const e of task.train) counts[e.label]! += 1;
    for (const e of task.dev) gold.push(e.label);
  }
  const majority = counts.indexOf(Math.max(...counts));
  return classificationMetrics(gold.map(() => majority), gold, task.labels.length);
}

/** Lower-cased word tokens. */
export const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?|[^\s\p{L}\p{N}]/gu) ?? [];

/** A word in context for tagging: itself, its suffixes, its shape, and its neighbours. */
function wordFeatures(ws: string[], i: number): string[] {
  const w = ws[i]!;
  const lw = w.toLowerCase();
  const shape = w.replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a').replace(/[0-9]/g, '9').replace(/(.)\1+/g, '$1');
  return [`w=${lw}`, `s2=${lw.slice(-2)}`, `s3=${lw.slice(-3)}`, `shape=${shape}`, `prev=${ws[i - 1]?.toLowerCase() ?? '<s>'}`, `next=${ws[i + 1]?.toLowerCase() ?? '</s>'}`, 'bias'];
}

/** Examples as lists of feature strings, with their labels, for a split. */
function featurize(task: Task, split: 'train' | 'dev'): { features: string[][]; labels: number[] } {
  const features: string[][] = [];
  const labels: number[] = [];
  if (task.kind === 'token') {
    for (const s of task[split]) s.words.forEach((_, i) => { features.push(wordFeatures(s.words, i)); labels.push(s.tags[i]!); });
  } else {
    for (const e of task[split]) {
      const bag = new Set([...words(e.text), ...(e.text2 === null ? [] : words(e.text2).map((w) => `2:${w}`))]);
      features.push([...bag, 'bias']);
      labels.push(e.label);
    }
  }
  return { features, labels };
}

/** A multinomial logistic regression over sparse binary features: W is [features × classes]. */
export interface SoftmaxModel {
  classes: number;
  weights: Float64Array;
}

/** Class probabilities of one example (its active feature indices). */
export function predictProbabilities(model: SoftmaxModel, active: ArrayLike<number>): Float64Array {
  const z = new Float64Array(model.classes);
  for (let j = 0; j < active.length; j++) {
    const row = active[j]! * model.classes;
    for (let c = 0; c < model.classes; c++) z[c]! += model.weights[row + c]!;
  }
  const max = Math.max(...z);
  let sum = 0;
  for (let c = 0; c < model.classes; c++) sum += z[c] = Math.exp(z[c]! - max);
  for (let c = 0; c < model.classes; c++) z[c]! /= sum;
  return z;
}

/**
 * Mean cross-entropy of a batch plus (l2 / 2)·|W|², and its gradient (dense, same layout as W).
 * Exported so the test can check it against finite differences.
 */
export function lossAndGradient(model: SoftmaxModel, batch: { active: ArrayLike<number>; label: number }[], l2: number): { loss: number; gradient: Float64Array } {
  const gradient = new Float64Array(model.weights.length);
  let loss = 0;
  for (const { active, label } of batch) {
    const p = predictProbabilities(model, active);
    loss -= Math.log(Math.max(p[label]!, 1e-300));
    for (let j = 0; j < active.length; j++) {
      const row = active[j]! * model.classes;
      for (let c = 0; c < model.classes; c++) gradient[row + c]! += (p[c]! - (c === label ? 1 : 0)) / batch.length;
    }
  }
  let norm = 0;
  for (let i = 0; i < model.weights.length; i++) {
    norm += model.weights[i]! ** 2;
    gradient[i]! += l2 * model.weights[i]!;
  }
  return { loss: loss / batch.length + (l2 / 2) * norm, gradient };
}

/** Trains the logistic regression on the train split (features seen at least twice) and scores the dev split. */
export function logisticRegressionBaseline(task: Task, seed: number, options = { epochs: 8, batchSize: 32, learningRate: 0.5, l2: 1e-5 }): ClassificationMetrics & { features: number } {
  const train = featurize(task, 'train');
  const dev = featurize(task, 'dev');
  const counts = new Map<string, number>();
  for (const f of train.features) for (const name of f) counts.set(name, (counts.get(name) ?? 0) + 1);
  const index = new Map<string, number>();
  for (const [name, n] of counts) if (n >= 2 || name === 'bias') index.set(name, index.size);
  const encode = (f: string[]) => Int32Array.from(f.map((name) => index.get(name)).filter((i): i is number => i !== undefined));
  const examples = train.features.map((f, i) => ({ active: encode(f), label: train.labels[i]! }));
  const classes = task.labels.length;
  const model: SoftmaxModel = { classes, weights: new Float64Array(index.size * classes) };
  const rng = createRng(seed);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = examples.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const lr = options.learningRate / (1 + epoch);
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize).map((i) => examples[i]!);
      // Sparse update: only the rows of active features change, plus the L2 shrink applied lazily as a
      // scale on those rows (the dense L2 term of lossAndGradient, restricted to what this batch touches).
      const touched = new Set<number>();
      const step = new Map<number, Float64Array>();
      for (const { active, label } of batch) {
        const p = predictProbabilities(model, active);
        for (let j = 0; j < active.length; j++) {
          const f = active[j]!;
          touched.add(f);
          let g = step.get(f);
          if (!g) step.set(f, (g = new Float64Array(classes)));
          for (let c = 0; c < classes; c++) g[c]! += (p[c]! - (c === label ? 1 : 0)) / batch.length;
        }
      }
      for (const f of touched) {
        const g = step.get(f)!;
        for (let c = 0; c < classes; c++) model.weights[f * classes + c]! -= lr * (g[c]! + options.l2 * model.weights[f * classes + c]!);
      }
    }
  }
  const predicted = dev.features.map((f) => {
    const p = predictProbabilities(model, encode(f));
    return p.indexOf(Math.max(...p));
  });
  return { ...classificationMetrics(predicted, dev.labels, classes), features: index.size };
}

/**
 * The task as a PLM that reads `seqLen` word pieces sees it: every split truncated exactly as the
 * trainer's encoding truncates it, then turned back into text (sequence tasks: the kept pieces of each
 * segment joined as the tokenizer decodes them) or into the kept words (tagging: the words whose first
 * piece fits; their tags only). A lexical baseline on this task sees the same input as the PLM runs.
 */
export function truncateToModelInput(task: Task, tokenizer: Tokenizer, seqLen: number): Task {
  const special = tokenizer.specialIds;
  const segments = (ids: readonly number[]) => {
    const out: number[][] = [];
    let current: number[] | null = null;
    for (const id of ids) {
      if (special.has(id)) current = null;
      else {
        if (current === null) out.push((current = []));
        current.push(id);
      }
    }
    return out.map((s) => tokenizer.tokensToString(convertIdsToTokens(tokenizer, s)));
  };
  if (task.kind === 'token') {
    const cut = (s: TaggedSentence): TaggedSentence => {
      const kept = encodeWords(tokenizer, s.words, { maxLength: seqLen, truncation: true }).firstPieceIndex.filter((p) => p >= 0).length;
      return { words: s.words.slice(0, kept), tags: s.tags.slice(0, kept) };
    };
    return { ...task, train: task.train.map(cut), dev: task.dev.map(cut), test: task.test.map(cut) };
  }
  const cut = (e: SentenceExample): SentenceExample => {
    const [text = '', text2 = ''] = segments(encode(tokenizer, e.text, e.text2, { maxLength: seqLen, truncation: true }).inputIds);
    return { text, text2: e.text2 === null ? null : text2, label: e.label };
  };
  return { ...task, train: task.train.map(cut), dev: task.dev.map(cut), test: task.test.map(cut) };
}
