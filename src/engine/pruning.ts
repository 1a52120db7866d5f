// Pruning at initialisation (SparseAdapter, He et al. 2022): score every prunable adapter weight before
// training, then keep the best-scoring entries over all tensors (global) or per tensor (local), in one
// or more rounds. The scorers follow Synaptic-Flow's pruners. "Sparsity" is the fraction REMOVED.
import * as tf from '@tensorflow/tfjs';
import type { AdapterParam } from './adapters';

// The pruner names, scopes, schedules and PruneOptions live in the settings table (plain data the
// page also reads); they are re-exported here for the engine's callers.
import { PRUNER_KINDS, type PruneOptions, type PrunerKind, type PruneSchedule, type PruneScope } from './settings';
export { PRUNER_KINDS, type PruneOptions, type PrunerKind, type PruneSchedule, type PruneScope };

/** The task loss on scoring batch `batchIndex` with `masks` applied to the adapter weights (provided by the trainer; call it inside tf.tidy / tf.variableGrads). */
export type MaskedLoss = (batchIndex: number, masks: ReadonlyMap<string, tf.Tensor>) => tf.Scalar;

/** What a finished round reports: its kept fraction and masks (entries pruned earlier stay 0). */
export interface PruneRoundEvent { round: number; rounds: number; density: number; kept: number; total: number; masks: ReadonlyMap<string, Uint8Array> }

/** What the pruner works on. */
export interface PruneContext {
  /** All adapter params; only those with `prunable` are scored and masked. */
  params: AdapterParam[];
  /** Matrices applied one after the other (Adapters.chains), for SynFlow. */
  chains: string[][];
  loss: MaskedLoss;
  /** Seeded uniform [0, 1) generator, for the random pruner. */
  rng: () => number;
  /** `batch` of `batches` counts gradient evaluations within the round (GraSP makes three passes; data-free pruners report 1 of 1). */
  onProgress?: (event: { round: number; rounds: number; batch: number; batches: number }) => void;
  onRound?: (event: PruneRoundEvent) => void;
}

/** How many entries of one prunable tensor survive. */
export interface TensorDensity { name: string; layer: number | null; role: string; kept: number; total: number }

/** The outcome of pruneAtInit; the caller owns (and disposes) the mask tensors. */
export interface PruneResult {
  /** float32 0/1 tensors, one per prunable param, of its shape. */
  masks: Map<string, tf.Tensor>;
  /** The last round's scores divided by |Σ scores| (0 for entries pruned in earlier rounds). */
  scores: Map<string, Float32Array>;
  /** The lowest kept score (global scope; +Infinity if nothing is kept); NaN for local scope. */
  threshold: number;
  /** Kept entries over all prunable tensors: total − round(s·total) in global scope, the per-tensor sum in local. */
  kept: number;
  total: number;
  density: TensorDensity[];
  /** Degenerate scores (all zero, non-finite) and the like, one sentence each. */
  warnings: string[];
  /**
   * For the SNIP variants: the other variant's masks from the same gradients at the last round, and the
   * fraction of this run's kept entries that it keeps too (1: the same masks).
   */
  snipOverlap?: { other: 'snip' | 'snip-abs'; keptInBoth: number; agreement: number };
}

/** One round as a scorer sees it: prunable params in order, the current masks, and a progress hook. */
interface ScoringRound {
  params: AdapterParam[];
  byName: ReadonlyMap<string, AdapterParam>;
  chains: string[][];
  loss: MaskedLoss;
  rng: () => number;
  masks: ReadonlyMap<string, tf.Tensor>;
  batches: number;
  progress: (done: number, of: number) => void;
}

/** Raw scores per prunable tensor (higher = keep); pruned entries are zeroed afterwards. */
type Scorer = (round: ScoringRound) => Promise<Float64Array[]>;

