// Checks how tasks become tensors: word tags land on the first word piece of each word (with the
// fixture vocabulary, where most words split into several pieces), everything else is ignored, and
// batches carry [B] or [B·T] labels. Expected arrays are written out by hand from the pieces.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertIdsToTokens, createTokenizer } from '../tokenizer';
import { countLabels, encodeSplit, encodeTaggingSplit, encodeTaskSplit, gatherBatch, IGNORE_INDEX, type TaggingTask } from './task';
import { toyTask } from './toy';

const tok = createTokenizer(readFileSync(new URL('../fixtures/tokenizer/vocab.txt', import.meta.url), 'utf8'));
const X = IGNORE_INDEX;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('encodeTaggingSplit', () => {
  const sentence = { words: ['The', 'jury', 'said', 'playing', "Atlanta's"], tags: [0, 1, 2, 3, 4] };

  it('puts each tag on the first piece of its word and ignores the other pieces, the specials and padding', () => {
    const split = encodeTaggingSplit(tok, [sentence], 16);
    const pieces = convertIdsToTokens(tok, split.inputIds);
    // The fixture vocabulary splits jury, playing and Atlanta's (whose ' and s are pieces of the same word).
    expect(pieces).toEqual(['[CLS]', 'the', 'ju', '##ry', 'said', 'play', '##ing', 'at', '##l', '##ant', '##a', "'", 's', '[SEP]', '[PAD]', '[PAD]']);
    expect([...split.labels]).toEqual([X, 0, 1, X, 2, 3, X, 4, X, X, X, X, X, X, X, X]);
    expect(split.labelsPerToken).toBe(true);
    expect([...split.attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect([...split.lengths]).toEqual([14]);
  });

  it('drops the tags of words cut off by truncation', () => {
    const split = encodeTaggingSplit(tok, [sentence], 8);
    expect(convertIdsToTokens(tok, split.inputIds)).toEqual(['[CLS]', 'the', 'ju', '##ry', 'said', 'play', '##ing', '[SEP]']);
    expect([...split.labels]).toEqual([X, 0, 1, X, 2, 3, X, X]); // Atlanta's (tag 4) did not fit
  });

  it('lays out several sentences row-major as [N, T]', () => {
    const split = encodeTaggingSplit(tok, [{ words: ['running', 'dog'], tags: [5, 6] }, { words: ['the'], tags: [7] }], 6);
    // run ##ning do ##g | the
    expect([...split.labels]).toEqual([X, 5, X, 6, X, X, X, 7, X, X, X, X]);
    expect(split.count).toBe(2);
  });

  it('rejects a sentence whose words and tags differ in number', () => {
    expect(() => encodeTaggingSplit(tok, [{ words: ['a', 'b'], tags: [0] }], 8)).toThrow(/example 0 has 2 words but 1 tags/);
  });
});

describe('encodeSplit and encodeTaskSplit', () => {
  it('keeps one label per example for sentence tasks', () => {
    const split = encodeSplit(tok, [{ text: 'the jury', text2: null, label: 1 }, { text: 'said', text2: 'the', label: 0 }], 8);
    expect(split.labelsPerToken).toBe(false);
    expect([...split.labels]).toEqual([1, 0]);
  });

  it('goes by the task kind, so an empty tagging split still has per-token labels', () => {
    const task: TaggingTask = { name: 't', kind: 'token', labels: ['A', 'B'], train: [{ words: ['the', 'jury'], tags: [0, 1] }], dev: [], test: [] };
    expect(encodeTaskSplit(tok, task, 'dev', 8).labelsPerToken).toBe(true);
    expect(encodeTaskSplit(tok, task, 'train', 8).labelsPerToken).toBe(true);
    expect(encodeSplit(tok, task.train, 8).labelsPerToken).toBe(true); // tagged examples are recognised too
    expect(encodeTaskSplit(tok, toyTask(1, { train: 3, dev: 2, test: 0 }), 'dev', 8).labelsPerToken).toBe(false);
  });
});

describe('gatherBatch', () => {
  it('gives [B] labels for sentence splits and no weights', () => {
    const split = encodeSplit(tok, [{ text: 'the', text2: null, label: 1 }, { text: 'said', text2: null, label: 0 }, { text: 'jury', text2: null, label: 1 }], 4);
    const batch = gatherBatch(split, [2, 0]);
    expect(batch.labels.shape).toEqual([2]);
    expect([...batch.labels.dataSync()]).toEqual([1, 1]);
    expect(batch.weights).toBeUndefined();
    expect(batch.inputIds.shape).toEqual([2, 4]);
    expect(batch.tokens).toBe(4 + 3); // [CLS] ju ##ry [SEP] and [CLS] the [SEP]
    tf.dispose([batch.inputIds, batch.tokenTypeIds, batch.attentionMask, batch.labels]);
  });

  it('gives [B·T] labels and 0/1 weights for tagging splits, rows in the order asked', () => {
    const split = encodeTaggingSplit(tok, [{ words: ['the'], tags: [3] }, { words: ['jury', 'said'], tags: [1, 2] }], 5);
    const batch = gatherBatch(split, [1, 0]);
    expect(batch.labels.shape).toEqual([10]);
    expect([...batch.labels.dataSync()]).toEqual([X, 1, X, 2, X, X, 3, X, X, X]); // [CLS] ju ##ry said [SEP] | [CLS] the [SEP] [PAD] [PAD]
    expect([...batch.weights!.dataSync()]).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 0, 0]);
    expect(batch.tokens).toBe(5 + 3);
    tf.dispose([batch.inputIds, batch.tokenTypeIds, batch.attentionMask, batch.labels, batch.weights!]);
  });
});

describe('countLabels', () => {
  it('counts examples per label, or words per tag', () => {
    const toy = toyTask(3, { train: 20, dev: 10, test: 0 });
    const counts = countLabels(toy);
    expect(counts.train.reduce((a, b) => a + b, 0)).toBe(20);
    expect(counts.train[1]).toBe(toy.train.filter((e) => e.label === 1).length);
    expect(counts.test).toEqual([0, 0]);
    const tagging: TaggingTask = { name: 't', kind: 'token', labels: ['A', 'B', 'C'], train: [{ words: ['x', 'y', 'z'], tags: [0, 2, 2] }], dev: [], test: [] };
    expect(countLabels(tagging).train).toEqual([1, 0, 2]);
    expect(() => countLabels({ ...tagging, train: [{ words: ['x'], tags: [3] }] })).toThrow(/label 3 in train is outside 0..2/);
  });
});
