// Exports of the other families, for a check in PyTorch: a seeded, half-pruned LoRA (PEFT) or Houlsby
// adapter (AdapterHub) and sentence head on each tiny fixture (RoBERTa, DistilBERT, ELECTRA), and the logits
// this engine computes for a fixed batch. `npx tsx scripts/fixtures/make-arch-exports.ts` writes them
// to src/engine/fixtures/interop-arch/; scripts/fixtures/check_arch_exports.py loads each folder as
// its library would into the independent forwards of make_arch_fixtures.py (LoRA on the named
// projections and the task model's head; bottleneck modules at their named sites and AdapterHub's
// classification head) and writes python_logits.json; interop.test.ts compares.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createAdapters, defaultAdapterOptions, disposeAdapters } from '../adapters';
import { forwardEncoder } from '../bert';
import { headActivation } from '../families';
import { createHead } from '../head';
import { exportForLibrary, type ExportedFile } from '../interop';
import { disposePlm, loadPlm } from '../plm';
import { createRng } from '../random';
import { randomMaskedWeights } from './interopFixture';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** One case per family: its fixture, the batch (its own framing and pad id) and the LoRA's size. */
const ROBERTA_IDS = [[0, 17, 450, 88, 2, 1, 1], [0, 5, 66, 2, 2, 777, 2]];
const WORDPIECE_IDS = [[2, 17, 450, 88, 3, 0, 0], [2, 5, 66, 3, 777, 900, 3]];
export const ARCH_EXPORT_CASES = [
  { name: 'roberta-lora', fixture: 'tiny-roberta', kind: 'lora', dim: 4, alpha: 6, nonlinearity: 'relu', labels: ['no', 'yes', 'maybe'], input_ids: ROBERTA_IDS },
  { name: 'distilbert-lora', fixture: 'tiny-distilbert', kind: 'lora', dim: 3, alpha: 3, nonlinearity: 'relu', labels: ['a', 'b'], input_ids: WORDPIECE_IDS },
  { name: 'electra-lora', fixture: 'tiny-electra', kind: 'lora', dim: 5, alpha: 10, nonlinearity: 'relu', labels: ['x', 'y', 'z'], input_ids: [[2, 17, 450, 88, 3, 0, 0], [2, 5, 66, 3, 777, 1900, 3]] },
  { name: 'roberta-houlsby', fixture: 'tiny-roberta', kind: 'houlsby', dim: 6, alpha: 8, nonlinearity: 'swish', labels: ['no', 'yes'], input_ids: ROBERTA_IDS },
  { name: 'distilbert-houlsby', fixture: 'tiny-distilbert', kind: 'houlsby', dim: 5, alpha: 8, nonlinearity: 'gelu', labels: ['a', 'b', 'c'], input_ids: WORDPIECE_IDS },
  { name: 'electra-houlsby', fixture: 'tiny-electra', kind: 'houlsby', dim: 4, alpha: 8, nonlinearity: 'tanh', labels: ['x', 'y'], input_ids: WORDPIECE_IDS },
] as const;
export const ARCH_EXPORT_MASK = [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]];

export interface ArchExportCase {
  name: string;
  files: ExportedFile[];
  /** [B, C]. */
  logits: number[][];
}

/** Builds every case on the current backend (seeded 1, 2, 3). */
export async function buildArchExportCases(): Promise<ArchExportCase[]> {
  const out: ArchExportCase[] = [];
  for (const [i, spec] of ARCH_EXPORT_CASES.entries()) {
    const plm = await loadPlm(async (file) => {
      try {
        return new Uint8Array(await readFile(join(FIXTURES, spec.fixture, file)));
      } catch {
        return null;
      }
    }, spec.fixture);
    const c = plm.model.config;
    const rng = createRng(i + 1);
    const adapters = createAdapters(c, { ...defaultAdapterOptions(spec.kind), dim: spec.dim, loraAlpha: spec.alpha, nonlinearity: spec.nonlinearity }, rng);
    const head = createHead('sequence', c.hiddenSize, spec.labels.length, rng, headActivation(c.modelType));
    const masks = new Map<string, tf.Tensor>();
    try {
      randomMaskedWeights(adapters, head, masks, rng);
      const files = await exportForLibrary(adapters, head, masks, { modelName: spec.fixture, adapterName: spec.name, labels: [...spec.labels], hiddenSize: c.hiddenSize, modelType: c.modelType });
      const logits = tf.tidy(() => {
        const ids = tf.tensor2d(spec.input_ids.map((r) => [...r]), undefined, 'int32');
        const input = { inputIds: ids, tokenTypeIds: tf.zerosLike(ids), attentionMask: tf.tensor2d(ARCH_EXPORT_MASK, undefined, 'int32') };
        return head.apply(forwardEncoder(plm.model, input, { hooks: adapters.hooks(masks) }).lastHiddenState);
      });
      out.push({ name: spec.name, files, logits: (await logits.array()) as number[][] });
      logits.dispose();
    } finally {
      disposeAdapters(adapters);
      for (const v of head.variables) v.variable.dispose();
      for (const m of masks.values()) m.dispose();
      disposePlm(plm);
    }
  }
  return out;
}

/** inputs.json: per case its fixture, batch and this engine's logits. */
export function archExportInputsJson(cases: ArchExportCase[]): string {
  const entries = cases.map((k) => {
    const spec = ARCH_EXPORT_CASES.find((s) => s.name === k.name)!;
    return [k.name, { fixture: spec.fixture, input_ids: spec.input_ids, attention_mask: ARCH_EXPORT_MASK, logits: k.logits.map((row) => row.map((x) => Number(x.toPrecision(9)))) }];
  });
  return `${JSON.stringify(Object.fromEntries(entries), null, 1)}\n`;
}
