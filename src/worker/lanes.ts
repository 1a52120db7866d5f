// The worker's scheduler: which command waits for which (the lanes are declared in protocol.ts).
// Plain promises, no worker globals, so the ordering rules are testable in Node.
import type { CommandLane } from './protocol';

/** Runs tasks by lane; `schedule` resolves or rejects with the task's own outcome. */
export interface Lanes {
  schedule<T>(lane: CommandLane, task: () => Promise<T>): Promise<T>;
}

/**
 * Creates the scheduler. Training runs go one at a time, after everything sent before them; quick
 * commands go one at a time after the quick and exclusive commands sent before them, but not after a
 * training run, so Try it or a download answers while a run trains (between its steps); an exclusive
 * command (a backend start, a model load) waits for everything sent before it, a running training run
 * included, and everything sent after it waits for it, so the model never changes under a run.
 */
export function createLanes(): Lanes {
  let training: Promise<unknown> = Promise.resolve();
  let quick: Promise<unknown> = Promise.resolve();
  const settled = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);
  return {
    schedule(lane, task) {
      if (lane === 'control') return task();
      const after = lane === 'quick' ? quick : Promise.all([training, quick]);
      const run = after.then(task);
      if (lane === 'quick') quick = settled(run);
      else if (lane === 'train') training = settled(run);
      else training = quick = settled(run);
      return run;
    },
  };
}
