// A run as a JSON file: its settings and every recorded figure (curves in full, the pruning outcome,
// the final metrics), to keep or to send, and to import back. Import treats the file as untrusted:
// settings are read leaf by leaf like share links (parseRunSettings), everything else through a zod schema; JSON's
// null stands for NaN (JSON cannot write NaN, and a shared run has no learning-rate curve).
import { z } from 'zod';
import { packBits, unpackBits } from '../engine/stats';
import type { RunRecord } from './runs';
import { parseRunSettings } from '../engine/settings';
import { parseSeedGroup } from './seeds';
import { BudgetSchema } from './share';

export const RUN_FILE_FORMAT = 'sparseadapter-run';
export const RUN_FILE_VERSION = 1;

/** The file's text for runs; per-item correctness is bit-packed (JSON would spell a Uint8Array out key by key). */
export function exportRuns(runs: readonly RunRecord[]): string {
  const written = runs.map(({ devCorrect, ...r }) => (devCorrect ? { ...r, devCorrect: { count: devCorrect.length, bits: packBits(devCorrect) } } : r));
  return JSON.stringify({ format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, runs: written }, null, 1) + '\n';
}

const num = z.number().nullable().transform((x) => (x === null ? NaN : x));
const count = z.number().int().min(0);
const MetricsSchema = z.object({ accuracy: num, macroF1: num, mcc: num, confusion: z.array(z.array(count).max(256)).max(256), count });
const PrunedSchema = z.object({
  type: z.literal('pruned'),
  density: z.array(z.object({ name: z.string().max(200), layer: z.number().int().nullable(), role: z.string().max(80), kept: count, total: count })).max(10_000),
  layerDensity: z.array(z.object({ layer: z.number().int().nullable(), kept: count, total: count })).max(1000),
  histogram: z.object({ edges: z.array(num).max(1000), counts: z.array(count).max(1000), thresholdBin: z.number().int().nullable(), zeros: count, negatives: count }),
  threshold: num,
  budget: BudgetSchema,
});
const RecordSchema = z.object({
  id: z.string().min(1).max(100),
  label: z.string().max(120),
  settings: z.unknown(),
  status: z.enum(['done', 'stopped', 'failed', 'shared', 'interrupted', 'running']),
  losses: z.array(z.object({ step: z.number().int(), loss: num, smooth: num, lr: num, tokensPerSec: num, elapsedMs: num })).max(1_000_000),
  evals: z.array(z.object({ step: z.number().int(), accuracy: num, macroF1: num, mcc: num })).max(100_000),
  pruned: PrunedSchema.nullable(),
  summary: z.object({ type: z.literal('summary'), budget: BudgetSchema, dev: MetricsSchema, labels: z.array(z.string().max(200)).max(256), seconds: num, firstLossMs: num }).nullable(),
  warnings: z.array(z.string().max(2000)).max(1000),
  error: z.string().max(5000).nullable(),
  startedAt: z.number(),
  comparison: z.object({ group: z.string().max(100), role: z.enum(['standard', 'large-sparse']) }).nullable(),
  /** Optional (files from before seed groups, single runs); read apart, so a bad one is a note and the run stays. */
  seedGroup: z.unknown().optional(),
  /** Optional: files from before it existed have none. */
  devCorrect: z.object({ count: z.number().int().min(1).max(10_000_000), bits: z.string().max(2_000_000) }).optional(),
});

/** Reads a run file; throws a message naming the file and the problem. Settings problems are notes. */
export function importRuns(text: string, fileName: string, now: number): { runs: RunRecord[]; notes: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${fileName} is not a JSON file`);
  }
  const envelope = z.object({ format: z.literal(RUN_FILE_FORMAT), version: z.number(), runs: z.array(z.unknown()).min(1).max(1000) }).safeParse(raw);
  if (!envelope.success) throw new Error(`${fileName} is not a run file exported by this playground`);
  if (envelope.data.version !== RUN_FILE_VERSION) throw new Error(`${fileName} has run-file version ${envelope.data.version}; this page reads version ${RUN_FILE_VERSION}`);
  const notes: string[] = [];
  const runs = envelope.data.runs.map((item, i): RunRecord => {
    const parsed = RecordSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${fileName}: run ${i + 1} is damaged at ${issue.path.join('.') || 'its top level'} (${issue.message})`);
    }
    const { settings, problems } = parseRunSettings(parsed.data.settings, `${fileName}, run ${i + 1}`, { allowFileTasks: true });
    notes.push(...problems);
    const { devCorrect: packed, seedGroup: rawGroup, ...r } = parsed.data;
    const { seedGroup, problems: groupProblems } = parseSeedGroup(rawGroup, `${fileName}, run ${i + 1}`);
    notes.push(...groupProblems);
    let devCorrect: Uint8Array | undefined;
    try {
      devCorrect = packed && unpackBits(packed.bits, packed.count);
    } catch (error) {
      throw new Error(`${fileName}: run ${i + 1} is damaged at devCorrect (${(error as Error).message})`, { cause: error });
    }
    // A new id, so an import never overwrites a run the user has; a run saved mid-training is interrupted.
    return { ...r, ...(devCorrect && { devCorrect }), ...(seedGroup && { seedGroup }), id: `imported-${now.toString(36)}-${i}`, settings, paused: false, phase: r.status === 'running' ? 'interrupted' : r.status, status: r.status === 'running' ? 'interrupted' : r.status, scoring: null } as RunRecord;
  });
  return { runs, notes };
}
