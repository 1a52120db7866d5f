// Parity with PyTorch: the TypeScript encoder on tfjs's cpu backend reproduces the hidden states
// of an independent PyTorch BERT (scripts/pretrain/bert_torch.py, numerically Hugging Face's
// BertModel) on the same weights, stored as F32, F16 and BF16. Tolerance: max |Δ| ≤ 1e-4.
// Regenerate the fixtures with: /usr/bin/python3 scripts/pretrain/make_fixtures.py
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { forwardEncoder, type BertModel, type EncoderInput } from './bert';
import { bertFromSafetensors, parseBertConfig } from './checkpoint';
import { parseSafetensors } from './safetensors';

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
