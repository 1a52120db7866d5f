// Every setting of a run, declared once in one table: its type, its allowed values or range, the
// controls' step, its default, label, help and command-line flag. The types, the zod schemas and
// everything that reads or checks a setting are derived from the table: the page's controls, share
// links and run files (parseRunSettings), adapter files, grids, the CLI's flags and help, and the
// engine's range checks. Plain data with no tfjs, so the page imports it.
import { z } from 'zod';
import { adapterSpec, isHeadOnly } from './adapters/registry';
import { BUILTIN_TASKS } from './catalog';

export { exportLibrary } from './adapters/registry';

/** The adapter kinds (each one spec module in adapters/), in the order the UI lists them; `none` trains the head only. */
export const ADAPTER_KINDS = ['houlsby', 'pfeiffer', 'lora', 'parallel', 'prefix', 'mam', 'none'] as const;
export const NONLINEARITIES = ['relu', 'gelu', 'tanh', 'swish'] as const;
/**
 * How adapter weights start. `bert`: every matrix N(0, 0.02), biases 0, as the SparseAdapter reference
 * trains bottleneck adapters; SNIP scores are informative for every matrix. `standard`: the usual
 * defaults that zero one projection (LoRA's B, the parallel/MAM up-projection), under which SNIP
 * scores of the other projection are all zero (the pruner reports it).
 */
export const ADAPTER_INITS = ['bert', 'standard'] as const;
/** The pruners, in the order the UI lists them. */
/**
 * `snip`: the reference code's SNIP, |Σ_b ∂L_b/∂θ ⊙ θ| (gradients summed over the scoring batches, then |·|);
 * `snip-abs`: Σ_b |∂L_b/∂θ ⊙ θ| (each batch's magnitude summed), this project's earlier default.
 */
export const PRUNER_KINDS = ['snip', 'snip-abs', 'random', 'magnitude', 'grasp', 'synflow'] as const;
/** `global`: one threshold over all prunable tensors; `local`: the same fraction kept in each tensor. */
export const PRUNE_SCOPES = ['global', 'local'] as const;
/** How the kept fraction falls from 1 to 1 − sparsity over the rounds. */
export const PRUNE_SCHEDULES = ['exponential', 'linear'] as const;

// ------------------------------------------------------------------ the table

/** A number: whole or real, in [min, max] (min excluded where `above`), moved by `step` in the controls. */
export interface NumberSetting {
  type: 'int' | 'real';
  min: number;
  max: number;
  /** The minimum itself is not allowed (a learning rate of 0 trains nothing). */
  above?: boolean;
  step: number;
  default: number;
  label: string;
  help: string;
  /** The CLI flag, without `--`. */
  flag: string;
  /** After Large-Sparse (what the engine trains): the bound below which it stays, where the range's maximum no longer holds. */
  resolvedBelow?: number;
}
/** One of a list of names. */
export interface ChoiceSetting<T extends string = string> {
  type: 'choice';
  values: readonly T[];
  default: T;
  label: string;
  help: string;
  flag: string;
}
/** On or off (a CLI switch). */
export interface SwitchSetting {
  type: 'switch';
  default: boolean;
  label: string;
  help: string;
  flag: string;
}
export type Setting = NumberSetting | ChoiceSetting | SwitchSetting;

const int = (min: number, max: number, d: number, label: string, flag: string, help: string, step = 1): NumberSetting => ({ type: 'int', min, max, step, default: d, label, help, flag });
const real = (min: number, max: number, d: number, step: number, label: string, flag: string, help: string, above = false): NumberSetting => ({ type: 'real', min, max, ...(above && { above }), step, default: d, label, help, flag });
const choice = <const T extends string>(values: readonly T[], d: NoInfer<T>, label: string, flag: string, help: string): ChoiceSetting<T> => ({ type: 'choice', values, default: d, label, help, flag });
const onOff = (d: boolean, label: string, flag: string, help: string): SwitchSetting => ({ type: 'switch', default: d, label, help, flag });