/**
 * GraSP's finite-difference step along u = g/‖g‖₂ is h = ∛ε₃₂ · max(1, ‖θ‖∞) ≈ 4.9e-3 for adapters.
 * Central differences have truncation error ∝ h² and rounding error ∝ ε₃₂/h (float32 gradients), and
 * ∛ε balances the two (the textbook rule, as scipy's 3-point scheme uses); max(1, ·) keeps the step
 * relative for large weights and absolute for small ones. Then ε = h/‖g‖₂ in (∇L(θ+εg) − ∇L(θ−εg))/2ε.
 * On the tests' tanh network this h sits at the bottom of the error curve (~7e-6 relative to a float64
 * reference); 10× larger or 100× smaller steps are about 50× less accurate.
 */
export const GRASP_STEP = Math.cbrt(2 ** -23);

/** Reads several tensors back in one transfer, as float32 arrays of the given sizes. */
async function readFlat(make: () => tf.Tensor[], sizes: number[]): Promise<Float32Array[]> {
  const flat = tf.tidy(() => tf.concat(make().map((t) => tf.reshape(t, [-1])))); // [Σ sizes]
  try {
    const data = (await flat.data()) as Float32Array;
    let offset = 0;
    return sizes.map((n) => data.slice(offset, (offset += n)));
  } finally {
    flat.dispose();
  }
}

/** Σ over the scoring batches of f(∇θL_b, θ) per prunable tensor, in float64; one readback per batch. */
async function sumOverBatches(round: ScoringRound, f: (grad: tf.Tensor, weight: tf.Tensor) => tf.Tensor, pass: number, passes: number): Promise<Float64Array[]> {
  const vars = round.params.map((p) => p.variable);
  const sizes = vars.map((v) => v.size);
  const sums = sizes.map((n) => new Float64Array(n));
  for (let b = 0; b < round.batches; b++) {
    const parts = await readFlat(() => {
      const { grads } = tf.variableGrads(() => round.loss(b, round.masks), vars);
      // A weight the loss does not reach has no gradient: it scores 0 and the pruner warns about it.
      return vars.map((v) => f(grads[v.name] ?? tf.zerosLike(v), v));
    }, sizes);
    parts.forEach((part, t) => part.forEach((x, i) => (sums[t]![i]! += x)));
    round.progress(pass * round.batches + b + 1, passes * round.batches);
  }
  return sums;
}

const toFloat64 = (arrays: Float32Array[]) => arrays.map((a) => Float64Array.from(a));

/**
 * Both SNIP variants from one pass: per batch, g ⊙ θ = ∂L_b/∂m at m = 1 (0 where m = 0) is read back,
 * and summed with its sign (`signed`, the reference's |Σ_b ∂L_b/∂m| once |·| is taken) and as
 * magnitudes (`abs`, Σ_b |∂L_b/∂m|).
 */
async function snipSums(round: ScoringRound): Promise<{ signed: Float64Array[]; abs: Float64Array[] }> {
  const vars = round.params.map((p) => p.variable);
  const sizes = vars.map((v) => v.size);
  const signed = sizes.map((n) => new Float64Array(n));
  const abs = sizes.map((n) => new Float64Array(n));
  for (let b = 0; b < round.batches; b++) {
    const parts = await readFlat(() => {
      const { grads } = tf.variableGrads(() => round.loss(b, round.masks), vars);
      return vars.map((v) => tf.mul(grads[v.name] ?? tf.zerosLike(v), v));
    }, sizes);
    parts.forEach((part, t) => part.forEach((x, i) => { signed[t]![i]! += x; abs[t]![i]! += Math.abs(x); }));
    round.progress(b + 1, round.batches);
  }
  return { signed: signed.map((a) => a.map(Math.abs)), abs };
}

/** SNIP as the reference code computes it: |Σ_b ∂L_b/∂θ ⊙ θ|. */
const scoreSnip: Scorer = async (round) => (await snipSums(round)).signed;

/** SNIP with per-batch magnitudes: Σ_b |∂L_b/∂θ ⊙ θ| (the two rank weights differently when batches disagree in sign). */
const scoreSnipAbs: Scorer = async (round) => (await snipSums(round)).abs;

/** Uniform scores from the seeded generator, drawn for every entry in parameter order. */
const scoreRandom: Scorer = async (round) => {
  round.progress(1, 1);
  return round.params.map((p) => Float64Array.from({ length: p.variable.size }, () => round.rng()));
};

