// The engine's slices: the compute backend, the frozen PLM and the tasks, each remembered in
// `deps.engine` so that a restarted worker gets them back.
import { expectReply, message } from './reply';
import type { BackendSlice, ModelSlice, SliceCreator, TasksSlice } from './types';

export const createBackendSlice: SliceCreator<BackendSlice> = ({ client, engine }) => (set) => ({
  backend: { state: 'idle' },
  selfcheck: { state: 'idle' },
  async startBackend(preference) {
    engine.preference = preference;
    set({ backend: { state: 'busy' }, selfcheck: { state: 'idle' } });
    try {
      const reply = expectReply(await client.send({ type: 'init', backend: preference }), 'ready');
      set({ backend: { state: 'done', value: reply.report } });
    } catch (error) {
      set({ backend: { state: 'failed', message: message(error) } });
    }
  },
  async runSelfcheck() {
    set({ selfcheck: { state: 'busy' } });
    try {
      const reply = expectReply(await client.send({ type: 'selfcheck' }), 'selfcheck');
      set({ selfcheck: { state: 'done', value: reply.report } });
    } catch (error) {
      set({ selfcheck: { state: 'failed', message: message(error) } });
    }
  },
});

export const createModelSlice: SliceCreator<ModelSlice> = ({ client, engine }) => (set, get) => ({
  model: null,
  modelLoad: { state: 'idle' },
  modelLoadProgress: null,
  modelLoadStats: null,
  encoding: { state: 'idle' },
  async loadModel(source) {
    set({ modelLoad: { state: 'busy' }, modelLoadProgress: null });
    const started = Date.now();
    let bytesRead = 0;
    let tensors = 0;
    try {
      const transfer = source.kind === 'files' ? source.files.map((f) => f.bytes) : [];
      const answer = await client.send({ type: 'loadModel', source }, transfer, (m) => {
        if (m.type !== 'loadProgress') return;
        if (m.progress.stage === 'reading') bytesRead = m.progress.bytes;
        else tensors = m.progress.tensors;
        set({ modelLoadProgress: m.progress });
      });
      const reply = expectReply(answer, 'modelLoaded');
      engine.modelSource = source.kind === 'url' ? source : null;
      // The worker drops the adapters trained on the previous model.
      set({ model: reply.model, modelLoad: { state: 'done', value: reply.model }, modelLoadProgress: null, modelLoadStats: { bytesRead, tensors, seconds: (Date.now() - started) / 1000 }, encoding: { state: 'idle' }, keptAdapters: [] });
      get().startQueued();
    } catch (error) {
      set({ modelLoad: { state: 'failed', message: message(error) }, modelLoadProgress: null });
    }
  },
  async loadModelUnlessChosen(source) {
    // The default model loads after the backend starts; a model the user picked meanwhile wins.
    if (get().model || get().modelLoad.state !== 'idle') return;
    await get().loadModel(source);
  },
  async encode(text, text2) {
    set({ encoding: { state: 'busy' } });
    try {
      const reply = expectReply(await client.send({ type: 'encode', text, text2 }), 'encoded');
      set({ encoding: { state: 'done', value: reply.result } });
    } catch (error) {
      set({ encoding: { state: 'failed', message: message(error) } });
    }
  },
});

export const createTasksSlice: SliceCreator<TasksSlice> = ({ client, engine }) => (set) => ({
  tasks: [],
  taskLoad: { state: 'idle' },
  mapping: null,
  async loadTask(source) {
    set({ taskLoad: { state: 'busy' } });
    try {
      const reply = await client.send({ type: 'loadTask', source });
      if (reply.type === 'taskNeedsMapping' && source.kind === 'file') {
        set({ taskLoad: { state: 'idle' }, mapping: { source, question: reply.question } });
        return null;
      }
      const { task } = expectReply(reply, 'taskLoaded');
      engine.taskSources.set(task.id, source);
      set((state) => ({ tasks: [...state.tasks.filter((t) => t.id !== task.id), task], taskLoad: { state: 'done', value: task }, mapping: null }));
      return task;
    } catch (error) {
      // A bad file is reported; the tasks already loaded stay as they were.
      set({ taskLoad: { state: 'failed', message: message(error) } });
      return null;
    }
  },
});
