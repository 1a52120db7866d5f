// The PLM-free baselines: majority on hand-counted data, the logistic regression's gradient against
// central finite differences, and its fit on data a linear model separates.
import { describe, expect, it } from 'vitest';
import type { SequenceTask, TaggingTask } from '../../engine/data/task';
import { createRng } from '../../engine/random';
import { createTokenizer } from '../../engine/tokenizer';
import { encode } from '../../engine/tokenizers';
import { logisticRegressionBaseline, lossAndGradient, majorityBaseline, truncateToModelInput, words, type SoftmaxModel } from './simple';

const sentences = (rows: [string, number][]) => rows.map(([text, label]) => ({ text, text2: null, label }));

describe('majorityBaseline', () => {
  it('predicts the most frequent training label on the dev split', () => {
    const task: SequenceTask = { name: 't', kind: 'sequence', labels: ['a', 'b', 'c'], train: sentences([['x', 1], ['y', 1], ['z', 0]]), dev: sentences([['x', 1], ['y', 0], ['z', 2], ['w', 1]]), test: [] };
    const m = majorityBaseline(task);
    expect(m.accuracy).toBe(0.5);
    // Class b: precision 2/4, recall 1 → F1 2/3; a and c: 0.
    expect(m.macroF1).toBeCloseTo(2 / 3 / 3, 12);
    expect(m.mcc).toBe(0);
  });

  it('counts words, not sentences, for tagging', () => {
    const task: TaggingTask = { name: 't', kind: 'token', labels: ['N', 'V'], train: [{ words: ['a', 'b', 'c'], tags: [0, 0, 1] }, { words: ['d'], tags: [1] }, { words: ['e'], tags: [1] }], dev: [{ words: ['a', 'b'], tags: [1, 0] }], test: [] };
    // Sentences would say N (1 of 3 … ) — words say V (3 of 5).
    expect(majorityBaseline(task).accuracy).toBe(0.5);
    expect(majorityBaseline(task).confusion).toEqual([[0, 1], [0, 1]]);
  });
});

describe('logistic regression', () => {
  it('has the gradient of its loss (central finite differences)', () => {
    const rng = createRng(3);
    const model: SoftmaxModel = { classes: 3, weights: Float64Array.from({ length: 5 * 3 }, () => rng() - 0.5) };
    const batch = [{ active: [0, 2, 4], label: 1 }, { active: [1, 4], label: 2 }, { active: [3], label: 0 }];
    const { gradient } = lossAndGradient(model, batch, 0.1);
    const h = 1e-6;
    for (let i = 0; i < model.weights.length; i++) {
      const w = model.weights[i]!;
      model.weights[i] = w + h;
      const up = lossAndGradient(model, batch, 0.1).loss;
      model.weights[i] = w - h;
      const down = lossAndGradient(model, batch, 0.1).loss;
      model.weights[i] = w;
      expect(Math.abs((up - down) / (2 * h) - gradient[i]!)).toBeLessThan(1e-7);
    }
  });

  it('separates classes that one word decides, and is the same for the same seed', () => {
    const rng = createRng(1);
    const filler = ['the', 'a', 'of', 'and', 'to', 'in', 'is', 'it'];
    const make = (n: number) => Array.from({ length: n }, () => {
      const label = Math.floor(rng() * 3);
      const text = [...Array.from({ length: 6 }, () => filler[Math.floor(rng() * filler.length)]!), ['red', 'green', 'blue'][label]!].sort(() => rng() - 0.5).join(' ');
      return { text, text2: null, label };
    });
    const task: SequenceTask = { name: 'colours', kind: 'sequence', labels: ['r', 'g', 'b'], train: make(300), dev: make(100), test: [] };
    const a = logisticRegressionBaseline(task, 7);
    expect(a.accuracy).toBe(1);
    expect(logisticRegressionBaseline(task, 7)).toEqual(a);
  });

  it('splits text into lower-cased words and punctuation', () => {
    expect(words("Don't SHOUT, it's 2 o'clock!")).toEqual(["don't", 'shout', ',', "it's", '2', "o'clock", '!']);
  });
});

describe('truncateToModelInput', () => {
  const tok = createTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'sat', 'on', 'mat', '##s', 'a', '.'].join('\n'));

  it('keeps exactly the word pieces the encoding keeps, as text that re-encodes to them', () => {
    const task: SequenceTask = { name: 't', kind: 'sequence', labels: ['a', 'b'], train: sentences([['The cats sat on the mat.', 1]]), dev: [{ text: 'the cat sat', text2: 'on a mat .', label: 0 }], test: sentences([['a cat', 0]]) };
    const cut = truncateToModelInput(task, tok, 6) as SequenceTask;
    // [CLS] the cat ##s sat [SEP]: "cats" stays whole, the rest is cut.
    expect(cut.train[0]).toEqual({ text: 'the cats sat', text2: null, label: 1 });
    // A pair is cut longest first, as the encoding does; what is kept re-encodes to the same ids.
    const pair = encode(tok, 'the cat sat', 'on a mat .', { maxLength: 6, truncation: true }).inputIds;
    expect(encode(tok, cut.dev[0]!.text, cut.dev[0]!.text2, {}).inputIds).toEqual(pair);
    expect(cut.dev[0]!.text2).not.toBeNull();
    // Short examples are unchanged apart from the tokenizer's normalisation.
    expect(cut.test[0]).toEqual({ text: 'a cat', text2: null, label: 0 });
    for (const e of cut.train) expect(encode(tok, e.text, e.text2, {}).inputIds).toEqual(encode(tok, task.train[0]!.text, null, { maxLength: 6, truncation: true }).inputIds);
  });

  it('keeps the tagged words whose first piece fits, with their tags', () => {
    const task: TaggingTask = { name: 't', kind: 'token', labels: ['N', 'V', 'P'], train: [{ words: ['The', 'cats', 'sat', 'on', 'mats'], tags: [0, 0, 1, 2, 0] }], dev: [{ words: ['a', 'cat'], tags: [0, 0] }], test: [] };
    const cut = truncateToModelInput(task, tok, 6) as TaggingTask;
    // [CLS] the cat ##s sat [SEP]
    expect(cut.train[0]).toEqual({ words: ['The', 'cats', 'sat'], tags: [0, 0, 1] });
    expect(cut.dev[0]).toEqual(task.dev[0]);
  });
});
