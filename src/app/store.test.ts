// The page store over a fake worker client: runs queue (the second one waits as `queued` and is not
// sent until the first ends), a queued run cancelled never reaches the worker, Try it and downloads
// answer while a run trains, a crash fails the running run and restarts the engine with what it had
// loaded before the queue goes on, and the autosave writes finished runs to IndexedDB (fake-indexeddb).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { defaultRunSettings } from '../engine/settings';
import type { FromWorker, LoadProgress, ModelSource, PlmSummary, RunEvent, RunEvents, RunSettings, TaskSummary, ToWorker } from '../worker/protocol';
import { openRunStore, type RunStore } from './persist';
import { createAppStore, type AppStore } from './store';
import type { WorkerClient, WorkerCommand } from './workerClient';

const MODEL: ModelSource = { kind: 'url', url: '/models/tiny/', label: 'tiny (default)' };
const SUMMARY = { label: 'tiny (default)', layers: 2, hiddenSize: 32, heads: 2, intermediateSize: 37, maxPositions: 64, vocabSize: 100, parameters: 84_320, doLowerCase: true, ignoredTensors: [], metadata: {} } satisfies PlmSummary;
const TOY = { id: 'toy', name: 'toy', kind: 'sequence', labels: ['neg', 'pos'], sizes: { train: 8, dev: 4, test: 4 }, skipped: { count: 0, first: [] }, notes: [], card: null } satisfies TaskSummary;
const SETTINGS: RunSettings = { ...defaultRunSettings('houlsby'), train: { ...defaultRunSettings().train, steps: 3 } };
const STEP: RunEvent = { type: 'step', step: 1, loss: 0.69, lr: 1e-4, tokensPerSec: 100, elapsedMs: 10 };

const LOAD_PROGRESS: LoadProgress[] = [
  { stage: 'reading', file: 'model.safetensors', bytes: 1000, totalBytes: 2000 },
  { stage: 'reading', file: 'model.safetensors', bytes: 2000, totalBytes: 2000 },
  { stage: 'uploading', tensors: 40, totalTensors: 40, bytes: 4000, totalBytes: 4000 },
];

type Sent = { command: WorkerCommand; onEvents?: (m: RunEvents) => void; resolve: (reply: FromWorker) => void; reject: (error: Error) => void };

/**
 * A worker client that answers quick commands at once and holds each training run until the test
 * ends it (`finish`), streams its events (`emit`) or crashes the worker (`crash`), as the real client
 * does: pending commands rejected, then the crash listeners told.
 */
