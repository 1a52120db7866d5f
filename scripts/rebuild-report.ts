// Rewrites an experiment folder's results.md and charts from its results.json with the current report
// code, running nothing: `npx tsx scripts/rebuild-report.ts docs/experiments/paper`. For results made
// before a report change (the tables and charts change; the numbers in results.json do not).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport } from '../src/cli/experiment/report';
import type { ExperimentRecord } from '../src/cli/experiment/runOne';

const dir = process.argv[2];
if (!dir) throw new Error('usage: npx tsx scripts/rebuild-report.ts <experiment folder>');
const file = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { experiment: { name: string; description: string }; command: string; runs: ExperimentRecord[] };
const report = buildReport(`Experiment: ${file.experiment.name}`, file.experiment.description, file.runs, file.runs.length, file.command);
writeFileSync(join(dir, 'results.md'), report.markdown);
mkdirSync(join(dir, 'charts'), { recursive: true });
for (const [name, svg] of report.charts) writeFileSync(join(dir, 'charts', name), svg);
console.log(`${dir}: results.md and ${report.charts.size} charts rewritten from ${file.runs.length} runs`);
