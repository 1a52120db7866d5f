// The messages between the page and the training worker: one discriminated union each way,
// versioned so that a page and a worker from different builds refuse each other clearly.
// Types only: the page imports this file, never the engine itself.
import type { BackendPreference, BackendReport } from '../engine/backend';
import type { LoadProgress } from '../engine/checkpoint';
import type { EncodeResult, PlmSummary } from '../engine/plm';
import type { RunSettings } from '../engine/config';
import type { TaskCard } from '../engine/data/task';
import type { MappingQuestion, UploadOptions } from '../engine/data/upload';
import type { Prediction } from '../engine/predict';
import type { ParityReport } from '../engine/selfcheck';
import type { RunEvent } from '../engine/train';
import type { CheckpointInfo } from './checkpointStore';
import type { GpuLiveCounts } from '../engine/gpu/live';

export const PROTOCOL_VERSION = 1;

/** How many trained or imported adapters the worker keeps for Try it and downloads (the oldest is freed). */
export const KEPT_ADAPTERS = 4;

/** Where a model folder comes from: a URL folder (the app's own public/), or files the user picked. */
export type ModelSource =
  /** `pythonName`: how Python code should name this model (the AdapterHub / PEFT exports write it). */
  | { kind: 'url'; url: string; label: string; pythonName?: string }
  | { kind: 'files'; label: string; files: { name: string; bytes: ArrayBuffer }[] };

/** A task to load: a built-in one by name, or a user's file (its text; columns when the worker asked). */
export type TaskSource =
  | { kind: 'builtin'; name: string }
  | { kind: 'file'; name: string; text: string; columns?: Pick<UploadOptions, 'textColumn' | 'text2Column' | 'labelColumn'> };

/** What the page knows about a loaded task; `id` is what RunSettings.task refers to. */
export interface TaskSummary {
  id: string;
  name: string;
  kind: 'sequence' | 'token';
  labels: string[];
  sizes: { train: number; dev: number; test: number };
  skipped: { count: number; first: { line: number; reason: string }[] };
  notes: string[];
  card: TaskCard | null;
}

type Envelope = { v: typeof PROTOCOL_VERSION; id: number };

/** Commands the page sends. `id` pairs a command with its reply. */
export type ToWorker = Envelope &
  (
    | { type: 'init'; backend: BackendPreference }
    | { type: 'selfcheck' }
    | { type: 'loadModel'; source: ModelSource }
    | { type: 'encode'; text: string; text2: string | null }
    | { type: 'loadTask'; source: TaskSource }
    | { type: 'predict'; runId: string; text: string; text2: string | null }
    /** `resume`: continue from this run's stored checkpoint (refused with `resumeRefused` when it does not fit). */
    | { type: 'train'; runId: string; settings: RunSettings; resume?: boolean }
    | { type: 'exportAdapter'; runId: string }
    | { type: 'exportLibrary'; runId: string; label: string }
    | { type: 'importAdapter'; runId: string; name: string; bytes: Uint8Array }
    // Control commands bypass the lanes (see COMMAND_LANES), so they reach a run that is in progress.
    /** `stop` also drops a training run that is still waiting in the worker (it then answers `trained`, stopped). */
    | { type: 'stop'; runId: string }
    | { type: 'pause'; runId: string }
    | { type: 'resume'; runId: string }
    /** Checkpoint the run at its next step boundary (the page is hiding). */
    | { type: 'checkpoint'; runId: string }
  );

/**
 * How the worker schedules a command. `train`: training runs, one at a time in the order sent.
 * `quick`: short commands, one at a time in the order sent, that do not wait for a training run (they
 * run between its steps). `exclusive`: commands that change the backend or the model, so they wait for
 * everything sent before them (a running training run included) and everything sent after waits for
 * them. `control`: handled at once (stop, pause, resume).
 */
export type CommandLane = 'train' | 'quick' | 'exclusive' | 'control';

/** The lane of every command (a new command type must say which). */
export const COMMAND_LANES: Record<ToWorker['type'], CommandLane> = {
  init: 'exclusive',
  selfcheck: 'exclusive',
  loadModel: 'exclusive',
  train: 'train',
  encode: 'quick',
  loadTask: 'quick',
  predict: 'quick',
  exportAdapter: 'quick',
  exportLibrary: 'quick',
  importAdapter: 'quick',
  stop: 'control',
  pause: 'control',
  resume: 'control',
  checkpoint: 'control',
};

/** Replies the worker sends. */
export type FromWorker = Envelope &
  (
    | { type: 'ready'; report: BackendReport }
    | { type: 'selfcheck'; report: ParityReport }
    | { type: 'modelLoaded'; model: PlmSummary }
    | { type: 'encoded'; result: EncodeResult }
    | { type: 'taskLoaded'; task: TaskSummary }
    | { type: 'prediction'; runId: string; prediction: Prediction }
    | { type: 'taskNeedsMapping'; name: string; question: MappingQuestion }
    /**
     * `kept`: the runs whose adapters the worker still holds (the last few), for Try it and downloads.
     * `devCorrect`: per dev item, 1 where the final adapter was right (null when the run never trained).
     */
    | { type: 'trained'; runId: string; stopped: boolean; kept: string[]; devCorrect: Uint8Array | null }
    /** A resume that could not start (no checkpoint, a damaged one, another model, task or settings): the run stays as it was. */
    | { type: 'resumeRefused'; runId: string; reason: string }
    | { type: 'adapterFile'; runId: string; bytes: Uint8Array }
    | { type: 'libraryExport'; runId: string; library: 'adapters' | 'peft'; fileName: string; bytes: Uint8Array }
    /** `settings`: the run's settings as the file had them, read leaf by leaf; `notes`: what it lacked or had out of range. */
    | { type: 'adapterImported'; runId: string; labels: string[]; settings: RunSettings; notes: string[]; kept: string[] }
    | { type: 'control'; runId: string; state: 'stopping' | 'paused' | 'resumed' | 'checkpointing' | 'not running' }
    | { type: 'error'; message: string }
  );

/**
 * Events of a run in progress, batched (a few per message) so the page can draw them; `id` is the train
 * command's. `checkpointed`: a checkpoint of the run was stored (the run can be resumed from it).
 */
export type RunEvents = { v: typeof PROTOCOL_VERSION; id: number; type: 'events'; runId: string; events: RunEvent[]; checkpointed?: CheckpointInfo };

/** How far the loadModel command with this `id` has got (the weights read, then their tensors made), a few times a second. */
export type LoadProgressMessage = { v: typeof PROTOCOL_VERSION; id: number; type: 'loadProgress'; progress: LoadProgress };

/** What the worker streams for a command before its reply. */
export type Streamed = RunEvents | LoadProgressMessage;

/**
 * During a run on WebGPU the worker also publishes the work it asks of the GPU per step (dispatches,
 * submits, buffers created, bytes, pipelines, shader warm-up, steps/s) on this BroadcastChannel, a few
 * times a second, for the backend panel; it is a side channel so that the run's own messages stay as they are.
 */
export const GPU_COUNTS_CHANNEL = 'sparseadapter-gpu-counts';
export type GpuCountsMessage = { v: typeof PROTOCOL_VERSION; type: 'gpuCounts'; runId: string; counts: GpuLiveCounts };

export type { GpuLiveCounts };
export type { CheckpointInfo, LoadProgress, BackendPreference, BackendReport, EncodeResult, MappingQuestion, ParityReport, PlmSummary, Prediction, RunEvent, RunSettings };
