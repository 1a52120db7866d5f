// What an experiment runs: a grid file (or a named preset) checked by a schema, expanded into one
// run per combination of tasks × adapters × dimensions × sparsities × pruners × Large-Sparse factors × seeds.
// Every run has a key built from its whole configuration, so an interrupted grid resumes by key and
// a configuration that two grids share (the dense adapter of a sparsity sweep and of a Large-Sparse
// comparison) runs once.
import { z } from 'zod';
import { mergeSettings, resolveRun } from '../../engine/config';
import { BUILTIN_TASKS, type BuiltinTaskName } from '../../engine/data/tasks';
import { ADAPTER_KINDS, defaultAdapterOptions, SETTINGS, settingSchema, type PrunerKind, type PruneScope, type TrainOptions } from '../../engine/settings';
import type { RunConfig } from '../../engine/train';

/** The adapter kinds a grid may name; `none`: no adapter, only the classification head is trained (a baseline). */
export const GRID_ADAPTERS = ADAPTER_KINDS;
export type GridAdapter = (typeof GRID_ADAPTERS)[number];
/** `random`: the default PLM's shape with freshly initialised weights (what pretraining contributes). */
export const ENCODERS = ['pretrained', 'random'] as const;
export type Encoder = (typeof ENCODERS)[number];

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1);
const { adapter: A, prune: P, train: T } = SETTINGS;

/** One grid; the training settings it does not give take the app's defaults. Every leaf's range is its setting's (settings.ts). */
export const GridSchema = z.strictObject({
  name: z.string().min(1).max(80).optional(),
  tasks: list(z.enum(BUILTIN_TASKS)),
  adapters: list(settingSchema(A.kind)),
  /** Bottleneck / rank / prefix length; when absent, each adapter kind's default (16, LoRA 8). */
  dims: list(settingSchema(A.dim)).optional(),
  /** Fractions of the prunable adapter weights removed. */
  sparsities: list(settingSchema(P.sparsity)),
  pruners: list(settingSchema(P.pruner)),
  seeds: list(settingSchema(T.seed)),
  /** Large-Sparse factors k (1: the adapter as given). */
  largeSparse: list(settingSchema(SETTINGS.largeSparse)).optional(),
  encoders: list(z.enum(ENCODERS)).optional(),
  scope: settingSchema(P.scope).optional(),
  rounds: settingSchema(P.rounds).optional(),
  scoringBatches: settingSchema(P.scoringBatches).optional(),
  steps: settingSchema(T.steps),
  batchSize: settingSchema(T.batchSize).optional(),
  seqLen: settingSchema(T.seqLen).optional(),
  learningRate: settingSchema(T.learningRate).optional(),
  warmupRatio: settingSchema(T.warmupRatio).optional(),
  weightDecay: settingSchema(T.weightDecay).optional(),
  evalEvery: settingSchema(T.evalEvery).optional(),
});
export type Grid = z.infer<typeof GridSchema>;

/** Several grids in one file, under `grids`. */
export const GridListSchema = z.strictObject({ name: z.string().min(1).max(80).optional(), description: z.string().optional(), grids: list(GridSchema) });

/** A named set of grids. */
export interface Experiment {
  name: string;
  description: string;
  grids: Grid[];
}

/** The training recipe of the presets: short runs that a 2-core machine finishes in about an hour and a half. */
const PAPER_TRAINING = { steps: 150, batchSize: 16, seqLen: 32, learningRate: 2e-3, evalEvery: 0 } as const;
const PAPER_TASKS: BuiltinTaskName[] = ['spam', 'genre', 'pos'];
const SEEDS = [1, 2, 3];

export const PRESETS: Record<string, Experiment> = {
  paper: {
    name: 'paper',
    description: "The paper's questions on the built-in tasks, 3 seeds: SNIP-pruned vs dense adapters across sparsities, every pruner (SNIP as the reference computes it and with per-batch magnitudes, random, magnitude, GraSP, SynFlow) at 70% sparsity, and Large-Sparse (k = 2, 4) against the standard adapter at the same budget.",
    grids: [
      { name: 'sparsity', tasks: PAPER_TASKS, adapters: ['houlsby', 'pfeiffer', 'lora'], sparsities: [0, 0.5, 0.7, 0.9], pruners: ['snip'], seeds: SEEDS, ...PAPER_TRAINING },
      { name: 'pruners', tasks: PAPER_TASKS, adapters: ['houlsby'], sparsities: [0.7], pruners: [...P.pruner.values], seeds: SEEDS, ...PAPER_TRAINING },
      { name: 'large-sparse', tasks: PAPER_TASKS, adapters: ['houlsby', 'pfeiffer', 'lora'], sparsities: [0], pruners: ['snip'], largeSparse: [1, 2, 4], seeds: SEEDS, ...PAPER_TRAINING },
    ],
  },
  baselines: {
    name: 'baselines',
    description: 'Baselines for the built-in tasks (3 seeds): a linear head on the frozen default PLM, a dense Houlsby adapter on it, and the same two on a randomly initialised encoder of the same shape.',
    grids: [
      { name: 'baselines', tasks: PAPER_TASKS, adapters: ['none', 'houlsby'], sparsities: [0], pruners: ['snip'], encoders: ['pretrained', 'random'], seeds: SEEDS, ...PAPER_TRAINING },
    ],
  },
  smoke: {
    name: 'smoke',
    description: 'Two tiny runs on the toy task: checks that the pipeline works end to end in seconds.',
    grids: [{ name: 'smoke', tasks: ['toy'], adapters: ['houlsby'], dims: [4], sparsities: [0, 0.5], pruners: ['snip'], seeds: [1], steps: 3, batchSize: 4, seqLen: 16 }],
  },
};

