// Checks the pruners on tiny networks against independent computations: SNIP against central finite
// differences of a float64 loss with respect to the mask, GraSP against analytic Hessian–gradient
// products, SynFlow against its hand-derived formula; and the mask selection (scopes, rounds, ties).
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterParam, ParamRole } from './adapters';
import { softmaxCrossEntropy } from './ops';
import { GRASP_STEP, PRUNER_KINDS, pruneAtInit, scheduleDensities, scoreHistogram, selectMasks, type MaskedLoss, type PruneContext, type PruneOptions, type PruneRoundEvent } from './pruning';
import { createRng, normalArray } from './random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Variables and data tensors made by a test, disposed after it.
const cleanup: (() => void)[] = [];
let serial = 0;
afterEach(() => {
  cleanup.splice(0).forEach((dispose) => dispose());
});

function param(name: string, shape: number[], values: ArrayLike<number>, prunable = true, role: ParamRole = 'down'): AdapterParam {
  const variable = tf.variable(tf.tensor(Float32Array.from(values), shape), true, `pruning-test/${name}/${serial++}`);
  const p: AdapterParam = { name, shape, variable, prunable, layer: 0, module: 'test', role, decays: true, init: 'normal' };
  cleanup.push(() => variable.dispose());
  return p;
}

const options = (overrides: Partial<PruneOptions>): PruneOptions => ({ pruner: 'snip', sparsity: 0.5, scope: 'global', rounds: 1, schedule: 'exponential', scoringBatches: 2, ...overrides });
const count = (mask: ArrayLike<number>) => Array.from(mask).reduce((a, x) => a + x, 0);
const masksOf = async (result: { masks: Map<string, tf.Tensor> }) => new Map(await Promise.all([...result.masks].map(async ([n, m]) => [n, Int32Array.from(await m.data())] as const)));
const disposeMasks = (result: { masks: Map<string, tf.Tensor> }) => result.masks.forEach((m) => m.dispose());
const bits = (v: tf.Tensor) => new Uint32Array(Float32Array.from(v.dataSync()).buffer);

// ---------------------------------------------------------------------------------------------------
// The tiny network: x [4, 3] → W1 [3, 4] (+ b1, not prunable) → tanh → W2 [4, 2] → softmax CE, two batches.
const N = 4, D = 3, H = 4, C = 2;

interface Tiny { w1: AdapterParam; w2: AdapterParam; b1: AdapterParam; xs: Float64Array[]; ys: number[][]; loss: MaskedLoss; ctx: (rng?: () => number) => PruneContext }

function makeTiny(seed: number, zeroW2 = false): Tiny {
  const rng = createRng(seed);
  const w1 = param('layer.0.w1', [D, H], normalArray(rng, D * H, 0.8));
  const w2 = param('layer.0.w2', [H, C], zeroW2 ? new Float32Array(H * C) : normalArray(rng, H * C, 0.8), true, 'up');
  const b1 = param('layer.0.b1', [H], normalArray(rng, H, 0.1), false, 'down_bias');
  const xs = [0, 1].map(() => Float64Array.from(normalArray(rng, N * D)));
  const ys = [0, 1].map(() => Array.from({ length: N }, () => Math.floor(rng() * C)));
  const xTensors = xs.map((x) => tf.tensor2d(Float32Array.from(x), [N, D]));
  const yTensors = ys.map((y) => tf.tensor1d(y, 'int32'));
  const loss: MaskedLoss = (b, masks) => tf.tidy(() => {
    const m = (p: AdapterParam) => { const mask = masks.get(p.name); return mask ? tf.mul(p.variable, mask) : p.variable; };
    const hidden = tf.tanh(tf.add(tf.matMul(xTensors[b]!, m(w1) as tf.Tensor2D), b1.variable)); // [N, H]
    return softmaxCrossEntropy(tf.matMul(hidden as tf.Tensor2D, m(w2) as tf.Tensor2D), yTensors[b]!); // from logits [N, C]
  });
  cleanup.push(() => [...xTensors, ...yTensors].forEach((x) => x.dispose()));
  return { w1, w2, b1, xs, ys, loss, ctx: (r = createRng(1)) => ({ params: [w1, b1, w2], chains: [[w1.name, w2.name]], loss, rng: r }) };
}

