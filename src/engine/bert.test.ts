// Parity with PyTorch: the TypeScript encoder on tfjs's cpu backend reproduces the hidden states
// of an independent PyTorch BERT (scripts/pretrain/bert_torch.py, numerically Hugging Face's
// BertModel) on the same weights, stored as F32, F16 and BF16, and those of independent PyTorch
// RoBERTa, DistilBERT and ELECTRA forwards (scripts/fixtures/make_arch_fixtures.py) on tiny random
// checkpoints with their task models' names. Tolerance: max |Δ| ≤ 1e-4.
// Regenerate the fixtures with: /usr/bin/python3 scripts/pretrain/make_fixtures.py and
// /usr/bin/python3 scripts/fixtures/make_arch_fixtures.py
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeBert, forwardEncoder, type BertModel, type EncoderInput } from './bert';
import { bertFromSafetensors, parseBertConfig } from './checkpoint';
import { parseSafetensors, writeSafetensors, type SafetensorsFile } from './safetensors';

const DIR = join(__dirname, 'fixtures', 'tiny-bert');
type Nested = number | Nested[];
interface Expected {
  inputs: { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][] };
  outputs: Record<'f32' | 'f16' | 'bf16', { last_hidden_state: number[][][]; hidden_states: number[][][][]; pooler_output: number[][] }>;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;
const FILES = { f32: 'model.safetensors', f16: 'model.f16.safetensors', bf16: 'model.bf16.safetensors' } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function load(file: string): BertModel {
  const config = parseBertConfig(readFileSync(join(DIR, 'config.json'), 'utf8'));
  return bertFromSafetensors(config, parseSafetensors(new Uint8Array(readFileSync(join(DIR, file))), file)).model;
}

function maxAbsDiff(a: Nested, b: Nested): number {
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a !== 'number' || typeof b !== 'number') return Infinity;
    return Math.abs(a - b);
  }
  if (a.length !== b.length) return Infinity;
  return a.reduce<number>((m, x, i) => Math.max(m, maxAbsDiff(x, b[i]!)), 0);
}

function input(): EncoderInput {
  const { input_ids, token_type_ids, attention_mask } = expected.inputs;
  return { inputIds: tf.tensor2d(input_ids, undefined, 'int32'), tokenTypeIds: tf.tensor2d(token_type_ids, undefined, 'int32'), attentionMask: tf.tensor2d(attention_mask, undefined, 'int32') };
}

describe('forwardEncoder matches PyTorch', () => {
  for (const dtype of ['f32', 'f16', 'bf16'] as const) {
    it(`on ${dtype} weights: every hidden state and the pooler within 1e-4`, () => {
      const model = load(FILES[dtype]);
      const reference = expected.outputs[dtype];
      const out = forwardEncoder(model, input(), { outputHiddenStates: true, pool: true });
      expect(out.hiddenStates).toHaveLength(reference.hidden_states.length);
      const errors = {
        last: maxAbsDiff(out.lastHiddenState.arraySync(), reference.last_hidden_state),
        layers: Math.max(...out.hiddenStates!.map((h, i) => maxAbsDiff(h.arraySync(), reference.hidden_states[i]!))),
        pooler: maxAbsDiff(out.pooled!.arraySync(), reference.pooler_output),
      };
      expect(errors.last).toBeLessThanOrEqual(1e-4);
      expect(errors.layers).toBeLessThanOrEqual(1e-4);
      expect(errors.pooler).toBeLessThanOrEqual(1e-4);
    });
  }

  it('ignores padded positions: changing a padded token does not change the real tokens', () => {
    const model = load(FILES.f32);
    const ids = expected.inputs.input_ids.map((row) => [...row]);
    const mask = expected.inputs.attention_mask;
    const padded = mask[1]!.indexOf(0);
    expect(padded).toBeGreaterThan(0);
    ids[1]![padded] = 5;
    const a = forwardEncoder(model, input()).lastHiddenState.arraySync()[1]!.slice(0, padded);
    const changed = { ...input(), inputIds: tf.tensor2d(ids, undefined, 'int32') };
    const b = forwardEncoder(model, changed).lastHiddenState.arraySync()[1]!.slice(0, padded);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
  });

  it('hooks that do nothing leave the output unchanged, and frees every intermediate under tidy', () => {
    const model = load(FILES.f32);
    const plain = forwardEncoder(model, input()).lastHiddenState.arraySync();
    const before = tf.memory().numTensors;
    const hooked = tf.tidy(() => forwardEncoder(model, input(), {
      hooks: {
        projection: (_layer, _which, _x, y) => y,
        block: (_layer, _site, output, residual, norm) => norm(tf.add(output, residual)),
        prefix: () => null,
      },
    }).lastHiddenState);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(maxAbsDiff(hooked.arraySync(), plain)).toBe(0);
  });
});

interface ArchExpected {
  inputs: { input_ids: number[][]; token_type_ids: number[][]; attention_mask: number[][] };
  hidden_states: number[][][][];
}

