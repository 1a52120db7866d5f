// The controls' settings (the next run) and what a share link brought.
import { DEFAULT_PAGE_SETTINGS, defaultRunSettings } from '../../engine/settings';
import type { RunSettings } from '../../worker/protocol';
import { fromSharedRun } from '../runs';
import { repeatOf } from '../seeds';
import type { DraftSlice, SliceCreator } from './types';

/** The controls' first settings: small enough to train in seconds on a laptop. */
export const INITIAL_DRAFT: RunSettings = { ...defaultRunSettings('houlsby'), train: { ...defaultRunSettings().train, steps: 60, seqLen: 32, evalEvery: 20 } };

export const createDraftSlice: SliceCreator<DraftSlice> = ({ nextId }) => (set, get) => ({
  draft: INITIAL_DRAFT,
  setDraft(change) {
    set((state) => ({ draft: change(state.draft) }));
  },
  draftPage: DEFAULT_PAGE_SETTINGS,
  setDraftPage(change) {
    set((state) => ({ draftPage: { ...state.draftPage, ...change } }));
  },
  async applySettings(settings, page) {
    set({ draft: settings, ...(page && { draftPage: page }) });
    if (settings.task !== 'toy' && !settings.task.startsWith('file:') && !get().tasks.some((t) => t.id === settings.task)) await get().loadTask({ kind: 'builtin', name: settings.task });
  },
  shareNotice: [],
  dismissShareNotice() {
    set({ shareNotice: [] });
  },
  openShared(decoded) {
    const now = Date.now();
    const runs = decoded.runs.map((shared) => fromSharedRun(shared, nextId('shared'), now));
    // The controls get the first run's settings, and its seed group's count with its lowest seed, so Run repeats it.
    const first = runs[0] && repeatOf(runs[0], runs);
    set((state) => ({ runs: [...state.runs, ...runs], shareNotice: decoded.problems, ...(first && { draft: first.settings, draftPage: first.page }) }));
  },
});
