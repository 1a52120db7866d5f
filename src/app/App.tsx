// The playground page. For now: the header and the compute backend; the training controls and
// charts arrive with the engine.
import { useEffect } from 'react';
import { BackendPanel } from './components/BackendPanel';
import { useAppStore } from './store';
import type { BackendPreference } from '../worker/protocol';

const PREFERENCES = new Set<BackendPreference>(['auto', 'webgpu', 'webgl', 'cpu']);

/** Reads `?backend=` from the page address; anything unknown means `auto`. */
function backendFromUrl(): BackendPreference {
  const value = new URLSearchParams(location.search).get('backend');
  return value && PREFERENCES.has(value as BackendPreference) ? (value as BackendPreference) : 'auto';
}

export function App() {
  const startBackend = useAppStore((s) => s.startBackend);
  const preference = backendFromUrl();
  useEffect(() => {
    void startBackend(preference);
  }, [startBackend, preference]);

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
    </main>
  );
}
