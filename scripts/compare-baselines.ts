// Two comparisons behind docs/baselines/README.md, each with its 95% interval and the verdict it allows:
//   1. one model's PLM rows against another's (the baselines command run twice, with --model), paired
//      by seed (same seeds, same batches);
//   2. the dense Houlsby adapter on the first model against the lexical baseline on the same input (the
//      first seqLen word pieces), unpaired: a Welch t interval over the seeds of each.
// Usage: npx tsx scripts/compare-baselines.ts <baselines dir> <baselines dir of the other model>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logisticRegressionBaseline, truncateToModelInput } from '../src/cli/baselines/simple';
import { loadPublicTask } from '../src/cli/builtinTask';
import { folderReader } from '../src/cli/modelFolder';
import type { ExperimentRecord } from '../src/cli/experiment/runOne';
import { loadModelTokenizer } from '../src/engine/plm';
import { mean, pairedDifference, sampleSd, tQuantile, verdict } from '../src/engine/stats';

interface Baselines {
  model: { dir: string; sha256: string };
  seqLen: number;
  seeds: number[];
}

const read = (dir: string) => ({
  baselines: JSON.parse(readFileSync(join(dir, 'baselines.json'), 'utf8')) as Baselines,
  runs: (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { runs: ExperimentRecord[] }).runs,
});
const points = (x: number) => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(1);
const interval = (low: number, high: number) => `[${points(low)}, ${points(high)}]`;

/** Dev accuracies (in points) of a configuration, in the order of `seeds`. */
function devBySeed(runs: ExperimentRecord[], task: string, adapter: string, seeds: number[]): number[] {
  return seeds.map((seed) => {
    const r = runs.find((x) => x.spec.task === task && x.spec.adapter === adapter && x.spec.encoder === 'pretrained' && x.spec.seed === seed);
    if (!r) throw new Error(`no ${task} ${adapter} run for seed ${seed}`);
    return 100 * r.dev.accuracy;
  });
}

/** Welch's t interval for mean(a) − mean(b). */
function welch(a: number[], b: number[]) {
  const va = sampleSd(a) ** 2 / a.length;
  const vb = sampleSd(b) ** 2 / b.length;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const m = mean(a) - mean(b);
  const half = tQuantile(df, 0.95) * Math.sqrt(va + vb);
  return { mean: m, low: m - half, high: m + half, df };
}

async function main() {
  const [newDir, oldDir] = process.argv.slice(2);
  if (!newDir || !oldDir) throw new Error('usage: npx tsx scripts/compare-baselines.ts <baselines dir> <baselines dir of the other model>');
  const a = read(newDir);
  const b = read(oldDir);
  const seeds = a.baselines.seeds.filter((s) => b.baselines.seeds.includes(s));
  const lines = [
    `${a.baselines.model.dir} (sha256 ${a.baselines.model.sha256.slice(0, 8)}…) − ${b.baselines.model.dir} (sha256 ${b.baselines.model.sha256.slice(0, 8)}…), dev accuracy, paired by seed (${seeds.join(', ')}), 95% t interval:`,
    '',
    '| task | method | this model | other model | Δ | 95% interval | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const tasks = [...new Set(a.runs.map((r) => r.spec.task))];
  for (const task of tasks) {
    for (const [adapter, name] of [['none', 'linear head'], ['houlsby', 'dense Houlsby (dim 16) + head']] as const) {
      const x = devBySeed(a.runs, task, adapter, seeds);
      const y = devBySeed(b.runs, task, adapter, seeds);
      const d = pairedDifference(x, y);
      lines.push(`| ${task} | ${name} | ${mean(x).toFixed(1)} | ${mean(y).toFixed(1)} | ${points(d.mean)} | ${interval(d.low!, d.high!)} | ${verdict(d)} |`);
    }
  }
  const tokenizer = await loadModelTokenizer(folderReader(a.baselines.model.dir));
  lines.push('', `Dense Houlsby (dim 16) + head on ${a.baselines.model.dir} − the lexical baseline on the same first ${a.baselines.seqLen} word pieces, dev accuracy, seeds ${a.baselines.seeds.join(', ')} each, unpaired (95% Welch t interval):`, '');
  lines.push('| task | adapter | lexical, same input | Δ | 95% interval | verdict |', '| --- | --- | --- | --- | --- | --- |');
  for (const task of tasks) {
    const t = truncateToModelInput(await loadPublicTask(task), tokenizer, a.baselines.seqLen);
    const lexical = a.baselines.seeds.map((seed) => 100 * logisticRegressionBaseline(t, seed).accuracy);
    const adapter = devBySeed(a.runs, task, 'houlsby', a.baselines.seeds);
    const w = welch(adapter, lexical);
    lines.push(`| ${task} | ${mean(adapter).toFixed(1)} | ${mean(lexical).toFixed(1)} | ${points(w.mean)} | ${interval(w.low, w.high)} | ${verdict(w)} |`);
  }
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