/** |θ|. */
const scoreMagnitude: Scorer = async (round) => {
  const out = await readFlat(() => round.params.map((p) => tf.abs(p.variable)), round.params.map((p) => p.variable.size));
  round.progress(1, 1);
  return toFloat64(out);
};

/**
 * GraSP: θ ⊙ Hg with g = Σ_b ∇L_b (held fixed) and Hg from a central difference of gradients along g
 * (tfjs's second-order gradients are unreliable). The highest scores are kept, which is Synaptic-Flow's
 * convention (removing the top of −θ ⊙ Hg). θ is perturbed transiently and restored bit for bit.
 */
const scoreGrasp: Scorer = async (round) => {
  const vars = round.params.map((p) => p.variable);
  const sizes = vars.map((v) => v.size);
  const g = await sumOverBatches(round, (grad) => grad, 0, 3);
  const theta = await readFlat(() => vars, sizes);
  let gSquared = 0;
  let thetaMax = 0;
  g.forEach((gt, t) => gt.forEach((x, i) => { gSquared += x * x; thetaMax = Math.max(thetaMax, Math.abs(theta[t]![i]!)); }));
  const gNorm = Math.sqrt(gSquared);
  if (!(gNorm > 0 && Number.isFinite(gNorm))) return sizes.map((n) => new Float64Array(n)); // the caller warns
  const eps = (GRASP_STEP * Math.max(1, thetaMax)) / gNorm;
  const saved = vars.map((v) => tf.clone(v)); // shares v's buffer, so restoring is exact
  const moveTo = (sign: number) => vars.forEach((v, t) => {
    const next = tf.tensor(Float32Array.from(theta[t]!, (x, i) => x + sign * eps * g[t]![i]!), v.shape);
    v.assign(next);
    next.dispose();
  });
  let plus: Float64Array[];
  let minus: Float64Array[];
  try {
    moveTo(1);
    plus = await sumOverBatches(round, (grad) => grad, 1, 3);
    moveTo(-1);
    minus = await sumOverBatches(round, (grad) => grad, 2, 3);
  } finally {
    vars.forEach((v, t) => v.assign(saved[t]!));
    saved.forEach((s) => s.dispose());
  }
  return theta.map((th, t) => Float64Array.from(th, (x, i) => (x * (plus[t]![i]! - minus[t]![i]!)) / (2 * eps)));
};

/**
 * SynFlow (data-free): R = Σ over chains of 1ᵀ|W₁⊙M₁|…|Wₙ⊙Mₙ|1 with [in, out] matrices, and the score
 * |θ ⊙ ∂R/∂θ| = a ⊙ ∂R/∂a for a = |θ ⊙ m| (∂R/∂a ≥ 0). Prunable tensors in no chain score 0.
 */
const scoreSynflow: Scorer = async (round) => {
  const index = new Map(round.params.map((p, i) => [p.name, i]));
  const chains = round.chains.filter((c) => c.some((name) => index.has(name)));
  for (const name of chains.flat()) {
    const p = round.byName.get(name);
    if (!p || p.variable.rank !== 2) throw new Error(`SynFlow chain member ${name} is not a known matrix`);
  }
  const inChains = round.params.map((p) => chains.some((c) => c.includes(p.name)));
  const sizes = round.params.map((p) => p.variable.size);
  round.progress(1, 1);
  if (!inChains.some(Boolean)) return sizes.map((n) => new Float64Array(n));
  const out = await readFlat(() => {
    const abs = round.params.map((p) => tf.abs(tf.mul(p.variable, round.masks.get(p.name)!)));
    const leaves = abs.filter((_, i) => inChains[i]);
    const leafOf = new Map(round.params.filter((_, i) => inChains[i]).map((p, j) => [p.name, j]));
    const grads = tf.grads((...a: tf.Tensor[]) => {
      let r: tf.Tensor = tf.scalar(0);
      for (const chain of chains) {
        const first = round.byName.get(chain[0]!)!.variable;
        let v: tf.Tensor2D = tf.ones([1, first.shape[0]!]); // 1ᵀ, [1, in]
        for (const name of chain) {
          const j = leafOf.get(name);
          const w = j === undefined ? tf.abs(round.byName.get(name)!.variable) : a[j]!; // [in_k, out_k]
          v = tf.matMul(v, w as tf.Tensor2D); // [1, out_k]
        }
        r = tf.add(r, tf.sum(v));
      }
      return r as tf.Scalar;
    })(leaves);
    return abs.map((x, i) => (inChains[i] ? tf.mul(x, grads[leafOf.get(round.params[i]!.name)!]!) : tf.zerosLike(x)));
  }, sizes);
  return toFloat64(out);
};

