// The page's state: a zustand store split into slices. Components select narrow values;
// actions live beside the state they change and talk to the worker through the client.
import { create, type StateCreator } from 'zustand';
import type { BackendPreference, BackendReport, EncodeResult, FromWorker, MappingQuestion, ModelSource, ParityReport, PlmSummary, Prediction, RunEvent, RunSettings, TaskSource, TaskSummary } from '../worker/protocol';
import { defaultRunSettings } from '../engine/settings';
import { applyRunEvents, createRunRecord, fromSharedRun, type RunRecord } from './runs';
import { openRunStore, runningSaveInterval, SAVE_DELAY_MS, storageMessage } from './persist';
import { importRuns } from './runFile';
import { settingsFromLink, type DecodedShare } from './share';
import { createWorkerClient } from './workerClient';

const client = createWorkerClient((reason) => void useAppStore.getState().recover(reason));

/** What the worker had loaded, so that a restarted worker gets it back (user model files are not kept: too large). */
let lastPreference: BackendPreference = 'auto';
let lastModelSource: ModelSource | null = null;
const loadedTaskSources = new Map<string, TaskSource>();

/** The life of one asynchronous request, as the UI shows it. */
export type Status<T> = { state: 'idle' } | { state: 'busy' } | { state: 'done'; value: T } | { state: 'failed'; message: string };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Narrows a reply to the expected type, so a protocol mix-up is an error rather than a silent cast. */
function expectReply<T extends FromWorker['type']>(reply: FromWorker, type: T): Extract<FromWorker, { type: T }> {
  if (reply.type !== type) throw new Error(`the worker answered ${reply.type} instead of ${type}`);
  return reply as Extract<FromWorker, { type: T }>;
}

/** The compute backend: which one runs, on which adapter, and whether it computes correctly. */
export interface BackendSlice {
  backend: Status<BackendReport>;
  selfcheck: Status<ParityReport>;
  startBackend(preference: BackendPreference): Promise<void>;
  runSelfcheck(): Promise<void>;
}

export const createBackendSlice: StateCreator<AppState, [], [], BackendSlice> = (set) => ({
  backend: { state: 'idle' },
  selfcheck: { state: 'idle' },
  async startBackend(preference) {
    lastPreference = preference;
    set({ backend: { state: 'busy' }, selfcheck: { state: 'idle' } });
    try {
      const reply = expectReply(await client.send({ type: 'init', backend: preference }), 'ready');
      set({ backend: { state: 'done', value: reply.report } });
    } catch (error) {
      set({ backend: { state: 'failed', message: message(error) } });
    }
  },
  async runSelfcheck() {
    set({ selfcheck: { state: 'busy' } });
    try {
      const reply = expectReply(await client.send({ type: 'selfcheck' }), 'selfcheck');
      set({ selfcheck: { state: 'done', value: reply.report } });
    } catch (error) {
      set({ selfcheck: { state: 'failed', message: message(error) } });
    }
  },
});

/** The frozen PLM: the loaded model, the last load attempt, and the encoder try-out. */
export interface ModelSlice {
  /** The model in use; a failed load leaves it in place. */
  model: PlmSummary | null;
  modelLoad: Status<PlmSummary>;
  encoding: Status<EncodeResult>;
  loadModel(source: ModelSource): Promise<void>;
  /** Loads `source` only if the user has not loaded or started loading a model already. */
  loadModelUnlessChosen(source: ModelSource): Promise<void>;
  encode(text: string, text2: string | null): Promise<void>;
}

