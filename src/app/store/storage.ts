// Runs kept across reloads: restored at start, saved as they change (once the autosave is started),
// renamed and deleted by the user. Queued runs are not saved: they have recorded nothing yet.
import { runningSaveInterval, SAVE_DELAY_MS, storageMessage } from '../persist';
import { importRuns } from '../runFile';
import type { RunRecord } from '../runs';
import { message } from './reply';
import type { Autosave, SliceCreator, StorageSlice } from './types';

export const createStorageSlice: SliceCreator<StorageSlice> = ({ runStore }) => (set, get, api) => {
  let autosave: Autosave | null = null;
  return {
    storageError: runStore ? null : 'This browser has no IndexedDB: runs are not kept after the page closes.',
    async restoreRuns() {
      if (!runStore) return;
      try {
        const stored = await runStore.loadAll();
        // Runs of this page (started or opened from a link meanwhile) come after the stored ones.
        set((state) => ({ runs: [...stored.filter((r) => !state.runs.some((s) => s.id === r.id)), ...state.runs] }));
        await runStore.save(stored.filter((r) => r.status === 'interrupted'));
        // An interrupted run's checkpoint lets it resume; any other is left over (its run ended or is gone).
        const resumable = new Set(stored.filter((r) => r.status === 'interrupted').map((r) => r.id));
        const checkpoints = await runStore.checkpoints();
        for (const c of checkpoints) if (!resumable.has(c.runId)) await runStore.removeCheckpoint(c.runId);
        set((state) => ({ checkpoints: { ...Object.fromEntries(checkpoints.filter((c) => resumable.has(c.runId)).map((c) => [c.runId, c])), ...state.checkpoints } }));
      } catch (error) {
        set({ storageError: storageMessage(error) });
      }
    },
    startAutosave({ delayMs = SAVE_DELAY_MS } = {}) {
      if (autosave) return autosave;
      if (!runStore) return { flush: async () => {}, stop: () => {} };
      // Saves the runs that changed (by identity): finished ones after delayMs, running ones at most
      // every runningSaveInterval.
      const saved = new Map<string, RunRecord>();
      const savedAt = new Map<string, number>();
      let timer: ReturnType<typeof setTimeout> | null = null;
      const later = () => { timer ??= setTimeout(() => void save(), delayMs); };
      const save = async (everything = false) => {
        timer = null;
        const now = Date.now();
        const runs = get().runs;
        for (const id of saved.keys()) if (!runs.some((r) => r.id === id)) { saved.delete(id); savedAt.delete(id); }
        const changed = runs.filter((r) => r.status !== 'queued' && saved.get(r.id) !== r);
        const due = everything ? changed : changed.filter((r) => r.status !== 'running' || now - (savedAt.get(r.id) ?? -Infinity) >= runningSaveInterval(r.losses.length));
        // Running runs not yet due are written on a later pass.
        if (due.length < changed.length) later();
        if (due.length === 0) return;
        for (const r of due) { saved.set(r.id, r); savedAt.set(r.id, now); }
        try {
          await runStore.save(due);
          if (get().storageError) set({ storageError: null });
        } catch (error) {
          set({ storageError: storageMessage(error) });
        }
      };
      const unsubscribe = api.subscribe((state, previous) => {
        if (state.runs !== previous.runs) later();
      });
      autosave = {
        flush: () => save(true),
        stop() {
          unsubscribe();
          if (timer !== null) clearTimeout(timer);
          timer = null;
          autosave = null;
        },
      };
      return autosave;
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
      if (get().runQueue.includes(id)) {
        get().cancelRun(id);
        return;
      }
      // Its checkpoint goes with it.
      set((state) => ({ runs: state.runs.filter((r) => r.id !== id), checkpoints: Object.fromEntries(Object.entries(state.checkpoints).filter(([runId]) => runId !== id)) }));
      try {
        await runStore?.remove(id);
      } catch (error) {
        set({ storageError: storageMessage(error) });
      }
    },
  };
};
