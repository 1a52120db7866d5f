// Trained adapters held by the worker: Try it, the downloads and imports. These are quick commands
// in the worker, so none of them waits for a training run in progress.
import { createRunRecord } from '../runs';
import { expectReply, message } from './reply';
import type { AdaptersSlice, SliceCreator } from './types';

export const createAdaptersSlice: SliceCreator<AdaptersSlice> = ({ client, nextId }) => (set) => ({
  keptAdapters: [],
  prediction: { state: 'idle' },
  async predict(runId, text, text2) {
    set({ prediction: { state: 'busy' } });
    try {
      const reply = expectReply(await client.send({ type: 'predict', runId, text, text2 }), 'prediction');
      set({ prediction: { state: 'done', value: { ...reply.prediction, runId } } });
    } catch (error) {
      set({ prediction: { state: 'failed', message: message(error) } });
    }
  },
  async exportAdapter(runId) {
    return expectReply(await client.send({ type: 'exportAdapter', runId }), 'adapterFile').bytes;
  },
  async exportLibrary(runId, label) {
    const { fileName, bytes } = expectReply(await client.send({ type: 'exportLibrary', runId, label }), 'libraryExport');
    return { fileName, bytes };
  },
  adapterImport: { state: 'idle' },
  async importAdapter(name, bytes) {
    const id = nextId('adapter');
    set({ adapterImport: { state: 'busy' } });
    try {
      const reply = expectReply(await client.send({ type: 'importAdapter', runId: id, name, bytes }, [bytes.buffer]), 'adapterImported');
      const { settings, notes: problems } = reply;
      const run = { ...createRunRecord(id, `adapter from ${name.slice(0, 80)}`, settings, Date.now()), status: 'done' as const, phase: 'imported' };
      set((state) => ({ runs: [...state.runs, run], adapterImport: { state: 'done', value: name }, importNotes: problems, keptAdapters: reply.kept }));
    } catch (error) {
      set({ adapterImport: { state: 'failed', message: message(error) } });
    }
  },
});
