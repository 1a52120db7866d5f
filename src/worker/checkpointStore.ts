// Training checkpoints in IndexedDB, beside the run records: the worker writes a run's trainer state
// (its structured clone: plain typed arrays) every so often and when the page hides, so a run cut off
// by a reload or a crash can be resumed; the page only reads the small index (which run, which step,
// which model) and deletes. No tfjs here: the page imports this file too.
import { openDB, type IDBPDatabase } from 'idb';
import type { TrainState } from '../engine/train';

const DB_NAME = 'sparseadapter-checkpoints';
const DB_VERSION = 1;
/** One small record per run (what the page lists) and the state itself, under the same key. */
const INDEX = 'index';
const STATES = 'states';

/**
 * When the worker checkpoints a run: it looks every `checkEvery` steps (each look reads the pending
 * losses, so not every step), and saves when at least `minSteps` steps and `minMs` of training have
 * passed since the last save, whichever comes later, or at once when the page asked (it is hiding).
 */
export const CHECKPOINT_POLICY = { checkEvery: 5, minSteps: 25, minMs: 10_000 } as const;

/** Whether a checkpoint is due now under CHECKPOINT_POLICY. */
export function checkpointDue(stepsSince: number, msSince: number, requested: boolean): boolean {
  return requested || (stepsSince >= CHECKPOINT_POLICY.minSteps && msSince >= CHECKPOINT_POLICY.minMs);
}

/** What the page knows about a stored checkpoint. */
export interface CheckpointInfo {
  runId: string;
  /** The optimizer steps the checkpoint holds. */
  step: number;
  /** The label of the model the run trained on (the page asks for it before resuming). */
  model: string;
  /** The size of the state in bytes. */
  bytes: number;
  savedAt: number;
}

/** The checkpoints of runs, by run id. */
export interface CheckpointStore {
  save(info: CheckpointInfo, state: TrainState): Promise<void>;
  /** The stored state of a run, or null; unchecked (see `checkpointDamage`). */
  load(runId: string): Promise<unknown>;
  list(): Promise<CheckpointInfo[]>;
  remove(runId: string): Promise<void>;
}

/** Opens the checkpoint store (tests install fake-indexeddb as the global). */
export function openCheckpointStore(): CheckpointStore {
  let db: Promise<IDBPDatabase> | null = null;
  const open = () => (db ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(d) {
      d.createObjectStore(INDEX, { keyPath: 'runId' });
      d.createObjectStore(STATES);
    },
  }));
  return {
    async save(info, state) {
      // One transaction: the index never names a state that is not there.
      const tx = (await open()).transaction([INDEX, STATES], 'readwrite');
      await Promise.all([tx.objectStore(STATES).put(state, info.runId), tx.objectStore(INDEX).put(info), tx.done]);
    },
    async load(runId) {
      return ((await (await open()).get(STATES, runId)) as unknown) ?? null;
    },
    async list() {
      return (await (await open()).getAll(INDEX)) as CheckpointInfo[];
    },
    async remove(runId) {
      const tx = (await open()).transaction([INDEX, STATES], 'readwrite');
      await Promise.all([tx.objectStore(STATES).delete(runId), tx.objectStore(INDEX).delete(runId), tx.done]);
    },
  };
}

/** The bytes a state takes (its typed arrays; the rest is small). */
export function stateBytes(state: TrainState): number {
  let bytes = 8 * (state.order.length + state.losses.length);
  for (const values of Object.values(state.params)) bytes += values.byteLength;
  for (const values of Object.values(state.masks)) bytes += values.byteLength;
  for (const { m, v } of Object.values(state.optimizer.moments)) bytes += m.byteLength + v.byteLength;
  return bytes;
}

/**
 * Why a stored value is not a whole trainer state (a damaged or foreign record), or null when its
 * structure is sound. Whether it fits the run (model, task, settings, sizes) the trainer checks.
 */
export function checkpointDamage(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'it is not a training state';
  const s = value as Partial<Record<keyof TrainState, unknown>>;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!count(s.version)) return 'it has no state version';
  if (!isObject(s.identity) || !isObject(s.identity.model) || !isObject(s.identity.task) || !isObject(s.identity.config)) return 'it does not say which run it belongs to';
  if (!count(s.step)) return 'its step is not a count';
  if (!Array.isArray(s.losses) || s.losses.length !== s.step || !s.losses.every(Number.isFinite)) return `it does not hold one finite loss per step (${Array.isArray(s.losses) ? s.losses.length : 'no'} losses for ${String(s.step)} steps)`;
  if (!Array.isArray(s.order) || !s.order.every(count)) return 'its data order is not a list of example indices';
  if (!isObject(s.streams) || !Object.values(s.streams).every(count)) return 'its random streams are missing';
  if (!isObject(s.budget)) return 'its parameter budget is missing';
  if (!isObject(s.params) || !Object.values(s.params).every((p) => p instanceof Float32Array)) return 'its weights are not float arrays';
  if (!isObject(s.masks) || !Object.values(s.masks).every((m) => m instanceof Uint8Array && m.every((b) => b <= 1))) return 'its masks are not 0/1 arrays';
  if (!isObject(s.optimizer) || !count(s.optimizer.t) || !isObject(s.optimizer.moments)) return 'its optimizer state is missing';
  const moments = s.optimizer.moments as Record<string, unknown>;
  for (const [name, p] of Object.entries(s.params as Record<string, Float32Array>)) {
    const mv = moments[name];
    if (!isObject(mv) || !(mv.m instanceof Float32Array) || !(mv.v instanceof Float32Array) || mv.m.length !== p.length || mv.v.length !== p.length) return `the optimizer moments of ${name} are missing or of another size`;
  }
  return null;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** A failed checkpoint write in words; a quota error says how much was needed and, when known, how much is free. */
export function checkpointStorageMessage(error: unknown, step: number, bytes: number, estimate?: { usage?: number; quota?: number }): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  const free = estimate?.quota !== undefined && estimate.usage !== undefined ? `; about ${mb(Math.max(0, estimate.quota - estimate.usage))} of this site's ${mb(estimate.quota)} is free` : '';
  if (name === 'QuotaExceededError') return `The checkpoint at step ${step} was not saved: the browser's storage quota is exceeded (it needs ${mb(bytes)}${free}). Delete some runs or free space for this site; training goes on, but it cannot be resumed from this step.`;
  return `The checkpoint at step ${step} was not saved (${error instanceof Error ? error.message : String(error)}); training goes on, but it cannot be resumed from this step.`;
}
