// AdamW, the schedule and clipping against a float64 re-implementation of torch.optim.AdamW's update.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, createAdamW, linearSchedule, warmupSteps } from './optim';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createAdamW', () => {
  it('follows torch.optim.AdamW (decoupled decay on the pre-update weight) over 5 steps, and leaves zero-gradient zeros at exactly 0', () => {
    const w0 = [0.5, -1.25, 0, 2];
    const gradsPerStep = [[0.1, -0.2, 0, 0.3], [0.05, 0.1, 0, -0.2], [-0.3, 0.2, 0, 0.1], [0.2, 0.2, 0, 0.2], [0.01, -0.5, 0, 0]];
    const lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const variable = tf.variable(tf.tensor1d(w0));
    const decayed = tf.variable(tf.tensor1d([1, 1]));
    const opt = createAdamW(new Map([['w.weight', variable], ['b.bias', decayed]]), { beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, decay: (n) => n.endsWith('.weight') });
    // Float64 reference, written from the torch documentation's algorithm.
    const w = [...w0], m = [0, 0, 0, 0], v = [0, 0, 0, 0];
    gradsPerStep.forEach((g, step) => {
      const t = step + 1;
      for (let i = 0; i < 4; i++) {
        w[i] = w[i]! * (1 - lr * wd);
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
        const mHat = m[i]! / (1 - b1 ** t);
        const vHat = v[i]! / (1 - b2 ** t);
        w[i] = w[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
      opt.step({ 'w.weight': tf.tensor1d(g), 'b.bias': tf.tensor1d([0.1, 0.1]) }, lr);
    });
    const got = variable.dataSync();
    w.forEach((value, i) => expect(Math.abs(got[i]! - value)).toBeLessThan(1e-6));
    expect(got[2]).toBe(0); // a zero weight with zero gradient stays exactly zero under decay and Adam
    expect(decayed.dataSync()[0]).toBeCloseTo(1 - 5 * lr, 4); // biases are not decayed: Adam's normalised steps only
    expect(opt.t).toBe(5);
  });
});

describe('linearSchedule', () => {
  it("is Hugging Face's get_linear_schedule_with_warmup: step 0 at 0, peak at the end of warmup, 0 at the last step", () => {
    // lr_lambda(s) = s / max(1, W) for s < W, else max(0, (N − s) / max(1, N − W)), times the peak.
    expect(linearSchedule(0, 100, 10, 1)).toBe(0);
    expect(linearSchedule(1, 100, 10, 1)).toBeCloseTo(0.1, 12);
    expect(linearSchedule(9, 100, 10, 1)).toBeCloseTo(0.9, 12);
    expect(linearSchedule(10, 100, 10, 1)).toBeCloseTo(1, 12);
    expect(linearSchedule(55, 100, 10, 1)).toBeCloseTo(0.5, 12);
    expect(linearSchedule(100, 100, 10, 1)).toBe(0);
    expect(linearSchedule(0, 100, 0, 2)).toBe(2);
  });

  it('counts warmup steps as the Hugging Face trainer does: ceil(ratio × steps)', () => {
    expect(warmupSteps(0.06, 150)).toBe(9); // 9 exactly (the issue measured 9 of 150 in a PyTorch run)
    expect(warmupSteps(0.06, 60)).toBe(4); // 3.6 → 4 (rounding would give 4 as well)
    expect(warmupSteps(0.06, 40)).toBe(3); // 2.4 → 3 (rounding would give 2)
    expect(warmupSteps(0, 40)).toBe(0);
  });
});

describe('AdamW state', () => {
  it('continues bit for bit from a saved state: 3 + 2 steps equal 5 steps', async () => {
    const grads = [[0.1, -0.2], [0.3, 0.05], [-0.1, 0.4], [0.2, 0.2], [0.0, -0.3]];
    const opts = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decay: () => true };
    const straight = tf.variable(tf.tensor1d([1, -2]));
    const a = createAdamW(new Map([['w', straight]]), opts);
    for (const g of grads) a.step({ w: tf.tensor1d(g) }, 0.01);
    const split = tf.variable(tf.tensor1d([1, -2]));
    const b = createAdamW(new Map([['w', split]]), opts);
    for (const g of grads.slice(0, 3)) b.step({ w: tf.tensor1d(g) }, 0.01);
    const saved = await b.state();
    b.dispose();
    expect(saved.t).toBe(3);
    const c = createAdamW(new Map([['w', split]]), opts, saved);
    for (const g of grads.slice(3)) c.step({ w: tf.tensor1d(g) }, 0.01);
    expect(c.t).toBe(5);
    expect([...split.dataSync()]).toEqual([...straight.dataSync()]);
    expect(() => createAdamW(new Map([['other', split]]), opts, saved)).toThrow(/no moments for other/);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales all gradients by maxNorm / global norm when above, and not at all when below', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // global norm 5
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect([...clipped.a!.dataSync(), ...clipped.b!.dataSync()].map((x) => +x.toFixed(5))).toEqual([0.6, 0, 0, 0.8]);
    const { grads: same } = clipByGlobalNorm(grads, 10);
    expect([...same.a!.dataSync()]).toEqual([3, 0]);
  });
});
