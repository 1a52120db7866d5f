// Runs kept in IndexedDB (through `idb`, a small promise wrapper): they are there after a reload.
// A run that was running when the page went away comes back as `interrupted`, with everything that
// was recorded up to its last save. Storage errors (quota, private mode) are returned as messages.
import { openDB, type IDBPDatabase } from 'idb';
import { parseRunSettings } from '../engine/settings';
import { openCheckpointStore, type CheckpointInfo } from '../worker/checkpointStore';
import type { RunRecord } from './runs';

const DB_NAME = 'sparseadapter-playground';
const STORE = 'runs';
const DB_VERSION = 1;

/** A store of run records by id, and of the training checkpoints the worker writes beside them. */
export interface RunStore {
  loadAll(): Promise<RunRecord[]>;
  save(runs: readonly RunRecord[]): Promise<void>;
  /** Removes a run and its checkpoint. */
  remove(id: string): Promise<void>;
  /** The stored checkpoints (which run, which step, which model), not their states. */
  checkpoints(): Promise<CheckpointInfo[]>;
  removeCheckpoint(id: string): Promise<void>;
}

/**
 * What a record becomes when it is read back: its settings read leaf by leaf (a record saved by an
 * older build lacks the newer settings, which take their defaults), and a run cut off by a reload or a
 * crash is interrupted.
 */
export function restoreRecord(stored: RunRecord): RunRecord {
  const run = { ...stored, settings: parseRunSettings(stored.settings, 'a saved run', { allowFileTasks: true }).settings };
  if (run.status !== 'running') return { ...run, paused: false };
  return { ...run, status: 'interrupted', paused: false, phase: 'interrupted', error: 'the page was closed or reloaded while this run was training; what it recorded up to then is kept' };
}

/** Opens the browser's IndexedDB store (tests install fake-indexeddb as the global). */
export function openRunStore(): RunStore {
  let db: Promise<IDBPDatabase> | null = null;
  const checkpoints = openCheckpointStore();
  const open = () => (db ??= openDB(DB_NAME, DB_VERSION, { upgrade: (d) => void d.createObjectStore(STORE, { keyPath: 'id' }) }));
  return {
    async loadAll() {
      const runs = (await (await open()).getAll(STORE)) as RunRecord[];
      return runs.sort((a, b) => a.startedAt - b.startedAt).map(restoreRecord);
    },
    async save(runs) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      await Promise.all([...runs.map((r) => tx.store.put(r)), tx.done]);
    },
    async remove(id) {
      await Promise.all([(await open()).delete(STORE, id), checkpoints.remove(id)]);
    },
    checkpoints: () => checkpoints.list(),
    removeCheckpoint: (id) => checkpoints.remove(id),
  };
}

/** A storage failure in words: quota errors say so. */
export function storageMessage(error: unknown): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  if (name === 'QuotaExceededError') return 'The browser refused to store more runs (storage quota exceeded): delete some runs, or free space for this site. Runs from now on are not saved.';
  return `Runs could not be saved in this browser's storage (${error instanceof Error ? error.message : String(error)}); they stay on this page until it is closed.`;
}

/** How long changes gather before they are written (a streaming run changes 4 times a second). */
export const SAVE_DELAY_MS = 1000;

/**
 * How often a running run is written: every second while short, then 1 ms per recorded step (at most
 * 30 s), because each write structured-clones the whole record on the main thread (about 2 ms at 1,000
 * steps, 40 ms at 20,000 on this project's 2-core machine). A crash loses at most that much of a long
 * run; a reload loses nothing (the page writes everything as it hides).
 */
export function runningSaveInterval(steps: number): number {
  return Math.min(30_000, Math.max(SAVE_DELAY_MS, steps));
}