/** The same loss in float64 JS, with masks as real numbers. */
function tinyLoss64(t: Tiny, b: number, w1: Float64Array, w2: Float64Array, b1: Float64Array): number {
  const x = t.xs[b]!;
  let total = 0;
  for (let n = 0; n < N; n++) {
    const hidden = Array.from({ length: H }, (_, j) => {
      let s = b1[j]!;
      for (let k = 0; k < D; k++) s += x[n * D + k]! * w1[k * H + j]!;
      return Math.tanh(s);
    });
    const logits = Array.from({ length: C }, (_, c) => hidden.reduce((a, h, j) => a + h * w2[j * C + c]!, 0));
    const max = Math.max(...logits);
    const logSum = Math.log(logits.reduce((a, z) => a + Math.exp(z - max), 0)) + max;
    total += logSum - logits[t.ys[b]![n]!]!;
  }
  return total / N;
}

const f64 = (p: AdapterParam) => Float64Array.from(p.variable.dataSync());

/**
 * SNIP by central differences in the mask, d_b,i = (L_b(m + h·e_i) − L_b(m − h·e_i)) / 2h, normalised:
 * `signed` |Σ_b d_b,i| (the reference code's `snip`), `abs` Σ_b |d_b,i| (`snip-abs`).
 */
function snipReference(t: Tiny, mode: 'signed' | 'abs' = 'signed'): [Float64Array, Float64Array] {
  const [w1, w2, b1] = [f64(t.w1), f64(t.w2), f64(t.b1)];
  const h = 1e-6;
  const scores = [new Float64Array(w1.length), new Float64Array(w2.length)];
  for (let b = 0; b < 2; b++) {
    [w1, w2].forEach((w, which) => {
      for (let i = 0; i < w.length; i++) {
        const m = (delta: number) => { const copy = Float64Array.from(w); copy[i] = w[i]! * (1 + delta); return copy; }; // θ_i · (m_i ± h)
        const loss = (delta: number) => (which === 0 ? tinyLoss64(t, b, m(delta), w2, b1) : tinyLoss64(t, b, w1, m(delta), b1));
        const d = (loss(h) - loss(-h)) / (2 * h);
        scores[which]![i]! += mode === 'abs' ? Math.abs(d) : d;
      }
    });
  }
  if (mode === 'signed') scores.forEach((a) => a.forEach((x, i) => (a[i] = Math.abs(x))));
  const sum = [...scores[0]!, ...scores[1]!].reduce((a, b) => a + b, 0);
  return [scores[0]!.map((s) => s / sum), scores[1]!.map((s) => s / sum)];
}

/** The top-k indices of a list by value, independently of the code under test. */
function topK(values: number[], k: number): Set<number> {
  return new Set(values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i));
}

