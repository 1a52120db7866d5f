// The checkpoint file: a trainer's state survives writing and reading bit for bit, and a foreign,
// damaged or inconsistent file is refused with a message naming it.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointFromSafetensors, checkpointToSafetensors } from './checkpointFile';
import { mergeSettings, resolveRun } from './config';
import { toyTask } from './data/toy';
import type { Plm } from './plm';
import { parseSafetensors, writeSafetensors } from './safetensors';
import { loadTinyPlm } from './testing/tinyModel';
import { createTrainer, type TrainState } from './train';

let plm: Plm;
let state: TrainState;
const settings = mergeSettings({ adapter: { kind: 'lora', dim: 2 }, prune: { sparsity: 0.5 }, train: { steps: 6, batchSize: 4, seqLen: 16, evalEvery: 0 } });
const task = toyTask(1, { train: 32, dev: 8, test: 0 });
beforeAll(async () => {
  await tf.setBackend('cpu');
  plm = await loadTinyPlm();
  const trainer = createTrainer(plm, task, resolveRun(settings));
  await trainer.prune(() => {});
  for (let i = 0; i < 3; i++) trainer.step();
  await trainer.readLosses(0);
  state = await trainer.state();
  trainer.dispose();
});

describe('checkpoint files', () => {
  it('round-trip a state exactly, and the restored trainer continues from it', async () => {
    const back = checkpointFromSafetensors(checkpointToSafetensors(state, { settings }));
    expect(back.state).toEqual(state);
    expect(back.settings).toEqual({ settings });
    const trainer = createTrainer(plm, task, resolveRun(settings), back.state);
    expect(trainer.stepsTaken).toBe(3);
    expect(trainer.masks.size).toBe(Object.keys(state.masks).length);
    trainer.dispose();
  });

  it('refuses foreign, damaged and inconsistent files with the file named', () => {
    const bytes = checkpointToSafetensors(state, { settings });
    const file = parseSafetensors(bytes);
    const rewrite = (metadata: Record<string, string>, drop?: string) => writeSafetensors([...file.tensors.keys()].filter((n) => n !== drop).map((name) => {
      const info = file.tensors.get(name)!;
      return { name, shape: info.shape, data: info.dtype === 'U8' ? file.readBytes(name) : file.readFloat32(name), dtype: info.dtype as 'F32' | 'U8' };
    }), metadata);
    expect(() => checkpointFromSafetensors(rewrite({ ...file.metadata, format: 'other' }), 'c.safetensors')).toThrow(/c\.safetensors is not a training checkpoint/);
    expect(() => checkpointFromSafetensors(rewrite({ ...file.metadata, state: '{"version":1' }), 'c.safetensors')).toThrow(/not valid JSON: the file is damaged/);
    const json = JSON.parse(file.metadata.state!) as { losses: number[] };
    expect(() => checkpointFromSafetensors(rewrite({ ...file.metadata, state: JSON.stringify({ ...json, losses: json.losses.slice(1) }) }), 'c.safetensors')).toThrow(/2 losses for 3 steps/);
    expect(() => checkpointFromSafetensors(rewrite({ ...file.metadata, state: JSON.stringify({ ...json, step: -1 }) }), 'c.safetensors')).toThrow(/training state is damaged \(step/);
    expect(() => checkpointFromSafetensors(rewrite(file.metadata, 'adam.v/head.out.bias'), 'c.safetensors')).toThrow(/lacks the tensor adam\.v\/head\.out\.bias/);
  });
});