const SEED_MAX = 2 ** 31 - 1;

/**
 * Every setting, by section. Adapter defaults are the common ones: an adapter kind's spec (adapters/)
 * overrides `dim` and `nonlinearity` (AdapterHub: Houlsby swish, others ReLU; LoRA r = 8).
 */
export const SETTINGS = {
  adapter: {
    kind: choice(ADAPTER_KINDS, 'houlsby', 'Adapter type', 'adapter', 'the adapter kind; none: train the head only'),
    dim: int(1, 1024, 16, 'Dimension', 'dim', 'bottleneck size / LoRA rank / prefix length'),
    nonlinearity: choice(NONLINEARITIES, 'relu', 'Non-linearity', 'nonlinearity', "the bottleneck's activation"),
    init: choice(ADAPTER_INITS, 'bert', 'Initialisation', 'init', 'bert: every matrix N(0, 0.02); standard: zero LoRA B and the parallel up-projection'),
    loraAlpha: real(0.001, 4096, 8, 1, 'LoRA alpha', 'lora-alpha', "LoRA's update is scaled by alpha / r"),
    parallelScale: real(0, 100, 4, 0.5, 'Parallel scale', 'parallel-scale', "the parallel adapter's output scale s"),
    prefixHidden: int(1, 4096, 64, 'Prefix MLP width', 'prefix-hidden', 'hidden size of the prefix reparametrisation MLP'),
    mamParallelDim: int(1, 1024, 32, 'Parallel bottleneck', 'mam-parallel-dim', "MAM: the parallel adapter's bottleneck (dim is the prefix length)"),
    pruneBiases: onOff(false, 'also prune biases', 'prune-biases', 'prune biases too (off, as in the reference)'),
    prunePrefix: onOff(false, "prune the prefix MLP (this project's extension, not in the paper)", 'prune-prefix', "prune the prefix MLP's weight matrices (this project's extension)"),
  },
  prune: {
    pruner: choice(PRUNER_KINDS, 'snip', 'Pruner', 'pruner', 'how adapter weights are scored at initialisation'),
    sparsity: { ...real(0, 0.99, 0.4, 0.01, 'Sparsity', 'sparsity', 'fraction of prunable adapter weights REMOVED (the reference code gives the fraction kept)'), resolvedBelow: 1 },
    scope: choice(PRUNE_SCOPES, 'global', 'Scope', 'scope', 'global: one threshold over all tensors; local: the same fraction in each'),
    rounds: int(1, 100, 1, 'Rounds', 'rounds', 'scoring rounds, each with the previous masks applied'),
    schedule: choice(PRUNE_SCHEDULES, 'exponential', 'Schedule', 'schedule', 'how the kept fraction falls over the rounds'),
    scoringBatches: int(1, 64, 4, 'Scoring batches', 'scoring-batches', 'batches whose scores are summed in each round (data-free pruners ignore it)'),
  },
  largeSparse: int(1, 16, 1, 'Large-Sparse factor k', 'large-sparse', 'k > 1: k× the dimension at sparsity 1 − (1 − s)/k, the same budget'),
  train: {
    steps: int(1, 1_000_000, 200, 'Steps', 'steps', 'training steps'),
    batchSize: int(1, 1024, 16, 'Batch size', 'batch-size', 'examples per step'),
    seqLen: int(8, 512, 64, 'Sequence length', 'seq-len', 'tokens per example, [CLS] and [SEP] included'),
    learningRate: real(0, 1, 1e-3, 0.0001, 'Learning rate', 'lr', "AdamW's peak learning rate", true),
    warmupRatio: real(0, 1, 0.06, 0.01, 'Warmup ratio', 'warmup-ratio', 'fraction of the steps with a linearly rising learning rate'),
    weightDecay: real(0, 10, 0.1, 0.01, 'Weight decay', 'weight-decay', "AdamW's decoupled weight decay (weight matrices only)"),
    maxGradNorm: real(0, 1000, 1, 0.1, 'Gradient clip', 'max-grad-norm', 'the global gradient norm is clipped to this (0 zeroes every update)'),
    seed: int(0, SEED_MAX, 1, 'Seed', 'seed', 'seeds the training: one random stream each for data order, head, adapter and pruner (random.ts)'),
    evalEvery: int(0, 1_000_000, 50, 'Eval every (steps)', 'eval-every', 'evaluate on the dev split every this many steps and at the end (0: only at the end)'),
  },
  /** Part of the task rather than the training: every training seed sees the same split. */
  splitSeed: int(0, SEED_MAX, 1, 'Split seed', 'split-seed', "seeds the task's dev cut where its file has none (uploads, the toy task), apart from the training seed"),
} as const;