describe('SNIP', () => {
  it('snip-abs sums per-batch magnitudes (central differences again); the result reports how far its masks and the reference snip\'s agree', async () => {
    const t = makeTiny(11);
    const [abs1, abs2] = snipReference(t, 'abs');
    const absAll = [...abs1, ...abs2];
    const result = await pruneAtInit(t.ctx(), options({ pruner: 'snip-abs', sparsity: 0.5 }));
    const got = [...result.scores.get(t.w1.name)!, ...result.scores.get(t.w2.name)!];
    expect(Math.max(...got.map((g, i) => Math.abs(g - absAll[i]!))) / Math.max(...absAll)).toBeLessThan(1e-5);
    // The overlap, from independent top-10 sets of the two references (20 entries, 10 kept).
    const [s1, s2] = snipReference(t, 'signed');
    const a = topK(absAll, 10);
    const b = topK([...s1, ...s2], 10);
    const shared = [...a].filter((i) => b.has(i)).length;
    expect(result.snipOverlap).toEqual({ other: 'snip', keptInBoth: shared, agreement: shared / 10 });
    // On this network the two batches disagree in sign somewhere, so the variants rank differently.
    expect(shared).toBeLessThan(10);
    const reference = await pruneAtInit(t.ctx(), options({ pruner: 'snip', sparsity: 0.5 }));
    expect(reference.snipOverlap).toEqual({ other: 'snip-abs', keptInBoth: shared, agreement: shared / 10 });
    disposeMasks(result);
    disposeMasks(reference);
  });

  it('equals central differences of the float64 loss w.r.t. the mask (max |Δ| ≤ 1e-5 of the largest score), in both scopes', async () => {
    const t = makeTiny(11);
    const [ref1, ref2] = snipReference(t);
    const refAll = [...ref1, ...ref2];
    const maxRef = Math.max(...refAll);
    const b1Before = bits(t.b1.variable);
    for (const scope of ['global', 'local'] as const) {
      const result = await pruneAtInit(t.ctx(), options({ scope, sparsity: 0.3 }));
      const got = [...result.scores.get(t.w1.name)!, ...result.scores.get(t.w2.name)!];
      const maxDiff = Math.max(...got.map((g, i) => Math.abs(g - refAll[i]!)));
      expect(maxDiff / maxRef).toBeLessThan(1e-5);
      expect([...result.scores.keys()]).toEqual([t.w1.name, t.w2.name]); // the bias is not prunable
      expect(result.masks.has(t.b1.name)).toBe(false);
      disposeMasks(result);
    }
    expect(bits(t.b1.variable)).toEqual(b1Before);
  });

  it('keeps exactly the top-scoring entries at sparsity 0, 0.3, 0.5 and 0.9, in both scopes', async () => {
    const t = makeTiny(11);
    const [ref1, ref2] = snipReference(t);
    const refAll = [...ref1, ...ref2];
    // The ranking is only meaningful if neighbouring reference scores are further apart than the tolerance.
    const sorted = [...refAll].sort((a, b) => a - b);
    const gaps = sorted.slice(1).map((v, i) => v - sorted[i]!);
    expect(Math.min(...gaps) / Math.max(...refAll)).toBeGreaterThan(1e-4);
    for (const sparsity of [0, 0.3, 0.5, 0.9]) {
      const global = await pruneAtInit(t.ctx(), options({ sparsity, scope: 'global' }));
      const local = await pruneAtInit(t.ctx(), options({ sparsity, scope: 'local' }));
      const g = await masksOf(global);
      const l = await masksOf(local);
      const k = 20 - Math.round(sparsity * 20);
      const keepGlobal = topK(refAll, k);
      expect([...g.get(t.w1.name)!, ...g.get(t.w2.name)!]).toEqual(refAll.map((_, i) => (keepGlobal.has(i) ? 1 : 0)));
      expect(global.kept).toBe(k);
      const keep1 = topK([...ref1], 12 - Math.round(sparsity * 12));
      const keep2 = topK([...ref2], 8 - Math.round(sparsity * 8));
      expect([...l.get(t.w1.name)!]).toEqual([...ref1].map((_, i) => (keep1.has(i) ? 1 : 0)));
      expect([...l.get(t.w2.name)!]).toEqual([...ref2].map((_, i) => (keep2.has(i) ? 1 : 0)));
      expect(local.kept).toBe(keep1.size + keep2.size);
      expect(local.density.map((d) => d.kept)).toEqual([keep1.size, keep2.size]);
      expect(Number.isNaN(local.threshold)).toBe(true);
      if (k > 0) expect(global.threshold).toBeCloseTo(Math.min(...[...keepGlobal].map((i) => refAll[i]!)), 6);
      disposeMasks(global);
      disposeMasks(local);
    }
  });

  it('reports progress once per scoring batch', async () => {
    const t = makeTiny(11);
    const events: { batch: number; batches: number }[] = [];
    const result = await pruneAtInit({ ...t.ctx(), onProgress: (e) => events.push({ batch: e.batch, batches: e.batches }) }, options({}));
    expect(events).toEqual([{ batch: 1, batches: 2 }, { batch: 2, batches: 2 }]);
    disposeMasks(result);
  });
});