function fakeClient() {
  const sent: Sent[] = [];
  const listeners = new Set<(reason: string) => void>();
  const envelope = { v: 1, id: 0 } as const;
  const answer = (command: WorkerCommand): FromWorker | null => {
    switch (command.type) {
      case 'init': return { ...envelope, type: 'ready', report: { backend: 'cpu', adapter: null, fallbacks: [] } } as FromWorker;
      case 'loadModel': return { ...envelope, type: 'modelLoaded', model: SUMMARY };
      case 'loadTask': return { ...envelope, type: 'taskLoaded', task: TOY };
      case 'predict': return { ...envelope, type: 'prediction', runId: command.runId, prediction: { kind: 'sequence', labels: ['neg', 'pos'], probabilities: [0.25, 0.75] } };
      case 'exportAdapter': return { ...envelope, type: 'adapterFile', runId: command.runId, bytes: new Uint8Array([1, 2, 3]) };
      case 'stop': {
        const run = trains().find((s) => s.command.type === 'train' && s.command.runId === command.runId);
        run?.resolve({ ...envelope, type: 'trained', runId: command.runId, stopped: true, kept: [], devCorrect: null });
        return { ...envelope, type: 'control', runId: command.runId, state: run ? 'stopping' : 'not running' };
      }
      case 'pause':
      case 'resume': return { ...envelope, type: 'control', runId: command.runId, state: command.type === 'pause' ? 'paused' : 'resumed' };
      case 'train': return null;
      default: throw new Error(`the fake client does not answer ${command.type}`);
    }
  };
  const trains = () => sent.filter((s) => s.command.type === 'train');
  const client: WorkerClient = {
    send(command, _transfer, onEvents) {
      return new Promise<FromWorker>((resolve, reject) => {
        sent.push({ command, onEvents, resolve, reject });
        // A model load streams its progress before the reply, as the worker does.
        if (command.type === 'loadModel') for (const progress of LOAD_PROGRESS) onEvents?.({ v: 1, id: 0, type: 'loadProgress', progress });
        const reply = answer(command);
        if (reply) resolve(reply);
      });
    },
    onCrash(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    terminate() {},
  };
  const train = (runId: string) => {
    const entry = trains().find((s) => s.command.type === 'train' && s.command.runId === runId);
    if (!entry) throw new Error(`${runId} was never sent to the worker`);
    return entry;
  };
  return {
    client,
    types: () => sent.map((s) => s.command.type),
    trainedIds: () => trains().map((s) => (s.command as Extract<ToWorker, { type: 'train' }>).runId),
    emit: (runId: string, events: RunEvent[]) => train(runId).onEvents?.({ v: 1, id: 0, type: 'events', runId, events }),
    finish: (runId: string, kept: string[] = [runId], devCorrect: Uint8Array | null = null) => train(runId).resolve({ ...envelope, type: 'trained', runId, stopped: false, kept, devCorrect }),
    crash(reason: string) {
      for (const s of sent) s.reject(new Error(`${reason} It will restart on the next command.`));
      for (const listener of listeners) listener(reason);
    },
  };
}

/** A store with the fake client and the toy task loaded on the default model. */
async function readyStore(runStore: RunStore | null = null) {
  const fake = fakeClient();
  const store = createAppStore(fake.client, runStore);
  await store.getState().startBackend('cpu');
  await store.getState().loadModel(MODEL);
  await store.getState().loadTask({ kind: 'builtin', name: 'toy' });
  return { fake, store };
}

const statuses = (store: AppStore) => store.getState().runs.map((r) => r.status);
const ids = (store: AppStore) => store.getState().runs.map((r) => r.id);
const label = (s: RunSettings) => `houlsby k=${s.largeSparse}`;

describe('loading a model', () => {
  it('shows the worker\'s progress while it loads, then what was read and made', async () => {
    const fake = fakeClient();
    const store = createAppStore(fake.client, null);
    await store.getState().startBackend('cpu');
    const seen: (LoadProgress | null)[] = [];
    const unsubscribe = store.subscribe((state, previous) => { if (state.modelLoadProgress !== previous.modelLoadProgress) seen.push(state.modelLoadProgress); });
    await store.getState().loadModel(MODEL);
    unsubscribe();
    expect(seen).toEqual([...LOAD_PROGRESS, null]);
    expect(store.getState().modelLoadStats).toMatchObject({ bytesRead: 2000, tensors: 40 });
    expect(store.getState().model).toEqual(SUMMARY);
  });
});

describe('the run queue', () => {
  it('shows the second run of a comparison as queued, sends it only when the first has ended, then runs it', async () => {
    const { fake, store } = await readyStore();
    const comparison = store.getState().compareLargeSparse(SETTINGS, 2, label);
    const [standard, large] = ids(store) as [string, string];
    expect(statuses(store)).toEqual(['running', 'queued']);
    expect(store.getState().runQueue).toEqual([large]);
    expect(fake.trainedIds()).toEqual([standard]);

    fake.emit(standard, [STEP]);
    fake.finish(standard);
    await vi.waitFor(() => expect(statuses(store)).toEqual(['done', 'running']));
    expect(store.getState().runQueue).toEqual([]);
    expect(store.getState().runs[0]!.losses.map((l) => l.loss)).toEqual([0.69]);
    expect(fake.trainedIds()).toEqual([standard, large]);
    expect(store.getState().runs[1]!.settings.largeSparse).toBe(2);

    fake.finish(large, [large], new Uint8Array([1, 0, 1]));
    await comparison;
    expect(statuses(store)).toEqual(['done', 'done']);
    expect(store.getState().keptAdapters).toEqual([large]);
    // The worker's per-item correctness lands in the run record (the first reply had none).
    expect(store.getState().runs[1]!.devCorrect).toEqual(new Uint8Array([1, 0, 1]));
    expect(store.getState().runs[0]!.devCorrect).toBeUndefined();
  });

  it('shows every step the worker sent before its pause reply once it says paused (none left waiting in the page buffer)', async () => {
    const { fake, store } = await readyStore();
    const run = store.getState().startRun(SETTINGS, 'paused');
    const [id] = ids(store) as [string];
    fake.emit(id, [STEP, { ...STEP, step: 2, loss: 0.68 }]);
    // The page folds events in every 250 ms; they are still buffered here.
    expect(store.getState().runs[0]!.losses).toEqual([]);
    await store.getState().pauseRun(id, true);
    expect(store.getState().runs[0]!.paused).toBe(true);
    expect(store.getState().runs[0]!.losses.map((l) => l.step)).toEqual([1, 2]);
    fake.emit(id, [{ ...STEP, step: 3 }]);
    await store.getState().pauseRun(id, false);
    expect(store.getState().runs[0]!.paused).toBe(false);
    expect(store.getState().runs[0]!.losses.map((l) => l.step)).toEqual([1, 2, 3]);
    fake.finish(id);
    await run;
    expect(statuses(store)).toEqual(['done']);
  });

  it('cancels a queued run: it leaves the queue and the list and never reaches the worker; the comparison still ends', async () => {
    const { fake, store } = await readyStore();
    const comparison = store.getState().compareLargeSparse(SETTINGS, 2, label);
    const third = store.getState().startRun(SETTINGS, 'third');
    const [standard, large, last] = ids(store) as [string, string, string];
    expect(store.getState().runQueue).toEqual([large, last]);

    store.getState().cancelRun(large);
    expect(ids(store)).toEqual([standard, last]);
    expect(store.getState().runQueue).toEqual([last]);
    // Stop on a queued run cancels it too (the Stop of a running run goes to the worker).
    await store.getState().stopRun(last);
    await third;
    expect(ids(store)).toEqual([standard]);
    expect(fake.types().filter((t) => t === 'stop')).toEqual([]);

    fake.finish(standard);
    await comparison;
    expect(statuses(store)).toEqual(['done']);
    expect(fake.trainedIds()).toEqual([standard]);
  });

  it('stops the running run through the worker and then starts the next one', async () => {
    const { fake, store } = await readyStore();
    void store.getState().startRun(SETTINGS, 'first');
    void store.getState().startRun(SETTINGS, 'second');
    const [first, second] = ids(store) as [string, string];
    await store.getState().stopRun(first);
    await vi.waitFor(() => expect(statuses(store)).toEqual(['stopped', 'running']));
    expect(fake.trainedIds()).toEqual([first, second]);
  });

  it('answers Try it and a download while a run trains', async () => {
    const { fake, store } = await readyStore();
    void store.getState().startRun(SETTINGS, 'first');
    const [first] = ids(store) as [string];
    fake.finish(first);
    await vi.waitFor(() => expect(statuses(store)).toEqual(['done']));
    void store.getState().startRun(SETTINGS, 'second');
    expect(statuses(store)).toEqual(['done', 'running']);

    await store.getState().predict(first, 'the film was wonderful.', null);
    expect(store.getState().prediction).toMatchObject({ state: 'done', value: { runId: first, probabilities: [0.25, 0.75] } });
    expect(await store.getState().exportAdapter(first)).toEqual(new Uint8Array([1, 2, 3]));
    // The training run is still in progress: nothing waited for it.
    expect(statuses(store)).toEqual(['done', 'running']);
  });
});

describe('several seeds', () => {
  const seedsOf = (store: AppStore) => store.getState().runs.map((r) => r.settings.train.seed);
  const finishAll = async (fake: ReturnType<typeof fakeClient>, store: AppStore) => {
    for (let i = 0; i < store.getState().runs.length; i++) {
      const id = store.getState().runs[i]!.id;
      await vi.waitFor(() => expect(fake.trainedIds()).toContain(id));
      fake.finish(id);
    }
  };

  it('queues a configuration n times with seeds seed … seed + n − 1, as one seed group', async () => {
    const { fake, store } = await readyStore();
    const done = store.getState().runSeeds({ ...SETTINGS, train: { ...SETTINGS.train, seed: 7 } }, 3, (s) => `seed ${s.train.seed}`);
    expect(seedsOf(store)).toEqual([7, 8, 9]);
    expect(store.getState().runs.map((r) => r.label)).toEqual(['seed 7', 'seed 8', 'seed 9']);
    const groups = store.getState().runs.map((r) => r.seedGroup);
    expect(groups[0]).toEqual({ group: expect.stringMatching(/^seeds-/), seeds: 3 });
    expect(new Set(groups.map((g) => g!.group)).size).toBe(1);
    // Everything but the seed is the same.
    for (const r of store.getState().runs) expect({ ...r.settings, train: { ...r.settings.train, seed: 0 } }).toEqual({ ...SETTINGS, train: { ...SETTINGS.train, seed: 0 } });
    await finishAll(fake, store);
    await done;
    expect(statuses(store)).toEqual(['done', 'done', 'done']);
  });

  it('runs one seed as before: a single run with no group', async () => {
    const { store } = await readyStore();
    void store.getState().runSeeds(SETTINGS, 1, () => 'one');
    expect(store.getState().runs.map((r) => [r.settings.train.seed, r.seedGroup])).toEqual([[SETTINGS.train.seed, undefined]]);
  });

  it('refuses seeds past the largest one and queues nothing', async () => {
    const { store } = await readyStore();
    await expect(store.getState().runSeeds({ ...SETTINGS, train: { ...SETTINGS.train, seed: 2 ** 31 - 2 } }, 3, () => 'x')).rejects.toThrow(/go past the largest seed/);
    expect(store.getState().runs).toEqual([]);
  });

  it('compares seed by seed: standard then Large-Sparse for each seed, each side one seed group', async () => {
    const { store } = await readyStore();
    void store.getState().compareLargeSparse(SETTINGS, 2, label, 2);
    const runs = store.getState().runs;
    expect(runs.map((r) => [r.settings.train.seed, r.settings.largeSparse, r.comparison!.role])).toEqual([[1, 1, 'standard'], [1, 2, 'large-sparse'], [2, 1, 'standard'], [2, 2, 'large-sparse']]);
    expect(new Set(runs.map((r) => r.comparison!.group)).size).toBe(1);
    expect(runs[0]!.seedGroup!.group).toBe(runs[2]!.seedGroup!.group);
    expect(runs[1]!.seedGroup!.group).toBe(runs[3]!.seedGroup!.group);
    expect(runs[0]!.seedGroup!.group).not.toBe(runs[1]!.seedGroup!.group);
  });

  it('sweeps sparsity seed by seed, one seed group per sparsity', async () => {
    const { store } = await readyStore();
    void store.getState().sweepSparsity(SETTINGS, [0, 0.5, 0.9], 2, (s) => `${s.prune.sparsity}/${s.train.seed}`);
    const runs = store.getState().runs;
    expect(runs.map((r) => r.label)).toEqual(['0/1', '0.5/1', '0.9/1', '0/2', '0.5/2', '0.9/2']);
    expect(runs[0]!.seedGroup!.group).toBe(runs[3]!.seedGroup!.group);
    expect(new Set(runs.map((r) => r.seedGroup!.group)).size).toBe(3);
    expect(store.getState().runQueue).toHaveLength(5);
  });

  it("puts a shared group's first seed and its seeds count in the controls", async () => {
    const { store } = await readyStore();
    const shared = (seed: number) => ({ label: `s${seed}`, settings: { ...SETTINGS, train: { ...SETTINGS.train, seed } }, results: null, comparison: null, seedGroup: { group: 'g', seeds: 2 } });
    store.getState().openShared({ runs: [shared(4), shared(3)], problems: [] });
    expect(store.getState().draft.train.seed).toBe(3);
    expect(store.getState().draftPage).toEqual({ seeds: 2 });
    await store.getState().applySettings(SETTINGS, { seeds: 1 });
    expect(store.getState().draftPage).toEqual({ seeds: 1 });
  });
});

describe('a worker crash', () => {
  it('fails the running run with the reason, restarts the engine with its backend, model and tasks, then starts the queued run', async () => {
    const { fake, store } = await readyStore();
    void store.getState().compareLargeSparse(SETTINGS, 2, label);
    const [standard, large] = ids(store) as [string, string];
    fake.emit(standard, [STEP]);
    const before = fake.types().length;

    fake.crash('The engine worker crashed: simulated.');
    await vi.waitFor(() => expect(store.getState().crashNotice).toContain('The engine was restarted and the model and tasks loaded back'));
    const run = store.getState().runs[0]!;
    expect(run.status).toBe('failed');
    expect(run.error).toContain('The engine worker crashed: simulated.');
    expect(run.losses).toHaveLength(1);
    // The queued run waited for the restart (backend, model, task in that order) and then started.
    expect(fake.types().slice(before)).toEqual(['init', 'loadModel', 'loadTask', 'train']);
    expect(fake.trainedIds()).toEqual([standard, large]);
    expect(statuses(store)).toEqual(['failed', 'running']);
    expect(store.getState().model).toEqual(SUMMARY);
  });

  it('stops restarting an engine that crashes more than 3 times in a minute', async () => {
    const { fake, store } = await readyStore();
    for (let i = 1; i <= 3; i++) {
      fake.crash(`crash ${i}.`);
      await vi.waitFor(() => expect(store.getState().crashNotice).toContain('The engine was restarted'));
    }
    const before = fake.types().length;
    fake.crash('crash 4.');
    await vi.waitFor(() => expect(store.getState().crashNotice).toContain('keeps crashing'));
    expect(fake.types().slice(before)).toEqual([]);
    expect(store.getState().model).toBeNull();
  });
});

describe('the autosave', () => {
  it('writes a finished run to IndexedDB, and nothing of a queued one', async () => {
    const runStore = openRunStore();
    const { fake, store } = await readyStore(runStore);
    const autosave = store.getState().startAutosave({ delayMs: 5 });
    expect(store.getState().startAutosave()).toBe(autosave);
    void store.getState().startRun(SETTINGS, 'first');
    void store.getState().startRun(SETTINGS, 'second');
    const [first, second] = ids(store) as [string, string];
    fake.emit(first, [STEP]);
    fake.finish(first);
    await vi.waitFor(async () => {
      const saved = await runStore.loadAll();
      expect(saved.find((r) => r.id === first)).toMatchObject({ status: 'done', label: 'first' });
      expect(saved.find((r) => r.id === first)!.losses.map((l) => l.loss)).toEqual([0.69]);
    });
    // The second run is running now and was written once as it started; cancel a new queued one: never written.
    void store.getState().startRun(SETTINGS, 'third');
    const third = ids(store)[2]!;
    await autosave.flush();
    expect((await runStore.loadAll()).map((r) => r.id)).toEqual([first, second]);
    store.getState().cancelRun(third);
    autosave.stop();
  });
});