export const createModelSlice: StateCreator<AppState, [], [], ModelSlice> = (set, get) => ({
  model: null,
  modelLoad: { state: 'idle' },
  encoding: { state: 'idle' },
  async loadModel(source) {
    set({ modelLoad: { state: 'busy' } });
    try {
      const transfer = source.kind === 'files' ? source.files.map((f) => f.bytes) : [];
      const reply = expectReply(await client.send({ type: 'loadModel', source }, transfer), 'modelLoaded');
      lastModelSource = source.kind === 'url' ? source : null;
      // The worker drops the adapters trained on the previous model.
      set({ model: reply.model, modelLoad: { state: 'done', value: reply.model }, encoding: { state: 'idle' }, keptAdapters: [] });
    } catch (error) {
      set({ modelLoad: { state: 'failed', message: message(error) } });
    }
  },
  async loadModelUnlessChosen(source) {
    // The default model loads after the backend starts; a model the user picked meanwhile wins.
    if (get().model || get().modelLoad.state !== 'idle') return;
    await get().loadModel(source);
  },
  async encode(text, text2) {
    set({ encoding: { state: 'busy' } });
    try {
      const reply = expectReply(await client.send({ type: 'encode', text, text2 }), 'encoded');
      set({ encoding: { state: 'done', value: reply.result } });
    } catch (error) {
      set({ encoding: { state: 'failed', message: message(error) } });
    }
  },
});

/** Tasks: the built-in ones and the user's files, loaded (and checked) in the worker. */
export interface TasksSlice {
  tasks: TaskSummary[];
  taskLoad: Status<TaskSummary>;
  /** A file whose columns need choosing: the question, and the text to parse again with the answer. */
  mapping: { source: Extract<TaskSource, { kind: 'file' }>; question: MappingQuestion } | null;
  loadTask(source: TaskSource): Promise<TaskSummary | null>;
}

export const createTasksSlice: StateCreator<AppState, [], [], TasksSlice> = (set) => ({
  tasks: [],
  taskLoad: { state: 'idle' },
  mapping: null,
  async loadTask(source) {
    set({ taskLoad: { state: 'busy' } });
    try {
      const reply = await client.send({ type: 'loadTask', source });
      if (reply.type === 'taskNeedsMapping' && source.kind === 'file') {
        set({ taskLoad: { state: 'idle' }, mapping: { source, question: reply.question } });
        return null;
      }
      const { task } = expectReply(reply, 'taskLoaded');
      loadedTaskSources.set(task.id, source);
      set((state) => ({ tasks: [...state.tasks.filter((t) => t.id !== task.id), task], taskLoad: { state: 'done', value: task }, mapping: null }));
      return task;
    } catch (error) {
      // A bad file is reported; the tasks already loaded stay as they were.
      set({ taskLoad: { state: 'failed', message: message(error) } });
      return null;
    }
  },
});

/** Training runs: started from the controls, updated by the worker's event stream. */
export interface RunsSlice {
  runs: RunRecord[];
  startRun(settings: RunSettings, label: string, comparison?: RunRecord['comparison']): Promise<void>;
  /** Queues the standard adapter (k = 1) and its Large-Sparse counterpart (k), same task, data order and seed. */
  compareLargeSparse(settings: RunSettings, k: number, label: (s: RunSettings) => string): Promise<void>;
  stopRun(id: string): Promise<void>;
  pauseRun(id: string, pause: boolean): Promise<void>;
  /** The trained adapter of a run as a safetensors file (weights with pruned entries as zeros, masks, settings). */
  exportAdapter(runId: string): Promise<Uint8Array>;
  /** The adapter as a zipped AdapterHub (Houlsby, Pfeiffer, parallel) or PEFT (LoRA) folder. */
  exportLibrary(runId: string, label: string): Promise<{ fileName: string; bytes: Uint8Array }>;
  /** Loads an exported adapter for "Try it" as a new run; problems are shown, nothing else changes. */
  importAdapter(name: string, bytes: Uint8Array): Promise<void>;
  adapterImport: Status<string>;
  /** The runs whose trained adapters the worker holds (Try it and downloads need them); none after a reload. */
  keptAdapters: readonly string[];
  prediction: Status<Prediction & { runId: string }>;
  predict(runId: string, text: string, text2: string | null): Promise<void>;
}

let runCounter = 0;
const UI_FLUSH_MS = 250;