/** Reads a grid file's text; throws a message naming the file and every problem. */
export function parseGridFile(text: string, file: string): Experiment {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  // One schema or the other by shape, so that the messages name the fields of the one meant.
  const isList = typeof raw === 'object' && raw !== null && 'grids' in raw;
  const parsed = isList ? GridListSchema.safeParse(raw) : GridSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new Error(`${file} is not a valid grid: ${problems.join('; ')}`);
  }
  const name = parsed.data.name ?? file.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
  return 'grids' in parsed.data
    ? { name, description: parsed.data.description ?? '', grids: parsed.data.grids }
    : { name, description: '', grids: [parsed.data] };
}

/** One run of a grid, fully specified. `dim` and `sparsity` are the standard adapter's, before Large-Sparse. */
export interface RunSpec {
  task: BuiltinTaskName;
  adapter: GridAdapter;
  dim: number;
  sparsity: number;
  /** null when nothing is pruned (the choice of pruner cannot matter). */
  pruner: PrunerKind | null;
  scope: PruneScope;
  rounds: number;
  scoringBatches: number;
  largeSparse: number;
  encoder: Encoder;
  seed: number;
  train: TrainOptions;
}

/** A spec with what it resolves to: the adapter dimension and sparsity actually trained. */
export interface PlannedRun {
  key: string;
  /** The same configuration without the seed: runs with the same group are averaged. */
  group: string;
  grid: string;
  spec: RunSpec;
  config: RunConfig;
}

/** The trainer's configuration for a spec (Large-Sparse applied). */
export function specToConfig(spec: RunSpec): RunConfig {
  const settings = mergeSettings({
    task: spec.task,
    // A dense run's key says scoringBatches 0 and the head-only baseline's dim 0 (nothing scored, nothing
    // sized): their settings keep the defaults there, which nothing reads.
    adapter: { kind: spec.adapter, ...(spec.dim > 0 && { dim: spec.dim }) },
    prune: { pruner: spec.pruner ?? P.pruner.default, sparsity: spec.sparsity, scope: spec.scope, rounds: spec.rounds, ...(spec.scoringBatches > 0 && { scoringBatches: spec.scoringBatches }) },
    largeSparse: spec.largeSparse,
    train: spec.train,
  });
  return resolveRun(settings);
}

/** Expands the grids into runs, in order, without duplicates; throws on combinations that cannot run. */
export function expandExperiment(experiment: Experiment): PlannedRun[] {
  const runs = new Map<string, PlannedRun>();
  experiment.grids.forEach((grid, g) => {
    const gridName = grid.name ?? `grid ${g + 1}`;
    const base = mergeSettings({});
    const train: TrainOptions = {
      ...base.train,
      steps: grid.steps,
      ...(grid.batchSize !== undefined && { batchSize: grid.batchSize }),
      ...(grid.seqLen !== undefined && { seqLen: grid.seqLen }),
      ...(grid.learningRate !== undefined && { learningRate: grid.learningRate }),
      ...(grid.warmupRatio !== undefined && { warmupRatio: grid.warmupRatio }),
      ...(grid.weightDecay !== undefined && { weightDecay: grid.weightDecay }),
      ...(grid.evalEvery !== undefined && { evalEvery: grid.evalEvery }),
    };
    for (const task of grid.tasks)
      for (const adapter of grid.adapters)
        for (const dim of grid.dims ?? [defaultAdapterOptions(adapter).dim])
          for (const sparsity of grid.sparsities)
            for (const pruner of grid.pruners)
              for (const largeSparse of grid.largeSparse ?? [1])
                for (const encoder of grid.encoders ?? ['pretrained'])
                  for (const seed of grid.seeds) {
                    if (adapter === 'none' && (sparsity > 0 || largeSparse > 1)) throw new Error(`grid "${gridName}": the head-only baseline (adapter "none") has nothing to prune; give it sparsity 0 and no Large-Sparse factor`);
                    const dense = sparsity === 0 && largeSparse === 1;
                    const spec: RunSpec = {
                      task, adapter, dim: adapter === 'none' ? 0 : dim, sparsity, pruner: dense ? null : pruner,
                      scope: grid.scope ?? base.prune.scope, rounds: dense ? 1 : grid.rounds ?? base.prune.rounds,
                      scoringBatches: dense ? 0 : grid.scoringBatches ?? base.prune.scoringBatches,
                      largeSparse, encoder, seed, train: { ...train, seed },
                    };
                    const config = specToConfig(spec);
                    const { seed: _seed, train: { seed: _trainSeed, ...trainRest }, ...rest } = spec;
                    const group = JSON.stringify({ ...rest, ...trainRest, ...(dense && { scope: null }) });
                    const key = JSON.stringify({ group: JSON.parse(group) as unknown, seed });
                    if (!runs.has(key)) runs.set(key, { key, group, grid: gridName, spec, config });
                  }
  });
  return [...runs.values()];
}
