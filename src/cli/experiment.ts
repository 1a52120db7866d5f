// `npm run cli -- experiment`: runs a grid of configurations (a preset or a grid file), writes
// results.json after every run (so an interrupted grid resumes where it stopped), a Markdown report
// with mean ± std over seeds and SVG charts. With --jobs n, n worker processes share the queue.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isHeadOnlyRun, parseGridFile, planExperiment, PRESETS, type Experiment, type PlannedRun } from './experiment/grid';
import { buildReport } from './experiment/report';
import { ExperimentContext, type ExperimentRecord } from './experiment/runOne';
import { DEFAULT_MODEL_DIR } from './modelFolder';
import { NODE_BACKEND_CHOICES, startNodeBackend, type NodeBackendChoice } from './nodeBackend';

export const EXPERIMENT_HELP = `  experiment  Run a grid of configurations; resumable.
           --preset <${Object.keys(PRESETS).join('|')}>   or   --grid <file.json>
                                     a grid: {"tasks":["spam"],"adapters":["houlsby"],"dims":[8],"sparsities":[0,0.5],
                                     "pruners":["snip"],"seeds":[1],"steps":3} (optional: largeSparse, encoders, scope,
                                     rounds, scoringBatches, batchSize, seqLen, learningRate, warmupRatio, weightDecay,
                                     evalEvery; "epochs":n instead of steps; "learningRates":[…] with "sweepSeeds":[…]:
                                     each rate on the sweep seeds, the best on dev for the other seeds, reported on
                                     test); or {"grids":[…]}
           --out <dir>               results.json, results.md and charts/*.svg (rerun to resume)
           --backend <${NODE_BACKEND_CHOICES.join('|')}>  default wasm; auto: WebGPU on a real GPU, else wasm
           --jobs <n>                worker processes (default 1; one core each on wasm/cpu)
           --model <dir>             default: ${DEFAULT_MODEL_DIR}
           --shard <i/n>             run only the i-th of n disjoint, balanced parts (i from 1; by run key, so
                                     shards agree without talking: one per array-job task), into its own --out
           --dry-run                 list the runs (of the shard) and exit
  experiment merge --out <dir> <shardDir>…   join shard results into one results.json, results.md and charts`;

const RESULTS_FORMAT = 'sparseadapter-experiment';
const RESULTS_VERSION = 1;

interface ResultsFile {
  format: typeof RESULTS_FORMAT;
  version: number;
  experiment: Experiment;
  command: string;
  /** Present when the file holds one part of the grid (`--shard i/n`). */
  shard?: Shard;
  runs: ExperimentRecord[];
  failed: { key: string; message: string }[];
  /** The model the runs were trained on; absent in files written before it was recorded. */
  model?: ModelFingerprint;
}

/** Which model a results file's runs come from: its folder as given, and a hash of its config and weights. */
export interface ModelFingerprint {
  dir: string;
  sha256: string;
}

/** sha256 over a model folder's config.json and weights (streamed: BERT-base's 440 MB are fine). */
export async function modelFingerprint(dir: string): Promise<ModelFingerprint> {
  const hash = createHash('sha256');
  for (const name of ['config.json', 'model.safetensors']) {
    if (!existsSync(join(dir, name))) continue;
    for await (const chunk of createReadStream(join(dir, name))) hash.update(chunk as Buffer);
  }
  return { dir, sha256: hash.digest('hex') };
}

/** Refuses to add runs of one model to results of another; the message names both and the way out. */
function checkSameModel(file: string, recorded: ModelFingerprint | undefined, current: ModelFingerprint, log: (line: string) => void): void {
  if (recorded === undefined) {
    log(`note: ${file} does not record which model its runs used (written before that was recorded); it is taken to be ${current.dir}`);
    return;
  }
  if (recorded.sha256 !== current.sha256) {
    throw new Error(`${file} holds runs of another model (${recorded.dir}, sha256 ${recorded.sha256.slice(0, 12)}…) than ${current.dir} (sha256 ${current.sha256.slice(0, 12)}…): results of two models would be mixed; choose another --out, or move the old results away`);
  }
}