type SectionName = 'adapter' | 'prune' | 'train';

/** A zod schema of one setting: exactly its range, or its names. */
export function settingSchema(s: NumberSetting, resolved?: boolean): z.ZodNumber;
export function settingSchema<T extends string>(s: ChoiceSetting<T>, resolved?: boolean): z.ZodEnum<{ [K in T]: K }>;
export function settingSchema(s: SwitchSetting, resolved?: boolean): z.ZodBoolean;
export function settingSchema(s: Setting, resolved?: boolean): z.ZodType;
/** `resolved`: as the engine trains it, after Large-Sparse: numbers keep their minimum, but not their maximum (k× a dimension may exceed it). */
export function settingSchema(s: Setting, resolved = false): z.ZodType {
  if (s.type === 'choice') return z.enum(s.values as [string, ...string[]]);
  if (s.type === 'switch') return z.boolean();
  const n = s.type === 'int' ? z.number().int() : z.number();
  const low = s.above ? n.gt(s.min) : n.min(s.min);
  if (!resolved) return low.max(s.max);
  return s.resolvedBelow === undefined ? low.refine(Number.isFinite, 'not a finite number') : low.lt(s.resolvedBelow);
}

type SchemaOf<S> = S extends ChoiceSetting<infer T> ? z.ZodEnum<{ [K in T]: K }> : S extends SwitchSetting ? z.ZodBoolean : z.ZodNumber;
type SectionShape<T> = { -readonly [K in keyof T]: SchemaOf<T[K]> };

function sectionSchema<T extends Record<string, Setting>>(section: T, resolved = false): z.ZodObject<SectionShape<T>, z.core.$strict> {
  return z.strictObject(Object.fromEntries(Object.entries(section).map(([key, s]) => [key, settingSchema(s, resolved)])) as SectionShape<T>);
}

/** The adapter's options: `dim` is the bottleneck size, LoRA's rank or the prefix length. */
export const AdapterOptionsSchema = sectionSchema(SETTINGS.adapter);
export const PruneOptionsSchema = sectionSchema(SETTINGS.prune);
export const TrainOptionsSchema = sectionSchema(SETTINGS.train);
/** A task: a built-in task's name, or `file:<name>` for a file the user loaded. */
export const TaskIdSchema = z.string().min(1).max(300);
/** Every setting of a run, each within its range. */
export const RunSettingsSchema = z.strictObject({ task: TaskIdSchema, splitSeed: settingSchema(SETTINGS.splitSeed), adapter: AdapterOptionsSchema, prune: PruneOptionsSchema, largeSparse: settingSchema(SETTINGS.largeSparse), train: TrainOptionsSchema });
/** A run as the engine trains it (train.ts's RunConfig): Large-Sparse applied, so dimensions may exceed their range and sparsity only stays below 1. */
export const ResolvedRunSchema = z.strictObject({ adapter: sectionSchema(SETTINGS.adapter, true), prune: sectionSchema(SETTINGS.prune, true), train: sectionSchema(SETTINGS.train, true) });

