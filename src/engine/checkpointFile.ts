// A training checkpoint as one safetensors file: the trainer's state (train.ts `TrainState`) with its
// tensors under prefixed names (`param/<name>`, `mask/<name>` as U8, `adam.m/<name>`, `adam.v/<name>`)
// and the rest (what run it is, the step, every random stream's state, the data order, the budget and
// the losses so far) as JSON in the metadata, beside the run's settings as chosen. `train --resume`
// reads it back; a damaged or foreign file is refused with a message naming the file and the problem.
import { z } from 'zod';
import { parseSafetensors, writeSafetensors, type TensorToWrite } from './safetensors';
import { RANDOM_STREAMS } from './random';
import { TRAIN_STATE_VERSION, type TrainState } from './train';

export const CHECKPOINT_FORMAT = 'sparseadapter-checkpoint';
export const CHECKPOINT_VERSION = '1';

const count = z.number().int().min(0);
const finite = z.number().refine(Number.isFinite, 'not a finite number');

/** The JSON part of a state: its tensors are checked against the file's tensors separately. */
const StateJsonSchema = z.strictObject({
  version: z.literal(TRAIN_STATE_VERSION),
  identity: z.strictObject({
    config: z.strictObject({ adapter: z.record(z.string(), z.unknown()), prune: z.record(z.string(), z.unknown()), train: z.record(z.string(), z.unknown()) }),
    model: z.strictObject({ hiddenSize: count, numLayers: count, parameters: count }),
    task: z.strictObject({ name: z.string(), kind: z.enum(['sequence', 'token']), labels: z.array(z.string()).min(2), train: count }),
  }),
  step: count,
  streams: z.strictObject(Object.fromEntries(RANDOM_STREAMS.map((s) => [s, z.number().int().min(0).max(0xffffffff)])) as Record<(typeof RANDOM_STREAMS)[number], z.ZodNumber>),
  order: z.array(count),
  budget: z.record(z.string(), finite),
  losses: z.array(finite),
  optimizerStep: count,
  params: z.array(z.string()),
  masks: z.array(z.string()),
});

/** A checkpoint read back: the state to resume and the settings the run was started with (untrusted: check them). */
export interface Checkpoint {
  state: TrainState;
  settings: unknown;
}

/** Writes `state` (and the run's settings) as a checkpoint file. */
export function checkpointToSafetensors(state: TrainState, settings: unknown): Uint8Array {
  const tensors: TensorToWrite[] = [];
  const params = Object.keys(state.params);
  for (const name of params) {
    tensors.push({ name: `param/${name}`, shape: [state.params[name]!.length], data: state.params[name]! });
    const moments = state.optimizer.moments[name];
    if (!moments) throw new Error(`the optimizer state has no moments for ${name}`);
    tensors.push({ name: `adam.m/${name}`, shape: [moments.m.length], data: moments.m });
    tensors.push({ name: `adam.v/${name}`, shape: [moments.v.length], data: moments.v });
  }
  const masks = Object.keys(state.masks);
  for (const name of masks) tensors.push({ name: `mask/${name}`, shape: [state.masks[name]!.length], data: state.masks[name]!, dtype: 'U8' });
  const json: z.infer<typeof StateJsonSchema> = {
    version: state.version, identity: state.identity as unknown as z.infer<typeof StateJsonSchema>['identity'], step: state.step, streams: state.streams, order: state.order,
    budget: state.budget as unknown as Record<string, number>, losses: state.losses, optimizerStep: state.optimizer.t, params, masks,
  };
  return writeSafetensors(tensors, { format: CHECKPOINT_FORMAT, format_version: CHECKPOINT_VERSION, state: JSON.stringify(json), settings: JSON.stringify(settings) });
}

/** Reads a checkpoint file; throws a message naming the file and what is wrong with it. */
export function checkpointFromSafetensors(bytes: Uint8Array, file = 'checkpoint.safetensors'): Checkpoint {
  const st = parseSafetensors(bytes, file);
  const meta = st.metadata;
  if (meta.format !== CHECKPOINT_FORMAT) throw new Error(`${file} is not a training checkpoint of this playground (its metadata has no format "${CHECKPOINT_FORMAT}")`);
  if (meta.format_version !== CHECKPOINT_VERSION) throw new Error(`${file} is a checkpoint of version ${String(meta.format_version)}; this engine reads version ${CHECKPOINT_VERSION}`);
  const parse = (text: string | undefined, what: string): unknown => {
    if (text === undefined) throw new Error(`${file} has no ${what} in its metadata: it is damaged`);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${file}: the ${what} in its metadata is not valid JSON: the file is damaged`);
    }
  };
  const parsed = StateJsonSchema.safeParse(parse(meta.state, 'training state'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: the training state is damaged (${issue ? `${issue.path.join('.') || 'top level'}: ${issue.message}` : 'invalid'})`);
  }
  const j = parsed.data;
  if (j.losses.length !== j.step) throw new Error(`${file}: the training state has ${j.losses.length} losses for ${j.step} steps: the file is damaged`);
  const read = (name: string) => {
    const info = st.tensors.get(name);
    if (!info) throw new Error(`${file} lacks the tensor ${name}: the file is damaged`);
    return info.dtype === 'U8' ? st.readBytes(name) : st.readFloat32(name);
  };
  const params: Record<string, Float32Array> = {};
  const moments: Record<string, { m: Float32Array; v: Float32Array }> = {};
  for (const name of j.params) {
    params[name] = read(`param/${name}`) as Float32Array;
    moments[name] = { m: read(`adam.m/${name}`) as Float32Array, v: read(`adam.v/${name}`) as Float32Array };
    if (moments[name].m.length !== params[name].length || moments[name].v.length !== params[name].length) throw new Error(`${file}: the optimizer moments of ${name} do not match its size: the file is damaged`);
  }
  const masks: Record<string, Uint8Array> = {};
  for (const name of j.masks) {
    const values = read(`mask/${name}`);
    if (!(values instanceof Uint8Array) || values.some((b) => b > 1)) throw new Error(`${file}: mask/${name} is not a 0/1 U8 tensor: the file is damaged`);
    masks[name] = values;
  }
  const state: TrainState = {
    version: j.version, identity: j.identity as unknown as TrainState['identity'], step: j.step, streams: j.streams, order: j.order, params, masks,
    optimizer: { t: j.optimizerStep, moments }, budget: j.budget as unknown as TrainState['budget'], losses: j.losses,
  };
  return { state, settings: parse(meta.settings, 'settings') };
}
