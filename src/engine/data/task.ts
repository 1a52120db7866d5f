// What a task is to the engine: labelled examples in fixed splits, and how they become tensors.
// Two kinds: sentence(-pair) classification ('sequence': one label per example) and token
// classification ('token': one tag per word, put on the word's first word piece).
import * as tf from '@tensorflow/tfjs';
import { alignLabels, encode, encodeWords, padBatch, type Tokenizer } from '../tokenizers';
import { SETTINGS } from '../settings';

/** The label that the loss and the metrics skip: non-first word pieces, `[CLS]`, `[SEP]` and padding. */
export const IGNORE_INDEX = -100;

/**
 * The default seed that splits a task whose file has no dev split (an upload's dev cut, the toy task's
 * sentences): the `splitSeed` setting's default, separate from the training seed, so the page and the
 * CLI split the same file the same way and runs with different training seeds share the split.
 */
export const TASK_SPLIT_SEED = SETTINGS.splitSeed.default;

/** One labelled sentence or sentence pair. */
export interface SentenceExample {
  text: string;
  text2: string | null;
  label: number;
}

/** One sentence split into words, with one tag (an index into the task's labels) per word. */
export interface TaggedSentence {
  words: string[];
  tags: number[];
}

/** What a task's card states: where the data comes from, under which licence, how it was cut, and its sizes. */
export interface TaskCard {
  title: string;
  description: string;
  /** Where the raw data comes from (package, version, files). */
  source: string;
  licence: string;
  /** How the text was cleaned, sampled and labelled, one step per entry. */
  preparation: string[];
  /** How the splits were made (seed, fractions, unit of splitting). */
  splits: string;
  /** Whether the default PLM saw this text during pretraining, and how much of it. */
  pretrainingOverlap: string;
  sizes: { train: number; dev: number; test: number };
  /** Per split, the count of each label (aligned with `labels`); for tagging, counts of words. */
  labelCounts: { train: number[]; dev: number[]; test: number[] };
}

interface TaskBase {
  name: string;
  labels: string[];
  /** Present on built-in and uploaded tasks; the toy task has none. */
  card?: TaskCard;
}

/** A sentence(-pair) classification task with fixed splits. */
export interface SequenceTask extends TaskBase {
  kind: 'sequence';
  train: SentenceExample[];
  dev: SentenceExample[];
  test: SentenceExample[];
}

/** A token classification (tagging) task with fixed splits. */
export interface TaggingTask extends TaskBase {
  kind: 'token';
  train: TaggedSentence[];
  dev: TaggedSentence[];
  test: TaggedSentence[];
}

/** Any task the trainer can run. */
export type Task = SequenceTask | TaggingTask;

/** A split's name. */
export type SplitName = 'train' | 'dev' | 'test';

/** Per split, how many examples (sequence tasks) or words (tagging tasks) carry each label. */
export function countLabels(task: Task): TaskCard['labelCounts'] {
  const count = (split: SplitName) => {
    const counts = new Array<number>(task.labels.length).fill(0);
    const add = (label: number) => {
      if (!(Number.isInteger(label) && label >= 0 && label < counts.length)) throw new Error(`task ${task.name}: label ${label} in ${split} is outside 0..${counts.length - 1}`);
      counts[label]! += 1;
    };
    if (task.kind === 'token') for (const e of task[split]) e.tags.forEach(add);
    else for (const e of task[split]) add(e.label);
    return counts;
  };
  return { train: count('train'), dev: count('dev'), test: count('test') };
}

/** A split tokenised once, padded to a fixed length so every batch has the same shape. */
export interface EncodedSplit {
  inputIds: Int32Array; // [N, T]
  tokenTypeIds: Int32Array; // [N, T]
  attentionMask: Int32Array; // [N, T]
  /** [N] for sequence tasks; [N, T] (row-major) for tagging, IGNORE_INDEX where no word starts. */
  labels: Int32Array;
  /** True when `labels` has one entry per position ([N, T]) rather than one per example ([N]). */
  labelsPerToken: boolean;
  /** Real (non-padding) tokens per example, for throughput. */
  lengths: Int32Array;
  count: number;
  seqLen: number;
}

function isTagged(examples: readonly SentenceExample[] | readonly TaggedSentence[]): examples is readonly TaggedSentence[] {
  const first = examples[0];
  return first !== undefined && 'words' in first;
}

/**
 * Tokenises a split to `seqLen` positions (truncating longer examples). Tagged sentences are sent to
 * `encodeTaggingSplit`; an empty split reads as a sequence split, so prefer `encodeTaskSplit`, which
 * goes by the task's kind.
 */
