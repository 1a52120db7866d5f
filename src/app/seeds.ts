// Repeating a configuration over seeds: the seeds one press of Run uses, the groups of runs that
// repeat one configuration, their curves' mean with a 95% band (Student t over seeds), and a group
// as links and run files carry it. Plain functions, no DOM.
import { z } from 'zod';
import { parsePageSettings, SETTINGS, type PageSettings, type RunSettings } from '../engine/settings';
import { meanInterval } from '../engine/stats';
import { isFinished, type RunRecord } from './runs';

/** The n runs of one configuration started together: `group` names them, `seeds` says how many were asked for. */
export interface SeedGroup {
  group: string;
  seeds: number;
}

/** Why a configuration cannot run with `n` seeds from `seed` (the last one past the seed's range), or null. */
export function seedsProblem(seed: number, n: number): string | null {
  const last = seed + n - 1;
  return last > SETTINGS.train.seed.max ? `seeds ${seed} to ${last} go past the largest seed, ${SETTINGS.train.seed.max}: pick a smaller seed` : null;
}

/** The settings of one configuration with seeds seed, seed + 1, …, seed + n − 1 (everything else the same). */
export function withSeeds(settings: RunSettings, n: number): RunSettings[] {
  const problem = seedsProblem(settings.train.seed, n);
  if (problem) throw new Error(problem);
  return Array.from({ length: n }, (_, i) => ({ ...settings, train: { ...settings.train, seed: settings.train.seed + i } }));
}

/** One point of a band: the mean over `n` runs and, from two runs on, the 95% t interval (else low = high = mean). */
export interface BandPoint {
  x: number;
  mean: number;
  low: number;
  high: number;
  n: number;
}

/**
 * The mean of several runs' curves at each x that every curve has, with the 95% Student t interval
 * over the runs (t with n − 1 degrees of freedom). `range` clips the band for drawing (an accuracy's
 * interval from 2 seeds can reach past 0 and 1); the mean is never clipped.
 */
export function meanBand(curves: readonly (readonly (readonly [number, number])[])[], range: readonly [number, number] = [-Infinity, Infinity]): BandPoint[] {
  if (curves.length === 0) return [];
  const values = new Map<number, number[]>();
  for (const [x, y] of curves[0]!) if (Number.isFinite(y)) values.set(x, [y]);
  for (const curve of curves.slice(1)) {
    const seen = new Map(curve.filter(([, y]) => Number.isFinite(y)).map(([x, y]) => [x, y]));
    for (const [x, ys] of values) {
      const y = seen.get(x);
      if (y === undefined) values.delete(x);
      else ys.push(y);
    }
  }
  return [...values.entries()].sort(([a], [b]) => a - b).map(([x, ys]) => {
    const m = meanInterval(ys);
    return { x, mean: m.mean, low: Math.max(range[0], m.low ?? m.mean), high: Math.min(range[1], m.high ?? m.mean), n: ys.length };
  });
}

/** A seed group as the charts draw it: its finished runs (at least two), in seed order. */
export interface ShownSeedGroup extends SeedGroup {
  runs: RunRecord[];
}

/**
 * Splits runs into the seed groups drawn as a mean with a band (a group with at least two finished
 * runs: each seed's latest) and the runs drawn one by one (everything else, running ones included).
 */
export function splitSeedGroups(runs: readonly RunRecord[]): { groups: ShownSeedGroup[]; singles: RunRecord[] } {
  const byGroup = new Map<string, { seeds: number; bySeed: Map<number, RunRecord> }>();
  for (const run of runs) {
    if (!run.seedGroup || !isFinished(run)) continue;
    const entry = byGroup.get(run.seedGroup.group) ?? { seeds: run.seedGroup.seeds, bySeed: new Map() };
    entry.bySeed.set(run.settings.train.seed, run);
    byGroup.set(run.seedGroup.group, entry);
  }
  const groups = [...byGroup.entries()].filter(([, e]) => e.bySeed.size >= 2).map(([group, e]): ShownSeedGroup => ({ group, seeds: e.seeds, runs: [...e.bySeed.entries()].sort(([a], [b]) => a - b).map(([, r]) => r) }));
  const grouped = new Set(groups.flatMap((g) => g.runs.map((r) => r.id)));
  return { groups, singles: runs.filter((r) => !grouped.has(r.id)) };
}

/**
 * What "Use settings" puts in the controls for a run: its settings and, for a run of a seed group, the
 * group's seed count from its lowest seed among `runs`, so pressing Run repeats the whole group.
 */
export function repeatOf(run: RunRecord, runs: readonly RunRecord[]): { settings: RunSettings; page: PageSettings } {
  if (!run.seedGroup) return { settings: run.settings, page: { seeds: 1 } };
  const group = run.seedGroup.group;
  const first = Math.min(...runs.filter((r) => r.seedGroup?.group === group).map((r) => r.settings.train.seed), run.settings.train.seed);
  return { settings: { ...run.settings, train: { ...run.settings.train, seed: first } }, page: { seeds: run.seedGroup.seeds } };
}

const GroupNameSchema = z.string().min(1).max(100);

/**
 * Reads a run's seed group from untrusted JSON (a link, a run file). Absent (older links and files, a
 * single run): none, silently. A bad seed count or group name: none, with a message, and the run
 * itself is kept as a single run.
 */
export function parseSeedGroup(raw: unknown, where: string): { seedGroup: SeedGroup | undefined; problems: string[] } {
  if (raw === undefined || raw === null) return { seedGroup: undefined, problems: [] };
  const given = typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const name = GroupNameSchema.safeParse(given.group);
  if (!name.success) return { seedGroup: undefined, problems: [`${where}: its seed group ${JSON.stringify(raw)?.slice(0, 40)} is damaged (no group name); showing it as a single run`] };
  if (!Object.hasOwn(given, 'seeds')) return { seedGroup: undefined, problems: [`${where}: its seed group has no seeds count; showing it as a single run`] };
  const { settings, problems } = parsePageSettings({ seeds: given.seeds }, where);
  if (problems.length > 0) return { seedGroup: undefined, problems: problems.map((p) => p.replace(/; using \d+$/, '; showing it as a single run')) };
  return { seedGroup: { group: name.data, seeds: settings.seeds }, problems: [] };
}