/** The scorers by name. */
const SCORERS: Record<PrunerKind, Scorer> = { snip: scoreSnip, 'snip-abs': scoreSnipAbs, random: scoreRandom, magnitude: scoreMagnitude, grasp: scoreGrasp, synflow: scoreSynflow };

/** Kept fraction after each round; the last is exactly 1 − sparsity. */
export function scheduleDensities(sparsity: number, rounds: number, schedule: PruneSchedule): number[] {
  if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`sparsity must be in [0, 1), got ${sparsity}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, got ${rounds}`);
  return Array.from({ length: rounds }, (_, i) => {
    const r = i + 1;
    if (r === rounds) return 1 - sparsity;
    return schedule === 'exponential' ? (1 - sparsity) ** (r / rounds) : 1 - (sparsity * r) / rounds;
  });
}

/**
 * Keeps counts[g] entries of each group of tensors (global: one group; local: one per tensor), the
 * highest scores first. Ties at the cut go to the earlier tensor, then the lower index, so the count is
 * exact and the mask reproducible. Entries pruned before are never candidates. NaN scores count as 0.
 */
function selectTopK(scores: Float32Array[], groups: number[][], counts: number[], pruned: (Uint8Array | undefined)[]): { masks: Uint8Array[]; thresholds: number[] } {
  const masks = scores.map((s) => new Uint8Array(s.length));
  const live = (t: number, i: number) => !pruned[t] || pruned[t]![i] === 1;
  const value = (x: number) => (Number.isNaN(x) ? 0 : x + 0); // + 0 turns −0 into 0
  const thresholds = groups.map((group, g) => {
    let n = 0;
    for (const t of group) for (let i = 0; i < scores[t]!.length; i++) if (live(t, i)) n++;
    const candidates = new Float32Array(n);
    n = 0;
    for (const t of group) for (let i = 0; i < scores[t]!.length; i++) if (live(t, i)) candidates[n++] = value(scores[t]![i]!);
    const k = Math.min(Math.max(counts[g]!, 0), n);
    if (k === 0) return n === 0 ? NaN : Infinity;
    candidates.sort(); // ascending, numerically
    const cut = candidates[n - k]!; // the k-th largest score
    let ties = k;
    for (let j = n - k; j < n; j++) if (candidates[j]! > cut) ties--;
    for (const t of group) {
      for (let i = 0; i < scores[t]!.length; i++) {
        if (!live(t, i)) continue;
        const v = value(scores[t]![i]!);
        if (v > cut || (v === cut && ties-- > 0)) masks[t]![i] = 1;
      }
    }
    return cut;
  });
  return { masks, thresholds };
}

function scopeGroups(count: number, scope: PruneScope): number[][] {
  const all = Array.from({ length: count }, (_, t) => t);
  return scope === 'global' ? [all] : all.map((t) => [t]);
}

/** What a round keeps: a fraction of the entries, or (the last round) all but a sparsity's worth. */
export type KeepTarget = { density: number } | { sparsity: number };

/** Entries of n kept: round(d·n), or exactly n − round(s·n), since round((1 − s)·n) can differ by one at .5. */
function keptCount(n: number, keep: KeepTarget): number {
  return 'sparsity' in keep ? n - Math.round(keep.sparsity * n) : Math.round(keep.density * n);
}

/**
 * 0/1 masks keeping the highest scores, counted over all tensors (global) or per tensor (local), with
 * entries pruned before never kept; `threshold` is the lowest kept score (global) or NaN. Every round of
 * pruneAtInit selects with it.
 */