/** The i-th (1-based) of n parts of a grid. */
export interface Shard {
  index: number;
  count: number;
}

/** Reads `i/n` (1 ≤ i ≤ n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new Error(`--shard must be i/n with 1 ≤ i ≤ n (e.g. 2/8); got "${text}"`);
  return { index, count };
}

/**
 * The runs of one shard: the grid's units (a run, or a configuration with its learning-rate sweep and
 * the seeds at the chosen rate) sorted by key, dealt out round-robin. Every shard computes the same
 * sorted list from the same grid, so the parts are disjoint, cover the grid and differ in size by at
 * most one unit, without any coordination; the order of the grid file does not matter. A sweep stays
 * in one shard, which therefore chooses its rate from its own records.
 */
export function shardRuns(planned: readonly PlannedRun[], shard: Shard): PlannedRun[] {
  const units = [...new Set(planned.map((p) => p.unit))].sort();
  const mine = new Set(units.filter((_, i) => i % shard.count === shard.index - 1));
  return planned.filter((p) => mine.has(p.unit));
}

/** Reads the records of an earlier, possibly interrupted, run of the same output folder. */
async function readPrevious(file: string): Promise<{ runs: ExperimentRecord[]; model?: ModelFingerprint }> {
  if (!existsSync(file)) return { runs: [] };
  let data: Partial<ResultsFile>;
  try {
    data = JSON.parse(await readFile(file, 'utf8')) as Partial<ResultsFile>;
  } catch (error) {
    throw new Error(`${file} exists but is not valid JSON (${(error as Error).message}); move it away or choose another --out`, { cause: error });
  }
  if (data.format !== RESULTS_FORMAT || !Array.isArray(data.runs)) throw new Error(`${file} is not an experiment results file; choose another --out`);
  if (data.version !== RESULTS_VERSION) throw new Error(`${file} has results format version ${String(data.version)}, this program writes ${RESULTS_VERSION}; choose another --out`);
  return { runs: data.runs, ...(data.model && { model: data.model }) };
}

/** Reads a whole results file (for merging), with the same checks. */
async function readResultsFile(file: string): Promise<ResultsFile> {
  if (!existsSync(file)) throw new Error(`${file} does not exist: is this a shard's --out folder?`);
  await readPrevious(file);
  return JSON.parse(await readFile(file, 'utf8')) as ResultsFile;
}

/**
 * Wraps an async task so that calls run one after another, never overlapping; each call's promise
 * settles with its own run (a failed run does not stop the ones queued after it).
 */
export function oneAtATime(task: () => Promise<void>): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return () => {
    const run = last.then(task, task);
    last = run.catch(() => undefined);
    return run;
  };
}

/** Writes through a temporary file and a rename, so a kill mid-write never leaves half a file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

const formatDuration = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(0)} s`);
export const describeRun = (p: PlannedRun) => {
  const s = p.spec;
  const what = isHeadOnlyRun(s) ? 'head only' : `${s.adapter} d${s.dim}${s.largeSparse > 1 ? ` k${s.largeSparse}` : ''} s${s.sparsity}${s.pruner ? ` ${s.pruner}` : ''}`;
  return `${s.task} ${what}${s.encoder === 'random' ? ' (random encoder)' : ''} seed ${s.seed}`;
};

/**
 * Runs what `next` gives on `jobs` forked workers (or in this process for 1), calling back per result.
 * `next` is asked again after every result, so runs that a finished one makes possible (the seeds at a
 * sweep's chosen rate) join at once; a worker that finds nothing waits while others still run.
 */
