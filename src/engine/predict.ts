// "Try it": a trained adapter on one input. Sentence tasks give a probability per label; tagging
// tasks give each word's most likely tag (read on its first word piece) with its probability.
import * as tf from '@tensorflow/tfjs';
import { forwardEncoder } from './bert';
import type { Plm } from './plm';
import { encode, encodeWords } from './tokenizers';
import type { RunResult } from './train';

/** The prediction for one input. */
export type Prediction =
  | { kind: 'sequence'; labels: string[]; probabilities: number[] }
  | { kind: 'token'; words: string[]; tags: string[]; probabilities: number[] };

/** Runs the trained adapter and head of `run` on `text` (and `text2` for pair tasks). */
export async function predict(plm: Plm, run: Pick<RunResult, 'adapters' | 'head' | 'masks'>, labels: string[], text: string, text2: string | null): Promise<Prediction> {
  const { head } = run;
  const maxLength = plm.model.config.maxPositions;
  const words = text.split(/\s+/).filter(Boolean);
  const wordEncoding = head.kind === 'token' ? encodeWords(plm.tokenizer, words, { maxLength }) : null;
  const encoding = wordEncoding ?? encode(plm.tokenizer, text, text2, { maxLength });
  const probs = tf.tidy(() => {
    const row = (v: number[]) => tf.tensor2d([v], [1, v.length], 'int32');
    const input = { inputIds: row(encoding.inputIds), tokenTypeIds: row(encoding.tokenTypeIds), attentionMask: row(encoding.attentionMask) };
    const hidden = forwardEncoder(plm.model, input, { hooks: run.adapters.hooks(run.masks) }).lastHiddenState; // [1, T, H]
    return tf.softmax(head.apply(hidden), -1); // [1, C] or [T, C]
  });
  const values = (await probs.array()) as number[][];
  probs.dispose();
  if (head.kind === 'sequence') return { kind: 'sequence', labels, probabilities: values[0]! };
  const tags: string[] = [];
  const probabilities: number[] = [];
  (wordEncoding?.firstPieceIndex ?? []).forEach((position) => {
    const row = position >= 0 ? values[position]! : null;
    const best = row ? row.indexOf(Math.max(...row)) : -1;
    tags.push(best >= 0 ? labels[best]! : '(truncated)');
    probabilities.push(row ? row[best]! : 0);
  });
  return { kind: 'token', words, tags, probabilities };
}