export function selectMasks(scores: ReadonlyMap<string, Float32Array>, keep: KeepTarget, scope: PruneScope, alreadyPruned?: ReadonlyMap<string, Uint8Array>): { masks: Map<string, Uint8Array>; threshold: number } {
  const fraction = 'sparsity' in keep ? keep.sparsity : keep.density;
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`${'sparsity' in keep ? 'sparsity' : 'density'} must be in [0, 1], got ${fraction}`);
  const names = [...scores.keys()];
  const arrays = names.map((n) => scores.get(n)!);
  const groups = scopeGroups(arrays.length, scope);
  const counts = groups.map((g) => keptCount(g.reduce((a, t) => a + arrays[t]!.length, 0), keep));
  const { masks, thresholds } = selectTopK(arrays, groups, counts, names.map((n) => alreadyPruned?.get(n)));
  return { masks: new Map(names.map((n, t) => [n, masks[t]!])), threshold: scope === 'global' ? (thresholds[0] ?? NaN) : NaN };
}

/** Zeroes pruned entries and non-finite scores, warns about tensors it cannot rank, normalises by |Σ|. */
function finishScores(raw: Float64Array[], params: AdapterParam[], masks: Uint8Array[], warn: (message: string) => void): Float32Array[] {
  let sum = 0;
  raw.forEach((scores, t) => {
    let bad = 0;
    let live = 0;
    let nonzero = 0;
    for (let i = 0; i < scores.length; i++) {
      if (!masks[t]![i]) { scores[i] = 0; continue; }
      live++;
      if (!Number.isFinite(scores[i])) { bad++; scores[i] = 0; }
      if (scores[i] !== 0) nonzero++;
      sum += scores[i]!;
    }
    const name = params[t]!.name;
    if (bad > 0) warn(`${name}: ${bad} non-finite score(s) were treated as 0.`);
    if (live > 0 && nonzero === 0) warn(`${name}: all scores are zero, so the pruner cannot rank this tensor; ties are broken by position.`);
  });
  // GraSP's scores can be negative: dividing by |Σ| keeps their order (as Synaptic-Flow does).
  const norm = Math.abs(sum) > 0 && Number.isFinite(sum) ? Math.abs(sum) : 1;
  return raw.map((scores) => Float32Array.from(scores, (x) => x / norm));
}