export function encodeSplit(tokenizer: Tokenizer, examples: readonly SentenceExample[] | readonly TaggedSentence[], seqLen: number): EncodedSplit {
  if (isTagged(examples)) return encodeTaggingSplit(tokenizer, examples, seqLen);
  const sentences = examples as readonly SentenceExample[];
  const encodings = sentences.map((e) => encode(tokenizer, e.text, e.text2, { maxLength: seqLen, truncation: true }));
  const batch = padBatch(tokenizer, encodings, { length: seqLen });
  return {
    inputIds: batch.inputIds,
    tokenTypeIds: batch.tokenTypeIds,
    attentionMask: batch.attentionMask,
    labels: Int32Array.from(sentences, (e) => e.label),
    labelsPerToken: false,
    lengths: Int32Array.from(encodings, (e) => e.inputIds.length),
    count: sentences.length,
    seqLen,
  };
}

/**
 * Tokenises tagged sentences word by word (Hugging Face's `is_split_into_words`) to `seqLen`
 * positions: each word's tag goes on its first word piece, IGNORE_INDEX on its other pieces, on the
 * special tokens and on padding. Words cut off by truncation lose their tags.
 */
export function encodeTaggingSplit(tokenizer: Tokenizer, examples: readonly TaggedSentence[], seqLen: number): EncodedSplit {
  const encodings = examples.map((e, i) => {
    if (e.words.length !== e.tags.length) throw new Error(`encodeTaggingSplit: example ${i} has ${e.words.length} words but ${e.tags.length} tags`);
    return encodeWords(tokenizer, e.words, { maxLength: seqLen, truncation: true });
  });
  const rowLabels = encodings.map((enc, i) => alignLabels(enc, examples[i]!.tags, IGNORE_INDEX));
  const batch = padBatch(tokenizer, encodings, { length: seqLen, labels: rowLabels, ignoreIndex: IGNORE_INDEX });
  return {
    inputIds: batch.inputIds,
    tokenTypeIds: batch.tokenTypeIds,
    attentionMask: batch.attentionMask,
    labels: batch.labels!, // [N, T]
    labelsPerToken: true,
    lengths: Int32Array.from(encodings, (e) => e.inputIds.length),
    count: examples.length,
    seqLen,
  };
}

/** Encodes one split of a task the way its kind asks for. */
export function encodeTaskSplit(tokenizer: Tokenizer, task: Task, split: SplitName, seqLen: number): EncodedSplit {
  return task.kind === 'token' ? encodeTaggingSplit(tokenizer, task[split], seqLen) : encodeSplit(tokenizer, task[split], seqLen);
}

/** A batch as tensors (int32). */
export interface Batch {
  inputIds: tf.Tensor2D; // [B, T]
  tokenTypeIds: tf.Tensor2D; // [B, T]
  attentionMask: tf.Tensor2D; // [B, T]
  /** [B] for sequence splits; [B·T] for tagging splits (IGNORE_INDEX where unlabelled). */
  labels: tf.Tensor1D;
  /** Tagging splits only: [B·T] float32, 1 where a label counts and 0 where it is IGNORE_INDEX (the loss weights). */
  weights?: tf.Tensor1D;
  /** Real (non-padding) tokens in the batch. */
  tokens: number;
}

/** The rows `indices` of a split as tensors, plus their real token count. */
export function gatherBatch(split: EncodedSplit, indices: readonly number[]): Batch {
  const T = split.seqLen;
  const takeRows = (source: Int32Array) => {
    const out = new Int32Array(indices.length * T);
    indices.forEach((row, i) => out.set(source.subarray(row * T, (row + 1) * T), i * T));
    return out;
  };
  const shape: [number, number] = [indices.length, T];
  const common = {
    inputIds: tf.tensor2d(takeRows(split.inputIds), shape, 'int32'),
    tokenTypeIds: tf.tensor2d(takeRows(split.tokenTypeIds), shape, 'int32'),
    attentionMask: tf.tensor2d(takeRows(split.attentionMask), shape, 'int32'),
    tokens: indices.reduce((sum, i) => sum + split.lengths[i]!, 0),
  };
  if (!split.labelsPerToken) return { ...common, labels: tf.tensor1d(Int32Array.from(indices, (i) => split.labels[i]!), 'int32') };
  const labels = takeRows(split.labels); // [B·T], row-major like the token head's logits
  const weights = Float32Array.from(labels, (l) => (l === IGNORE_INDEX ? 0 : 1));
  return { ...common, labels: tf.tensor1d(labels, 'int32'), weights: tf.tensor1d(weights, 'float32') };
}
