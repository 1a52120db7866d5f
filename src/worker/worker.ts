// The training worker: a thin switch from protocol commands to engine calls.
// tfjs runs here, never on the page's main thread.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { adapterFromSafetensors, adapterToSafetensors, type AdapterRun } from '../engine/adapterFile';
import { initBackend } from '../engine/backend';
import type { LoadProgress, ReadModelFile } from '../engine/checkpoint';
import { exportZipForLibrary } from '../engine/interop';
import { disposePlm, encodeText, loadPlm, type Plm } from '../engine/plm';
import { resolveRun } from '../engine/config';
import { TASK_SPLIT_SEED, type Task } from '../engine/data/task';
import { BUILTIN_TASKS, loadBuiltinTask, type BuiltinTaskName } from '../engine/data/tasks';
import { parseUpload } from '../engine/data/upload';
import { runParityCheck } from '../engine/selfcheck';
import { predict } from '../engine/predict';
import { runSparseAdapter, type RunEvent, type RunResult, type Trainer, type TrainState } from '../engine/train';
import { CHECKPOINT_POLICY, checkpointDamage, checkpointDue, checkpointStorageMessage, openCheckpointStore, stateBytes, type CheckpointInfo } from './checkpointStore';
import { createLanes } from './lanes';
import { createGpuLiveMeter } from '../engine/gpu/live';
import { COMMAND_LANES, GPU_COUNTS_CHANNEL, KEPT_ADAPTERS, PROTOCOL_VERSION, type BackendReport, type GpuCountsMessage, type FromWorker, type LoadProgressMessage, type ModelSource, type RunEvents, type TaskSource, type TaskSummary, type ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

// Vite serves the WASM backend's binaries as assets; tell tfjs where they are.
setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

// Starting a backend twice with the same preference (React's StrictMode mounts effects twice)
// returns the first start's report instead of requesting a second GPU device.
let started: { preference: string; report: Promise<BackendReport> } | null = null;
let plm: Plm | null = null;
/** Tasks loaded so far, by id (`spam`, `file:mine.csv`) and split seed; built-in ones load on first use. */
const tasks = new Map<string, Task>();
/** Uploaded files as sent, so that a run with another split seed can split them again. */
const uploads = new Map<string, Extract<TaskSource, { kind: 'file' }>>();
const taskKey = (id: string, splitSeed: number) => (splitSeed === TASK_SPLIT_SEED ? id : `${id} (split seed ${splitSeed})`);

async function fetchText(path: string): Promise<string> {
  const response = await fetch(new URL(path, new URL(import.meta.env.BASE_URL, self.location.href)));
  if (!response.ok || response.headers.get('content-type')?.startsWith('text/html')) throw new Error(`${path}: the app could not serve this task file (${response.status})`);
  return response.text();
}

/** A task split with `splitSeed` (the setting): a built-in one loads again, an upload is parsed again from its text. */
async function taskById(id: string, splitSeed = TASK_SPLIT_SEED): Promise<Task> {
  const loaded = tasks.get(taskKey(id, splitSeed));
  if (loaded) return loaded;
  const upload = uploads.get(id);
  let task: Task;
  if (upload) {
    const parsed = parseUpload(upload.text, upload.name, { ...upload.columns, seed: splitSeed });
    if (!parsed.task) throw new Error(`${upload.name} could not be split again: ${parsed.needsMapping.reason}`);
    task = parsed.task;
  } else {
    if (!BUILTIN_TASKS.includes(id as BuiltinTaskName)) throw new Error(`task "${id}" is not loaded: upload its file again`);
    task = await loadBuiltinTask(id as BuiltinTaskName, fetchText, splitSeed);
  }
  tasks.set(taskKey(id, splitSeed), task);
  return task;
}

function summarise(id: string, task: Task, skipped: TaskSummary['skipped'] = { count: 0, first: [] }, notes: string[] = []): TaskSummary {
  return { id, name: task.name, kind: task.kind, labels: task.labels, sizes: { train: task.train.length, dev: task.dev.length, test: task.test.length }, skipped, notes, card: task.card ?? null };
}

/** Loads a task; a file whose columns cannot be told apart returns the question to ask instead. */
async function loadTask(source: TaskSource): Promise<{ summary: TaskSummary } | { question: NonNullable<ReturnType<typeof parseUpload>['needsMapping']> }> {
  if (source.kind === 'builtin') return { summary: summarise(source.name, await taskById(source.name)) };
  const result = parseUpload(source.text, source.name, source.columns ?? {});
  if (!result.task) return { question: result.needsMapping };
  const id = `file:${source.name}`;
  for (const key of [...tasks.keys()]) if (key === id || key.startsWith(`${id} (split seed `)) tasks.delete(key);
  tasks.set(id, result.task);
  uploads.set(id, source);
  return { summary: summarise(id, result.task, result.skipped, result.notes) };
}

/** Trained adapters kept for "Try it", newest last; older ones are freed beyond KEPT_ADAPTERS. */
type KeptAdapter = Pick<RunResult, 'adapters' | 'head' | 'masks' | 'dispose'>;
/** The loaded model's name for Python (written into AdapterHub / PEFT exports). */
let modelName = '';
const results = new Map<string, { result: KeptAdapter; labels: string[]; run: AdapterRun }>();

/** The kept adapter of a run and the model it runs on, or the reason it cannot be used. */
function keptAdapter(runId: string, action: string) {
  const kept = results.get(runId);
  if (!plm || !kept) throw new Error(`This run's adapter is no longer in memory (the engine keeps the last ${KEPT_ADAPTERS} trained or imported adapters): run it again to ${action}.`);
  return { ...kept, plm };
}

function keepResult(runId: string, result: KeptAdapter, labels: string[], run: AdapterRun): void {
  results.set(runId, { result, labels, run });
  while (results.size > KEPT_ADAPTERS) {
    const [oldest, entry] = results.entries().next().value as [string, { result: KeptAdapter }];
    entry.result.dispose();
    results.delete(oldest);
  }
}

/** Controls of training runs, by run id: stop, and pause as a promise the trainer awaits between steps. */
interface RunControl {
  aborted: boolean;
  /** The page asked for a checkpoint at the next step boundary (it is hiding). */
  checkpointRequested: boolean;
  paused: { promise: Promise<void>; resume: () => void } | null;
  untilResumed(): Promise<void>;
  /** Sends the run's buffered events now (set while it trains), so a reply to a control follows every step reported before it. */
  flushEvents?: () => void;
}
/** Registered when a train command arrives (not when it starts), so a stop reaches a run still waiting. */
const runs = new Map<string, RunControl>();

/** How often a training run lets queued messages in, on backends whose reads never leave the microtask queue (cpu, wasm). */
const YIELD_EVERY_MS = 50;

/** Resolves on a later task (a MessageChannel message: no 4 ms timer clamp), so pending commands are dispatched first. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}

function createRunControl(): RunControl {
  let lastYield = Date.now();
  const control: RunControl = {
    aborted: false,
    checkpointRequested: false,
    paused: null,
    untilResumed: async () => {
      // The trainer calls this between steps: a pause holds here, and quick commands (Try it, downloads)
      // and stop/pause get their turn even when the backend's reads resolve without a task boundary.
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await nextTask();
        lastYield = Date.now();
      }
      await control.paused?.promise;
    },
  };
  return control;
}
/** A model load's progress is sent at most this often. */
const PROGRESS_INTERVAL_MS = 100;
/** Events are sent at most this often, so a fast backend does not flood the page. */
const EVENT_INTERVAL_MS = 100;
/** The backend panel's live WebGPU counts (see GPU_COUNTS_CHANNEL), at most this often. */
const GPU_COUNTS_INTERVAL_MS = 250;
const gpuCountsChannel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(GPU_COUNTS_CHANNEL);

/** A file reader over a model source: fetched from a URL folder, or looked up among picked files. */
function readerFor(source: ModelSource): ReadModelFile {
  if (source.kind === 'files') {
    const byName = new Map(source.files.map((f) => [f.name, f.bytes]));
    return async (name) => {
      const bytes = byName.get(name);
      return bytes ? new Uint8Array(bytes) : null;
    };
  }
  return async (name, onBytes) => {
    const response = await fetch(new URL(name, new URL(source.url, self.location.href)));
    // A single-page-app server answers a missing file with its index.html: that is a missing file too.
    if (response.status === 404 || response.headers.get('content-type')?.startsWith('text/html')) return null;
    if (!response.ok) throw new Error(`${name}: the server answered ${response.status} ${response.statusText}`);
    if (!onBytes || !response.body) return new Uint8Array(await response.arrayBuffer());
    // Read as it arrives, saying how much (of Content-Length, when the server sends it and does not compress).
    const length = Number(response.headers.get('content-length'));
    const total = response.headers.get('content-encoding') === null && Number.isFinite(length) && length > 0 ? length : null;
    const parts: Uint8Array[] = [];
    let loaded = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded += value.byteLength;
      onBytes(loaded, total);
    }
    const out = new Uint8Array(loaded);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  };
}