export type AdapterOptions = z.infer<typeof AdapterOptionsSchema>;
export type PruneOptions = z.infer<typeof PruneOptionsSchema>;
export type TrainOptions = z.infer<typeof TrainOptionsSchema>;
/** What the user chose: the standard adapter, how to prune it, a Large-Sparse factor (1: none), and training settings. */
export type RunSettings = z.infer<typeof RunSettingsSchema>;
export type AdapterKind = AdapterOptions['kind'];
export type Nonlinearity = AdapterOptions['nonlinearity'];
export type AdapterInit = AdapterOptions['init'];
export type PrunerKind = PruneOptions['pruner'];
export type PruneScope = PruneOptions['scope'];
export type PruneSchedule = PruneOptions['schedule'];

/** One setting with where it lives in RunSettings (`section` null: top level). */
export interface SettingLeaf {
  section: SectionName | null;
  key: string;
  /** `prune.sparsity`, `largeSparse`: how messages name it. */
  path: string;
  setting: Setting;
}

/** Every setting in table order. */
export const SETTING_LEAVES: readonly SettingLeaf[] = [
  ...(['adapter', 'prune'] as const).flatMap((section) => Object.entries(SETTINGS[section]).map(([key, setting]) => ({ section, key, path: `${section}.${key}`, setting }))),
  { section: null, key: 'largeSparse', path: 'largeSparse', setting: SETTINGS.largeSparse },
  ...Object.entries(SETTINGS.train).map(([key, setting]) => ({ section: 'train' as const, key, path: `train.${key}`, setting })),
  { section: null, key: 'splitSeed', path: 'splitSeed', setting: SETTINGS.splitSeed },
];

const defaultsOf = <T extends Record<string, Setting>>(section: T) => Object.fromEntries(Object.entries(section).map(([k, s]) => [k, s.default]));

// ------------------------------------------------------------------ defaults and overrides

/** The adapter options of a kind: the table's defaults under the kind's own (its spec). */
export function defaultAdapterOptions(kind: AdapterKind): AdapterOptions {
  return { ...(defaultsOf(SETTINGS.adapter) as AdapterOptions), kind, ...adapterSpec(kind).defaults };
}

export const DEFAULT_PRUNE_OPTIONS: PruneOptions = defaultsOf(SETTINGS.prune) as PruneOptions;
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = defaultsOf(SETTINGS.train) as TrainOptions;

/** Defaults for an adapter kind (the paper's SNIP at 40% sparsity, global scope). */
export function defaultRunSettings(kind: AdapterKind = SETTINGS.adapter.kind.default, task = 'toy'): RunSettings {
  return { task, splitSeed: SETTINGS.splitSeed.default, adapter: defaultAdapterOptions(kind), prune: { ...DEFAULT_PRUNE_OPTIONS }, largeSparse: SETTINGS.largeSparse.default, train: { ...DEFAULT_TRAIN_OPTIONS } };
}

/**
 * The settings with another adapter kind, at that kind's own defaults, the rest kept; a head-only kind
 * (its spec adds no tensor) gets sparsity 0 and no Large-Sparse factor, since it has nothing to prune or widen.
 */
export function withAdapterKind(settings: RunSettings, kind: AdapterKind): RunSettings {
  const adapter = defaultAdapterOptions(kind);
  if (!isHeadOnly(adapter)) return { ...settings, adapter };
  return { ...settings, adapter, prune: { ...settings.prune, sparsity: 0 }, largeSparse: 1 };
}

/** Overrides, merged once over the defaults of the chosen adapter kind. */
export interface RunOverrides {
  task?: string;
  splitSeed?: number;
  adapter?: Partial<AdapterOptions>;
  prune?: Partial<PruneOptions>;
  largeSparse?: number;
  train?: Partial<TrainOptions>;
}