export const createRunsSlice: StateCreator<AppState, [], [], RunsSlice> = (set, get) => {
  const update = (id: string, change: (run: RunRecord) => RunRecord) => set((state) => ({ runs: state.runs.map((r) => (r.id === id ? change(r) : r)) }));
  return {
    runs: [],
    async startRun(settings, label, comparison = null) {
      runCounter += 1;
      const id = `run-${Date.now().toString(36)}-${runCounter}`;
      set((state) => ({ runs: [...state.runs, createRunRecord(id, label, settings, Date.now(), comparison)] }));
      try {
        // Events are folded into the store at most every UI_FLUSH_MS (the worker already batches per
        // 100 ms): fewer renders of the charts while a run streams, the same records in the end.
        let pending: RunEvent[] = [];
        let timer: ReturnType<typeof setTimeout> | null = null;
        const flush = () => {
          timer = null;
          const events = pending;
          pending = [];
          if (events.length > 0) update(id, (run) => applyRunEvents(run, events));
        };
        let reply: Extract<FromWorker, { type: 'trained' }>;
        try {
          reply = expectReply(await client.send({ type: 'train', runId: id, settings }, [], (message) => {
            pending.push(...message.events);
            timer ??= setTimeout(flush, UI_FLUSH_MS);
          }), 'trained');
        } finally {
          if (timer !== null) clearTimeout(timer);
          flush();
        }
        update(id, (run) => ({ ...run, status: reply.stopped ? 'stopped' : 'done', phase: reply.stopped ? 'stopped' : 'done' }));
        set({ keptAdapters: reply.kept });
      } catch (error) {
        // What was recorded up to the failure stays; the run says what happened.
        update(id, (run) => ({ ...run, status: 'failed', phase: 'failed', error: message(error) }));
      }
    },
    async compareLargeSparse(settings, k, label) {
      const group = `cmp-${Date.now().toString(36)}`;
      const standard = { ...settings, largeSparse: 1 };
      const large = { ...settings, largeSparse: k };
      // The worker runs commands in order, so the second run starts when the first ends.
      await Promise.all([get().startRun(standard, label(standard), { group, role: 'standard' }), get().startRun(large, label(large), { group, role: 'large-sparse' })]);
    },
    async stopRun(id) {
      await client.send({ type: 'stop', runId: id });
    },
    async exportAdapter(runId) {
      return expectReply(await client.send({ type: 'exportAdapter', runId }), 'adapterFile').bytes;
    },
    async exportLibrary(runId, label) {
      const { fileName, bytes } = expectReply(await client.send({ type: 'exportLibrary', runId, label }), 'libraryExport');
      return { fileName, bytes };
    },
    adapterImport: { state: 'idle' },
    keptAdapters: [],
    async importAdapter(name, bytes) {
      runCounter += 1;
      const id = `adapter-${Date.now().toString(36)}-${runCounter}`;
      set({ adapterImport: { state: 'busy' } });
      try {
        const reply = expectReply(await client.send({ type: 'importAdapter', runId: id, name, bytes }, [bytes.buffer]), 'adapterImported');
        const { settings, problems } = settingsFromLink(reply.settings, name, { allowFileTasks: true });
        const run = { ...createRunRecord(id, `adapter from ${name.slice(0, 80)}`, settings, Date.now()), status: 'done' as const, phase: 'imported' };
        set((state) => ({ runs: [...state.runs, run], adapterImport: { state: 'done', value: name }, importNotes: problems, keptAdapters: reply.kept }));
      } catch (error) {
        set({ adapterImport: { state: 'failed', message: message(error) } });
      }
    },
    prediction: { state: 'idle' },
    async predict(runId, text, text2) {
      set({ prediction: { state: 'busy' } });
      try {
        const reply = expectReply(await client.send({ type: 'predict', runId, text, text2 }), 'prediction');
        set({ prediction: { state: 'done', value: { ...reply.prediction, runId } } });
      } catch (error) {
        set({ prediction: { state: 'failed', message: message(error) } });
      }
    },
    async pauseRun(id, pause) {
      const reply = expectReply(await client.send({ type: pause ? 'pause' : 'resume', runId: id }), 'control');
      if (reply.state === 'paused' || reply.state === 'resumed') update(id, (run) => ({ ...run, paused: reply.state === 'paused' }));
    },
  };
};