/** A fixture folder's config and weights; `rename` rewrites every tensor name (e.g. to drop the prefix). */
function loadArch(name: string, rename?: (tensor: string) => string): { model: BertModel; ignored: string[]; expected: ArchExpected } {
  const dir = join(__dirname, 'fixtures', name);
  const config = parseBertConfig(readFileSync(join(dir, 'config.json'), 'utf8'));
  let weights: SafetensorsFile = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'model.safetensors');
  if (rename) {
    const renamed = [...weights.tensors].map(([n, info]) => ({ name: rename(n), shape: info.shape, data: weights.readFloat32(n) }));
    weights = parseSafetensors(writeSafetensors(renamed), 'model.safetensors');
  }
  const { model, ignoredTensors } = bertFromSafetensors(config, weights);
  return { model, ignored: ignoredTensors, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ArchExpected };
}

function archInput(e: ArchExpected): EncoderInput {
  const { input_ids, token_type_ids, attention_mask } = e.inputs;
  return { inputIds: tf.tensor2d(input_ids, undefined, 'int32'), tokenTypeIds: tf.tensor2d(token_type_ids, undefined, 'int32'), attentionMask: tf.tensor2d(attention_mask, undefined, 'int32') };
}

/** Max |Δ| over the embedding output and every layer's output. */
function hiddenStateError(model: BertModel, expected: ArchExpected): number {
  return tf.tidy(() => {
    const out = forwardEncoder(model, archInput(expected), { outputHiddenStates: true });
    expect(out.hiddenStates).toHaveLength(expected.hidden_states.length);
    return Math.max(...out.hiddenStates!.map((h, i) => maxAbsDiff(h.arraySync(), expected.hidden_states[i]!)));
  });
}

describe('the other architectures match their PyTorch forwards', () => {
  const cases = [
    { name: 'tiny-roberta', prefix: 'roberta.', heads: ['classifier.dense.bias', 'classifier.dense.weight', 'classifier.out_proj.bias', 'classifier.out_proj.weight'] },
    { name: 'tiny-distilbert', prefix: 'distilbert.', heads: ['vocab_layer_norm.bias', 'vocab_layer_norm.weight', 'vocab_projector.bias', 'vocab_transform.bias', 'vocab_transform.weight'] },
    { name: 'tiny-electra', prefix: 'electra.', heads: ['discriminator_predictions.dense.bias', 'discriminator_predictions.dense.weight', 'discriminator_predictions.dense_prediction.bias', 'discriminator_predictions.dense_prediction.weight'] },
  ];
  for (const c of cases) {
    it(`${c.name} (${c.prefix}* names): every hidden state within 1e-4 for single sentences and pairs, the head skipped`, () => {
      const { model, ignored, expected } = loadArch(c.name);
      expect(hiddenStateError(model, expected)).toBeLessThanOrEqual(1e-4);
      expect([...ignored].sort()).toEqual(c.heads);
      disposeBert(model);
    });
    it(`${c.name} without the ${c.prefix} prefix (a base model's file) loads the same encoder`, () => {
      const { model, expected } = loadArch(c.name, (n) => n.replace(c.prefix, ''));
      expect(hiddenStateError(model, expected)).toBeLessThanOrEqual(1e-4);
      disposeBert(model);
    });
  }

  it('RoBERTa: positions count only real tokens, so a row padded with <pad> gives its real tokens the unpadded values', () => {
    const { model, expected } = loadArch('tiny-roberta');
    const row = expected.inputs.input_ids[1]!;
    const real = expected.inputs.attention_mask[1]!.filter((m) => m === 1).length;
    expect(real).toBeLessThan(row.length);
    const alone = tf.tidy(() => {
      const ids = tf.tensor2d([row.slice(0, real)], undefined, 'int32');
      return forwardEncoder(model, { inputIds: ids, tokenTypeIds: tf.zerosLike(ids), attentionMask: tf.onesLike(ids) }).lastHiddenState.arraySync()[0]!;
    });
    expect(maxAbsDiff(alone, expected.hidden_states.at(-1)![1]!.slice(0, real))).toBeLessThanOrEqual(1e-4);
    // Token types other than 0 (a BERT-style pair) change nothing: RoBERTa has one type.
    const typed = tf.tidy(() => {
      const input = archInput(expected);
      return forwardEncoder(model, { ...input, tokenTypeIds: tf.onesLike(input.tokenTypeIds) }).lastHiddenState.arraySync();
    });
    expect(maxAbsDiff(typed, expected.hidden_states.at(-1)!)).toBeLessThanOrEqual(1e-4);
    disposeBert(model);
  });

  it('configs: RoBERTa takes max_position_embeddings − pad − 1 tokens, DistilBERT has no token types, ELECTRA projects 16 → 32', () => {
    const read = (name: string) => parseBertConfig(readFileSync(join(__dirname, 'fixtures', name, 'config.json'), 'utf8'));
    expect(read('tiny-roberta')).toMatchObject({ modelType: 'roberta', maxPositions: 64, positionRows: 66, positionIds: 'padding-offset', typeVocabSize: 1, padTokenId: 1, layerNormEps: 1e-5 });
    expect(read('tiny-distilbert')).toMatchObject({ modelType: 'distilbert', hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64, typeVocabSize: 0, hiddenAct: 'gelu', layerNormEps: 1e-12 });
    expect(read('tiny-electra')).toMatchObject({ modelType: 'electra', embeddingSize: 16, hiddenSize: 32 });
  });
});
