// Share links: one or several runs (their settings and, optionally, their results) in the page
// address, as `#share=<version>.<base64url of deflated JSON>`. A link is untrusted input: it is
// inflated with a size cap, parsed with zod, and its settings are read by the settings table's
// parseRunSettings (every setting that is missing or out of range falls back to its default with a
// message naming it). Nothing here touches the DOM or runs anything.
import { deflateSync, inflateSync } from 'fflate';
import { z } from 'zod';
import { BUILTIN_TASKS } from '../engine/catalog';
import { parseRunSettings, type RunSettings } from '../engine/settings';
import { parseSeedGroup, type SeedGroup } from './seeds';

/** The link format's version; a link with another version is refused with a message. */
export const SHARE_VERSION = 1;
export const SHARE_PREFIX = '#share=';
/** The tasks a link may name: the built-in ones (an uploaded file cannot travel in a link). */
export const SHAREABLE_TASKS = BUILTIN_TASKS;
/** Inflated payloads larger than this are refused (a crafted link cannot make the page allocate much). */
const MAX_INFLATED_BYTES = 256 * 1024;
const MAX_LINK_CHARS = 64 * 1024;
/** Runs in one link: a 4-sparsity sweep of 4 seeds, or an 8-seed comparison. */
export const MAX_SHARED_RUNS = 16;
/** Points of each curve a link carries (figures.ts's downsample). */
export const MAX_CURVE_POINTS = 60;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const real = (min: number, max: number) => z.number().min(min).max(max);

/** Shows a bad value in a message: short, as text (never interpreted as markup by React). */
const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

// ------------------------------------------------------------------ results

const finite = z.number().refine(Number.isFinite, 'not a finite number');
const count = z.number().int().min(0).max(1e12);
/** A run's exact budget (budget.ts's Budget); run files read it with the same schema. */
export const BudgetSchema = z.strictObject({ plmParams: count, adapterParams: count, adapterPrunable: count, adapterNonzero: count, headParams: count, trainableNonzero: count, percentOfPlm: real(0, 1e6) });

/** A run's results as a link carries them: final figures and down-sampled curves. */
export const SharedResultsSchema = z.strictObject({
  status: z.enum(['done', 'stopped', 'failed']),
  seconds: real(0, 1e7),
  budget: BudgetSchema,
  dev: z.strictObject({ accuracy: real(0, 1), macroF1: real(0, 1), mcc: real(-1, 1), count }).nullable(),
  labels: z.array(z.string().max(80)).max(64),
  confusion: z.array(z.array(count).max(64)).max(64).nullable(),
  /** [step, loss] pairs. */
  losses: z.array(z.tuple([int(0, 1e7), finite])).max(MAX_CURVE_POINTS + 1),
  /** [step, accuracy, macroF1, mcc]. */
  evals: z.array(z.tuple([int(0, 1e7), real(0, 1), real(0, 1), real(-1, 1)])).max(MAX_CURVE_POINTS + 1),
});
export type SharedResults = z.infer<typeof SharedResultsSchema>;

/** One run in a link. */
export interface SharedRun {
  label: string;
  settings: RunSettings;
  results: SharedResults | null;
  comparison: { group: string; role: 'standard' | 'large-sparse' } | null;
  /** The run's seed group (one of n runs of one configuration); absent for a single run and in older links. */
  seedGroup?: SeedGroup;
}

const EnvelopeSchema = z.object({
  v: z.number(),
  runs: z.array(z.object({ label: z.unknown().optional(), settings: z.unknown(), results: z.unknown().optional(), comparison: z.unknown().optional(), seedGroup: z.unknown().optional() })).min(1).max(MAX_SHARED_RUNS),
});
const ComparisonSchema = z.strictObject({ group: z.string().min(1).max(40), role: z.enum(['standard', 'large-sparse']) });

