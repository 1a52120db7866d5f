// The trained adapter as a file: every adapter and head tensor under its name, pruned entries as
// exact zeros, each mask beside its tensor as `<name>.mask` (U8: 1 kept, 0 pruned), and in the
// safetensors metadata one versioned, schema-checked object saying what the file holds: the run's
// settings as chosen, the configuration trained (after Large-Sparse), the encoder it was trained on,
// and the head. The worker's download and the CLI's `train --out` both write it with
// `adapterToSafetensors`; `adapterFromSafetensors` reads it back.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { createAdapters, type Adapters } from './adapters';
import { headActivation } from './families';
import { createHead, type Head } from './head';
import type { Plm } from './plm';
import { createRng } from './random';
import { parseSafetensors, writeSafetensors, type TensorToWrite } from './safetensors';
import { parseRunSettings, ResolvedRunSchema, type RunSettings } from './settings';
import { disposeTrained, type RunConfig } from './train';

export const ADAPTER_FILE_FORMAT = 'sparseadapter-playground';
/** Version 2: one `contents` object. Version 1 (untyped `config`, in two shapes) is refused with a message. */
export const ADAPTER_FILE_VERSION = 2;

/** A variable's values, with −0 written as +0 (a pruned entry is weight × 0, −0 for negative weights). */
export async function weightValues(variable: tf.Variable): Promise<Float32Array> {
  return Float32Array.from((await variable.data()) as Float32Array, (x) => x + 0);
}

// ------------------------------------------------------------------ what the metadata holds

const positive = z.number().int().min(1);

/** The encoder an adapter was trained on: its architecture and every size of it (Hugging Face's config.json names). */
const EncoderSchema = z.strictObject({ model_type: z.string().min(1).max(40), layers: positive, hidden: positive, heads: positive, intermediate: positive, vocab_size: positive });
export type EncoderShape = z.infer<typeof EncoderSchema>;

const ContentsSchema = z.strictObject({
  /** The settings as chosen (RunSettings); read leaf by leaf (parseRunSettings), as a share link's are. */
  settings: z.record(z.string(), z.unknown()),
  /** The configuration the weights were trained with, after Large-Sparse: the tensors' shapes follow from it. */
  resolved: ResolvedRunSchema satisfies z.ZodType<RunConfig>,
  /** The trainer's state when the file was written, for resuming (JSON part; its tensors are in the file). */
  trainState: z.record(z.string(), z.unknown()).optional(),
  encoder: EncoderSchema,
  head: z.strictObject({ kind: z.enum(['sequence', 'token']), labels: z.array(z.string().max(200)).min(2).max(4096) }),
});

/** The metadata object of an adapter file (`contents` in its safetensors metadata, as JSON). */
export type AdapterFileContents = z.infer<typeof ContentsSchema>;

/** The run a trained adapter came from: the settings as chosen, the configuration trained, and optionally the trainer's state. */
export interface AdapterRun {
  settings: RunSettings;
  resolved: RunConfig;
  trainState?: Record<string, unknown>;
}

/** The trained tensors a file holds. */
export interface TrainedAdapter {
  adapters: Adapters;
  head: Head;
  masks: ReadonlyMap<string, tf.Tensor>;
}

/** The loaded encoder's architecture and shape, as an adapter file records it. */
export function encoderShape(plm: Plm): EncoderShape {
  const c = plm.model.config;
  return { model_type: c.modelType, layers: c.numLayers, hidden: c.hiddenSize, heads: c.numHeads, intermediate: c.intermediateSize, vocab_size: c.vocabSize };
}

/** The metadata object for a trained adapter; checked against its schema, so a writer cannot produce a file no reader accepts. */
export function adapterFileContents(head: Head, plm: Plm, run: AdapterRun, labels: readonly string[]): AdapterFileContents {
  const contents = {
    settings: run.settings,
    resolved: { adapter: run.resolved.adapter, prune: run.resolved.prune, train: run.resolved.train },
    ...(run.trainState && { trainState: run.trainState }),
    encoder: encoderShape(plm),
    head: { kind: head.kind, labels: [...labels] },
  };
  const checked = ContentsSchema.safeParse(contents);
  if (!checked.success) throw new Error(`the adapter file's metadata would not be readable: ${issueText(checked.error)}`);
  return checked.data;
}