/** Merges overrides over the defaults; the adapter kind's own defaults apply before its overrides. */
export function mergeSettings(overrides: RunOverrides): RunSettings {
  const base = defaultRunSettings(overrides.adapter?.kind ?? 'houlsby', overrides.task ?? 'toy');
  return {
    task: base.task,
    splitSeed: overrides.splitSeed ?? base.splitSeed,
    adapter: { ...base.adapter, ...overrides.adapter },
    prune: { ...base.prune, ...overrides.prune },
    largeSparse: overrides.largeSparse ?? base.largeSparse,
    train: { ...base.train, ...overrides.train },
  };
}

// ------------------------------------------------------------------ reading untrusted settings

/** Shows a bad value in a message: short, as text (never interpreted as markup by React). */
const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/** A setting's range or names in words, for messages and help: "1 to 1024", "one of global, local". */
export function describeRange(s: Setting | PageSetting): string {
  if (s.type === 'choice') return `one of ${s.values.join(', ')}`;
  if (s.type === 'switch') return 'on or off';
  return `${s.type === 'int' ? 'a whole number' : 'a number'} ${s.above ? `above ${s.min} and at most ${s.max}` : `from ${s.min} to ${s.max}`}`;
}

/**
 * Reads settings from untrusted JSON (a share link, a run file, an adapter file): every valid leaf is
 * taken, every invalid or missing one is the default (of the adapter kind it names), and each
 * fallback is reported in words naming `where`. Tasks: a built-in one (catalog.ts), or with `allowFileTasks`
 * a `file:` task (an uploaded file, which a link cannot carry).
 */
export function parseRunSettings(raw: unknown, where: string, options: { allowFileTasks?: boolean } = {}): { settings: RunSettings; problems: string[] } {
  const problems: string[] = [];
  const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const top = obj(raw);
  const kindResult = AdapterOptionsSchema.shape.kind.safeParse(obj(top.adapter).kind);
  if (!kindResult.success) problems.push(`${where}: adapter.kind ${show(obj(top.adapter).kind)} is not one of ${ADAPTER_KINDS.join(', ')}; using houlsby`);
  const settings = defaultRunSettings(kindResult.success ? kindResult.data : 'houlsby');
  for (const section of ['adapter', 'prune', 'train'] as const) {
    const given = obj(top[section]);
    const target = settings[section] as Record<string, unknown>;
    const missing: string[] = [];
    for (const [key, setting] of Object.entries(SETTINGS[section])) {
      if (section === 'adapter' && key === 'kind') continue;
      if (!Object.hasOwn(given, key)) {
        missing.push(`${key} = ${show(target[key])}`);
        continue;
      }
      const parsed = settingSchema(setting as Setting).safeParse(given[key]);
      if (parsed.success) target[key] = parsed.data;
      else problems.push(`${where}: ${section}.${key} ${show(given[key])} is not valid (${parsed.error.issues[0]?.message ?? 'invalid'}); using ${show(target[key])}`);
    }
    if (missing.length > 0) problems.push(`${where}: ${missing.length === 1 ? `${section}.${missing[0]!.split(' = ')[0]} is` : `${missing.length} ${section} settings are`} missing; using the default${missing.length === 1 ? '' : 's'} (${missing.join(', ')})`);
  }
  const k = settingSchema(SETTINGS.largeSparse).safeParse(top.largeSparse);
  if (k.success) settings.largeSparse = k.data;
  else problems.push(`${where}: largeSparse ${show(top.largeSparse)} is not ${describeRange(SETTINGS.largeSparse)}; using ${SETTINGS.largeSparse.default}`);
  // Links and files from before the split seed was a setting have none: the page split with the default.
  const splitSeed = settingSchema(SETTINGS.splitSeed).safeParse(top.splitSeed);
  if (splitSeed.success) settings.splitSeed = splitSeed.data;
  else if (top.splitSeed !== undefined) problems.push(`${where}: splitSeed ${show(top.splitSeed)} is not ${describeRange(SETTINGS.splitSeed)}; using ${SETTINGS.splitSeed.default}`);
  if (typeof top.task === 'string' && (BUILTIN_TASKS as readonly string[]).includes(top.task)) settings.task = top.task;
  else if (options.allowFileTasks && typeof top.task === 'string' && /^file:.{1,255}$/.test(top.task)) settings.task = top.task;
  else if (typeof top.task === 'string' && top.task.startsWith('file:')) problems.push(`${where}: the run used your sender's own file ${show(top.task.slice(5))}, which a link cannot carry; using the toy task (upload the file and pick it to train on it)`);
  else problems.push(`${where}: task ${show(top.task)} is not a built-in task; using toy`);
  return { settings, problems };
}