// ------------------------------------------------------------------ encoding

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('it contains characters that a share link never has (was it cut or edited?)');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The hash part of a link (`#share=1.…`) for runs. */
export function encodeShare(runs: SharedRun[]): string {
  if (runs.length === 0 || runs.length > MAX_SHARED_RUNS) throw new Error(`a link holds 1 to ${MAX_SHARED_RUNS} runs, not ${runs.length}`);
  const payload = { v: SHARE_VERSION, runs: runs.map((r) => ({ label: r.label, settings: r.settings, ...(r.results && { results: r.results }), ...(r.comparison && { comparison: r.comparison }), ...(r.seedGroup && { seedGroup: r.seedGroup }) })) };
  const bytes = deflateSync(new TextEncoder().encode(JSON.stringify(payload)), { level: 9 });
  const hash = `${SHARE_PREFIX}${SHARE_VERSION}.${toBase64Url(bytes)}`;
  // The reader refuses longer links, so none is made.
  if (hash.length > MAX_LINK_CHARS) throw new Error(`a link of these ${runs.length} runs would be ${hash.length.toLocaleString('en-US')} characters, more than the ${MAX_LINK_CHARS.toLocaleString('en-US')} a link may have: share fewer runs, or leave out their results`);
  return hash;
}

/** What a link gave: the runs it could read (possibly none) and what could not be used, in words. */
export interface DecodedShare {
  runs: SharedRun[];
  problems: string[];
}

/** Reads a page hash. Never throws: an unusable link gives no runs and a message saying why. */
export function decodeShare(hash: string): DecodedShare {
  const fail = (why: string): DecodedShare => ({ runs: [], problems: [`This share link cannot be opened: ${why}. Nothing was changed.`] });
  try {
    if (!hash.startsWith(SHARE_PREFIX)) return fail('it is not a share link');
    if (hash.length > MAX_LINK_CHARS) return fail(`it is ${hash.length.toLocaleString('en-US')} characters long, more than any link this page makes`);
    const body = hash.slice(SHARE_PREFIX.length);
    const dot = body.indexOf('.');
    const version = dot > 0 ? body.slice(0, dot) : '';
    if (!/^\d+$/.test(version)) return fail('it has no version number');
    if (Number(version) !== SHARE_VERSION) return fail(`it was made by a ${Number(version) > SHARE_VERSION ? 'newer' : 'older'} version of the playground (link format ${version}, this page reads ${SHARE_VERSION})`);
    let inflated: Uint8Array;
    try {
      const compressed = fromBase64Url(body.slice(dot + 1));
      inflated = inflateSync(compressed, { out: new Uint8Array(MAX_INFLATED_BYTES + 1) });
    } catch (error) {
      const why = error instanceof Error && error.message.startsWith('it ') ? error.message : 'its data is corrupt or truncated (was it cut when copied?)';
      return fail(why);
    }
    if (inflated.length > MAX_INFLATED_BYTES) return fail('its data is larger than any link this page makes');
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(inflated));
    } catch {
      return fail('its data is not valid JSON');
    }
    const envelope = EnvelopeSchema.safeParse(json);
    if (!envelope.success) return fail(`its contents are not a list of 1 to ${MAX_SHARED_RUNS} runs`);
    if (envelope.data.v !== SHARE_VERSION) return fail(`its contents say format ${show(envelope.data.v)}, not ${SHARE_VERSION}`);
    const problems: string[] = [];
    const runs = envelope.data.runs.map((raw, i): SharedRun => {
      const where = envelope.data.runs.length > 1 ? `run ${i + 1}` : 'the run';
      const { settings, problems: p } = parseRunSettings(raw.settings, where);
      problems.push(...p);
      const label = typeof raw.label === 'string' && raw.label.length > 0 ? raw.label.slice(0, 120) : `shared run ${i + 1}`;
      let results: SharedResults | null = null;
      if (raw.results !== undefined) {
        const parsed = SharedResultsSchema.safeParse(raw.results);
        if (parsed.success) results = parsed.data;
        else problems.push(`${where}: its results are damaged (${parsed.error.issues[0]?.path.join('.') || 'results'}: ${parsed.error.issues[0]?.message}); showing the settings only`);
      }
      const comparison = raw.comparison === undefined ? null : ComparisonSchema.safeParse(raw.comparison).data ?? null;
      const { seedGroup, problems: g } = parseSeedGroup(raw.seedGroup, where);
      problems.push(...g);
      return { label, settings, results, comparison, ...(seedGroup && { seedGroup }) };
    });
    return { runs, problems };
  } catch (error) {
    // Nothing above should throw; if something does, the link is still only reported.
    return fail(`an unexpected problem (${error instanceof Error ? error.message : String(error)})`);
  }
}
