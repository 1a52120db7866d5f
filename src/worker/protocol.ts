// The messages between the page and the training worker: one discriminated union each way,
// versioned so that a page and a worker from different builds refuse each other clearly.
// Types only: the page imports this file, never the engine itself.
import type { BackendPreference, BackendReport } from '../engine/backend';
import type { ParityReport } from '../engine/selfcheck';

export const PROTOCOL_VERSION = 1;

/** Commands the page sends. `id` pairs a command with its reply. */
export type ToWorker =
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'init'; backend: BackendPreference }
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'selfcheck' };

/** Replies and events the worker sends. */
export type FromWorker =
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'ready'; report: BackendReport }
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'selfcheck'; report: ParityReport }
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'error'; message: string };

export type { BackendPreference, BackendReport, ParityReport };
