// The shipped default model: it loads through the same code as any Hugging Face folder, its
// parameter count is what its card says, and an adapter on it learns the toy task (which the tiny
// random fixture cannot: the pretraining is what makes the representations useful).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeSettings, resolveRun } from './config';
import { toyTask } from './data/toy';
import { loadPlm, type Plm } from './plm';
import { runSparseAdapter } from './train';

const DIR = join(__dirname, '..', '..', 'public', 'models', 'default');
let plm: Plm;

beforeAll(async () => {
  // The wasm backend: the same numerics as cpu here, about 10× faster for a model of this size.
  await tf.setBackend('wasm');
  plm = await loadPlm(async (name) => {
    try {
      return new Uint8Array(await readFile(join(DIR, name)));
    } catch {
      return null;
    }
  }, 'default');
});

describe('the default model', () => {
  it('has the parameter count its model card states: the encoder plus the masked-LM head it skips', () => {
    const card = readFileSync(join(DIR, 'MODEL_CARD.md'), 'utf8');
    const stated = Number(/exact parameter count[^*]*\*\*([\d,]+)\*\*/.exec(card)?.[1]?.replace(/,/g, ''));
    const { hiddenSize: H, vocabSize: V } = { hiddenSize: plm.summary.hiddenSize, vocabSize: plm.model.config.vocabSize };
    const mlmHead = H * H + H + 2 * H + V; // transform dense, transform LayerNorm, output bias (decoder tied)
    expect(stated).toBe(plm.summary.parameters + mlmHead);
    expect(plm.summary.ignoredTensors.every((name) => name.startsWith('cls.'))).toBe(true);
  });

  it('with a SNIP-pruned Houlsby adapter (40%), learns the toy sentiment task', async () => {
    const run = resolveRun(mergeSettings({ adapter: { kind: 'houlsby', dim: 16 }, prune: { sparsity: 0.4 }, train: { steps: 250, batchSize: 16, seqLen: 16, learningRate: 5e-3, evalEvery: 0 } }));
    const r = await runSparseAdapter(plm, toyTask(1), run, () => {});
    expect(r.dev.accuracy).toBeGreaterThan(0.9);
    r.dispose();
  }, 600_000);
});