/** Checks every setting against its range; throws a message naming the first bad one. */
export function checkRunSettings(settings: RunSettings): RunSettings {
  const parsed = RunSettingsSchema.safeParse(settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.');
  const leaf = SETTING_LEAVES.find((l) => l.path === path);
  const value = issue.path.reduce<unknown>((v, key) => (v as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey], settings);
  throw new Error(leaf ? `${path} must be ${describeRange(leaf.setting)}, got ${show(value)}` : `${path || 'the settings'}: ${issue.message}`);
}

// ------------------------------------------------------------------ the page's repetition settings

/**
 * A setting of how the page repeats a run rather than of the run itself: a whole number with the run
 * settings' label, help, range and step, and no CLI flag (an experiment grid lists its seeds instead).
 */
export interface PageSetting {
  type: 'int';
  min: number;
  max: number;
  step: number;
  default: number;
  label: string;
  help: string;
  /** Page settings have no open lower bound (here so that describeRange reads both kinds alike). */
  above?: undefined;
}

/**
 * The page's repetition settings, declared once. They never reach the engine: RunSettings goes into
 * adapter files and experiment keys, and each of the n runs is an ordinary run with its own seed, so
 * these live beside it. The controls, share links and run files read them from here.
 */
export const PAGE_SETTINGS = {
  seeds: { type: 'int', min: 1, max: 20, step: 1, default: 1, label: 'Seeds', help: 'runs the configuration this many times, with seeds seed, seed + 1, …, seed + n − 1; the page draws their mean with a 95% band (Student t over seeds) and pairs a comparison seed by seed' },
} as const satisfies Record<string, PageSetting>;

/** A zod schema of one page setting: exactly its range. */
export function pageSettingSchema(s: PageSetting): z.ZodNumber {
  return z.number().int().min(s.min).max(s.max);
}

/** The page's repetition settings, each within its range. */
export const PageSettingsSchema = z.strictObject({ seeds: pageSettingSchema(PAGE_SETTINGS.seeds) });
export type PageSettings = z.infer<typeof PageSettingsSchema>;
export const DEFAULT_PAGE_SETTINGS: PageSettings = { seeds: PAGE_SETTINGS.seeds.default };

/**
 * Reads page settings from untrusted JSON (a share link, a run file). Absent settings (links and files
 * from before they existed) take their defaults silently; a present but invalid one takes its default
 * with a message naming `where`, the setting, the value and its range.
 */
export function parsePageSettings(raw: unknown, where: string): { settings: PageSettings; problems: string[] } {
  const settings: PageSettings = { ...DEFAULT_PAGE_SETTINGS };
  if (raw === undefined) return { settings, problems: [] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { settings, problems: [`${where}: its page settings ${show(raw)} are not an object; using the defaults (${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join(', ')})`] };
  const given = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(PAGE_SETTINGS) as [keyof PageSettings, PageSetting][]) {
    if (!Object.hasOwn(given, key)) continue;
    const parsed = pageSettingSchema(setting).safeParse(given[key]);
    if (parsed.success) settings[key] = parsed.data;
    else problems.push(`${where}: ${key} ${show(given[key])} is not ${describeRange(setting)}; using ${setting.default}`);
  }
  return { settings, problems };
}
