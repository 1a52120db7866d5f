// The cluster recipes of docs/experiments/cluster.md: the Kubernetes manifest parses (its YAML, and the
// shell command of each container) and shards the grid as many ways as it has completions; the Slurm
// script is valid bash whose array matches its shard count; the Dockerfile runs the README's commands.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseShard } from './experiment';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('cluster recipes', () => {
  it('the Kubernetes manifest is an Indexed Job whose shards match its completions, and a merge Job over every shard', () => {
    const docs = parseAllDocuments(read('deploy/k8s-experiment-job.yaml'));
    for (const d of docs) expect(d.errors).toEqual([]);
    const [job, merge] = docs.map((d) => d.toJS() as { kind: string; spec: { completionMode?: string; completions?: number; template: { spec: { containers: { args: string[] }[] } } } });
    expect(job!.kind).toBe('Job');
    expect(job!.spec.completionMode).toBe('Indexed');
    const n = job!.spec.completions!;
    const command = job!.spec.template.spec.containers[0]!.args.join(' ');
    expect(command).toContain('JOB_COMPLETION_INDEX + 1');
    const shard = /--shard "\$i\/(\d+)"/.exec(command);
    expect(Number(shard?.[1])).toBe(n);
    expect(parseShard(`${n}/${n}`)).toEqual({ index: n, count: n }); // the last pod's shard is valid
    // Each container's command is a shell script (command: /bin/sh -c): it must parse as one.
    for (const d of [job!, merge!]) {
      const script = d.spec.template.spec.containers[0]!.args.join(' ');
      expect(spawnSync('sh', ['-n', '-c', script]).status, script).toBe(0);
    }
    const mergeCommand = merge!.spec.template.spec.containers[0]!.args.join(' ');
    expect(mergeCommand).toContain('experiment merge --out');
    for (let i = 1; i <= n; i++) expect(mergeCommand).toContain(`/results/paper/shard-${i}`);
  });

  it('the Slurm script is valid bash, and its array covers exactly its shards', () => {
    expect(spawnSync('bash', ['-n', join(ROOT, 'deploy/slurm-experiment.sh')]).status).toBe(0);
    const script = read('deploy/slurm-experiment.sh');
    const array = /^#SBATCH --array=1-(\d+)$/m.exec(script);
    const shards = /^SHARDS=(\d+)$/m.exec(script);
    expect(array && shards && array[1] === shards[1]).toBe(true);
    expect(script).toContain('--shard "$i/$SHARDS"');
    expect(script).toContain('--dependency="afterok:${SLURM_ARRAY_JOB_ID}"');
  });

  it("the Dockerfile runs the README's commands", () => {
    const readme = read('README.md');
    const dockerfile = read('Dockerfile');
    const runs = [...dockerfile.matchAll(/^RUN (.+)$/gm)].map((m) => m[1]!);
    expect(runs).toEqual(['npm ci']);
    for (const command of runs) expect(readme).toContain(command);
    expect(dockerfile).toContain('ENTRYPOINT ["npm", "run", "-s", "cli", "--"]');
    expect(readme).toContain('npm run cli --');
  });
});
