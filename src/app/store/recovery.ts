// After a worker crash: the page says so, restarts the engine and loads back what it can. The run
// that was training has already failed (its command was rejected); queued runs wait and start after.
import type { RecoverySlice, SliceCreator } from './types';

/** More crashes than this within CRASH_WINDOW_MS and the engine is not restarted again. */
const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;

export const createRecoverySlice: SliceCreator<RecoverySlice> = ({ engine }) => (set, get) => ({
  crashNotice: null,
  async recover(reason) {
    // A worker that crashes again as it restarts (a broken backend) must not loop: after 3 crashes in a
    // minute the page stops restarting it and says so.
    const now = Date.now();
    engine.crashes = [...engine.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (engine.crashes.length > MAX_CRASHES) {
      set({ crashNotice: `${reason} The engine keeps crashing as it starts (${engine.crashes.length} times in a minute), so it is not restarted again: try another backend below, or reload the page.`, model: null, modelLoad: { state: 'idle' }, keptAdapters: [] });
      return;
    }
    const hadModel = get().model;
    // Set before the first await: the failed run's ending must not send a queued run to the restarting worker.
    engine.restarting = true;
    set({ crashNotice: `${reason} Restarting the engine and loading back the model and tasks…`, model: null, modelLoad: { state: 'idle' }, keptAdapters: [] });
    try {
      await get().startBackend(engine.preference);
      if (engine.modelSource) await get().loadModel(engine.modelSource);
      for (const source of [...engine.taskSources.values()]) await get().loadTask(source);
    } finally {
      engine.restarting = false;
    }
    const modelNote = hadModel && !engine.modelSource ? ` Your model files (${hadModel.label}) are not kept in memory: pick them again.` : '';
    const queued = get().runQueue.length;
    const queueNote = queued > 0 ? ` The ${queued === 1 ? 'queued run starts' : `${queued} queued runs start`} ${get().model ? 'now' : 'once a model is loaded'}.` : '';
    set({ crashNotice: `${reason} The engine was restarted${engine.modelSource ? ' and the model and tasks loaded back' : ''}; runs in progress ended as failed.${modelNote}${queueNote}` });
    get().startQueued();
  },
});
