// The playground page: the header, then the compute backend, the frozen PLM, the training controls
// and the runs; on load it restores saved runs, opens a share link and loads the default model.
import { useEffect } from 'react';
import { BackendPanel } from './components/BackendPanel';
import { DEFAULT_MODEL, ModelPanel } from './components/ModelPanel';
import { RunsPanel } from './components/RunsPanel';
import { TrainPanel } from './components/TrainPanel';
import { useAppStore, useAppStoreApi } from './store';
import type { BackendPreference } from '../worker/protocol';
import { CrashNotice, ShareNotice, StorageNotice } from './components/ShareNotice';
import { decodeShare, SHARE_PREFIX } from './share';
import { BACKEND_PREFERENCES } from '../engine/catalog';


/** Reads `?backend=` from the page address; anything unknown means `auto`. */
function backendFromUrl(): BackendPreference {
  const value = new URLSearchParams(location.search).get('backend');
  return BACKEND_PREFERENCES.find((p) => p === value) ?? 'auto';
}

let startedOnce = false;

export function App() {
  const startBackend = useAppStore((s) => s.startBackend);
  const loadModel = useAppStore((s) => s.loadModelUnlessChosen);
  const loadTask = useAppStore((s) => s.loadTask);
  const openShared = useAppStore((s) => s.openShared);
  const restoreRuns = useAppStore((s) => s.restoreRuns);
  const store = useAppStoreApi();
  const preference = backendFromUrl();
  useEffect(() => {
    // A share link shows its runs at once; nothing in it starts a run.
    // (Once per page load: React's strict mode runs effects twice in development.)
    if (!startedOnce) {
      startedOnce = true;
      void restoreRuns();
      if (location.hash.startsWith(SHARE_PREFIX)) openShared(decodeShare(location.hash));
    }
    // The worker handles commands in order, so the model loads on the backend just chosen.
    void startBackend(preference).then(() => loadModel(DEFAULT_MODEL)).then(async () => {
      await loadTask({ kind: 'builtin', name: 'toy' });
      const task = store.getState().draft.task;
      if (task !== 'toy' && !task.startsWith('file:')) await loadTask({ kind: 'builtin', name: task });
    });
  }, [startBackend, loadModel, loadTask, openShared, restoreRuns, preference, store]);
  useEffect(() => {
    // A link pasted into the address bar of an open page changes only the hash.
    const onHash = () => {
      if (location.hash.startsWith(SHARE_PREFIX)) openShared(decodeShare(location.hash));
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, [openShared]);

  return (
    <main>
      <header>
        <h1>SparseAdapter Playground</h1>
        <p className="lede">
          Fine-tune a frozen BERT with adapters pruned at initialisation (SNIP), on your own GPU, and compare a
          Large-Sparse adapter with a standard one at the same parameter budget.
        </p>
      </header>
      <ShareNotice />
      <StorageNotice />
      <CrashNotice />
      <BackendPanel preference={preference} />
      <ModelPanel />
      <TrainPanel />
      <RunsPanel />
    </main>
  );
}