async function runQueue(next: () => PlannedRun | null, jobs: number, start: () => Promise<ExperimentContext>, childArgs: string[], onDone: (planned: PlannedRun, outcome: { record: ExperimentRecord } | { error: string }) => Promise<void>): Promise<void> {
  let first = next();
  if (!first) return;
  if (jobs === 1) {
    const context = await start();
    try {
      for (let planned: PlannedRun | null = first; planned; planned = next()) {
        try {
          await onDone(planned, { record: await context.run(planned) });
        } catch (error) {
          await onDone(planned, { error: error instanceof Error ? error.message : String(error) });
        }
      }
    } finally {
      context.dispose();
    }
    return;
  }
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    woken.forEach((w) => w());
  };
  const take = async (): Promise<PlannedRun | null> => {
    for (;;) {
      const p = first ?? next();
      first = null;
      if (p) return p;
      if (inFlight === 0) return null;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const worker = (): Promise<void> => new Promise((resolve, reject) => {
    const child: ChildProcess = fork(process.argv[1]!, ['experiment-worker', ...childArgs], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let current: PlannedRun | null = null;
    const give = async () => {
      current = await take();
      if (current) {
        inFlight++;
        child.send({ type: 'run', planned: current });
      } else child.send({ type: 'exit' });
    };
    child.on('message', (message: { type: 'ready' } | { type: 'done'; record: ExperimentRecord } | { type: 'error'; message: string }) => {
      if (message.type === 'ready') return void give().catch(reject);
      const finished = current!;
      void onDone(finished, message.type === 'done' ? { record: message.record } : { error: message.message }).then(() => {
        inFlight--;
        current = null;
        wake();
        return give();
      }).catch(reject);
    });
    child.on('exit', (code) => {
      if (current) {
        inFlight--;
        wake();
        reject(new Error(`a worker process exited with code ${code} during "${describeRun(current)}"`));
      } else resolve();
    });
  });
  await Promise.all(Array.from({ length: jobs }, worker));
}

/** The hidden worker side of --jobs: runs what the parent sends, one at a time. */
export async function experimentWorker(args: string[]): Promise<void> {
  const { values: v } = parseArgs({ args, strict: true, options: { backend: { type: 'string' }, model: { type: 'string' } } });
  const report = await startNodeBackend(v.backend as NodeBackendChoice);
  const context = new ExperimentContext(v.model ?? DEFAULT_MODEL_DIR, report.backend);
  const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  process.on('message', (message: { type: 'run'; planned: PlannedRun } | { type: 'exit' }) => {
    if (message.type === 'exit') {
      context.dispose();
      process.disconnect();
      return;
    }
    context.run(message.planned).then(
      (record) => send({ type: 'done', record }),
      (error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
  });
  await send({ type: 'ready' });
}

/** The flags shared by the commands that run grids: --backend, --jobs, --model. */
export const RUNNER_FLAGS = { backend: { type: 'string' }, jobs: { type: 'string' }, model: { type: 'string' } } as const;

/** Checks --backend, --jobs and --model. */
export function runnerOptions(v: { backend?: string; jobs?: string; model?: string }): Pick<ExperimentOptions, 'backend' | 'jobs' | 'modelDir'> {
  const backend = (v.backend ?? 'wasm') as NodeBackendChoice;
  if (!NODE_BACKEND_CHOICES.includes(backend)) throw new Error(`--backend must be one of ${NODE_BACKEND_CHOICES.join(', ')}; got "${v.backend}"`);
  const jobs = v.jobs === undefined ? 1 : Number(v.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new Error(`--jobs must be a whole number from 1 to 64; got "${v.jobs}"`);
  const modelDir = v.model ?? DEFAULT_MODEL_DIR;
  if (!existsSync(join(modelDir, 'config.json'))) throw new Error(`model folder ${modelDir} has no config.json`);
  return { backend, jobs, modelDir };
}

/** Runs the experiment sub-command. */
export async function experimentCommand(args: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args,
    strict: true,
    options: { preset: { type: 'string' }, grid: { type: 'string' }, out: { type: 'string' }, 'dry-run': { type: 'boolean' }, shard: { type: 'string' }, ...RUNNER_FLAGS },
    allowPositionals: true,
  });
  if (positionals[0] === 'merge') {
    if (v.out === undefined || positionals.length < 2) throw new Error('experiment merge needs --out <dir> and at least one shard folder');
    await mergeShards(v.out, positionals.slice(1));
    return;
  }
  if (positionals.length > 0) throw new Error(`experiment: unexpected argument "${positionals[0]}" (did you mean "experiment merge"?)`);
  const shard = v.shard === undefined ? undefined : parseShard(v.shard);
  if ((v.preset === undefined) === (v.grid === undefined)) throw new Error('experiment needs exactly one of --preset <name> and --grid <file.json>');
  let experiment: Experiment;
  if (v.preset !== undefined) {
    const preset = PRESETS[v.preset];
    if (!preset) throw new Error(`unknown preset "${v.preset}" (available: ${Object.keys(PRESETS).join(', ')})`);
    experiment = preset;
  } else {
    if (!existsSync(v.grid!)) throw new Error(`grid file ${v.grid} does not exist`);
    experiment = parseGridFile(await readFile(v.grid!, 'utf8'), v.grid!);
  }
  const { backend, jobs, modelDir } = runnerOptions(v);
  if (v['dry-run']) {
    // With --out, what is left given the records there (and the learning rates their sweeps chose).
    const records = v.out === undefined ? [] : (await readPrevious(join(v.out, 'results.json'))).runs;
    const { runs: all, waiting } = planExperiment(experiment, records);
    const planned = shard ? shardRuns(all, shard) : all;
    const done = new Set(records.map((r) => r.key));
    planned.forEach((p, i) => console.log(`${String(i + 1).padStart(4)}  [${p.grid}] ${describeRun(p)}${p.sweep ? ` lr ${p.spec.train.learningRate}` : ''}${done.has(p.key) ? '  (done)' : ''}`));
    console.log(`${planned.length} runs${shard ? ` (shard ${shard.index}/${shard.count} of ${all.length})` : ''}${waiting > 0 ? `, and ${waiting} more${shard ? ' in the whole grid' : ''} at the learning rates their sweeps will choose` : ''}`);
    return;
  }
  if (v.out === undefined) throw new Error('experiment needs --out <dir> (where results.json, results.md and charts/ go)');
  await runExperiment(experiment, { out: v.out, backend, jobs, modelDir, command: `npm run cli -- experiment ${args.join(' ')}`, shard });
}

/** Where and how an experiment runs. */
export interface ExperimentOptions {
  out: string;
  backend: NodeBackendChoice;
  jobs: number;
  modelDir: string;
  /** The command line that reproduces it, for the report. */
  command: string;
  /** Run only this part of the grid. */
  shard?: Shard;
}

/** Runs (or resumes) an experiment into `options.out`; returns the records of every finished run. */
export async function runExperiment(experiment: Experiment, options: ExperimentOptions): Promise<ExperimentRecord[]> {
  const { out, backend, jobs, modelDir, command, shard } = options;
  await mkdir(join(out, 'charts'), { recursive: true });
  const resultsFile = join(out, 'results.json');
  const previous = await readPrevious(resultsFile);
  const earlier = previous.runs;
  const model = await modelFingerprint(modelDir);
  if (earlier.length > 0) checkSameModel(resultsFile, previous.model, model, (line) => process.stderr.write(line + '\n'));
  // What is planned depends on the finished sweeps: plan, run what can run, and plan again until nothing new can.
  const planWith = (records: readonly ExperimentRecord[]) => {
    const plan = planExperiment(experiment, records);
    return { planned: shard ? shardRuns(plan.runs, shard) : plan.runs, waiting: plan.waiting };
  };
  let { planned, waiting } = planWith(earlier);
  const done = new Map(earlier.map((r) => [r.key, r]));
  const failed: ResultsFile['failed'] = [];
  const log = (line: string) => process.stderr.write(line + '\n');
  const total = () => planned.length + waiting;
  const doneOf = () => planned.filter((p) => done.has(p.key)).length;
  log(`${experiment.name}${shard ? ` shard ${shard.index}/${shard.count}` : ''}: ${total()} runs${waiting > 0 ? ` (${waiting} of them at the learning rates their sweeps will choose)` : ''}, ${doneOf()} already in ${resultsFile}, ${planned.length - doneOf()} to go now on ${backend} with ${jobs} job(s)`);

  // Results arrive from several jobs at once: writes go one at a time, or two renames of the same
  // temporary file race (the second fails with ENOENT and ends the whole experiment).
  const save = oneAtATime(async () => {
    // Planned runs, and the runs of a configuration whose rate is to be chosen again (a rate was added to
    // its sweep): they wait in the file for the choice, and count again if it falls on their rate.
    const units = new Set(planned.map((p) => p.unit));
    const plannedKeys = new Set(planned.map((p) => p.key));
    const waitingRuns = [...done.values()].filter((r) => !plannedKeys.has(r.key) && r.sweep && r.unit !== undefined && units.has(r.unit));
    // Each record states its configuration's sweep as the grid now gives it (the rates its rate is chosen from).
    const sweepOf = new Map(planned.flatMap((p) => (p.sweep ? [[p.unit, p.sweep] as const] : [])));
    const runs = [...planned.map((p) => done.get(p.key)).filter((r): r is ExperimentRecord => r !== undefined), ...waitingRuns]
      .map((r) => (r.sweep && r.unit !== undefined && sweepOf.has(r.unit) ? { ...r, sweep: sweepOf.get(r.unit)! } : r));
    await writeResults(out, { format: RESULTS_FORMAT, version: RESULTS_VERSION, experiment, command, ...(shard && { shard }), model, runs, failed }, total());
  });
  const began = Date.now();
  let finishedHere = 0;
  // Each run is tried once per invocation (a failed one waits for the next); in plan order, so a
  // configuration's sweep and then its other seeds finish before the next configuration starts.
  const attempted = new Set<string>();
  const next = () => {
    const p = planned.find((q) => !done.has(q.key) && !attempted.has(q.key)) ?? null;
    if (p) attempted.add(p.key);
    return p;
  };
  await runQueue(
    next,
    jobs,
    async () => {
      const report = await startNodeBackend(backend);
      log(`backend: ${report.backend}${report.adapter ? ` (${[report.adapter.vendor, report.adapter.architecture].filter(Boolean).join(' ')}${report.adapter.isFallbackAdapter ? ', software fallback' : ''})` : ''}${report.fallbacks.length > 0 ? `; not ${report.fallbacks.join('; ')}` : ''}`);
      return new ExperimentContext(modelDir, report.backend);
    },
    ['--backend', backend, '--model', modelDir],
    async (p, outcome) => {
      finishedHere++;
      if ('record' in outcome) {
        done.set(p.key, outcome.record);
        ({ planned, waiting } = planWith([...done.values()]));
      } else failed.push({ key: p.key, message: outcome.error });
      const left = total() - doneOf() - failed.length;
      const eta = (((Date.now() - began) / 1000) / finishedHere) * left;
      const where = `[${doneOf() + failed.length}/${total()}] ${describeRun(p)}${p.sweep ? ` lr ${p.spec.train.learningRate}` : ''}`;
      if ('record' in outcome) log(`${where}: dev ${(100 * outcome.record.dev.accuracy).toFixed(1)}%${outcome.record.test ? `, test ${(100 * outcome.record.test.accuracy).toFixed(1)}%` : ''} in ${outcome.record.seconds.toFixed(1)} s; ETA ${formatDuration(eta)}`);
      else log(`${where}: FAILED: ${outcome.error}`);
      await save();
    },
  );
  await save();
  log(`${doneOf()} of ${total()} runs in ${resultsFile}; report in ${join(out, 'results.md')} (${formatDuration((Date.now() - began) / 1000)} this time)`);
  if (failed.length > 0) throw new Error(`${failed.length} run(s) failed (listed under "failed" in ${resultsFile})${waiting > 0 ? `; ${waiting} run(s) wait for those sweeps` : ''}; rerun the same command to retry them`);
  return planned.map((p) => done.get(p.key)!);
}

/** Writes results.json, results.md and the charts of a (possibly merged or sharded) results file. */
async function writeResults(out: string, file: ResultsFile, plannedCount: number): Promise<void> {
  await mkdir(join(out, 'charts'), { recursive: true });
  await writeAtomically(join(out, 'results.json'), JSON.stringify(file, null, 1) + '\n');
  const title = `Experiment: ${file.experiment.name}${file.shard ? ` (shard ${file.shard.index}/${file.shard.count})` : ''}`;
  const report = buildReport(title, file.experiment.description, file.runs, plannedCount, file.command, file.model);
  await writeAtomically(join(out, 'results.md'), report.markdown);
  for (const [name, svg] of report.charts) await writeAtomically(join(out, 'charts', name), svg);
}

/** What identifies a run's outcome in a record (not when or how fast it ran). */
const outcomeOf = (r: ExperimentRecord) => JSON.stringify({ spec: r.spec, trained: r.trained, budget: r.budget, dev: r.dev, losses: r.losses });

/**
 * `experiment merge`: joins the results of shard folders into one, as the unsharded run writes it (runs
 * in the grid's order). Refuses shards of different grids, and a run present in two shards with
 * different numbers; a run missing from every shard is reported (rerun that shard).
 */
export async function mergeShards(out: string, shardDirs: string[]): Promise<ExperimentRecord[]> {
  const files = await Promise.all(shardDirs.map(async (d) => ({ dir: d, file: await readResultsFile(join(d, 'results.json')) })));
  const first = files[0]!;
  const grid = JSON.stringify(first.file.experiment);
  for (const { dir, file } of files) {
    if (JSON.stringify(file.experiment) !== grid) throw new Error(`${dir} holds results of another grid ("${file.experiment.name}") than ${first.dir} ("${first.file.experiment.name}"): merge shards of one experiment only`);
    if (file.model && first.file.model) checkSameModel(join(dir, 'results.json'), file.model, first.file.model, () => {});
  }
  const model = files.find((f) => f.file.model)?.file.model;
  const byKey = new Map<string, { record: ExperimentRecord; dir: string }>();
  for (const { dir, file } of files) {
    for (const record of file.runs) {
      const seen = byKey.get(record.key);
      if (seen && outcomeOf(seen.record) !== outcomeOf(record)) throw new Error(`run ${record.key} is in ${seen.dir} and ${dir} with different numbers: these shards did not run the same thing`);
      if (!seen) byKey.set(record.key, { record, dir });
    }
  }
  const { runs: planned, waiting } = planExperiment(first.file.experiment, [...byKey.values()].map((b) => b.record));
  const runs = planned.map((p) => byKey.get(p.key)?.record).filter((r): r is ExperimentRecord => r !== undefined);
  const failed = files.flatMap(({ file }) => file.failed).filter((f) => !byKey.has(f.key));
  const missing = planned.length + waiting - runs.length;
  const command = `npm run cli -- experiment merge --out ${out} ${shardDirs.join(' ')}`;
  await writeResults(out, { format: RESULTS_FORMAT, version: RESULTS_VERSION, experiment: first.file.experiment, command, ...(model && { model }), runs, failed }, planned.length + waiting);
  process.stderr.write(`merged ${files.length} shard(s): ${runs.length} of ${planned.length + waiting} runs into ${join(out, 'results.json')}${missing > 0 ? `; ${missing} missing (rerun their shards)` : ''}\n`);
  return runs;
}
