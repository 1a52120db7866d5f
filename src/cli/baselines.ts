// `npm run cli -- baselines`: what makes the built-in tasks' numbers meaningful. For each task, on the
// dev split, over seeds: the majority class, a logistic regression on bag-of-words features, a linear
// head on the frozen default PLM, a dense Houlsby adapter on it, and the same two on a randomly
// initialised encoder of the same shape. The PLM runs go through the experiment runner (resumable).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mergeSettings } from '../engine/config';
import { BUILTIN_TASKS, type BuiltinTaskName } from '../engine/data/tasks';
import { loadPublicTask } from './builtinTask';
import { loadModelTokenizer } from '../engine/plm';
import { logisticRegressionBaseline, majorityBaseline, truncateToModelInput } from './baselines/simple';
import { modelFingerprint, RUNNER_FLAGS, runExperiment, runnerOptions } from './experiment';
import { GridSchema, PRESETS, type Experiment } from './experiment/grid';
import { aggregate, formatMeanStd, meanStd } from './experiment/report';
import { DEFAULT_MODEL_DIR, folderReader } from './modelFolder';

export const BASELINES_HELP = `  baselines  Baselines per built-in task (dev split, mean ± std over seeds): majority class, bag-of-words
           logistic regression, linear head on the frozen PLM, dense Houlsby adapter, and both on a random encoder.
           --out <dir>               baselines.md, baselines.json and the PLM runs' results.json (rerun to resume)
           --tasks <a,b>             default spam,genre,pos     --seeds <1,2,3>    --steps <n> (PLM runs; default 150)
           --backend, --jobs, --model  as for experiment (default model: ${DEFAULT_MODEL_DIR})`;

const numbers = (value: string, flag: string) => {
  const items = value.split(',').map(Number);
  if (items.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${flag} must be a comma-separated list of whole numbers; got "${value}"`);
  return items;
};

/** Runs the baselines sub-command. */
export async function baselinesCommand(args: string[]): Promise<void> {
  const { values: v } = parseArgs({ args, strict: true, options: { out: { type: 'string' }, tasks: { type: 'string' }, seeds: { type: 'string' }, steps: { type: 'string' }, ...RUNNER_FLAGS } });
  if (v.out === undefined) throw new Error('baselines needs --out <dir>');
  const runner = runnerOptions(v);
  const tasks = (v.tasks ?? 'spam,genre,pos').split(',') as BuiltinTaskName[];
  for (const t of tasks) if (!BUILTIN_TASKS.includes(t)) throw new Error(`unknown task "${t}" (available: ${BUILTIN_TASKS.join(', ')})`);
  const seeds = v.seeds === undefined ? [1, 2, 3] : numbers(v.seeds, '--seeds');
  const base = PRESETS.baselines!.grids[0]!;
  const grid = GridSchema.parse({ ...base, tasks, seeds, ...(v.steps !== undefined && { steps: numbers(v.steps, '--steps')[0] }) });
  const experiment: Experiment = { ...PRESETS.baselines!, grids: [grid] };
  const command = `npm run cli -- baselines ${args.join(' ')}`;
  const records = await runExperiment(experiment, { ...runner, out: v.out, command });
  const aggs = aggregate(records);
  // The PLM's tokenizer, so that a lexical baseline can also see only what the PLM runs see.
  const tokenizer = await loadModelTokenizer(folderReader(runner.modelDir));
  const seqLen = grid.seqLen ?? mergeSettings({}).train.seqLen;
  // Which model file these figures belong to (its card quotes them only when the hash matches).
  const model = await modelFingerprint(runner.modelDir);

  const rows: { task: string; method: string; accuracy: ReturnType<typeof meanStd>; macroF1: ReturnType<typeof meanStd>; trainable: string }[] = [];
  for (const name of tasks) {
    const task = await loadPublicTask(name);
    const majority = majorityBaseline(task);
    rows.push({ task: name, method: 'majority class', accuracy: meanStd([majority.accuracy]), macroF1: meanStd([majority.macroF1]), trainable: '—' });
    const lexical = task.kind === 'token' ? 'logistic regression on word features' : 'bag-of-words logistic regression';
    const truncated = truncateToModelInput(task, tokenizer, seqLen);
    for (const [t, input] of [[task, 'every word'], [truncated, `the first ${seqLen} word pieces, as the PLM`]] as const) {
      const lr = seeds.map((seed) => logisticRegressionBaseline(t, seed));
      rows.push({ task: name, method: `${lexical}, ${input}`, accuracy: meanStd(lr.map((m) => m.accuracy)), macroF1: meanStd(lr.map((m) => m.macroF1)), trainable: (lr[0]!.features * task.labels.length).toLocaleString('en-US') });
    }
    for (const encoder of ['pretrained', 'random'] as const) {
      // The baselines preset's two configurations, each with its row name.
      const methods = [['none', () => 'linear head'], ['houlsby', (dim: number) => `dense Houlsby adapter (dim ${dim}) + head`]] as const;
      for (const [adapter, method] of methods) {
        const a = aggs.find((x) => x.spec.task === name && x.spec.adapter === adapter && x.spec.encoder === encoder);
        if (!a) continue;
        const what = method(a.trained.dim);
        rows.push({ task: name, method: `${what}, ${encoder === 'pretrained' ? 'frozen PLM' : 'frozen random encoder'}`, accuracy: a.accuracy, macroF1: a.macroF1, trainable: a.trainableNonzero.toLocaleString('en-US') });
      }
    }
  }
  const t = grid;
  const markdown = [
    '# Baselines for the built-in tasks',
    '',
    `Command: \`${command}\``,
    '',
    `Model: \`${model.dir}\` (sha256 of its config.json and model.safetensors: \`${model.sha256.slice(0, 16)}…\`).`,
    '',
    `Dev split; accuracy (token accuracy for pos) and macro-F1 in percent, mean ± sample standard deviation over seeds ${seeds.join(', ')} (the majority class has no seed).`,
    `PLM runs: ${t.steps} steps, batch ${t.batchSize}, ${seqLen} word pieces per example (longer texts are cut; the lexical baselines are given once with every word and once with the same first word pieces, for tagging the words whose first piece fits, trained and scored on those), learning rate ${t.learningRate}, AdamW, on ${records[0]?.backend ?? runner.backend}.`,
    'The random encoder has the default PLM\'s shapes and tokenizer with every weight drawn as BERT initialises it (N(0, 0.02), LayerNorm 1/0): the gap to the pretrained rows is what pretraining contributes.',
    '',
    '| Task | Method | Dev metric (%) | Macro-F1 (%) | Trainable parameters |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.task} | ${r.method} | ${formatMeanStd(r.accuracy)} | ${formatMeanStd(r.macroF1)} | ${r.trainable} |`),
    '',
  ].join('\n');
  await writeFile(join(v.out, 'baselines.md'), markdown);
  await writeFile(join(v.out, 'baselines.json'), JSON.stringify({ command, model, seqLen, seeds, rows }, null, 1) + '\n');
  process.stderr.write(`baselines written to ${join(v.out, 'baselines.md')}\n`);
}
