// Training runs and their queue. A new run is `queued` in `runQueue`; the store sends the first one to
// the worker when no run is training and the engine has a model, so a queued run can be cancelled
// before it reaches the worker, and the queue order is plain state the runs panel shows. An
// interrupted run with a checkpoint is resumed through the same queue, into its own record.
import type { CheckpointInfo, FromWorker, RunEvent } from '../../worker/protocol';
import { applyRunEvents, createRunRecord, type RunRecord } from '../runs';
import { withSeeds } from '../seeds';
import { WORKER_CRASHED } from '../workerClient';
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
  /** Folds a training run's buffered events into its record now (set while it trains), so a reply to a control shows every step sent before it. */
  const flushers = new Map<string, () => void>();
  /** Queued runs that continue from their checkpoint instead of starting afresh. */
  const resumes = new Set<string>();
  const setCheckpoint = (id: string, info: CheckpointInfo | null) => set((state) => ({
    checkpoints: Object.fromEntries([...Object.entries(state.checkpoints).filter(([runId]) => runId !== id), ...(info ? [[id, info] as const] : [])]),
  }));

  /** A run's record continued from a checkpoint at `step`: what it recorded after that step is dropped. */
  const truncated = (run: RunRecord, step: number): RunRecord => ({ ...run, losses: run.losses.filter((l) => l.step <= step), evals: run.evals.filter((e) => e.step <= step), summary: null, error: null });

  /** Sends one run to the worker and folds its events and outcome into its record. */
  async function train(run: RunRecord): Promise<void> {
    const { id } = run;
    const resume = resumes.delete(id) ? get().checkpoints[id] : undefined;
    const before: RunRecord = { ...run, status: 'interrupted', phase: 'interrupted' };
    update(id, (r) => ({ ...(resume ? truncated(r, resume.step) : r), status: 'running', phase: resume ? `resuming from step ${resume.step}` : 'starting' }));
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
      flushers.set(id, () => {
        if (timer !== null) clearTimeout(timer);
        flush();
      });
      let answer: FromWorker;
      try {
        answer = await client.send({ type: 'train', runId: id, settings: run.settings, ...(resume && { resume: true }) }, [], (m) => {
          if (m.type !== 'events') return;
          if (m.checkpointed) setCheckpoint(id, m.checkpointed);
          pending.push(...m.events);
          timer ??= setTimeout(flush, UI_FLUSH_MS);
        });
      } finally {
        flushers.delete(id);
        if (timer !== null) clearTimeout(timer);
        flush();
      }
      if (answer.type === 'resumeRefused') {
        // The run stays as it was before Resume, curve included, and says why.
        const reason = `Resume refused: ${answer.reason}.`;
        update(id, () => ({ ...before, error: reason }));
        set({ resumeNotice: { runId: id, message: `${run.label}: ${reason}` } });
        return;
      }
      const reply = expectReply(answer, 'trained');
      // The worker removed the checkpoint of a run that ended.
      setCheckpoint(id, null);
      // The per-item correctness is kept for the comparison's paired bootstrap (not for links).
      update(id, (r) => ({ ...r, status: reply.stopped ? 'stopped' : 'done', phase: reply.stopped ? 'stopped' : 'done', paused: false, ...(reply.devCorrect && { devCorrect: reply.devCorrect }) }));
      set({ keptAdapters: reply.kept });
    } catch (error) {
      // What was recorded up to the failure stays; the run says what happened. A crash leaves the
      // checkpoint in place, so a run that has one is interrupted (it can be resumed) rather than failed.
      const saved = error instanceof Error && error.name === WORKER_CRASHED ? get().checkpoints[id] : undefined;
      if (saved) update(id, (r) => ({ ...r, status: 'interrupted', phase: 'interrupted', paused: false, error: `${message(error)} It can be resumed from its checkpoint at step ${saved.step}.` }));
      else update(id, (r) => ({ ...r, status: 'failed', phase: 'failed', paused: false, error: message(error) }));
    }
  }

  return {
    runs: [],
    runQueue: [],
    startRun(settings, label, comparison = null, seedGroup) {
      const id = nextId('run');
      const record: RunRecord = { ...createRunRecord(id, label, settings, Date.now(), comparison, seedGroup), status: 'queued' };
      set((state) => ({ runs: [...state.runs, record], runQueue: [...state.runQueue, id] }));
      const done = new Promise<void>((resolve) => ended.set(id, resolve));
      get().startQueued();
      return done;
    },
    async runSeeds(settings, seeds, label) {
      const all = withSeeds(settings, seeds);
      const seedGroup = seeds > 1 ? { group: nextId('seeds'), seeds } : undefined;
      await Promise.all(all.map((s) => get().startRun(s, label(s), null, seedGroup)));
    },
    async compareLargeSparse(settings, k, label, seeds = 1) {
      const group = nextId('cmp');
      const standard = withSeeds({ ...settings, largeSparse: 1 }, seeds);
      const large = withSeeds({ ...settings, largeSparse: k }, seeds);
      const sides = seeds > 1 ? { standard: { group: nextId('seeds'), seeds }, large: { group: nextId('seeds'), seeds } } : { standard: undefined, large: undefined };
      // All are queued now, each pair's two runs one after the other, so pairs finish in turn.
      await Promise.all(standard.flatMap((s, i) => [
        get().startRun(s, label(s), { group, role: 'standard' }, sides.standard),
        get().startRun(large[i]!, label(large[i]!), { group, role: 'large-sparse' }, sides.large),
      ]));
    },
    async sweepSparsity(settings, sparsities, seeds, label) {
      const perSeed = withSeeds(settings, seeds);
      const groups = new Map(sparsities.map((sparsity) => [sparsity, seeds > 1 ? { group: nextId('seeds'), seeds } : undefined]));
      await Promise.all(perSeed.flatMap((s) => sparsities.map((sparsity) => {
        const run = { ...s, prune: { ...s.prune, sparsity } };
        return get().startRun(run, label(run), null, groups.get(sparsity));
      })));
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
      // A queued resume goes back to interrupted; a new queued run leaves the list.
      if (resumes.delete(id)) set((state) => ({ runQueue: state.runQueue.filter((q) => q !== id), runs: state.runs.map((r) => (r.id === id ? { ...r, status: 'interrupted', phase: 'interrupted' } : r)) }));
      else set((state) => ({ runQueue: state.runQueue.filter((q) => q !== id), runs: state.runs.filter((r) => r.id !== id) }));
      end(id);
    },
    async pauseRun(id, pause) {
      const reply = expectReply(await client.send({ type: pause ? 'pause' : 'resume', runId: id }), 'control');
      // The worker sent the steps taken before the pause ahead of its reply; the page shows them before it says paused.
      flushers.get(id)?.();
      if (reply.state === 'paused' || reply.state === 'resumed') update(id, (run) => ({ ...run, paused: reply.state === 'paused' }));
    },
    checkpoints: {},
    resumeNotice: null,
    resumeRun(id) {
      const run = get().runs.find((r) => r.id === id);
      const info = get().checkpoints[id];
      const refuse = (text: string) => {
        set({ resumeNotice: { runId: id, message: `${run?.label ?? id}: ${text}` } });
        return Promise.resolve();
      };
      if (!run || run.status !== 'interrupted' || !info) return refuse('only an interrupted run with a checkpoint can be resumed.');
      const model = get().model;
      // The default model loads by itself; the user's own files must be picked again.
      if (model?.label !== info.model) return refuse(`it trained on the model "${info.model}", and ${model ? `"${model.label}" is loaded` : 'no model is loaded yet'}: load "${info.model}" (pick its files again if they were your own), then press Resume.`);
      const task = run.settings.task;
      if (task.startsWith('file:') && !get().tasks.some((t) => t.id === task)) return refuse(`it trained on your file ${task.slice('file:'.length)}: load it again in the task picker, then press Resume.`);
      resumes.add(id);
      set((state) => ({ resumeNotice: null, runQueue: [...state.runQueue, id], runs: state.runs.map((r) => (r.id === id ? { ...r, status: 'queued', phase: `resumes from step ${info.step}` } : r)) }));
      const done = new Promise<void>((resolve) => ended.set(id, resolve));
      get().startQueued();
      return done;
    },
    checkpointNow() {
      if (training !== null) void client.send({ type: 'checkpoint', runId: training }).catch(() => undefined);
    },
  };
};
