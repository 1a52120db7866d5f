// The playground page. For now: the header, the compute backend and the frozen PLM; the training
// controls and charts arrive with the adapter engine.
import { useEffect } from 'react';
import { BackendPanel } from './components/BackendPanel';
import { DEFAULT_MODEL, ModelPanel } from './components/ModelPanel';
import { RunsPanel } from './components/RunsPanel';
import { TrainPanel } from './components/TrainPanel';
import { useAppStore } from './store';
import type { BackendPreference } from '../worker/protocol';

const PREFERENCES = new Set<BackendPreference>(['auto', 'webgpu', 'webgl', 'wasm', 'cpu']);

/** Reads `?backend=` from the page address; anything unknown means `auto`. */
function backendFromUrl(): BackendPreference {
  const value = new URLSearchParams(location.search).get('backend');
  return value && PREFERENCES.has(value as BackendPreference) ? (value as BackendPreference) : 'auto';
}

export function App() {
  const startBackend = useAppStore((s) => s.startBackend);
  const loadModel = useAppStore((s) => s.loadModelUnlessChosen);
  const loadTask = useAppStore((s) => s.loadTask);
  const preference = backendFromUrl();
  useEffect(() => {
    // The worker handles commands in order, so the model loads on the backend just chosen.
    void startBackend(preference).then(() => loadModel(DEFAULT_MODEL)).then(() => loadTask({ kind: 'builtin', name: 'toy' }));
  }, [startBackend, loadModel, loadTask, preference]);

  return (
    <main>
      <header>
        <h1>SparseAdapter Playground</h1>
        <p className="lede">
          Fine-tune a frozen BERT with adapters pruned at initialisation (SNIP), on your own GPU, and compare a
          Large-Sparse adapter with a standard one at the same parameter budget.
        </p>
      </header>
      <BackendPanel preference={preference} />
      <ModelPanel />
      <TrainPanel />
      <RunsPanel />
    </main>
  );
}