/** Serialises adapters, head and masks, with `adapterFileContents` as the metadata. */
export async function adapterToSafetensors(trained: TrainedAdapter, plm: Plm, run: AdapterRun, labels: readonly string[]): Promise<Uint8Array> {
  const contents = adapterFileContents(trained.head, plm, run, labels);
  const tensors: TensorToWrite[] = [];
  for (const p of trained.adapters.params) {
    tensors.push({ name: p.name, shape: p.variable.shape, data: await weightValues(p.variable) });
    const mask = trained.masks.get(p.name);
    if (mask) tensors.push({ name: `${p.name}.mask`, shape: mask.shape, data: Uint8Array.from(await mask.data()) });
  }
  for (const v of trained.head.variables) tensors.push({ name: v.name, shape: v.variable.shape, data: (await v.variable.data()) as Float32Array });
  return writeSafetensors(tensors, { format: ADAPTER_FILE_FORMAT, format_version: String(ADAPTER_FILE_VERSION), contents: JSON.stringify(contents) });
}

// ------------------------------------------------------------------ reading

/** An adapter read from a file, ready for "Try it"; `dispose` frees its tensors. */
export interface LoadedAdapter extends TrainedAdapter {
  masks: Map<string, tf.Tensor>;
  labels: string[];
  /** What the file says it holds (its settings read leaf by leaf: what it lacked is the default, said in `notes`). */
  run: AdapterRun;
  encoder: EncoderShape;
  /** The settings the file lacked or had out of range, in words (empty for a file this version wrote). */
  notes: string[];
  dispose(): void;
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'its top level'}: ${issue.message}` : 'invalid';
}

const describeEncoder = (e: EncoderShape) => `${e.model_type} with ${e.layers} layers, hidden size ${e.hidden}, ${e.heads} heads, intermediate size ${e.intermediate} and ${e.vocab_size} tokens`;

/** Reads and checks a file's metadata object; throws a message naming the file and the problem. */
export function readAdapterFileContents(metadata: Record<string, string>, file: string): AdapterFileContents {
  if (metadata.format !== ADAPTER_FILE_FORMAT) throw new Error(`${file} is not an adapter saved by this playground (its metadata has no format "${ADAPTER_FILE_FORMAT}")`);
  const version = metadata.format_version ?? '1';
  if (version === '1') throw new Error(`${file} is an adapter file of version 1, which did not record the configuration it trained nor the encoder's architecture; this playground reads version ${ADAPTER_FILE_VERSION}: train the run again to save it`);
  if (version !== String(ADAPTER_FILE_VERSION)) throw new Error(`${file} has adapter-file version ${version}; this playground reads version ${ADAPTER_FILE_VERSION}`);
  if (metadata.contents === undefined) throw new Error(`${file} has no contents in its metadata`);
  let raw: unknown;
  try {
    raw = JSON.parse(metadata.contents);
  } catch {
    throw new Error(`${file}: the contents in its metadata are not valid JSON`);
  }
  const parsed = ContentsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: its metadata is damaged at ${issueText(parsed.error)}`);
  return parsed.data;
}

/** Reads an adapter file for `plm`; throws a message naming the file and the problem. */
export function adapterFromSafetensors(bytes: Uint8Array, plm: Plm, file = 'adapter.safetensors'): LoadedAdapter {
  const st = parseSafetensors(bytes, file);
  const contents = readAdapterFileContents(st.metadata, file);
  const loaded = encoderShape(plm);
  const differs = (Object.keys(loaded) as (keyof EncoderShape)[]).some((key) => contents.encoder[key] !== loaded[key]);
  if (differs) throw new Error(`${file} was trained on a ${describeEncoder(contents.encoder)}; the loaded model is a ${describeEncoder(loaded)}: load that model first`);
  const options = contents.resolved.adapter;
  const c = plm.model.config;
  const adapters = createAdapters(c, options, createRng(0));
  const head = createHead(contents.head.kind, c.hiddenSize, contents.head.labels.length, createRng(0), headActivation(c.modelType));
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
    const { settings, problems } = parseRunSettings(contents.settings, file, { allowFileTasks: true });
    const run: AdapterRun = { settings, resolved: contents.resolved, ...(contents.trainState && { trainState: contents.trainState }) };
    return { adapters, head, masks, labels: contents.head.labels, run, encoder: contents.encoder, notes: problems, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
