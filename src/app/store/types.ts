// The page store's shape: every slice's state and actions, declared once, and what the slices share
// (the worker client, the run store, and what the engine had loaded). The slices implement these.
import type { StateCreator } from 'zustand';
import type { BackendPreference, BackendReport, CheckpointInfo, LoadProgress, EncodeResult, MappingQuestion, ModelSource, ParityReport, PlmSummary, Prediction, RunSettings, TaskSource, TaskSummary } from '../../worker/protocol';
import type { PageSettings } from '../../engine/settings';
import type { RunStore } from '../persist';
import type { SeedGroup } from '../seeds';
import type { RunRecord } from '../runs';
import type { DecodedShare } from '../share';
import type { WorkerClient } from '../workerClient';

/** The life of one asynchronous request, as the UI shows it. */
export type Status<T> = { state: 'idle' } | { state: 'busy' } | { state: 'done'; value: T } | { state: 'failed'; message: string };

/** The compute backend: which one runs, on which adapter, and whether it computes correctly. */
export interface BackendSlice {
  backend: Status<BackendReport>;
  selfcheck: Status<ParityReport>;
  startBackend(preference: BackendPreference): Promise<void>;
  runSelfcheck(): Promise<void>;
}

/** The frozen PLM: the loaded model, the last load attempt, and the encoder try-out. */
export interface ModelSlice {
  /** The model in use; a failed load leaves it in place. */
  model: PlmSummary | null;
  modelLoad: Status<PlmSummary>;
  /** How far the load in progress has got (the weights read, then their tensors made); null when none is loading. */
  modelLoadProgress: LoadProgress | null;
  /** What the last completed load read and made, as its progress said, and how long it took. */
  modelLoadStats: { bytesRead: number; tensors: number; seconds: number } | null;
  encoding: Status<EncodeResult>;
  /** Loads a model; the worker waits for a training run in progress before it swaps the model. */
  loadModel(source: ModelSource): Promise<void>;
  /** Loads `source` only if the user has not loaded or started loading a model already. */
  loadModelUnlessChosen(source: ModelSource): Promise<void>;
  encode(text: string, text2: string | null): Promise<void>;
}

/** Tasks: the built-in ones and the user's files, loaded (and checked) in the worker. */
export interface TasksSlice {
  tasks: TaskSummary[];
  taskLoad: Status<TaskSummary>;
  /** A file whose columns need choosing: the question, and the text to parse again with the answer. */
  mapping: { source: Extract<TaskSource, { kind: 'file' }>; question: MappingQuestion } | null;
  loadTask(source: TaskSource): Promise<TaskSummary | null>;
}

/** Training runs: an explicit queue (one run trains at a time), updated by the worker's event stream. */
export interface RunsSlice {
  runs: RunRecord[];
  /** The queued runs' ids in the order they will start; the running run is not in it. */
  runQueue: readonly string[];
  /** Queues a run (it starts when the runs before it have ended); resolves when it has ended or was cancelled. */
  startRun(settings: RunSettings, label: string, comparison?: RunRecord['comparison'], seedGroup?: SeedGroup): Promise<void>;
  /**
   * Queues a configuration `seeds` times, with seeds seed, seed + 1, … (one seed group when seeds > 1);
   * resolves when all have ended. Rejects, queuing nothing, when the last seed is out of range.
   */
  runSeeds(settings: RunSettings, seeds: number, label: (s: RunSettings) => string): Promise<void>;
  /**
   * Queues the standard adapter (k = 1) and its Large-Sparse counterpart (k) for each of `seeds` seeds,
   * alternating (standard, Large-Sparse, next seed…): same task and seed within a pair, so the same
   * batches and head (random.ts's streams per purpose); the difference is paired.
   */
  compareLargeSparse(settings: RunSettings, k: number, label: (s: RunSettings) => string, seeds?: number): Promise<void>;
  /** Queues the configuration at each of `sparsities` for each of `seeds` seeds (seed by seed, so a first curve comes early). */
  sweepSparsity(settings: RunSettings, sparsities: readonly number[], seeds: number, label: (s: RunSettings) => string): Promise<void>;
  /** Starts the next queued run if none is training and the engine has a model (after a run ends, a model loads, a restart). */
  startQueued(): void;
  /** Stops the running run (it keeps what it recorded); a queued run is cancelled instead. */
  stopRun(id: string): Promise<void>;
  /** Takes a queued run out of the queue and the list: it never reaches the worker. */
  cancelRun(id: string): void;
  pauseRun(id: string, pause: boolean): Promise<void>;
  /** The stored training checkpoints by run id (an interrupted run with one can be resumed). */
  checkpoints: Readonly<Record<string, CheckpointInfo>>;
  /** Why the last Resume could not start (another model, a missing file, a damaged checkpoint), in words. */
  resumeNotice: { runId: string; message: string } | null;
  /**
   * Queues an interrupted run to continue from its checkpoint, into the same record (its curve after the
   * checkpoint's step is dropped); refused with `resumeNotice` when the run's model or file is not loaded
   * or the worker refuses the checkpoint, and the run stays interrupted with its curve. Resolves when it has ended.
   */
  resumeRun(id: string): Promise<void>;
  /** Asks the worker to checkpoint the running run at its next step boundary (the page is hiding). */
  checkpointNow(): void;
}

