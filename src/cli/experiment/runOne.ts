// Runs one planned run of an experiment on the current tfjs backend and returns its record. Models
// (the pretrained one and its randomly initialised twin) and tasks are loaded once and reused.
import { primaryDimension } from '../../engine/adapters/registry';
import { TASK_SPLIT_SEED, type Task } from '../../engine/data/task';
import { disposePlm, loadPlm, type Plm } from '../../engine/plm';
import { createRng, normalArray } from '../../engine/random';
import { parseSafetensors, writeSafetensors } from '../../engine/safetensors';
import { packBits } from '../../engine/stats';
import { runSparseAdapter } from '../../engine/train';
import type { ReadModelFile } from '../../engine/checkpoint';
import { loadPublicTask } from '../builtinTask';
import { folderReader } from '../modelFolder';
import type { Encoder, PlannedRun } from './grid';

/** What one finished run of an experiment leaves in results.json (the page's runs are app/runs.ts's RunRecord). */
export interface ExperimentRecord {
  key: string;
  group: string;
  grid: string;
  spec: PlannedRun['spec'];
  /** What was trained after Large-Sparse: the adapter's dimension (rank, prefix length) and sparsity. */
  trained: { dim: number; sparsity: number };
  budget: { trainableNonzero: number; adapterNonzero: number; headParams: number; percentOfPlm: number; plmParams: number };
  dev: { accuracy: number; macroF1: number; mcc: number; count: number };
  /**
   * Per dev item (tagged word for pos), whether the final adapter got it right: `count` 0/1 values
   * bit-packed as base64 (engine/stats packBits), for paired tests over items. Absent in records
   * written before it existed.
   */
  devCorrect?: { count: number; bits: string };
  /** The final adapter on the test split (figures are reported on it; selection reads dev only), and per test item whether it was right. */
  test?: { accuracy: number; macroF1: number; mcc: number; count: number };
  testCorrect?: { count: number; bits: string };
  /** The configuration without seed and learning rate, and its learning-rate sweep (grid.ts); absent before sweeps existed. */
  unit?: string;
  sweep?: PlannedRun['sweep'];
  /** The training loss every `lossEvery` steps (for curves without bloating the file). */
  losses: number[];
  lossEvery: number;
  warnings: string[];
  seconds: number;
  backend: string;
  finishedAt: string;
}

/** Seed of the random encoder: fixed, so that every run of "random" sees the same encoder. */
const RANDOM_ENCODER_SEED = 20221207;

/**
 * The model folder with every weight of model.safetensors drawn afresh as BERT initialises them:
 * N(0, 0.02) for matrices and embeddings, LayerNorm γ = 1, every bias and β = 0. Same shapes, same
 * tokenizer: what is left of the PLM's accuracy without its pretraining.
 */
export function randomEncoderReader(dir: string): ReadModelFile {
  const read = folderReader(dir);
  return async (name) => {
    const bytes = await read(name);
    if (name !== 'model.safetensors' || !bytes) return bytes;
    const file = parseSafetensors(bytes, name);
    const rng = createRng(RANDOM_ENCODER_SEED);
    const tensors = [...file.tensors.entries()].map(([tensorName, info]) => {
      const size = info.shape.reduce((a, b) => a * b, 1);
      const isNorm = /LayerNorm|layer_norm/i.test(tensorName);
      const data = isNorm && /(weight|gamma)$/.test(tensorName) ? new Float32Array(size).fill(1)
        : /(bias|beta)$/.test(tensorName) ? new Float32Array(size)
          : normalArray(rng, size, 0.02);
      return { name: tensorName, shape: info.shape, data };
    });
    return writeSafetensors(tensors, { ...file.metadata, note: 'randomly initialised (BERT init) weights of the same shapes' });
  };
}

/** Loads models and tasks on demand and runs planned runs. */
export class ExperimentContext {
  private plms = new Map<Encoder, Plm>();
  private tasks = new Map<string, Task>();

  constructor(private readonly modelDir: string, private readonly backend: string) {}

  private async plm(encoder: Encoder): Promise<Plm> {
    let plm = this.plms.get(encoder);
    if (!plm) {
      plm = await loadPlm(encoder === 'random' ? randomEncoderReader(this.modelDir) : folderReader(this.modelDir), `${this.modelDir} (${encoder})`);
      this.plms.set(encoder, plm);
    }
    return plm;
  }

  private async task(name: PlannedRun['spec']['task']): Promise<Task> {
    const id = name;
    let task = this.tasks.get(id);
    if (!task) {
      task = await loadPublicTask(name, TASK_SPLIT_SEED);
      this.tasks.set(id, task);
    }
    return task;
  }

  async run(planned: PlannedRun): Promise<ExperimentRecord> {
    const started = Date.now();
    const { spec, config } = planned;
    const plm = await this.plm(spec.encoder);
    const task = await this.task(spec.task);
    const warnings: string[] = [];
    const result = await runSparseAdapter(plm, task, config, (event) => {
      if (event.type === 'warning') warnings.push(event.message);
    }, undefined, { evaluateTest: true });
    try {
      const lossEvery = Math.max(1, Math.ceil(result.losses.length / 100));
      const { budget, dev } = result;
      return {
        key: planned.key,
        group: planned.group,
        grid: planned.grid,
        spec,
        trained: { dim: primaryDimension(config.adapter), sparsity: config.prune.sparsity },
        budget: { trainableNonzero: budget.trainableNonzero, adapterNonzero: budget.adapterNonzero, headParams: budget.headParams, percentOfPlm: budget.percentOfPlm, plmParams: budget.plmParams },
        dev: { accuracy: dev.accuracy, macroF1: dev.macroF1, mcc: dev.mcc, count: dev.count },
        devCorrect: { count: result.devCorrect.length, bits: packBits(result.devCorrect) },
        ...(result.test && result.testCorrect && {
          test: { accuracy: result.test.accuracy, macroF1: result.test.macroF1, mcc: result.test.mcc, count: result.test.count },
          testCorrect: { count: result.testCorrect.length, bits: packBits(result.testCorrect) },
        }),
        unit: planned.unit,
        ...(planned.sweep && { sweep: planned.sweep }),
        losses: result.losses.filter((_, i) => i % lossEvery === 0),
        lossEvery,
        warnings,
        seconds: (Date.now() - started) / 1000,
        backend: this.backend,
        finishedAt: new Date().toISOString(),
      };
    } finally {
      result.dispose();
    }
  }

  dispose(): void {
    for (const plm of this.plms.values()) disposePlm(plm);
    this.plms.clear();
  }
}