/** The controls' settings (the next run), and what a share link brought. */
export interface DraftSlice {
  draft: RunSettings;
  setDraft(change: (draft: RunSettings) => RunSettings): void;
  /** Puts a run's settings in the controls (loading its built-in task if needed); never starts a run. */
  applySettings(settings: RunSettings): Promise<void>;
  /** What the last opened link could not use, in words; empty when it was fine. */
  shareNotice: string[];
  dismissShareNotice(): void;
  /** Adds the runs of a link as shared runs and puts the first one's settings in the controls (its task loads with the page's start-up). */
  openShared(decoded: DecodedShare): void;
}

/** The controls' first settings: small enough to train in seconds on a laptop. */
export const INITIAL_DRAFT: RunSettings = { ...defaultRunSettings('houlsby'), train: { ...defaultRunSettings().train, steps: 60, seqLen: 32, evalEvery: 20 } };

let sharedCounter = 0;

export const createDraftSlice: StateCreator<AppState, [], [], DraftSlice> = (set, get) => ({
  draft: INITIAL_DRAFT,
  setDraft(change) {
    set((state) => ({ draft: change(state.draft) }));
  },
  async applySettings(settings) {
    set({ draft: settings });
    if (settings.task !== 'toy' && !settings.task.startsWith('file:') && !get().tasks.some((t) => t.id === settings.task)) await get().loadTask({ kind: 'builtin', name: settings.task });
  },
  shareNotice: [],
  dismissShareNotice() {
    set({ shareNotice: [] });
  },
  openShared(decoded) {
    const now = Date.now();
    const runs = decoded.runs.map((shared) => fromSharedRun(shared, `shared-${now.toString(36)}-${++sharedCounter}`, now));
    set((state) => ({ runs: [...state.runs, ...runs], shareNotice: decoded.problems, ...(decoded.runs[0] && { draft: decoded.runs[0].settings }) }));
  },
});

/** Runs kept across reloads: restored at start, saved as they change, renamed and deleted by the user. */
export interface StorageSlice {
  /** A storage failure, in words (null when saving works). */
  storageError: string | null;
  restoreRuns(): Promise<void>;
  renameRun(id: string, label: string): void;
  /** Adds the runs of an exported JSON file; a bad file is reported and changes nothing. */
  importRunFile(name: string, text: string): void;
  runImport: Status<number>;
  importNotes: string[];
  deleteRun(id: string): Promise<void>;
}

const runStore = typeof indexedDB === 'undefined' ? null : openRunStore();

export const createStorageSlice: StateCreator<AppState, [], [], StorageSlice> = (set) => ({
  storageError: runStore ? null : 'This browser has no IndexedDB: runs are not kept after the page closes.',
  async restoreRuns() {
    if (!runStore) return;
    try {
      const stored = await runStore.loadAll();
      // Runs of this page (started or opened from a link meanwhile) come after the stored ones.
      set((state) => ({ runs: [...stored.filter((r) => !state.runs.some((s) => s.id === r.id)), ...state.runs] }));
      await runStore.save(stored.filter((r) => r.status === 'interrupted'));
    } catch (error) {
      set({ storageError: storageMessage(error) });
    }
  },
  runImport: { state: 'idle' },
  importNotes: [],
  importRunFile(name, text) {
    try {
      const { runs, notes } = importRuns(text, name, Date.now());
      set((state) => ({ runs: [...state.runs, ...runs], runImport: { state: 'done', value: runs.length }, importNotes: notes }));
    } catch (error) {
      set({ runImport: { state: 'failed', message: message(error) }, importNotes: [] });
    }
  },
  renameRun(id, label) {
    const clean = label.trim().slice(0, 120);
    if (clean) set((state) => ({ runs: state.runs.map((r) => (r.id === id ? { ...r, label: clean } : r)) }));
  },
  async deleteRun(id) {
    set((state) => ({ runs: state.runs.filter((r) => r.id !== id) }));
    try {
      await runStore?.remove(id);
    } catch (error) {
      set({ storageError: storageMessage(error) });
    }
  },
});

