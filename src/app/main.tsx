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
// A run's last events before a reload are not lost to the save delay.
addEventListener('pagehide', () => void autosave.flush());

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(<StrictMode><AppStoreProvider value={store}><App /></AppStoreProvider></StrictMode>);