describe('scope', () => {
  it('global lets a tensor with much larger scores keep more; local keeps the same fraction of each', async () => {
    const rng = createRng(3);
    const small = param('small', [4, 4], Array.from({ length: 16 }, () => 0.01 + 0.09 * rng()));
    const large = param('large', [4, 4], Array.from({ length: 16 }, () => 1 + 9 * rng()));
    const ctx: PruneContext = { params: [small, large], chains: [], loss: () => tf.scalar(0), rng };
    const global = await pruneAtInit(ctx, options({ pruner: 'magnitude', sparsity: 0.5, scope: 'global' }));
    const local = await pruneAtInit(ctx, options({ pruner: 'magnitude', sparsity: 0.5, scope: 'local' }));
    expect(global.density.map((d) => d.kept)).toEqual([0, 16]);
    expect(local.density.map((d) => d.kept)).toEqual([8, 8]);
    expect(global.kept).toBe(16);
    expect(local.kept).toBe(16);
    disposeMasks(global);
    disposeMasks(local);
  });
});

describe('iterative pruning', () => {
  it('schedules densities exponentially or linearly, ending exactly at 1 − sparsity', () => {
    const exponential = scheduleDensities(0.9, 3, 'exponential');
    [0.1 ** (1 / 3), 0.1 ** (2 / 3)].forEach((d, i) => expect(exponential[i]).toBeCloseTo(d, 12));
    expect(exponential[2]).toBe(1 - 0.9);
    const linear = scheduleDensities(0.9, 3, 'linear');
    [0.7, 0.4].forEach((d, i) => expect(linear[i]).toBeCloseTo(d, 12));
    expect(linear[2]).toBe(1 - 0.9);
    expect(scheduleDensities(0.3, 1, 'exponential')).toEqual([1 - 0.3]);
    expect(() => scheduleDensities(1, 2, 'linear')).toThrow();
    expect(() => scheduleDensities(0.5, 0, 'linear')).toThrow();
  });

  it('keeps round(d_r·n) per round, exactly n − round(s·n) at the end, and never revives a pruned entry', async () => {
    // GraSP's scores can be negative, so a pruned entry (score 0) would outrank live ones if it were a candidate.
    for (const schedule of ['exponential', 'linear'] as const) {
      for (const scope of ['global', 'local'] as const) {
        const t = makeTiny(5);
        const rounds: PruneRoundEvent[] = [];
        const result = await pruneAtInit({ ...t.ctx(), onRound: (e) => rounds.push(e) }, options({ pruner: 'grasp', sparsity: 0.8, rounds: 3, schedule, scope }));
        const densities = scheduleDensities(0.8, 3, schedule);
        const sizes = scope === 'global' ? [20] : [12, 8];
        rounds.forEach((e, r) => {
          const expected = sizes.map((n) => (r === 2 ? n - Math.round(0.8 * n) : Math.round(densities[r]! * n)));
          expect(e.kept).toBe(expected.reduce((a, b) => a + b, 0));
          if (scope === 'local') expect([t.w1, t.w2].map((p) => count(e.masks.get(p.name)!))).toEqual(expected);
        });
        expect(result.kept).toBe(scope === 'global' ? 4 : 2 + 2);
        for (let r = 1; r < 3; r++) {
          for (const p of [t.w1, t.w2]) {
            const before = rounds[r - 1]!.masks.get(p.name)!;
            rounds[r]!.masks.get(p.name)!.forEach((m, i) => expect(m <= before[i]!).toBe(true));
          }
        }
        disposeMasks(result);
      }
    }
  });

  it('removes exactly round(s·n) where round((1 − s)·n) would keep one more (n·s ending in .5)', async () => {
    const p = param('w', [6], [6, 5, 4, 3, 2, 1]);
    for (const scope of ['global', 'local'] as const) {
      const result = await pruneAtInit({ params: [p], chains: [], loss: () => tf.scalar(0), rng: createRng(1) }, options({ pruner: 'magnitude', sparsity: 0.25, scope, rounds: 2 }));
      expect(result.kept).toBe(6 - Math.round(1.5)); // 4, where Math.round(0.75 · 6) = 5
      disposeMasks(result);
    }
  });

  it('selectMasks never keeps an already-pruned entry, even with the highest score', () => {
    const scores = new Map([['a', Float32Array.from([9, 8, 1, 2, 3, 4])]]);
    const pruned = new Map([['a', Uint8Array.from([0, 0, 1, 1, 1, 1])]]);
    for (const scope of ['global', 'local'] as const) {
      const { masks } = selectMasks(scores, { sparsity: 0.5 }, scope, pruned);
      expect([...masks.get('a')!]).toEqual([0, 0, 0, 1, 1, 1]);
    }
  });
});

