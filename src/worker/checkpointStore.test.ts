// The checkpoint store in IndexedDB (fake-indexeddb in Node): a state's typed arrays come back equal
// and the page's index names run, step and model; damaged records are told apart from sound ones, the
// policy saves at the later of 25 steps and 10 s (or at once when asked), and quota errors give sizes.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TrainState } from '../engine/train';
import { CHECKPOINT_POLICY, checkpointDamage, checkpointDue, checkpointStorageMessage, openCheckpointStore, stateBytes, type CheckpointInfo } from './checkpointStore';

/** A small state of the right shape (its figures are arbitrary; only the structure is checked here). */
function fakeState(step = 2): TrainState {
  return {
    version: 1,
    identity: { config: { adapter: {}, prune: {}, train: {} }, model: { hiddenSize: 32, numLayers: 2, parameters: 84_320 }, task: { name: 'toy', kind: 'sequence', labels: ['neg', 'pos'], train: 8 } } as unknown as TrainState['identity'],
    step,
    streams: { data: 1, head: 2, adapter: 3, prune: 4 },
    order: [3, 1, 2],
    params: { w: Float32Array.from([0.5, -1, 2]) },
    masks: { w: Uint8Array.from([1, 0, 1]) },
    optimizer: { t: step, moments: { w: { m: Float32Array.from([0.1, 0, 0.2]), v: Float32Array.from([0.01, 0, 0.04]) } } },
    budget: { trainableNonzero: 2 } as unknown as TrainState['budget'],
    losses: Array.from({ length: step }, (_, i) => 0.7 - 0.1 * i),
  };
}

describe('openCheckpointStore', () => {
  it('stores a state beside its index entry, lists the index, loads it back equal and removes both', async () => {
    const store = openCheckpointStore();
    const state = fakeState();
    const info: CheckpointInfo = { runId: 'run-a', step: 2, model: 'tiny', bytes: stateBytes(state), savedAt: 1 };
    await store.save(info, state);
    await store.save({ ...info, runId: 'run-b' }, fakeState(3));
    const again = openCheckpointStore();
    expect((await again.list()).map((c) => [c.runId, c.step, c.model])).toEqual([['run-a', 2, 'tiny'], ['run-b', 2, 'tiny']]);
    const loaded = (await again.load('run-a')) as TrainState;
    expect(loaded).toEqual(state);
    expect(loaded.params.w).toBeInstanceOf(Float32Array);
    expect(loaded.masks.w).toBeInstanceOf(Uint8Array);
    expect(checkpointDamage(loaded)).toBeNull();
    await again.remove('run-a');
    expect(await again.load('run-a')).toBeNull();
    expect((await again.list()).map((c) => c.runId)).toEqual(['run-b']);
  });
});

describe('checkpointDamage', () => {
  it('names what is wrong with a damaged record', () => {
    const sound = fakeState();
    expect(checkpointDamage(null)).toMatch(/not a training state/);
    expect(checkpointDamage({ ...sound, losses: [0.7] })).toMatch(/1 losses for 2 steps/);
    expect(checkpointDamage({ ...sound, params: { w: [0.5, -1, 2] } })).toMatch(/weights are not float arrays/);
    expect(checkpointDamage({ ...sound, masks: { w: Uint8Array.from([2, 0, 1]) } })).toMatch(/masks are not 0\/1/);
    expect(checkpointDamage({ ...sound, optimizer: { t: 2, moments: { w: { m: new Float32Array(2), v: new Float32Array(3) } } } })).toMatch(/moments of w are missing or of another size/);
    expect(checkpointDamage({ ...sound, identity: undefined })).toMatch(/which run/);
  });
});

describe('checkpointDue', () => {
  it('saves at the later of 25 steps and 10 s since the last save, or at once when the page asked', () => {
    expect(CHECKPOINT_POLICY).toMatchObject({ minSteps: 25, minMs: 10_000 });
    expect(checkpointDue(25, 9_999, false)).toBe(false);
    expect(checkpointDue(24, 60_000, false)).toBe(false);
    expect(checkpointDue(25, 10_000, false)).toBe(true);
    expect(checkpointDue(1, 5, true)).toBe(true);
  });
});

describe('checkpointStorageMessage', () => {
  it('says how much a refused checkpoint needed and how much is free', () => {
    const text = checkpointStorageMessage(new DOMException('full', 'QuotaExceededError'), 40, 3_200_000, { usage: 9_500_000, quota: 10_000_000 });
    expect(text).toMatch(/step 40 was not saved: the browser's storage quota is exceeded \(it needs 3\.2 MB; about 0\.5 MB of this site's 10\.0 MB is free\)/);
    expect(checkpointStorageMessage(new Error('disk on fire'), 5, 10)).toMatch(/step 5 was not saved \(disk on fire\)/);
  });
});
