// The other families end to end in the engine: each tiny fixture folder (RoBERTa with its byte-level
// BPE files, DistilBERT and ELECTRA with vocab.txt, BERT without the `bert.` prefix) loads as a Plm,
// encodes sentences and pairs with its own framing, trains a few pruned steps with an adapter and
// exports to its library under its own names; a folder that cannot load says why and leaves no tensor.
// The encoder's numbers are checked against PyTorch in bert.test.ts, the tokenizers in tokenizers/.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReadModelFile } from './checkpoint';
import { mergeSettings, resolveRun } from './config';
import { toyTask } from './data/toy';
import { exportForLibrary } from './interop';
import { disposePlm, encodeText, loadPlm } from './plm';
import { parseSafetensors } from './safetensors';
import { runSparseAdapter } from './train';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A folder reader over a fixture directory, with files overridden (undefined: absent). */
function fixture(name: string, overrides: Record<string, string | undefined> = {}): ReadModelFile {
  return async (file) => {
    if (file in overrides) {
      const text = overrides[file];
      return text === undefined ? null : new TextEncoder().encode(text);
    }
    try {
      return new Uint8Array(await readFile(join(FIXTURES, name, file)));
    } catch {
      return null;
    }
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loadPlm on each family', () => {
  it('RoBERTa: byte-level BPE, <s> A </s></s> B </s> with token types all 0, 64 positions after the offset', async () => {
    const plm = await loadPlm(fixture('tiny-roberta'), 'tiny-roberta');
    try {
      expect(plm.summary).toMatchObject({ modelType: 'roberta', architecture: 'RoBERTa', tokenizerKind: 'byte-level-bpe', layers: 2, hiddenSize: 32, maxPositions: 64, vocabSize: 961 });
      expect(plm.summary.ignoredTensors).toHaveLength(4); // RobertaForSequenceClassification's classifier
      const pair = await encodeText(plm, 'The cat sat.', 'It was late.');
      expect(pair.tokens[0]).toBe('<s>');
      expect(pair.tokens.filter((t) => t === '</s>')).toHaveLength(3);
      expect(pair.tokens.at(-1)).toBe('</s>');
      const sep = pair.tokens.indexOf('</s>');
      expect(pair.tokens[sep + 1]).toBe('</s>');
      expect(new Set(pair.tokenTypeIds)).toEqual(new Set([0]));
      expect(pair.lastHiddenState[0]).toHaveLength(32);
      // Truncation keeps within the 64 usable positions (position ids 2 … 65 of the 66-row table).
      const long = await encodeText(plm, 'word '.repeat(200), null);
      expect(long.inputIds).toHaveLength(64);
    } finally {
      disposePlm(plm);
    }
  });

  it('DistilBERT and ELECTRA: WordPiece [CLS] A [SEP] B [SEP]; BERT without the bert. prefix', async () => {
    for (const [name, modelType] of [['tiny-distilbert', 'distilbert'], ['tiny-electra', 'electra'], ['tiny-bert', 'bert']] as const) {
      const plm = await loadPlm(fixture(name), name);
      try {
        expect(plm.summary).toMatchObject({ modelType, tokenizerKind: 'wordpiece', layers: 2, hiddenSize: 32 });
        const pair = await encodeText(plm, 'the jury said', 'it was late');
        expect(pair.tokens[0]).toBe('[CLS]');
        expect(pair.tokens.filter((t) => t === '[SEP]')).toHaveLength(2);
        expect(pair.lastHiddenState.every((h) => h.length === 32 && h.every(Number.isFinite))).toBe(true);
      } finally {
        disposePlm(plm);
      }
    }
  });
});

describe('a folder that cannot load', () => {
  it('names the problem and allocates nothing: T5, GPT-2, a RoBERTa without its BPE files, a vocabulary past the embedding', async () => {
    const before = tf.memory().numTensors;
    const config = JSON.parse(await readFile(join(FIXTURES, 'tiny-roberta', 'config.json'), 'utf8')) as Record<string, unknown>;
    const fails = async (read: ReadModelFile) => {
      try {
        await loadPlm(read, 'x');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected the load to fail');
    };
    expect(await fails(fixture('tiny-roberta', { 'config.json': JSON.stringify({ ...config, model_type: 't5', architectures: ['T5ForConditionalGeneration'] }) }))).toMatch(/^config\.json: model_type is "t5": T5 is an encoder-decoder model, out of scope here/);
    expect(await fails(fixture('tiny-roberta', { 'config.json': JSON.stringify({ ...config, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }) }))).toMatch(/^config\.json: model_type is "gpt2": GPT-2 is a decoder-only model/);
    expect(await fails(fixture('tiny-roberta', { 'tokenizer.json': undefined, 'merges.txt': undefined }))).toMatch(/^merges\.txt: is missing/);
    expect(await fails(fixture('tiny-roberta', { 'config.json': JSON.stringify({ ...config, vocab_size: 900 }) }))).toMatch(/config\.json's vocab_size is 900/);
    expect(await fails(fixture('tiny-distilbert', { 'model.safetensors': undefined }))).toMatch(/^model\.safetensors: is missing/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('training and exporting on each family', () => {
  const task = toyTask(1, { train: 32, dev: 16, test: 0 });
  const run = (kind: 'lora' | 'houlsby') => resolveRun(mergeSettings({ adapter: { kind, dim: 4 }, prune: { sparsity: 0.5, pruner: 'snip' }, train: { steps: 3, batchSize: 8, seqLen: 16, evalEvery: 0 } }));
  for (const [name, prefix, q] of [['tiny-roberta', 'base_model.model.roberta.encoder.layer.0.attention.self', 'query'], ['tiny-distilbert', 'base_model.model.distilbert.transformer.layer.0.attention', 'q_lin'], ['tiny-electra', 'base_model.model.electra.encoder.layer.0.attention.self', 'query']] as const) {
    it(`${name}: SNIP-pruned LoRA trains 3 steps and exports to PEFT under ${prefix}.${q}`, async () => {
      const plm = await loadPlm(fixture(name), name);
      try {
        const result = await runSparseAdapter(plm, task, run('lora'), () => {});
        try {
          expect(result.losses).toHaveLength(3);
          expect(result.losses.every(Number.isFinite)).toBe(true);
          const files = await exportForLibrary(result.adapters, result.head, result.masks, { modelName: name, adapterName: 'lora_toy', labels: task.labels, hiddenSize: 32, modelType: plm.model.config.modelType });
          const names = [...parseSafetensors(files.find((f) => f.name === 'adapter_model.safetensors')!.data).tensors.keys()];
          expect(names).toContain(`${prefix}.${q}.lora_A.weight`);
          const masks = parseSafetensors(files.find((f) => f.name === 'sparsity_masks.safetensors')!.data);
          const kept = [...masks.tensors.keys()].reduce((sum, n) => sum + masks.readBytes(n).reduce((s, x) => s + x, 0), 0);
          const total = [...masks.tensors.values()].reduce((sum, info) => sum + info.shape.reduce((a, b) => a * b, 1), 0);
          expect(kept / total).toBeCloseTo(0.5, 2);
        } finally {
          result.dispose();
        }
      } finally {
        disposePlm(plm);
      }
    });
  }
});