/** Trained adapters in the worker: Try it, downloads and imports, none of which waits for a training run. */
export interface AdaptersSlice {
  /** The runs whose trained adapters the worker holds (Try it and downloads need them); none after a reload. */
  keptAdapters: readonly string[];
  prediction: Status<Prediction & { runId: string }>;
  predict(runId: string, text: string, text2: string | null): Promise<void>;
  /** The trained adapter of a run as a safetensors file (weights with pruned entries as zeros, masks, settings). */
  exportAdapter(runId: string): Promise<Uint8Array>;
  /** The adapter as a zipped AdapterHub (Houlsby, Pfeiffer, parallel) or PEFT (LoRA) folder. */
  exportLibrary(runId: string, label: string): Promise<{ fileName: string; bytes: Uint8Array }>;
  /** Loads an exported adapter for "Try it" as a new run; problems are shown, nothing else changes. */
  importAdapter(name: string, bytes: Uint8Array): Promise<void>;
  adapterImport: Status<string>;
}

/** The controls' settings (the next run), and what a share link brought. */
export interface DraftSlice {
  draft: RunSettings;
  setDraft(change: (draft: RunSettings) => RunSettings): void;
  /** How the page repeats the next run (the seeds count): not a run setting, so not in `draft`. */
  draftPage: PageSettings;
  setDraftPage(change: Partial<PageSettings>): void;
  /** Puts a run's settings (and, given, the page settings) in the controls, loading its built-in task if needed; never starts a run. */
  applySettings(settings: RunSettings, page?: PageSettings): Promise<void>;
  /** What the last opened link could not use, in words; empty when it was fine. */
  shareNotice: string[];
  dismissShareNotice(): void;
  /** Adds the runs of a link as shared runs and puts the first one's settings (and its seed group's count) in the controls (its task loads with the page's start-up). */
  openShared(decoded: DecodedShare): void;
}

/** The IndexedDB autosave, once started: `flush` writes every changed run now (a hiding page), `stop` ends it. */
export interface Autosave {
  flush(): Promise<void>;
  stop(): void;
}

/** Runs kept across reloads: restored at start, saved as they change, renamed and deleted by the user. */
export interface StorageSlice {
  /** A storage failure, in words (null when saving works). */
  storageError: string | null;
  restoreRuns(): Promise<void>;
  /** Starts saving runs as they change (finished ones after `delayMs`, running ones less often; queued ones not at all); once. */
  startAutosave(options?: { delayMs?: number }): Autosave;
  renameRun(id: string, label: string): void;
  /** Adds the runs of an exported JSON file; a bad file is reported and changes nothing. */
  importRunFile(name: string, text: string): void;
  runImport: Status<number>;
  importNotes: string[];
  /** Deletes a run here and in storage; a queued run is cancelled. */
  deleteRun(id: string): Promise<void>;
}

/** After a worker crash: the page says so, restarts the engine and loads back what it can. */
export interface RecoverySlice {
  crashNotice: string | null;
  recover(reason: string): Promise<void>;
}

export type AppState = RecoverySlice & BackendSlice & ModelSlice & TasksSlice & RunsSlice & AdaptersSlice & DraftSlice & StorageSlice;

/** What the worker had loaded, so that a restarted worker gets it back (user model files are not kept: too large). */
export interface EngineMemory {
  preference: BackendPreference;
  modelSource: ModelSource | null;
  taskSources: Map<string, TaskSource>;
  /** True while the engine restarts after a crash: queued runs wait for it. */
  restarting: boolean;
  /** When the worker crashed lately (ms), to stop restarting one that keeps crashing. */
  crashes: number[];
}

/** What every slice is given by `createAppStore`: the worker client, the run store, shared memory and ids. */
export interface StoreDeps {
  client: WorkerClient;
  /** Null where the browser has no IndexedDB. */
  runStore: RunStore | null;
  engine: EngineMemory;
  /** A new id for a run, unique on this page (`run-…`, `adapter-…`, `shared-…`). */
  nextId(prefix: string): string;
}

/** A slice: its part of the state, made from the store's `set`, `get` and api and the shared deps. */
export type SliceCreator<S> = (deps: StoreDeps) => StateCreator<AppState, [], [], S>;
