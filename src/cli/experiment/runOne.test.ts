// The two baselines the experiment adds to the engine's runs: a randomly initialised encoder of the
// same shape, and a run that trains the head only.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../engine/safetensors';
import { unpackBits } from '../../engine/stats';
import { TINY_BERT_DIR } from '../../engine/testing/tinyModel';
import { folderReader } from '../modelFolder';
import { expandExperiment, parseGridFile } from './grid';
import { ExperimentContext, randomEncoderReader } from './runOne';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('randomEncoderReader', () => {
  it('keeps every tensor name and shape and draws new weights as BERT initialises them', async () => {
    const original = parseSafetensors((await folderReader(TINY_BERT_DIR)('model.safetensors'))!);
    const random = parseSafetensors((await randomEncoderReader(TINY_BERT_DIR)('model.safetensors'))!);
    expect([...random.tensors.keys()]).toEqual([...original.tensors.keys()]);
    for (const [name, info] of original.tensors) {
      expect(random.tensors.get(name)!.shape).toEqual(info.shape);
      const values = random.readFloat32(name);
      if (/LayerNorm\.weight$/.test(name)) expect(values.every((v) => v === 1)).toBe(true);
      else if (/bias$/.test(name)) expect(values.every((v) => v === 0)).toBe(true);
      else if (values.length > 1000) {
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
        expect(Math.abs(mean)).toBeLessThan(0.002);
        expect(std).toBeGreaterThan(0.019);
        expect(std).toBeLessThan(0.021);
        expect(values).not.toEqual(original.readFloat32(name));
      }
    }
    expect(await randomEncoderReader(TINY_BERT_DIR)('vocab.txt')).toEqual(await folderReader(TINY_BERT_DIR)('vocab.txt'));
  });
});

describe('ExperimentContext', () => {
  it('trains only the head for adapter "none" and gives the random encoder different results', async () => {
    const runs = expandExperiment(parseGridFile(JSON.stringify({ tasks: ['toy'], adapters: ['none', 'houlsby'], dims: [4], sparsities: [0], pruners: ['snip'], encoders: ['pretrained', 'random'], seeds: [1], steps: 3, batchSize: 4, seqLen: 16 }), 'g.json'));
    const context = new ExperimentContext(TINY_BERT_DIR, 'cpu');
    const before = tf.memory().numTensors;
    try {
      const records = [];
      for (const run of runs) records.push(await context.run(run));
      const [headPre, headRandom, houlsbyPre] = [records[0]!, records[1]!, records[2]!];
      expect(headPre.spec).toMatchObject({ adapter: 'none', encoder: 'pretrained' });
      expect(headPre.budget.adapterNonzero).toBe(0);
      expect(headPre.budget.trainableNonzero).toBe(headPre.budget.headParams);
      expect(houlsbyPre.budget.adapterNonzero).toBeGreaterThan(0);
      expect(headRandom.spec.encoder).toBe('random');
      expect(headRandom.losses).not.toEqual(headPre.losses);
      // The packed per-item correctness reads back to as many items as the dev set and to its accuracy.
      for (const r of records) {
        const correct = unpackBits(r.devCorrect!.bits, r.devCorrect!.count);
        expect(correct.length).toBe(r.dev.count);
        expect(correct.reduce((a, b) => a + b, 0) / correct.length).toBeCloseTo(r.dev.accuracy, 12);
      }
    } finally {
      context.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
