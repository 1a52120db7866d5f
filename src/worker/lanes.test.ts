// The worker's lanes: a quick command answers while a training run is in progress, training runs go
// one at a time, and a model load waits for the run in progress and holds back what was sent after it.
import { describe, expect, it } from 'vitest';
import { COMMAND_LANES } from './protocol';
import { createLanes } from './lanes';

/** A task that ends when told to, and records when it started and ended in `log`. */
function gate(log: string[], name: string) {
  let open = () => {};
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return {
    open,
    task: async () => {
      log.push(`${name} start`);
      await opened;
      log.push(`${name} end`);
      return name;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createLanes', () => {
  it('answers quick commands while a training run is in progress, and starts the next run after it', async () => {
    const lanes = createLanes();
    const log: string[] = [];
    const first = gate(log, 'train 1');
    const second = gate(log, 'train 2');
    const predict = gate(log, 'predict');
    const done = [lanes.schedule('train', first.task), lanes.schedule('train', second.task), lanes.schedule('quick', predict.task)];
    await settle();
    expect([...log].sort()).toEqual(['predict start', 'train 1 start']);
    predict.open();
    await expect(done[2]).resolves.toBe('predict');
    expect(log).not.toContain('train 2 start');
    first.open();
    await done[0];
    await settle();
    expect(log.slice(2)).toEqual(['predict end', 'train 1 end', 'train 2 start']);
    second.open();
    await expect(done[1]).resolves.toBe('train 2');
  });

  it('runs a model load after the training run in progress, and what was sent after it after the load', async () => {
    const lanes = createLanes();
    const log: string[] = [];
    const run = gate(log, 'train');
    const load = gate(log, 'loadModel');
    const predict = gate(log, 'predict');
    const done = [lanes.schedule('train', run.task), lanes.schedule(COMMAND_LANES.loadModel, load.task), lanes.schedule(COMMAND_LANES.predict, predict.task)];
    predict.open();
    await settle();
    expect(log).toEqual(['train start']);
    run.open();
    await settle();
    expect(log).toEqual(['train start', 'train end', 'loadModel start']);
    load.open();
    await Promise.all(done);
    expect(log).toEqual(['train start', 'train end', 'loadModel start', 'loadModel end', 'predict start', 'predict end']);
  });

  it('keeps going after a failed command, and runs control commands at once', async () => {
    const lanes = createLanes();
    const log: string[] = [];
    const run = gate(log, 'train');
    const failing = lanes.schedule('quick', async () => { throw new Error('bad file'); });
    const training = lanes.schedule('train', run.task);
    await expect(failing).rejects.toThrow('bad file');
    await expect(lanes.schedule(COMMAND_LANES.stop, async () => 'stopping')).resolves.toBe('stopping');
    await expect(lanes.schedule('quick', async () => 'after')).resolves.toBe('after');
    run.open();
    await expect(training).resolves.toBe('train');
  });
});