/** After a worker crash: the page says so, restarts the engine and loads back what it can. */
export interface RecoverySlice {
  crashNotice: string | null;
  recover(reason: string): Promise<void>;
}

let recentCrashes: number[] = [];

export const createRecoverySlice: StateCreator<AppState, [], [], RecoverySlice> = (set, get) => ({
  crashNotice: null,
  async recover(reason) {
    // A worker that crashes again as it restarts (a broken backend) must not loop: after 3 crashes in a
    // minute the page stops restarting it and says so.
    const now = Date.now();
    recentCrashes = [...recentCrashes.filter((t) => now - t < 60_000), now];
    if (recentCrashes.length > 3) {
      set({ crashNotice: `${reason} The engine keeps crashing as it starts (${recentCrashes.length} times in a minute), so it is not restarted again: try another backend below, or reload the page.`, model: null, modelLoad: { state: 'idle' } });
      return;
    }
    const hadModel = get().model;
    set({ crashNotice: `${reason} Restarting the engine and loading back the model and tasks…`, model: null, modelLoad: { state: 'idle' }, keptAdapters: [] });
    await get().startBackend(lastPreference);
    if (lastModelSource) await get().loadModel(lastModelSource);
    for (const source of loadedTaskSources.values()) await get().loadTask(source);
    const modelNote = hadModel && !lastModelSource ? ` Your model files (${hadModel.label}) are not kept in memory: pick them again.` : '';
    set({ crashNotice: `${reason} The engine was restarted${lastModelSource ? ' and the model and tasks loaded back' : ''}; runs in progress ended as failed.${modelNote}` });
  },
});

export type AppState = RecoverySlice & BackendSlice & ModelSlice & TasksSlice & RunsSlice & DraftSlice & StorageSlice;

export const useAppStore = create<AppState>()((...args) => ({
  ...createBackendSlice(...args),
  ...createModelSlice(...args),
  ...createTasksSlice(...args),
  ...createRunsSlice(...args),
  ...createDraftSlice(...args),
  ...createStorageSlice(...args),
  ...createRecoverySlice(...args),
}));

if (runStore) {
  // Saves the runs that changed (by identity): finished ones after SAVE_DELAY_MS, running ones at
  // most every runningSaveInterval.
  const saved = new Map<string, RunRecord>();
  const savedAt = new Map<string, number>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const save = async (everything = false) => {
    timer = null;
    const now = Date.now();
    const runs = useAppStore.getState().runs;
    for (const id of saved.keys()) if (!runs.some((r) => r.id === id)) { saved.delete(id); savedAt.delete(id); }
    const changed = runs.filter((r) => saved.get(r.id) !== r);
    const due = everything ? changed : changed.filter((r) => r.status !== 'running' || now - (savedAt.get(r.id) ?? -Infinity) >= runningSaveInterval(r.losses.length));
    // Running runs not yet due are written on a later pass.
    if (due.length < changed.length) timer ??= setTimeout(() => void save(), SAVE_DELAY_MS);
    if (due.length === 0) return;
    for (const r of due) { saved.set(r.id, r); savedAt.set(r.id, now); }
    try {
      await runStore.save(due);
      if (useAppStore.getState().storageError) useAppStore.setState({ storageError: null });
    } catch (error) {
      useAppStore.setState({ storageError: storageMessage(error) });
    }
  };
  useAppStore.subscribe((state, previous) => {
    if (state.runs !== previous.runs) timer ??= setTimeout(() => void save(), SAVE_DELAY_MS);
  });
  // A run's last events before a reload are not lost to the delay.
  addEventListener('pagehide', () => void save(true));
}
