// What a task is to the engine: labelled examples in splits, and how they become tensors.
// Sentence(-pair) classification for now; token classification joins with the tagging task.
import * as tf from '@tensorflow/tfjs';
import { encode, padBatch, type WordPieceTokenizer } from '../tokenizer';

/** One labelled sentence or sentence pair. */
export interface SentenceExample {
  text: string;
  text2: string | null;
  label: number;
}

/** A classification task with fixed splits. */
export interface Task {
  name: string;
  kind: 'sequence';
  labels: string[];
  train: SentenceExample[];
  dev: SentenceExample[];
  test: SentenceExample[];
}

/** A split tokenised once, padded to a fixed length so every batch has the same shape. */
export interface EncodedSplit {
  inputIds: Int32Array; // [N, T]
  tokenTypeIds: Int32Array; // [N, T]
  attentionMask: Int32Array; // [N, T]
  labels: Int32Array; // [N]
  /** Real (non-padding) tokens per example, for throughput. */
  lengths: Int32Array;
  count: number;
  seqLen: number;
}

/** Tokenises a split to `seqLen` positions (truncating longer examples). */
export function encodeSplit(tokenizer: WordPieceTokenizer, examples: readonly SentenceExample[], seqLen: number): EncodedSplit {
  const encodings = examples.map((e) => encode(tokenizer, e.text, e.text2, { maxLength: seqLen, truncation: true }));
  const batch = padBatch(tokenizer, encodings, { length: seqLen });
  return {
    inputIds: batch.inputIds,
    tokenTypeIds: batch.tokenTypeIds,
    attentionMask: batch.attentionMask,
    labels: Int32Array.from(examples, (e) => e.label),
    lengths: Int32Array.from(encodings, (e) => e.inputIds.length),
    count: examples.length,
    seqLen,
  };
}

/** The rows `indices` of a split as tensors (int32), plus their real token count. */
export function gatherBatch(split: EncodedSplit, indices: readonly number[]): { inputIds: tf.Tensor2D; tokenTypeIds: tf.Tensor2D; attentionMask: tf.Tensor2D; labels: tf.Tensor1D; tokens: number } {
  const T = split.seqLen;
  const take = (source: Int32Array) => {
    const out = new Int32Array(indices.length * T);
    indices.forEach((row, i) => out.set(source.subarray(row * T, (row + 1) * T), i * T));
    return tf.tensor2d(out, [indices.length, T], 'int32');
  };
  return {
    inputIds: take(split.inputIds),
    tokenTypeIds: take(split.tokenTypeIds),
    attentionMask: take(split.attentionMask),
    labels: tf.tensor1d(Int32Array.from(indices, (i) => split.labels[i]!), 'int32'),
    tokens: indices.reduce((sum, i) => sum + split.lengths[i]!, 0),
  };
}
