// The interop fixtures: deterministic adapters on the tiny BERT, exported for AdapterHub / PEFT, and
// the logits this engine computes for a fixed batch. `npx tsx scripts/interop/make-fixtures.ts`
// writes them to src/engine/fixtures/interop/; scripts/interop/check_exports.py loads each folder
// the way its library does and writes python_logits.json; interop.test.ts rebuilds everything here
// and checks the files are byte-identical and the logits match Python's.
import * as tf from '@tensorflow/tfjs';
import { createAdapters, defaultAdapterOptions, disposeAdapters, type AdapterKind, type AdapterOptions, type Adapters, type Nonlinearity } from '../adapters';
import { forwardEncoder } from '../bert';
import { headActivation } from '../families';
import { createHead, type Head, type HeadKind } from '../head';
import { exportForLibrary, exportLibrary, type ExportedFile } from '../interop';
import type { Plm } from '../plm';
import { createRng, normalArray, type Rng } from '../random';

export interface InteropCaseSpec {
  name: string;
  kind: AdapterKind;
  dim: number;
  nonlinearity: Nonlinearity;
  head: HeadKind;
  labels: string[];
  loraAlpha?: number;
  parallelScale?: number;
}

/** Odd bottleneck sizes (32 / 6 is not an integer) and non-default scales, so that every config field matters. */
export const INTEROP_CASES: InteropCaseSpec[] = [
  { name: 'houlsby', kind: 'houlsby', dim: 6, nonlinearity: 'swish', head: 'sequence', labels: ['ham', 'spam', 'other'] },
  { name: 'pfeiffer', kind: 'pfeiffer', dim: 8, nonlinearity: 'relu', head: 'sequence', labels: ['neg', 'pos'] },
  { name: 'parallel', kind: 'parallel', dim: 5, nonlinearity: 'gelu', head: 'sequence', labels: ['a', 'b', 'c'], parallelScale: 2.5 },
  { name: 'houlsby-token', kind: 'houlsby', dim: 4, nonlinearity: 'tanh', head: 'token', labels: ['NOUN', 'VERB', 'DET', 'X'] },
  { name: 'lora', kind: 'lora', dim: 4, nonlinearity: 'relu', head: 'sequence', labels: ['no', 'yes'], loraAlpha: 6 },
  { name: 'lora-token', kind: 'lora', dim: 3, nonlinearity: 'relu', head: 'token', labels: ['B', 'I', 'O'], loraAlpha: 3 },
];

/** The fixed batch: 3 sequences of 7 tokens, the last two padded. */
export const INTEROP_INPUT = {
  input_ids: [[2, 17, 450, 1203, 88, 3, 0], [2, 999, 1500, 3, 0, 0, 0], [2, 5, 66, 777, 1888, 1234, 3]],
  attention_mask: [[1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]],
};

export interface InteropCase {
  spec: InteropCaseSpec;
  library: 'adapters' | 'peft';
  files: ExportedFile[];
  /** [B, C] for sequence heads, [B·T, C] for token heads. */
  logits: number[][];
}

function assign(variable: tf.Variable, values: Float32Array): void {
  const t = tf.tensor(values, variable.shape);
  variable.assign(t);
  t.dispose();
}

/**
 * Draws every adapter and head weight N(0, 0.3) from `rng` and masks about half of each prunable
 * tensor (the masked entries exactly 0), in a fixed order, into `masks`: the weights of an export case.
 */
export function randomMaskedWeights(adapters: Adapters, head: Head, masks: Map<string, tf.Tensor>, rng: Rng): void {
  for (const p of adapters.params) {
    const values = normalArray(rng, p.variable.size, 0.3);
    if (p.prunable) {
      const mask = Float32Array.from({ length: values.length }, () => (rng() < 0.5 ? 1 : 0));
      masks.set(p.name, tf.tensor(mask, p.variable.shape));
      for (let i = 0; i < values.length; i++) values[i]! *= mask[i]!;
    }
    assign(p.variable, values);
  }
  for (const v of head.variables) assign(v.variable, normalArray(rng, v.variable.size, 0.3));
}

/** Builds one case: random (seeded) weights everywhere, about half of each prunable tensor masked. */
export async function buildInteropCase(plm: Plm, spec: InteropCaseSpec, seed: number): Promise<InteropCase> {
  const c = plm.model.config;
  const options: AdapterOptions = { ...defaultAdapterOptions(spec.kind), dim: spec.dim, nonlinearity: spec.nonlinearity, loraAlpha: spec.loraAlpha ?? 8, parallelScale: spec.parallelScale ?? 4 };
  const rng = createRng(seed);
  const adapters = createAdapters(c, options, rng);
  const head = createHead(spec.head, c.hiddenSize, spec.labels.length, rng, headActivation(c.modelType));
  const masks = new Map<string, tf.Tensor>();
  try {
    randomMaskedWeights(adapters, head, masks, rng);
    const library = exportLibrary(spec.kind)!;
    const files = await exportForLibrary(adapters, head, masks, { modelName: 'tiny-bert', adapterName: `sparse_${spec.name}`, labels: spec.labels, hiddenSize: c.hiddenSize, modelType: c.modelType });
    const logits = tf.tidy(() => {
      const ids = tf.tensor2d(INTEROP_INPUT.input_ids, undefined, 'int32');
      const input = { inputIds: ids, tokenTypeIds: tf.zerosLike(ids), attentionMask: tf.tensor2d(INTEROP_INPUT.attention_mask, undefined, 'int32') };
      return head.apply(forwardEncoder(plm.model, input, { hooks: adapters.hooks(masks) }).lastHiddenState);
    });
    const values = (await logits.array()) as number[][];
    logits.dispose();
    return { spec, library, files, logits: values };
  } finally {
    disposeAdapters(adapters);
    for (const v of head.variables) v.variable.dispose();
    for (const m of masks.values()) m.dispose();
  }
}

/** All cases, seeded 1, 2, … in order. */
export async function buildInteropCases(plm: Plm): Promise<InteropCase[]> {
  const out: InteropCase[] = [];
  for (const [i, spec] of INTEROP_CASES.entries()) out.push(await buildInteropCase(plm, spec, i + 1));
  return out;
}

/** inputs.json: the batch and, per case, the library, head kind and this engine's logits. */
export function interopInputsJson(cases: InteropCase[]): string {
  const entries = cases.map((k) => [k.spec.name, { library: k.library, head: k.spec.head, logits: k.logits.map((row) => row.map((x) => Number(x.toPrecision(9)))) }]);
  return `${JSON.stringify({ ...INTEROP_INPUT, cases: Object.fromEntries(entries) }, null, 1)}\n`;
}
