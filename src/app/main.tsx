// Entry point of the page: makes the worker client, the run store and the page store, starts the
// autosave, and mounts React with the store provided.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { openRunStore } from './persist';
import { AppStoreProvider, createAppStore } from './store';
import { createWorkerClient } from './workerClient';
import './styles.css';

const store = createAppStore(createWorkerClient(), typeof indexedDB === 'undefined' ? null : openRunStore());
const autosave = store.getState().startAutosave();
// A run's last events before a reload are not lost to the save delay; a page that hides (and may be
// closed or discarded) has the worker checkpoint the run in progress at its next step.
addEventListener('pagehide', () => { store.getState().checkpointNow(); void autosave.flush(); });
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') store.getState().checkpointNow(); });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(<StrictMode><AppStoreProvider value={store}><App /></AppStoreProvider></StrictMode>);