describe('ties', () => {
  it('all-equal scores give exactly the requested count, the same mask every call, earliest positions first', () => {
    const scores = new Map([['a', new Float32Array(7).fill(0.25)], ['b', new Float32Array(5).fill(0.25)]]);
    const first = selectMasks(scores, { sparsity: 0.5 }, 'global');
    expect([...first.masks.get('a')!, ...first.masks.get('b')!]).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(first.threshold).toBe(0.25);
    for (let i = 0; i < 3; i++) expect(selectMasks(scores, { sparsity: 0.5 }, 'global').masks).toEqual(first.masks);
    const local = selectMasks(scores, { sparsity: 0.5 }, 'local').masks;
    // Exactly round(s·n) removed from each tensor, as pruneAtInit's last round removes them.
    expect([count(local.get('a')!), count(local.get('b')!)]).toEqual([7 - Math.round(3.5), 5 - Math.round(2.5)]);
    // An intermediate round keeps round(d·n).
    const round = selectMasks(scores, { density: 0.5 }, 'local').masks;
    expect([count(round.get('a')!), count(round.get('b')!)]).toEqual([Math.round(3.5), Math.round(2.5)]);
    // A partial tie at the cut: the strictly larger score is kept, then the earliest of the tied ones.
    expect([...selectMasks(new Map([['c', Float32Array.from([1, 3, 1, 1, 0])]]), { density: 0.6 }, 'global').masks.get('c')!]).toEqual([1, 1, 1, 0, 0]);
  });

  it('warns when a tensor’s scores are all zero (a zero up-projection zeroes SNIP for both projections)', async () => {
    // |g ⊙ θ| is 0 for W2 = 0 itself, and W1 gets no gradient through it: nothing can be ranked.
    const t = makeTiny(11, true);
    const result = await pruneAtInit(t.ctx(), options({ sparsity: 0.5 }));
    for (const p of [t.w1, t.w2]) {
      expect(result.warnings.some((w) => w.includes(p.name) && w.includes('cannot rank') && w.includes('position'))).toBe(true);
      expect([...result.scores.get(p.name)!].every((s) => s === 0)).toBe(true);
    }
    const masks = await masksOf(result);
    expect([...masks.get(t.w1.name)!, ...masks.get(t.w2.name)!]).toEqual(Array.from({ length: 20 }, (_, i) => (i < 10 ? 1 : 0)));
    disposeMasks(result);
  });

  it('treats NaN scores as 0 and warns', async () => {
    const p = param('nan', [2, 2], [1, NaN, 3, 2]);
    const result = await pruneAtInit({ params: [p], chains: [], loss: () => tf.scalar(0), rng: createRng(1) }, options({ pruner: 'magnitude', sparsity: 0.25 }));
    expect(result.warnings.some((w) => w.includes('nan') && w.includes('non-finite'))).toBe(true);
    expect([...(await masksOf(result)).get('nan')!]).toEqual([1, 0, 1, 1]);
    disposeMasks(result);
  });
});

