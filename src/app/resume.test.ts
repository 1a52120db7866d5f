// Resuming a run in the page store, over a fake worker client and fake-indexeddb: an interrupted run
// with a checkpoint resumes into its own record (its curve after the checkpoint's step dropped), only
// on the model it trained on; a refused checkpoint leaves it interrupted with its curve and the reason;
// a crash after a checkpoint leaves the run interrupted (resumable); deleting a run deletes its checkpoint.
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { defaultRunSettings } from '../engine/settings';
import type { TrainState } from '../engine/train';
import { openCheckpointStore, type CheckpointInfo } from '../worker/checkpointStore';
import type { FromWorker, PlmSummary, RunEvent, RunEvents, RunSettings, TaskSummary } from '../worker/protocol';
import { openRunStore } from './persist';
import { applyRunEvents, createRunRecord } from './runs';
import { createAppStore } from './store';
import { WORKER_CRASHED, type WorkerClient, type WorkerCommand } from './workerClient';

const SUMMARY = { label: 'tiny (default)', layers: 2, hiddenSize: 32, heads: 2, intermediateSize: 37, maxPositions: 64, vocabSize: 100, parameters: 84_320, doLowerCase: true, ignoredTensors: [], metadata: {} } satisfies PlmSummary;
const TOY = { id: 'toy', name: 'toy', kind: 'sequence', labels: ['neg', 'pos'], sizes: { train: 8, dev: 4, test: 4 }, skipped: { count: 0, first: [] }, notes: [], card: null } satisfies TaskSummary;
const SETTINGS: RunSettings = { ...defaultRunSettings('houlsby'), task: 'toy', train: { ...defaultRunSettings().train, steps: 6, evalEvery: 2 } };
const step = (n: number): RunEvent => ({ type: 'step', step: n, loss: 1 / n, lr: 1e-4, tokensPerSec: 100, elapsedMs: 10 * n });
const evalAt = (n: number): RunEvent => ({ type: 'eval', step: n, split: 'dev', metrics: { accuracy: n / 10, macroF1: 0, mcc: 0, count: 4, confusion: [] } });

type Train = { command: Extract<WorkerCommand, { type: 'train' }>; onEvents?: (m: RunEvents) => void; resolve: (r: FromWorker) => void; reject: (e: Error) => void };

/** A client that answers set-up commands at once and holds training runs for the test to end. */
function fakeClient(model: PlmSummary = SUMMARY) {
  const trains: Train[] = [];
  const crashListeners = new Set<(reason: string) => void>();
  const envelope = { v: 1, id: 0 } as const;
  const client: WorkerClient = {
    send(command, _transfer, onEvents) {
      return new Promise<FromWorker>((resolve, reject) => {
        if (command.type === 'train') trains.push({ command, onEvents, resolve, reject });
        else if (command.type === 'init') resolve({ ...envelope, type: 'ready', report: { backend: 'cpu', adapter: null, fallbacks: [] } } as FromWorker);
        else if (command.type === 'loadModel') resolve({ ...envelope, type: 'modelLoaded', model });
        else if (command.type === 'loadTask') resolve({ ...envelope, type: 'taskLoaded', task: TOY });
        else if (command.type === 'checkpoint') resolve({ ...envelope, type: 'control', runId: command.runId, state: 'checkpointing' });
        else reject(new Error(`the fake client does not answer ${command.type}`));
      });
    },
    onCrash(listener) {
      crashListeners.add(listener);
      return () => crashListeners.delete(listener);
    },
    terminate() {},
  };
  const last = () => trains[trains.length - 1]!;
  return {
    client,
    trains,
    emit: (events: RunEvent[], checkpointed?: CheckpointInfo) => last().onEvents?.({ v: 1, id: 0, type: 'events', runId: last().command.runId, events, checkpointed }),
    finish: () => last().resolve({ ...envelope, type: 'trained', runId: last().command.runId, stopped: false, kept: [], devCorrect: null }),
    refuse: (reason: string) => last().resolve({ ...envelope, type: 'resumeRefused', runId: last().command.runId, reason }),
    crash(reason: string) {
      for (const t of trains) t.reject(Object.assign(new Error(`${reason} It will restart on the next command.`), { name: WORKER_CRASHED }));
      for (const listener of crashListeners) listener(reason);
    },
  };
}

/** Stores a run cut off at step 4 (evaluated at 2 and 4) with a checkpoint at step 2, as a reload leaves them. */
async function interruptedRun(runId: string) {
  const record = applyRunEvents({ ...createRunRecord(runId, 'cut off', SETTINGS, 1000), status: 'running' }, [step(1), step(2), evalAt(2), step(3), step(4), evalAt(4)]);
  await openRunStore().save([record]);
  const info: CheckpointInfo = { runId, step: 2, model: SUMMARY.label, bytes: 100, savedAt: 1 };
  await openCheckpointStore().save(info, { step: 2 } as unknown as TrainState);
  return info;
}

