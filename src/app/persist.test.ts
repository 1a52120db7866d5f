// Runs in IndexedDB (fake-indexeddb in Node): saved records read back equal, a run cut off while
// training comes back interrupted with what it had recorded, deletes stick, quota errors are named.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { defaultRunSettings } from '../engine/settings';
import { openRunStore, runningSaveInterval, SAVE_DELAY_MS, storageMessage } from './persist';
import { applyRunEvents, createRunRecord } from './runs';

describe('openRunStore', () => {
  it('keeps runs across opens, in start order; a running run returns interrupted with its curve', async () => {
    const store = openRunStore();
    const done = { ...createRunRecord('a', 'first', defaultRunSettings(), 1000), status: 'done' as const };
    const running = applyRunEvents(createRunRecord('b', 'second', defaultRunSettings('lora'), 2000), [
      { type: 'step', step: 1, loss: 0.7, lr: 1e-4, tokensPerSec: 10, elapsedMs: 5 },
      { type: 'step', step: 2, loss: 0.6, lr: 2e-4, tokensPerSec: 11, elapsedMs: 9 },
    ]);
    await store.save([running, done]);
    const again = await openRunStore().loadAll();
    expect(again.map((r) => r.id)).toEqual(['a', 'b']);
    expect(again[0]).toEqual(done);
    expect(again[1]!.status).toBe('interrupted');
    expect(again[1]!.error).toMatch(/closed or reloaded while this run was training/);
    expect(again[1]!.losses).toEqual(running.losses);
    expect(again[1]!.settings).toEqual(defaultRunSettings('lora'));

    await store.save([{ ...done, label: 'renamed' }]);
    await store.remove('b');
    expect((await openRunStore().loadAll()).map((r) => [r.id, r.label])).toEqual([['a', 'renamed']]);
  });

  it('names a quota error and passes other errors on', () => {
    expect(storageMessage(new DOMException('full', 'QuotaExceededError'))).toMatch(/storage quota exceeded/);
    expect(storageMessage(new Error('disk on fire'))).toMatch(/could not be saved .*disk on fire/);
  });
});

describe('runningSaveInterval', () => {
  it('writes a short running run every second and a long one less often, never less than every 30 s', () => {
    expect([0, 500, 1000, 5000, 20_000, 1e6].map(runningSaveInterval)).toEqual([SAVE_DELAY_MS, SAVE_DELAY_MS, 1000, 5000, 20_000, 30_000]);
    // Main-thread time spent cloning stays about constant per second as the record grows (clone ∝ steps).
    for (const steps of [2000, 10_000, 30_000]) expect(steps / runningSaveInterval(steps)).toBeLessThanOrEqual(1);
  });
});
