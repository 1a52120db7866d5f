// The self-check's comparison logic, and its result on the cpu backend (where it must be exact).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeParityProblem, relativeError, runParityCheck } from './selfcheck';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('relativeError', () => {
  it('is the largest difference over the largest reference magnitude', () => {
    expect(relativeError([1, 2, 4.5], [1, 2, 4])).toBeCloseTo(0.5 / 4, 12);
    expect(relativeError([0, 0], [0, 0])).toBe(0);
  });
  it('treats NaN anywhere, and mismatched lengths, as an infinite error', () => {
    expect(relativeError([NaN, 1, 2], [1, 1, 2])).toBe(Infinity);
    expect(relativeError([1, 1, 2], [1, NaN, 2])).toBe(Infinity);
    expect(relativeError([1, 2], [1, 2, 3])).toBe(Infinity);
  });
});

describe('runParityCheck', () => {
  it('reports zero difference when the active backend is the cpu reference, and restores the backend', async () => {
    const before = tf.memory().numTensors;
    const report = await runParityCheck();
    expect(report.backend).toBe('cpu');
    expect(report.maxRelErr).toBe(0);
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.memory().numTensors).toBe(before); // nothing leaks
  });
  it('builds the same problem from the same seed and a different one from another', () => {
    expect(makeParityProblem(5).x).toEqual(makeParityProblem(5).x);
    expect(makeParityProblem(5).x).not.toEqual(makeParityProblem(6).x);
  });
});
