// What an experiment runs: a grid file (or a named preset) checked by a schema, expanded into one
// run per combination of tasks × adapters × dimensions × sparsities × pruners × Large-Sparse factors × seeds.
// Every run has a key built from its whole configuration, so an interrupted grid resumes by key and
// a configuration that two grids share (the dense adapter of a sparsity sweep and of a Large-Sparse
// comparison) runs once.
//
// A grid with `learningRates` tunes the learning rate per configuration, as the paper does: each rate
// trains on the sweep seeds, the rate with the best mean dev metric is chosen, and the other seeds run
// at that rate only. Figures are then reported on the test split, which selection never sees. The
// planner is therefore given the finished records: the runs at the chosen rate exist only once the
// sweep of their configuration has finished (planExperiment says how many still wait).
import { z } from 'zod';
import { isHeadOnly } from '../../engine/adapters/registry';
import { BUILTIN_TASK_INFO } from '../../engine/catalog';
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
  /** Training length: `steps`, or `epochs` over each task's train split (steps = ⌈epochs × examples / batch size⌉). */
  steps: settingSchema(T.steps).optional(),
  epochs: z.number().positive().max(1000).optional(),
  batchSize: settingSchema(T.batchSize).optional(),
  seqLen: settingSchema(T.seqLen).optional(),
  learningRate: settingSchema(T.learningRate).optional(),
  /** Learning rates to choose from per configuration, on the dev split of the sweep seeds (instead of `learningRate`). */
  learningRates: list(settingSchema(T.learningRate)).optional(),
  /** The seeds the learning-rate sweep trains on (a subset of `seeds`; default: the first seed). */
  sweepSeeds: list(settingSchema(T.seed)).optional(),
  warmupRatio: settingSchema(T.warmupRatio).optional(),
  weightDecay: settingSchema(T.weightDecay).optional(),
  evalEvery: settingSchema(T.evalEvery).optional(),
}).superRefine((g, ctx) => {
  if ((g.steps === undefined) === (g.epochs === undefined)) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give exactly one of steps and epochs' });
  if (g.learningRates !== undefined && g.learningRate !== undefined) ctx.addIssue({ code: 'custom', path: ['learningRates'], message: 'give learningRate (one rate) or learningRates (a sweep), not both' });
  if (g.learningRates !== undefined && new Set(g.learningRates).size !== g.learningRates.length) ctx.addIssue({ code: 'custom', path: ['learningRates'], message: 'a learning rate is listed twice' });
  if (g.sweepSeeds !== undefined && g.learningRates === undefined) ctx.addIssue({ code: 'custom', path: ['sweepSeeds'], message: 'sweepSeeds needs learningRates' });
  for (const [i, seed] of (g.sweepSeeds ?? []).entries()) if (!g.seeds.includes(seed)) ctx.addIssue({ code: 'custom', path: ['sweepSeeds', i], message: `sweep seed ${seed} is not one of the grid's seeds` });
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

/** The baselines' training recipe: short runs at one learning rate. */
const PAPER_TRAINING = { steps: 150, batchSize: 16, seqLen: 32, learningRate: 2e-3, evalEvery: 0 } as const;
const PAPER_TASKS: BuiltinTaskName[] = ['spam', 'genre', 'pos'];
const SEEDS = [1, 2, 3];
/**
 * The paper preset's protocol: one epoch over each task's train split, the learning rate chosen per
 * configuration from four on seed 1's dev split (3e-2 added after 1e-2, the top of the first grid, won the
 * first three configurations), then five seeds at the chosen rate, reported on test.
 */
const PAPER_PROTOCOL: Pick<Grid, 'epochs' | 'batchSize' | 'seqLen' | 'learningRates' | 'sweepSeeds' | 'evalEvery'> = { epochs: 1, batchSize: 16, seqLen: 32, learningRates: [1e-3, 3e-3, 1e-2, 3e-2], sweepSeeds: [1], evalEvery: 0 };
const PAPER_SEEDS = [1, 2, 3, 4, 5];

export const PRESETS: Record<string, Experiment> = {
  paper: {
    name: 'paper',
    description: "The paper's questions on the built-in tasks, sized for one session on 2 cores with --jobs 2 (264 runs): Large-Sparse (k = 2, 4) against the standard Houlsby and LoRA adapter at the same budget; SNIP-pruned Houlsby adapters at 50, 70 and 90% sparsity against the dense one; random and magnitude pruning at 70%. Each configuration trains one epoch, its learning rate chosen from 1e-3, 3e-3, 1e-2 and 3e-2 on seed 1's dev split, then seeds 2–5 at the chosen rate; figures are on the test split, paired by seed.",
    grids: [
      { name: 'large-sparse', tasks: PAPER_TASKS, adapters: ['houlsby', 'lora'], sparsities: [0], pruners: ['snip'], largeSparse: [1, 2, 4], seeds: PAPER_SEEDS, ...PAPER_PROTOCOL },
      { name: 'sparsity', tasks: PAPER_TASKS, adapters: ['houlsby'], sparsities: [0, 0.5, 0.7, 0.9], pruners: ['snip'], seeds: PAPER_SEEDS, ...PAPER_PROTOCOL },
      { name: 'pruners', tasks: PAPER_TASKS, adapters: ['houlsby'], sparsities: [0.7], pruners: ['random', 'magnitude'], seeds: PAPER_SEEDS, ...PAPER_PROTOCOL },
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

/** Whether a run trains the head alone (its kind's spec adds no tensor): nothing to prune or widen, no dimension. */
export const isHeadOnlyRun = (s: Pick<RunSpec, 'adapter'>) => isHeadOnly(defaultAdapterOptions(s.adapter));

/** A learning-rate sweep: the rates tried, and the seeds they are tried on. */
export interface Sweep {
  learningRates: number[];
  seeds: number[];
}

/** A spec with what it resolves to: the adapter dimension and sparsity actually trained. */
export interface PlannedRun {
  key: string;
  /** The same configuration without the seed: runs with the same group are averaged. */
  group: string;
  grid: string;
  spec: RunSpec;
  config: RunConfig;
  /**
   * The configuration without seed and learning rate: the runs among which a rate is chosen (with
   * `sweep`), and what a shard takes whole. Without a sweep, the key.
   */
  unit: string;
  sweep?: Sweep;
}

/** What selection needs of a finished run. */
export interface SelectionRecord {
  unit?: string;
  sweep?: Sweep;
  spec: Pick<RunSpec, 'seed' | 'train'>;
  dev: { accuracy: number };
}

/**
 * The learning rate a unit's sweep chooses: the best mean dev accuracy over the sweep seeds, the
 * earlier-listed rate on a tie; null while any sweep run has no record.
 */
export function chooseLearningRate(sweep: Sweep, records: readonly SelectionRecord[]): number | null {
  let best: { lr: number; score: number } | null = null;
  for (const lr of sweep.learningRates) {
    const scores = sweep.seeds.map((seed) => records.find((r) => r.spec.seed === seed && r.spec.train.learningRate === lr)?.dev.accuracy);
    if (scores.some((x) => x === undefined)) return null;
    const score = scores.reduce((a: number, b) => a + b!, 0) / scores.length;
    if (best === null || score > best.score) best = { lr, score };
  }
  return best!.lr;
}

/** Per unit with a sweep, the chosen learning rate (null: its sweep has not finished). */
export function selections(records: readonly SelectionRecord[]): Map<string, number | null> {
  const byUnit = new Map<string, SelectionRecord[]>();
  for (const r of records) if (r.unit !== undefined && r.sweep) byUnit.set(r.unit, [...(byUnit.get(r.unit) ?? []), r]);
  return new Map([...byUnit.entries()].map(([unit, rs]) => [unit, chooseLearningRate(rs[0]!.sweep!, rs)]));
}

/** The records a report shows: without a sweep all of them; with one, those at the chosen rate. */
export function selectedRecords<R extends SelectionRecord>(records: readonly R[]): R[] {
  const chosen = selections(records);
  return records.filter((r) => r.unit === undefined || !r.sweep || chosen.get(r.unit) === r.spec.train.learningRate);
}

/** Steps for `epochs` passes over `examples` in batches of `batchSize` (at least one). */
export const stepsForEpochs = (epochs: number, examples: number, batchSize: number) => Math.max(1, Math.ceil((epochs * examples) / batchSize - 1e-9));

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

/** What the grids expand to, given the records finished so far. */
export interface Plan {
  /** Every run that can be run now or has run: fixed-rate runs, sweep runs, and runs at a chosen rate. */
  runs: PlannedRun[];
  /** Runs that wait for their unit's sweep to finish before their learning rate is known. */
  waiting: number;
}

/** Expands the grids into runs, in order, without duplicates; throws on combinations that cannot run. */
export function planExperiment(experiment: Experiment, records: readonly SelectionRecord[] = []): Plan {
  const runs = new Map<string, PlannedRun>();
  const sweeps = new Map<string, { grid: string; sweep: string }>();
  const byUnit = new Map<string, SelectionRecord[]>();
  for (const r of records) if (r.unit !== undefined) byUnit.set(r.unit, [...(byUnit.get(r.unit) ?? []), r]);
  const pending = new Set<string>();
  experiment.grids.forEach((grid, g) => {
    const gridName = grid.name ?? `grid ${g + 1}`;
    const base = mergeSettings({});
    const batchSize = grid.batchSize ?? base.train.batchSize;
    const sweep: Sweep | undefined = grid.learningRates ? { learningRates: grid.learningRates, seeds: grid.sweepSeeds ?? [grid.seeds[0]!] } : undefined;
    const trainFor = (task: BuiltinTaskName): TrainOptions => ({
      ...base.train,
      steps: grid.epochs !== undefined ? stepsForEpochs(grid.epochs, BUILTIN_TASK_INFO[task].trainExamples, batchSize) : grid.steps!,
      batchSize,
      ...(grid.seqLen !== undefined && { seqLen: grid.seqLen }),
      ...(grid.learningRate !== undefined && { learningRate: grid.learningRate }),
      ...(grid.warmupRatio !== undefined && { warmupRatio: grid.warmupRatio }),
      ...(grid.weightDecay !== undefined && { weightDecay: grid.weightDecay }),
      ...(grid.evalEvery !== undefined && { evalEvery: grid.evalEvery }),
    });
    const add = (spec: RunSpec, unit: string | null) => {
      const config = specToConfig(spec);
      const dense = spec.pruner === null;
      const { seed: _seed, train: { seed: _trainSeed, ...trainRest }, ...rest } = spec;
      const group = JSON.stringify({ ...rest, ...trainRest, ...(dense && { scope: null }) });
      const key = JSON.stringify({ group: JSON.parse(group) as unknown, seed: spec.seed });
      if (!runs.has(key)) runs.set(key, { key, group, grid: gridName, spec, config, unit: unit ?? key, ...(unit !== null && { sweep }) });
    };
    for (const task of grid.tasks)
      for (const adapter of grid.adapters)
        for (const dim of grid.dims ?? [defaultAdapterOptions(adapter).dim])
          for (const sparsity of grid.sparsities)
            for (const pruner of grid.pruners)
              for (const largeSparse of grid.largeSparse ?? [1])
                for (const encoder of grid.encoders ?? ['pretrained']) {
                  const headOnly = isHeadOnlyRun({ adapter });
                  if (headOnly && (sparsity > 0 || largeSparse > 1)) throw new Error(`grid "${gridName}": the head-only baseline (adapter "none") has nothing to prune; give it sparsity 0 and no Large-Sparse factor`);
                  const dense = sparsity === 0 && largeSparse === 1;
                  const train = trainFor(task);
                  const specFor = (seed: number, learningRate = train.learningRate): RunSpec => ({
                    task, adapter, dim: headOnly ? 0 : dim, sparsity, pruner: dense ? null : pruner,
                    scope: grid.scope ?? base.prune.scope, rounds: dense ? 1 : grid.rounds ?? base.prune.rounds,
                    scoringBatches: dense ? 0 : grid.scoringBatches ?? base.prune.scoringBatches,
                    largeSparse, encoder, seed, train: { ...train, learningRate, seed },
                  });
                  if (!sweep) {
                    for (const seed of grid.seeds) add(specFor(seed), null);
                    continue;
                  }
                  // The unit: this configuration with neither seed nor learning rate.
                  const { seed: _s, train: { seed: _ts, learningRate: _lr, ...trainRest }, ...rest } = specFor(0);
                  const unit = JSON.stringify({ ...rest, ...trainRest, ...(dense && { scope: null }), sweep: true });
                  const seen = sweeps.get(unit);
                  if (seen && seen.sweep !== JSON.stringify(sweep)) throw new Error(`grids "${seen.grid}" and "${gridName}" sweep the same configuration with different learning rates or sweep seeds; give them the same`);
                  sweeps.set(unit, { grid: gridName, sweep: JSON.stringify(sweep) });
                  for (const learningRate of sweep.learningRates) for (const seed of sweep.seeds) add(specFor(seed, learningRate), unit);
                  const chosen = chooseLearningRate(sweep, byUnit.get(unit) ?? []);
                  const others = grid.seeds.filter((seed) => !sweep.seeds.includes(seed));
                  if (chosen === null) for (const seed of others) pending.add(JSON.stringify([unit, seed]));
                  else for (const seed of others) add(specFor(seed, chosen), unit);
                }
  });
  return { runs: [...runs.values()], waiting: pending.size };
}

/** The runs of `planExperiment` (those that can run given `records`). */
export function expandExperiment(experiment: Experiment, records: readonly SelectionRecord[] = []): PlannedRun[] {
  return planExperiment(experiment, records).runs;
}
