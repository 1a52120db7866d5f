// The trained adapter as a file: every adapter and head tensor under its name, pruned entries as
// exact zeros, each mask beside its tensor as `<name>.mask` (U8: 1 kept, 0 pruned), and the run's
// configuration in the safetensors metadata.
import type * as tf from '@tensorflow/tfjs';
import type { Adapters } from './adapters';
import type { Head } from './head';
import { writeSafetensors, type TensorToWrite } from './safetensors';

/** Serialises adapters, head and masks; `config` is stored as JSON in the metadata. */
export async function adapterToSafetensors(adapters: Adapters, head: Head, masks: ReadonlyMap<string, tf.Tensor>, config: unknown): Promise<Uint8Array> {
  const tensors: TensorToWrite[] = [];
  for (const p of adapters.params) {
    tensors.push({ name: p.name, shape: p.variable.shape, data: (await p.variable.data()) as Float32Array });
    const mask = masks.get(p.name);
    if (mask) tensors.push({ name: `${p.name}.mask`, shape: mask.shape, data: Uint8Array.from(await mask.data()) });
  }
  for (const v of head.variables) tensors.push({ name: v.name, shape: v.variable.shape, data: (await v.variable.data()) as Float32Array });
  return writeSafetensors(tensors, { format: 'sparseadapter-playground', config: JSON.stringify(config) });
}
