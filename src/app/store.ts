// The page's state: a zustand store made by a factory from its slices (src/app/store/), given the
// worker client and the run store, so tests make one with fakes. main.tsx makes the page's store
// and provides it to React; components select narrow values with `useAppStore`.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { RunStore } from './persist';
import { createAdaptersSlice } from './store/adapters';
import { createDraftSlice } from './store/draft';
import { createBackendSlice, createModelSlice, createTasksSlice } from './store/engine';
import { createRecoverySlice } from './store/recovery';
import { createRunsSlice } from './store/runs';
import { createStorageSlice } from './store/storage';
import type { AppState, StoreDeps } from './store/types';
import type { WorkerClient } from './workerClient';

export type { AppState, Autosave, Status } from './store/types';
export { INITIAL_DRAFT } from './store/draft';

/** The page store. */
export type AppStore = StoreApi<AppState>;

/**
 * Makes a store over `client` (commands to the worker) and `runStore` (IndexedDB, or null where there
 * is none). Nothing starts here: the worker starts on the first command, the autosave when
 * `startAutosave` is called. A crash the client reports is recovered from (restart, reload, requeue).
 */
export function createAppStore(client: WorkerClient, runStore: RunStore | null): AppStore {
  let counter = 0;
  const deps: StoreDeps = {
    client,
    runStore,
    engine: { preference: 'auto', modelSource: null, taskSources: new Map(), restarting: false, crashes: [] },
    nextId: (prefix) => `${prefix}-${Date.now().toString(36)}-${++counter}`,
  };
  const store = createStore<AppState>()((...args) => ({
    ...createBackendSlice(deps)(...args),
    ...createModelSlice(deps)(...args),
    ...createTasksSlice(deps)(...args),
    ...createRunsSlice(deps)(...args),
    ...createAdaptersSlice(deps)(...args),
    ...createDraftSlice(deps)(...args),
    ...createStorageSlice(deps)(...args),
    ...createRecoverySlice(deps)(...args),
  }));
  client.onCrash((reason) => void store.getState().recover(reason));
  return store;
}

const AppStoreContext = createContext<AppStore | null>(null);

/** Gives the components below it this store (main.tsx wraps the app in it). */
export const AppStoreProvider = AppStoreContext.Provider;

/** The store itself, for reading state in effects and handlers without subscribing. */
export function useAppStoreApi(): AppStore {
  const store = useContext(AppStoreContext);
  if (!store) throw new Error('useAppStore needs an <AppStoreProvider> above it (main.tsx sets it up)');
  return store;
}

/** Selects a value of the store; the component re-renders when that value changes (select narrow values). */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStoreApi(), selector);
}