describe('magnitude and random', () => {
  it('magnitude keeps the largest |θ|, whatever the sign', async () => {
    const p = param('w', [2, 3], [-5, 0.1, 3, -0.2, 4, 0.05]);
    const result = await pruneAtInit({ params: [p], chains: [], loss: () => tf.scalar(0), rng: createRng(1) }, options({ pruner: 'magnitude', sparsity: 0.5 }));
    expect([...(await masksOf(result)).get('w')!]).toEqual([1, 0, 1, 0, 1, 0]);
    const total = 5 + 0.1 + 3 + 0.2 + 4 + 0.05;
    [5, 0.1, 3, 0.2, 4, 0.05].forEach((v, i) => expect(result.scores.get('w')![i]).toBeCloseTo(v / total, 6));
    disposeMasks(result);
  });

  it('random scores are the seeded uniform draws (normalised), reproducible from the seed', async () => {
    const a = param('a', [5, 4], new Float32Array(20).fill(1));
    const b = param('b', [4, 5], new Float32Array(20).fill(1));
    const run = (seed: number) => pruneAtInit({ params: [a, b], chains: [], loss: () => tf.scalar(0), rng: createRng(seed) }, options({ pruner: 'random', sparsity: 0.6 }));
    const [r1, r2, r3] = [await run(42), await run(42), await run(43)];
    const draws = createRng(42);
    const u = Array.from({ length: 40 }, () => draws());
    const sum = u.reduce((x, y) => x + y, 0);
    const got = [...r1.scores.get('a')!, ...r1.scores.get('b')!];
    u.forEach((x, i) => expect(got[i]).toBeCloseTo(x / sum, 6));
    expect(await masksOf(r1)).toEqual(await masksOf(r2));
    expect(await masksOf(r1)).not.toEqual(await masksOf(r3));
    expect(r1.kept).toBe(16);
    [r1, r2, r3].forEach(disposeMasks);
  });
});

describe('SynFlow', () => {
  it('equals the hand-derived score on a 2×2 · 2×2 chain', async () => {
    // R = Σ_ijk |A_ij| |B_jk|, so |θ ⊙ ∂R/∂θ| is |A_ij|·Σ_k |B_jk| for A and |B_jk|·Σ_i |A_ij| for B.
    const A = param('A', [2, 2], [1, -2, 3, 0.5]);
    const B = param('B', [2, 2], [-1, 2, 0.25, -4], true, 'up');
    const bias = param('bias', [2], [1, 1], true, 'up_bias'); // prunable but in no chain
    const result = await pruneAtInit({ params: [A, B, bias], chains: [['A', 'B']], loss: () => { throw new Error('SynFlow needs no data'); }, rng: createRng(1) }, options({ pruner: 'synflow', sparsity: 0.5 }));
    const rowB = [1 + 2, 0.25 + 4]; // Σ_k |B_jk|
    const colA = [1 + 3, 2 + 0.5]; // Σ_i |A_ij|
    const scoreA = [1 * rowB[0]!, 2 * rowB[1]!, 3 * rowB[0]!, 0.5 * rowB[1]!];
    const scoreB = [1 * colA[0]!, 2 * colA[0]!, 0.25 * colA[1]!, 4 * colA[1]!];
    const sum = [...scoreA, ...scoreB].reduce((a, b) => a + b, 0);
    scoreA.forEach((s, i) => expect(result.scores.get('A')![i]).toBeCloseTo(s / sum, 6));
    scoreB.forEach((s, i) => expect(result.scores.get('B')![i]).toBeCloseTo(s / sum, 6));
    expect(result.warnings.some((w) => w.includes('bias') && w.includes('cannot rank'))).toBe(true);
    expect(result.kept).toBe(5);
    disposeMasks(result);
  });
});