/** Checkpoints, written by the worker itself so the page's main thread never waits on them. */
const checkpoints = typeof indexedDB === 'undefined' ? null : openCheckpointStore();

/**
 * The checkpointing of one run from step `fromStep`: `save` (the driver calls it every few steps, at a
 * step boundary; a page that hides is served within CHECKPOINT_POLICY.checkEvery steps) stores the trainer's state
 * when CHECKPOINT_POLICY says so; writes go one after another without holding up training, and a
 * failed write becomes a warning (quota errors say how much was needed). `settled` waits for them.
 */
function checkpointer(runId: string, control: RunControl, model: string, fromStep: number, warn: (message: string) => void, stored: (info: CheckpointInfo) => void) {
  let lastStep = fromStep;
  let lastAt = Date.now();
  let writing: Promise<void> = Promise.resolve();
  return {
    async save(trainer: Trainer) {
      if (!checkpoints) return;
      const step = trainer.stepsTaken;
      if (step === lastStep || !checkpointDue(step - lastStep, Date.now() - lastAt, control.checkpointRequested)) return;
      control.checkpointRequested = false;
      lastStep = step;
      lastAt = Date.now();
      const state = await trainer.state();
      const info: CheckpointInfo = { runId, step, model, bytes: stateBytes(state), savedAt: Date.now() };
      writing = writing.then(async () => {
        try {
          await checkpoints.save(info, state);
          stored(info);
        } catch (error) {
          warn(checkpointStorageMessage(error, step, info.bytes, await self.navigator.storage?.estimate().catch(() => undefined)));
        }
      });
    },
    settled: () => writing,
  };
}