async function reloadedStore(model?: PlmSummary) {
  const fake = fakeClient(model);
  const store = createAppStore(fake.client, openRunStore());
  await store.getState().restoreRuns();
  return { fake, store };
}

const run = (store: ReturnType<typeof createAppStore>, id: string) => store.getState().runs.find((r) => r.id === id)!;

describe('resuming an interrupted run', () => {
  it('waits for the model it trained on, then continues in the same record from the checkpoint step', async () => {
    await interruptedRun('r1');
    const { fake, store } = await reloadedStore();
    expect(run(store, 'r1').status).toBe('interrupted');
    expect(store.getState().checkpoints.r1?.step).toBe(2);

    // No model yet: refused with the model to load, nothing sent.
    await store.getState().resumeRun('r1');
    expect(store.getState().resumeNotice?.message).toMatch(/trained on the model "tiny \(default\)", and no model is loaded yet/);
    expect(fake.trains).toHaveLength(0);

    await store.getState().startBackend('cpu');
    await store.getState().loadModel({ kind: 'url', url: '/models/tiny/', label: SUMMARY.label });
    const resumed = store.getState().resumeRun('r1');
    expect(store.getState().resumeNotice).toBeNull();
    expect(fake.trains.map((t) => [t.command.runId, t.command.resume])).toEqual([['r1', true]]);
    // The curve after the checkpoint's step is dropped; the run streams on from there.
    expect(run(store, 'r1')).toMatchObject({ status: 'running' });
    expect(run(store, 'r1').losses.map((l) => l.step)).toEqual([1, 2]);
    expect(run(store, 'r1').evals.map((e) => e.step)).toEqual([2]);
    fake.emit([step(3), step(4), step(5), step(6), evalAt(6)]);
    fake.finish();
    await resumed;
    expect(run(store, 'r1')).toMatchObject({ status: 'done', error: null });
    expect(run(store, 'r1').losses.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(run(store, 'r1').evals.map((e) => e.step)).toEqual([2, 6]);
    expect(store.getState().checkpoints.r1).toBeUndefined();
  });

  it('refuses on another model, and a checkpoint the worker refuses leaves the run interrupted with its curve and the reason', async () => {
    await interruptedRun('r2');
    const other = { ...SUMMARY, label: 'default model' };
    const { fake, store } = await reloadedStore(other);
    await store.getState().startBackend('cpu');
    await store.getState().loadModel({ kind: 'url', url: '/models/default/', label: other.label });
    await store.getState().resumeRun('r2');
    expect(store.getState().resumeNotice?.message).toMatch(/"default model" is loaded: load "tiny \(default\)" \(pick its files again/);
    expect(fake.trains).toHaveLength(0);

    await store.getState().loadModel({ kind: 'url', url: '/models/tiny/', label: SUMMARY.label });
    // The fake client answers every model load with its one summary: make the store believe it is the run's.
    store.setState({ model: SUMMARY });
    const resumed = store.getState().resumeRun('r2');
    fake.refuse('its checkpoint is damaged: its masks are not 0/1 arrays');
    await resumed;
    expect(run(store, 'r2')).toMatchObject({ status: 'interrupted', error: 'Resume refused: its checkpoint is damaged: its masks are not 0/1 arrays.' });
    expect(run(store, 'r2').losses.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(store.getState().resumeNotice?.message).toMatch(/cut off: Resume refused: its checkpoint is damaged/);
    // The checkpoint stays (the run can be deleted, or resumed again).
    expect(store.getState().checkpoints.r2?.step).toBe(2);
  });

  it('leaves a run that crashed after a checkpoint interrupted (resumable), and deleting a run deletes its checkpoint', async () => {
    const { fake, store } = await reloadedStore();
    await store.getState().startBackend('cpu');
    await store.getState().loadModel({ kind: 'url', url: '/models/tiny/', label: SUMMARY.label });
    void store.getState().startRun(SETTINGS, 'crashes');
    const id = store.getState().runs.at(-1)!.id;
    const info: CheckpointInfo = { runId: id, step: 2, model: SUMMARY.label, bytes: 100, savedAt: 1 };
    await openCheckpointStore().save(info, { step: 2 } as unknown as TrainState);
    fake.emit([step(1), step(2)], info);
    store.getState().checkpointNow();
    fake.crash('The engine worker crashed: simulated.');
    await vi.waitFor(() => expect(run(store, id).status).toBe('interrupted'));
    expect(run(store, id).error).toMatch(/crashed: simulated\..*resumed from its checkpoint at step 2/);
    expect(store.getState().checkpoints[id]?.step).toBe(2);

    await store.getState().deleteRun(id);
    expect(store.getState().checkpoints[id]).toBeUndefined();
    expect((await openCheckpointStore().list()).map((c) => c.runId)).not.toContain(id);
  });
});
