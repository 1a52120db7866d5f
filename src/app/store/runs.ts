// Training runs and their queue. A new run is `queued` in `runQueue`; the store sends the first one to
// the worker when no run is training and the engine has a model, so a queued run can be cancelled
// before it reaches the worker, and the queue order is plain state the runs panel shows.
import type { FromWorker, RunEvent } from '../../worker/protocol';
import { applyRunEvents, createRunRecord, type RunRecord } from '../runs';
import { expectReply, message } from './reply';
import type { RunsSlice, SliceCreator } from './types';

/** Events are folded into the store at most this often (the worker already batches per 100 ms). */
const UI_FLUSH_MS = 250;

export const createRunsSlice: SliceCreator<RunsSlice> = ({ client, engine, nextId }) => (set, get) => {
  const update = (id: string, change: (run: RunRecord) => RunRecord) => set((state) => ({ runs: state.runs.map((r) => (r.id === id ? change(r) : r)) }));
  /** The run the worker is training (sent and not yet answered), if any. */
  let training: string | null = null;
  /** Resolves each run's `startRun` promise when it has ended or was cancelled. */
  const ended = new Map<string, () => void>();
  const end = (id: string) => {
    ended.get(id)?.();
    ended.delete(id);
  };

  /** Sends one run to the worker and folds its events and outcome into its record. */
  async function train(run: RunRecord): Promise<void> {
    const { id } = run;
    update(id, (r) => ({ ...r, status: 'running', phase: 'starting' }));
    try {
      // Fewer renders of the charts while a run streams, the same records in the end.
      let pending: RunEvent[] = [];
      let timer: ReturnType<typeof setTimeout> | null = null;
      const flush = () => {
        timer = null;
        const events = pending;
        pending = [];
        if (events.length > 0) update(id, (r) => applyRunEvents(r, events));
      };
      let reply: Extract<FromWorker, { type: 'trained' }>;
      try {
        reply = expectReply(await client.send({ type: 'train', runId: id, settings: run.settings }, [], (m) => {
          pending.push(...m.events);
          timer ??= setTimeout(flush, UI_FLUSH_MS);
        }), 'trained');
      } finally {
        if (timer !== null) clearTimeout(timer);
        flush();
      }
      // The per-item correctness is kept for the comparison's paired bootstrap (not for links).
      update(id, (r) => ({ ...r, status: reply.stopped ? 'stopped' : 'done', phase: reply.stopped ? 'stopped' : 'done', paused: false, ...(reply.devCorrect && { devCorrect: reply.devCorrect }) }));
      set({ keptAdapters: reply.kept });
    } catch (error) {
      // What was recorded up to the failure stays; the run says what happened.
      update(id, (r) => ({ ...r, status: 'failed', phase: 'failed', paused: false, error: message(error) }));
    }
  }

  return {
    runs: [],
    runQueue: [],
    startRun(settings, label, comparison = null) {
      const id = nextId('run');
      const record: RunRecord = { ...createRunRecord(id, label, settings, Date.now(), comparison), status: 'queued' };
      set((state) => ({ runs: [...state.runs, record], runQueue: [...state.runQueue, id] }));
      const done = new Promise<void>((resolve) => ended.set(id, resolve));
      get().startQueued();
      return done;
    },
    async compareLargeSparse(settings, k, label) {
      const group = nextId('cmp');
      const standard = { ...settings, largeSparse: 1 };
      const large = { ...settings, largeSparse: k };
      // Both are queued now; the Large-Sparse run starts when the standard one ends.
      await Promise.all([get().startRun(standard, label(standard), { group, role: 'standard' }), get().startRun(large, label(large), { group, role: 'large-sparse' })]);
    },
    startQueued() {
      const [next, ...rest] = get().runQueue;
      if (training !== null || engine.restarting || !get().model || next === undefined) return;
      const run = get().runs.find((r) => r.id === next);
      set({ runQueue: rest });
      if (!run) {
        end(next);
        get().startQueued();
        return;
      }
      training = next;
      void train(run).finally(() => {
        training = null;
        end(next);
        get().startQueued();
      });
    },
    async stopRun(id) {
      if (get().runQueue.includes(id)) {
        get().cancelRun(id);
        return;
      }
      await client.send({ type: 'stop', runId: id });
    },
    cancelRun(id) {
      if (!get().runQueue.includes(id)) return;
      set((state) => ({ runQueue: state.runQueue.filter((q) => q !== id), runs: state.runs.filter((r) => r.id !== id) }));
      end(id);
    },
    async pauseRun(id, pause) {
      const reply = expectReply(await client.send({ type: pause ? 'pause' : 'resume', runId: id }), 'control');
      if (reply.state === 'paused' || reply.state === 'resumed') update(id, (run) => ({ ...run, paused: reply.state === 'paused' }));
    },
  };
};