/** Scores the prunable adapter weights and prunes them to `options.sparsity` over `options.rounds` rounds. */
export async function pruneAtInit(ctx: PruneContext, options: PruneOptions): Promise<PruneResult> {
  const { pruner, sparsity, scope, rounds, schedule } = options;
  if (!PRUNER_KINDS.includes(pruner)) throw new Error(`unknown pruner ${String(pruner)}`);
  if (!Number.isInteger(options.scoringBatches) || options.scoringBatches < 1) throw new Error(`scoringBatches must be a positive integer, got ${options.scoringBatches}`);
  const densities = scheduleDensities(sparsity, rounds, schedule);
  const params = ctx.params.filter((p) => p.prunable);
  if ((pruner === 'snip' || pruner === 'snip-abs' || pruner === 'grasp') && params.some((p) => !p.variable.trainable)) {
    throw new Error(`${pruner} needs gradients, but ${params.find((p) => !p.variable.trainable)!.name} is not a trainable variable`);
  }
  const sizes = params.map((p) => p.variable.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const warnings: string[] = [];
  const warn = (message: string) => { if (!warnings.includes(message)) warnings.push(message); };
  if (params.length === 0) warn('No adapter parameter is prunable: nothing was pruned.');

  let masks: Uint8Array[] = sizes.map((n) => new Uint8Array(n).fill(1));
  let scores: Float32Array[] = sizes.map((n) => new Float32Array(n));
  let threshold = NaN;
  let snipOverlap: PruneResult['snipOverlap'];
  for (let r = 1; r <= rounds && params.length > 0; r++) {
    const maskTensors = new Map(params.map((p, t) => [p.name, tf.tensor(Float32Array.from(masks[t]!), p.variable.shape)]));
    const round: ScoringRound = {
      params, byName: new Map(ctx.params.map((p) => [p.name, p])), chains: ctx.chains, loss: ctx.loss, rng: ctx.rng,
      masks: maskTensors, batches: options.scoringBatches,
      progress: (batch, batches) => ctx.onProgress?.({ round: r, rounds, batch, batches }),
    };
    // The SNIP variants share one gradient pass; the one not chosen gives the overlap the result reports.
    let other: Float64Array[] | undefined;
    try {
      if (pruner === 'snip' || pruner === 'snip-abs') {
        const { signed, abs } = await snipSums(round);
        scores = finishScores(pruner === 'snip' ? signed : abs, params, masks, warn);
        other = pruner === 'snip' ? abs : signed;
      } else {
        scores = finishScores(await SCORERS[pruner](round), params, masks, warn);
      }
    } finally {
      maskTensors.forEach((m) => m.dispose());
    }
    // The last round removes exactly round(s·n) (see keptCount).
    const keep: KeepTarget = r === rounds ? { sparsity } : { density: densities[r - 1]! };
    const before = new Map(params.map((p, t) => [p.name, masks[t]!]));
    const selected = selectMasks(new Map(params.map((p, t) => [p.name, scores[t]!])), keep, scope, before);
    if (other && r === rounds) {
      const otherScores = finishScores(other, params, masks, () => {});
      const alt = selectMasks(new Map(params.map((p, t) => [p.name, otherScores[t]!])), keep, scope, before);
      let kept = 0;
      let both = 0;
      for (const p of params) {
        const a = selected.masks.get(p.name)!;
        const b = alt.masks.get(p.name)!;
        for (let i = 0; i < a.length; i++) if (a[i]) { kept++; if (b[i]) both++; }
      }
      snipOverlap = { other: pruner === 'snip' ? 'snip-abs' : 'snip', keptInBoth: both, agreement: kept > 0 ? both / kept : 1 };
    }
    masks = params.map((p) => selected.masks.get(p.name)!);
    threshold = selected.threshold;
    const kept = masks.reduce((a, m) => a + m.reduce((s, x) => s + x, 0), 0);
    ctx.onRound?.({ round: r, rounds, density: densities[r - 1]!, kept, total, masks: new Map(params.map((p, t) => [p.name, masks[t]!])) });
  }

  const density = params.map((p, t) => ({ name: p.name, layer: p.layer, role: p.role, kept: masks[t]!.reduce((s, x) => s + x, 0), total: sizes[t]! }));
  return {
    masks: new Map(params.map((p, t) => [p.name, tf.tensor(Float32Array.from(masks[t]!), p.variable.shape)])),
    scores: new Map(params.map((p, t) => [p.name, scores[t]!])),
    threshold,
    kept: density.reduce((a, d) => a + d.kept, 0),
    total,
    density,
    warnings,
    ...(snipOverlap && { snipOverlap }),
  };
}

/** A histogram of log10 of the positive scores (zeros and negatives counted apart), with the threshold's bin. */
export function scoreHistogram(scores: ReadonlyMap<string, Float32Array>, bins: number, threshold?: number): { edges: number[]; counts: number[]; thresholdBin: number | null; zeros: number; negatives: number } {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
  const logs: number[] = [];
  let zeros = 0;
  let negatives = 0;
  for (const array of scores.values()) {
    for (const x of array) {
      if (x > 0 && Number.isFinite(x)) logs.push(Math.log10(x));
      else if (x === 0) zeros++;
      else if (x < 0) negatives++;
    }
  }
  let lo = logs.length > 0 ? Infinity : 0;
  let hi = logs.length > 0 ? -Infinity : 0;
  for (const v of logs) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (hi - lo === 0) { lo -= 0.5; hi += 0.5; } // one distinct value (or none): a unit-wide range around it
  const width = (hi - lo) / bins;
  const binOf = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
  const counts = new Array<number>(bins).fill(0);
  for (const v of logs) counts[binOf(v)]!++;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const thresholdBin = threshold !== undefined && threshold > 0 && Number.isFinite(threshold) ? binOf(Math.log10(threshold)) : null;
  return { edges, counts, thresholdBin, zeros, negatives };
}
