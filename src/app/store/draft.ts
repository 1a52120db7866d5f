// The controls' settings (the next run) and what a share link brought.
import { defaultRunSettings } from '../../engine/settings';
import type { RunSettings } from '../../worker/protocol';
import { fromSharedRun } from '../runs';
import type { DraftSlice, SliceCreator } from './types';

/** The controls' first settings: small enough to train in seconds on a laptop. */
export const INITIAL_DRAFT: RunSettings = { ...defaultRunSettings('houlsby'), train: { ...defaultRunSettings().train, steps: 60, seqLen: 32, evalEvery: 20 } };

export const createDraftSlice: SliceCreator<DraftSlice> = ({ nextId }) => (set, get) => ({
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
    const runs = decoded.runs.map((shared) => fromSharedRun(shared, nextId('shared'), now));
    set((state) => ({ runs: [...state.runs, ...runs], shareNotice: decoded.problems, ...(decoded.runs[0] && { draft: decoded.runs[0].settings }) }));
  },
});