describe('GraSP', () => {
  it('θ ⊙ Hg equals the analytic product on a quadratic loss (max |Δ| ≤ 1e-4 of the largest score)', async () => {
    // L_b(w) = ½ wᵀ A_b w + c_bᵀ w with w = θ ⊙ m flattened; g = Σ_b (A_b θ + c_b), H = Σ_b A_b.
    const rng = createRng(9);
    const n = 7;
    const theta = Array.from(normalArray(rng, n, 1)).map((x) => x + Math.sign(x) * 0.5); // no entry near 0
    const p1 = param('p1', [2, 2], theta.slice(0, 4));
    const p2 = param('p2', [3], theta.slice(4), true, 'up');
    const sym = () => { const m = normalArray(rng, n * n); return Array.from({ length: n * n }, (_, k) => (m[k]! + m[Math.floor(k / n) + (k % n) * n]!) / 2); };
    const As = [sym(), sym()];
    const cs = [Array.from(normalArray(rng, n)), Array.from(normalArray(rng, n))];
    const loss: MaskedLoss = (b, masks) => tf.tidy(() => {
      const w = tf.concat([tf.reshape(tf.mul(p1.variable, masks.get('p1')!), [-1]), tf.mul(p2.variable, masks.get('p2')!)]).reshape([n, 1]); // [n, 1]
      const Aw = tf.matMul(tf.tensor2d(As[b]!, [n, n]), w); // [n, 1]
      return tf.add(tf.mul(0.5, tf.sum(tf.mul(w, Aw))), tf.sum(tf.mul(tf.tensor2d(cs[b]!, [n, 1]), w))) as tf.Scalar;
    });
    const th = Float64Array.from(Float32Array.from(theta));
    const mv = (A: number[], v: ArrayLike<number>) => Array.from({ length: n }, (_, i) => A.slice(i * n, i * n + n).reduce((a, x, j) => a + x * v[j]!, 0));
    const g = [0, 1].map((b) => mv(As[b]!, th).map((x, i) => x + cs[b]![i]!)).reduce((a, b) => a.map((x, i) => x + b[i]!));
    const Hg = [0, 1].map((b) => mv(As[b]!, g)).reduce((a, b) => a.map((x, i) => x + b[i]!));
    const raw = Hg.map((x, i) => th[i]! * x);
    const norm = Math.abs(raw.reduce((a, b) => a + b, 0));
    const before = [bits(p1.variable), bits(p2.variable)];
    const result = await pruneAtInit({ params: [p1, p2], chains: [], loss, rng }, options({ pruner: 'grasp', sparsity: 0.5 }));
    const got = [...result.scores.get('p1')!, ...result.scores.get('p2')!];
    const maxRef = Math.max(...raw.map((x) => Math.abs(x / norm)));
    const maxDiff = Math.max(...got.map((x, i) => Math.abs(x - raw[i]! / norm)));
    expect(maxDiff / maxRef).toBeLessThan(1e-4);
    expect([bits(p1.variable), bits(p2.variable)]).toEqual(before); // θ restored bit for bit
    // The highest θ ⊙ Hg are kept (removing the top of −θ ⊙ Hg).
    const keep = topK(raw, 7 - Math.round(0.5 * 7));
    const masks = await masksOf(result);
    expect([...masks.get('p1')!, ...masks.get('p2')!]).toEqual(raw.map((_, i) => (keep.has(i) ? 1 : 0)));
    disposeMasks(result);
  });

  it(`with the step h = ∛ε₃₂ ≈ ${GRASP_STEP.toFixed(4)}, matches a float64 reference on the tanh network within 1e-4 of the largest score`, async () => {
    // Reference: exact float64 backprop for ∇L, and Hg by a float64 central difference of it with a tiny step.
    const t = makeTiny(5);
    const [w1, w2, b1] = [f64(t.w1), f64(t.w2), f64(t.b1)];
    const grad64 = (b: number, a1: Float64Array, a2: Float64Array): number[] => {
      const x = t.xs[b]!;
      const g1 = new Float64Array(D * H);
      const g2 = new Float64Array(H * C);
      for (let n = 0; n < N; n++) {
        const hidden = Array.from({ length: H }, (_, j) => Math.tanh(b1[j]! + Array.from({ length: D }, (_, k) => x[n * D + k]! * a1[k * H + j]!).reduce((p, q) => p + q, 0)));
        const logits = Array.from({ length: C }, (_, c) => hidden.reduce((p, h, j) => p + h * a2[j * C + c]!, 0));
        const max = Math.max(...logits);
        const e = logits.map((z) => Math.exp(z - max));
        const dz = e.map((v, c) => (v / e.reduce((p, q) => p + q, 0) - (c === t.ys[b]![n] ? 1 : 0)) / N); // ∂L/∂logits
        for (let j = 0; j < H; j++) {
          let dh = 0;
          for (let c = 0; c < C; c++) { g2[j * C + c]! += hidden[j]! * dz[c]!; dh += dz[c]! * a2[j * C + c]!; }
          for (let k = 0; k < D; k++) g1[k * H + j]! += x[n * D + k]! * dh * (1 - hidden[j]! ** 2);
        }
      }
      return [...g1, ...g2];
    };
    const gradSum = (a1: Float64Array, a2: Float64Array) => [0, 1].map((b) => grad64(b, a1, a2)).reduce((p, q) => p.map((v, i) => v + q[i]!));
    const g = gradSum(w1, w2);
    const h = 1e-6;
    const shifted = (s: number) => gradSum(w1.map((v, i) => v + s * h * g[i]!), w2.map((v, i) => v + s * h * g[12 + i]!));
    const [plus, minus] = [shifted(1), shifted(-1)];
    const theta = [...w1, ...w2];
    const ref = theta.map((th, i) => (th * (plus[i]! - minus[i]!)) / (2 * h));
    const result = await pruneAtInit(t.ctx(), options({ pruner: 'grasp', sparsity: 0 }));
    const got = [...result.scores.get(t.w1.name)!, ...result.scores.get(t.w2.name)!];
    // Compare shapes independently of the normalisation, then the normalisation itself.
    const maxRef = Math.max(...ref.map(Math.abs));
    const maxGot = Math.max(...got.map(Math.abs));
    const diff = Math.max(...got.map((x, i) => Math.abs(x / maxGot - ref[i]! / maxRef)));
    expect(diff).toBeLessThan(1e-4); // ~7e-6 here; a step 10× larger or 100× smaller fails this

    expect(Math.abs(got.reduce((a, b) => a + b, 0))).toBeCloseTo(1, 5);
    disposeMasks(result);
  });

  it('restores θ bit for bit even when the loss throws mid-perturbation', async () => {
    const t = makeTiny(5);
    let calls = 0;
    const loss: MaskedLoss = (b, masks) => { if (++calls === 4) throw new Error('boom'); return t.loss(b, masks); };
    const before = [bits(t.w1.variable), bits(t.w2.variable)];
    const tensors = tf.memory().numTensors;
    await expect(pruneAtInit({ ...t.ctx(), loss }, options({ pruner: 'grasp' }))).rejects.toThrow('boom');
    expect([bits(t.w1.variable), bits(t.w2.variable)]).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('resources', () => {
  it('leaks no tensor and leaves every variable unchanged, for every pruner and both scopes', async () => {
    const t = makeTiny(7);
    const before = [t.w1, t.w2, t.b1].map((p) => bits(p.variable));
    for (const pruner of PRUNER_KINDS) {
      for (const scope of ['global', 'local'] as const) {
        const tensors = tf.memory().numTensors;
        const result = await pruneAtInit(t.ctx(), options({ pruner, scope, rounds: 2 }));
        expect(tf.memory().numTensors).toBe(tensors + result.masks.size);
        disposeMasks(result);
        expect(tf.memory().numTensors).toBe(tensors);
      }
    }
    expect([t.w1, t.w2, t.b1].map((p) => bits(p.variable))).toEqual(before);
  });
});

describe('scoreHistogram', () => {
  it('bins log10 of positive scores, counts zeros and negatives apart, and locates the threshold', () => {
    // log10: −3, −2.52, −1.30, −0.70, 0 over three bins of width 1 (values kept away from the edges).
    const scores = new Map([['a', Float32Array.from([0, 1e-3, 3e-3])], ['b', Float32Array.from([0.05, 0.2, 1, -1])]]);
    const h = scoreHistogram(scores, 3, 0.05);
    h.edges.forEach((e, i) => expect(e).toBeCloseTo([-3, -2, -1, 0][i]!, 5));
    expect(h.counts).toEqual([2, 1, 2]);
    expect(h.zeros).toBe(1);
    expect(h.negatives).toBe(1);
    expect(h.thresholdBin).toBe(1); // log10(0.05) ≈ −1.3
    expect(scoreHistogram(scores, 3).thresholdBin).toBeNull();
  });
});