/** The stored state of a run to resume, or why it cannot be used. */
async function storedState(runId: string): Promise<TrainState | string> {
  if (!checkpoints) return 'this browser has no IndexedDB, so no checkpoint was kept';
  let value: unknown;
  try {
    value = await checkpoints.load(runId);
  } catch (error) {
    return `its checkpoint could not be read (${error instanceof Error ? error.message : String(error)})`;
  }
  if (value === null) return 'no checkpoint of this run is stored';
  const damage = checkpointDamage(value);
  return damage ? `its checkpoint is damaged: ${damage}` : (value as TrainState);
}

async function handle(command: ToWorker): Promise<FromWorker> {
  const envelope = { v: PROTOCOL_VERSION, id: command.id } as const;
  switch (command.type) {
    case 'init': {
      if (started?.preference !== command.backend) {
        started = { preference: command.backend, report: initBackend(command.backend, self.navigator.gpu ?? undefined) };
        started.report.catch(() => { started = null; });
      }
      return { ...envelope, type: 'ready', report: await started.report };
    }
    case 'selfcheck':
      return { ...envelope, type: 'selfcheck', report: await runParityCheck() };
    case 'loadModel': {
      // The previous model stays in use until the new one has loaded completely.
      // Progress a few times a second while the weights are read and their tensors made, and once at the end of each.
      let lastProgress = 0;
      const progress = (p: LoadProgress) => {
        const complete = p.stage === 'reading' ? p.bytes === p.totalBytes : p.tensors === p.totalTensors;
        if (!complete && Date.now() - lastProgress < PROGRESS_INTERVAL_MS) return;
        lastProgress = Date.now();
        self.postMessage({ ...envelope, type: 'loadProgress', progress: p } satisfies LoadProgressMessage);
      };
      const loaded = await loadPlm(readerFor(command.source), command.source.label, progress);
      // Adapters trained on the previous model cannot run on the new one.
      for (const { result } of results.values()) result.dispose();
      results.clear();
      if (plm) disposePlm(plm);
      plm = loaded;
      modelName = command.source.kind === 'url' ? command.source.pythonName ?? command.source.url : command.source.label;
      return { ...envelope, type: 'modelLoaded', model: loaded.summary };
    }
    case 'encode': {
      if (!plm) throw new Error('No model is loaded yet.');
      return { ...envelope, type: 'encoded', result: await encodeText(plm, command.text, command.text2) };
    }
    case 'train': {
      const { runId } = command;
      const refused = (reason: string): FromWorker => ({ ...envelope, type: 'resumeRefused', runId, reason });
      if (!plm) {
        if (command.resume) return refused('no model is loaded yet');
        throw new Error('No model is loaded yet.');
      }
      let state: TrainState | undefined;
      if (command.resume) {
        const stored = await storedState(runId);
        if (typeof stored === 'string') return refused(stored);
        state = stored;
      }
      let task: Task;
      try {
        task = await taskById(command.settings.task, command.settings.splitSeed);
      } catch (error) {
        if (command.resume) return refused(error instanceof Error ? error.message : String(error));
        throw error;
      }
      const config = resolveRun(command.settings);
      const signal = runs.get(runId) ?? createRunControl();
      runs.set(runId, signal);
      let buffer: RunEvent[] = [];
      let lastFlush = 0;
      let emitted = false;
      const send = (checkpointed?: CheckpointInfo) => {
        self.postMessage({ ...envelope, type: 'events', runId, events: buffer, ...(checkpointed && { checkpointed }) } satisfies RunEvents);
        buffer = [];
        lastFlush = Date.now();
      };
      const flush = () => { if (buffer.length > 0) send(); };
      signal.flushEvents = flush;
      const saving = checkpointer(runId, signal, plm.summary.label, state?.step ?? 0, (message) => { buffer.push({ type: 'warning', message }); flush(); }, (info) => send(info));
      const gpuMeter = createGpuLiveMeter();
      let lastGpuCounts = 0;
      try {
        const result = await runSparseAdapter(plm, task, config, (event) => {
          emitted = true;
          buffer.push(event);
          const counts = gpuMeter.onEvent(event);
          if (counts && gpuCountsChannel && Date.now() - lastGpuCounts > GPU_COUNTS_INTERVAL_MS) {
            lastGpuCounts = Date.now();
            gpuCountsChannel.postMessage({ v: PROTOCOL_VERSION, type: 'gpuCounts', runId, counts } satisfies GpuCountsMessage);
          }
          if (event.type !== 'step' || Date.now() - lastFlush > EVENT_INTERVAL_MS) flush();
        }, signal, { state, checkpoint: { every: CHECKPOINT_POLICY.checkEvery, save: saving.save } });
        flush();
        keepResult(runId, result, task.labels, { settings: command.settings, resolved: config });
        return { ...envelope, type: 'trained', runId, stopped: signal.aborted, kept: [...results.keys()], devCorrect: result.devCorrect };
      } catch (error) {
        // A state that does not fit this run (another model, task or settings) is refused before the first event.
        if (command.resume && !emitted) return refused(`its checkpoint does not fit: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      } finally {
        flush();
        runs.delete(runId);
        // A run that ended (finished, stopped or failed) is not resumed: its checkpoint goes. A refused
        // resume keeps it (the run stays interrupted), and so does a crash (this code never runs).
        await saving.settled();
        if (emitted || !command.resume) await checkpoints?.remove(runId).catch(() => undefined);
      }
    }
    case 'predict': {
      const kept = keptAdapter(command.runId, 'try it');
      return { ...envelope, type: 'prediction', runId: command.runId, prediction: await predict(kept.plm, kept.result, kept.labels, command.text, command.text2) };
    }
    case 'exportAdapter': {
      const kept = keptAdapter(command.runId, 'export it');
      const bytes = await adapterToSafetensors(kept.result, kept.plm, kept.run, kept.labels);
      return { ...envelope, type: 'adapterFile', runId: command.runId, bytes };
    }
    case 'exportLibrary': {
      const kept = keptAdapter(command.runId, 'export it');
      const { adapters, head, masks } = kept.result;
      const info = { modelName, adapterName: command.label, labels: kept.labels, hiddenSize: kept.plm.model.config.hiddenSize, modelType: kept.plm.model.config.modelType };
      const { library, folder, bytes } = await exportZipForLibrary(adapters, head, masks, info);
      return { ...envelope, type: 'libraryExport', runId: command.runId, library, fileName: `${folder}.zip`, bytes };
    }
    case 'importAdapter': {
      if (!plm) throw new Error('Load a model before importing an adapter trained on it.');
      const loaded = adapterFromSafetensors(command.bytes, plm, command.name);
      keepResult(command.runId, loaded, loaded.labels, loaded.run);
      return { ...envelope, type: 'adapterImported', runId: command.runId, labels: loaded.labels, settings: loaded.run.settings, notes: loaded.notes, kept: [...results.keys()] };
    }
    case 'loadTask': {
      const loaded = await loadTask(command.source);
      if ('question' in loaded) return { ...envelope, type: 'taskNeedsMapping', name: command.source.name, question: loaded.question };
      return { ...envelope, type: 'taskLoaded', task: loaded.summary };
    }
    case 'stop':
    case 'pause':
    case 'resume':
    case 'checkpoint': {
      const control = runs.get(command.runId);
      if (!control) return { ...envelope, type: 'control', runId: command.runId, state: 'not running' };
      if (command.type === 'checkpoint') {
        control.checkpointRequested = true;
        return { ...envelope, type: 'control', runId: command.runId, state: 'checkpointing' };
      }
      if (command.type === 'pause' && !control.paused) {
        let resume = () => {};
        const promise = new Promise<void>((resolve) => { resume = resolve; });
        control.paused = { promise, resume };
        // The steps taken before the pause reach the page before the word that it paused.
        control.flushEvents?.();
        return { ...envelope, type: 'control', runId: command.runId, state: 'paused' };
      }
      if (command.type === 'stop') control.aborted = true;
      control.paused?.resume(); // stopping a paused run lets it reach the stop check
      control.paused = null;
      return { ...envelope, type: 'control', runId: command.runId, state: command.type === 'stop' ? 'stopping' : 'resumed' };
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

const lanes = createLanes();

/** A training run stopped before its turn came: dropped without training. */
function dropped(command: Extract<ToWorker, { type: 'train' }>): FromWorker {
  return { v: PROTOCOL_VERSION, id: command.id, type: 'trained', runId: command.runId, stopped: true, kept: [...results.keys()], devCorrect: null };
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const command = event.data;
  if (command?.v !== PROTOCOL_VERSION) {
    self.postMessage({ v: PROTOCOL_VERSION, id: command?.id ?? -1, type: 'error', message: `protocol version ${String(command?.v)} is not ${PROTOCOL_VERSION}: reload the page` });
    return;
  }
  const reply = (message: FromWorker) => self.postMessage(message);
  const fail = (error: unknown) => reply({ v: PROTOCOL_VERSION, id: command.id, type: 'error', message: error instanceof Error ? error.message : String(error) });
  if (command.type !== 'train') {
    lanes.schedule(COMMAND_LANES[command.type], () => handle(command)).then(reply, fail);
    return;
  }
  // A training run waits in its lane; its control exists from now on, so a stop meanwhile drops it.
  const control = createRunControl();
  runs.set(command.runId, control);
  lanes.schedule('train', () => (control.aborted ? Promise.resolve(dropped(command)) : handle(command)))
    .finally(() => { if (runs.get(command.runId) === control) runs.delete(command.runId); })
    .then(reply, fail);
};
