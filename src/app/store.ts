// The page's state: a zustand store split into slices. Components select narrow values;
// actions live beside the state they change and talk to the worker through the client.
import { create, type StateCreator } from 'zustand';
import type { BackendPreference, BackendReport, ParityReport } from '../worker/protocol';
import { createWorkerClient } from './workerClient';

const client = createWorkerClient();

type Status<T> = { state: 'idle' } | { state: 'busy' } | { state: 'done'; value: T } | { state: 'failed'; message: string };

/** The compute backend: which one runs, on which adapter, and whether it computes correctly. */
export interface BackendSlice {
  backend: Status<BackendReport>;
  selfcheck: Status<ParityReport>;
  startBackend(preference: BackendPreference): Promise<void>;
  runSelfcheck(): Promise<void>;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const createBackendSlice: StateCreator<BackendSlice, [], [], BackendSlice> = (set) => ({
  backend: { state: 'idle' },
  selfcheck: { state: 'idle' },
  async startBackend(preference) {
    set({ backend: { state: 'busy' }, selfcheck: { state: 'idle' } });
    try {
      const reply = await client.send({ type: 'init', backend: preference });
      if (reply.type !== 'ready') throw new Error(`unexpected reply ${reply.type}`);
      set({ backend: { state: 'done', value: reply.report } });
    } catch (error) {
      set({ backend: { state: 'failed', message: message(error) } });
    }
  },
  async runSelfcheck() {
    set({ selfcheck: { state: 'busy' } });
    try {
      const reply = await client.send({ type: 'selfcheck' });
      if (reply.type !== 'selfcheck') throw new Error(`unexpected reply ${reply.type}`);
      set({ selfcheck: { state: 'done', value: reply.report } });
    } catch (error) {
      set({ selfcheck: { state: 'failed', message: message(error) } });
    }
  },
});

export type AppState = BackendSlice;

export const useAppStore = create<AppState>()((...args) => ({
  ...createBackendSlice(...args),
}));
