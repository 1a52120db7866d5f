// The trained adapter as a file: every adapter and head tensor under its name, pruned entries as
// exact zeros, each mask beside its tensor as `<name>.mask` (U8: 1 kept, 0 pruned), and in the
// safetensors metadata what is needed to use it again: the adapter options, the head's kind and
// labels, the PLM's shape, and the run's configuration. `adapterFromSafetensors` reads it back.
import * as tf from '@tensorflow/tfjs';
import { createAdapters, type AdapterOptions, type Adapters } from './adapters';
import { createHead, type Head } from './head';
import type { Plm } from './plm';
import { createRng } from './random';
import { parseSafetensors, writeSafetensors, type TensorToWrite } from './safetensors';
import { ADAPTER_KINDS } from './settings';
import { disposeTrained } from './train';

export const ADAPTER_FILE_FORMAT = 'sparseadapter-playground';
export const ADAPTER_FILE_VERSION = '1';

/** A variable's values, with −0 written as +0 (a pruned entry is weight × 0, −0 for negative weights). */
export async function weightValues(variable: tf.Variable): Promise<Float32Array> {
  return Float32Array.from((await variable.data()) as Float32Array, (x) => x + 0);
}

/** Serialises adapters, head and masks; `config` (the run's settings) and `labels` go into the metadata. */
export async function adapterToSafetensors(adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, config: unknown, extra: { labels?: string[]; plm?: Plm } = {}): Promise<Uint8Array> {
  const tensors: TensorToWrite[] = [];
  for (const p of adapters.params) {
    tensors.push({ name: p.name, shape: p.variable.shape, data: await weightValues(p.variable) });
    const mask = masks.get(p.name);
    if (mask) tensors.push({ name: `${p.name}.mask`, shape: mask.shape, data: Uint8Array.from(await mask.data()) });
  }
  for (const v of head.variables) tensors.push({ name: v.name, shape: v.variable.shape, data: (await v.variable.data()) as Float32Array });
  const c = extra.plm?.model.config;
  return writeSafetensors(tensors, {
    format: ADAPTER_FILE_FORMAT,
    format_version: ADAPTER_FILE_VERSION,
    config: JSON.stringify(config),
    adapter: JSON.stringify(adapters.options),
    head_kind: head.kind,
    labels: JSON.stringify(extra.labels ?? Array.from({ length: head.numLabels }, (_, i) => `label ${i}`)),
    ...(c && { plm: JSON.stringify({ layers: c.numLayers, hiddenSize: c.hiddenSize }) }),
  });
}

/** An adapter read from a file, ready for "Try it"; `dispose` frees its tensors. */
export interface LoadedAdapter {
  adapters: Adapters;
  head: Head;
  masks: Map<string, tf.Tensor>;
  labels: string[];
  /** The run's settings as stored (untrusted: the page checks them before use). */
  config: unknown;
  dispose(): void;
}

function json(text: string | undefined, what: string, file: string): unknown {
  if (text === undefined) throw new Error(`${file} has no ${what} in its metadata: it was not saved by this playground`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file}: the ${what} in its metadata is not valid JSON`);
  }
}

/** Reads an adapter file for `plm`; throws a message naming the file and the problem. */
export function adapterFromSafetensors(bytes: Uint8Array, plm: Plm, file = 'adapter.safetensors'): LoadedAdapter {
  const st = parseSafetensors(bytes, file);
  const meta = st.metadata;
  if (meta.format !== ADAPTER_FILE_FORMAT) throw new Error(`${file} is not an adapter saved by this playground (its metadata has no format "${ADAPTER_FILE_FORMAT}")`);
  if (meta.format_version !== undefined && meta.format_version !== ADAPTER_FILE_VERSION) throw new Error(`${file} has adapter-file version ${meta.format_version}; this page reads ${ADAPTER_FILE_VERSION}`);
  const options = json(meta.adapter, 'adapter options', file) as AdapterOptions;
  if (typeof options !== 'object' || options === null || !ADAPTER_KINDS.includes(options.kind)) throw new Error(`${file}: unknown adapter kind ${JSON.stringify((options as { kind?: unknown } | null)?.kind)}`);
  const labels = json(meta.labels, 'labels', file);
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) throw new Error(`${file}: the labels in its metadata are not a list of at least 2 names`);
  const headKind = meta.head_kind === 'token' ? 'token' : meta.head_kind === 'sequence' ? 'sequence' : null;
  if (!headKind) throw new Error(`${file}: unknown head kind ${JSON.stringify(meta.head_kind)}`);
  const c = plm.model.config;
  const shape = meta.plm === undefined ? null : (json(meta.plm, 'model shape', file) as { layers?: number; hiddenSize?: number });
  if (shape && (shape.layers !== c.numLayers || shape.hiddenSize !== c.hiddenSize)) {
    throw new Error(`${file} was trained on a model with ${shape.layers} layers × ${shape.hiddenSize}; the loaded model has ${c.numLayers} × ${c.hiddenSize}: load that model first`);
  }
  const adapters = createAdapters(c, options, createRng(0));
  const head = createHead(headKind, c.hiddenSize, labels.length, createRng(0));
  const masks = new Map<string, tf.Tensor>();
  const dispose = () => disposeTrained(adapters, head, masks);
  try {
    const expected = new Set<string>();
    const load = (name: string, variable: tf.Variable) => {
      expected.add(name);
      const info = st.tensors.get(name);
      if (!info) throw new Error(`${file} lacks the tensor ${name} that a ${options.kind} adapter of this size has`);
      if (info.shape.join(',') !== variable.shape.join(',')) throw new Error(`${file}: ${name} has shape [${info.shape}] where [${variable.shape}] is expected`);
      variable.assign(tf.tensor(st.readFloat32(name), variable.shape));
    };
    for (const p of adapters.params) {
      load(p.name, p.variable);
      const maskInfo = st.tensors.get(`${p.name}.mask`);
      if (maskInfo) {
        expected.add(`${p.name}.mask`);
        if (maskInfo.dtype !== 'U8' || maskInfo.shape.join(',') !== p.variable.shape.join(',')) throw new Error(`${file}: ${p.name}.mask is not a U8 tensor of shape [${p.variable.shape}]`);
        masks.set(p.name, tf.tensor(Float32Array.from(st.readBytes(`${p.name}.mask`), (b) => (b ? 1 : 0)), p.variable.shape));
      }
    }
    for (const v of head.variables) load(v.name, v.variable);
    const extra = [...st.tensors.keys()].filter((n) => !expected.has(n));
    if (extra.length > 0) throw new Error(`${file} has tensors this adapter does not: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}`);
    return { adapters, head, masks, labels: labels as string[], config: meta.config === undefined ? null : json(meta.config, 'configuration', file), dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
