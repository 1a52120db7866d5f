// Seeded pseudo-random numbers, so that initialisation, data order and pruning are reproducible
// from a seed on every backend (tfjs's own seeded ops differ between backends). A run draws from
// one independent stream per purpose, each derived from the run's seed (as JAX's `random.split` or
// NumPy's `SeedSequence.spawn` do), so that changing one part of a configuration (a wider adapter)
// does not reshuffle the others (the batches, the head): two runs that differ only in the adapter
// are paired. A stream's state is one 32-bit number: it can be saved and restored exactly.

/** A uniform generator on [0, 1) whose state can be read (and a new generator restored from it). */
export interface Rng {
  (): number;
  /** The generator's state: `createRng(0, rng.state())` continues exactly where this one is. */
  state(): number;
}

/** A 32-bit generator (mulberry32); `state`, when given, restores a saved generator instead of seeding. */
export function createRng(seed: number, state?: number): Rng {
  let s = (state ?? seed) >>> 0;
  const next = (() => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.state = () => s;
  return next;
}

/** The purposes a training run draws random numbers for, one stream each. */
export const RANDOM_STREAMS = ['data', 'head', 'adapter', 'prune'] as const;
export type RandomStream = (typeof RANDOM_STREAMS)[number];

/** 32-bit FNV-1a of a string: fixed, so derived seeds never change between builds. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/** The seed of `purpose`'s stream for a run seeded with `seed`: a hash of both, mixed (murmur3's finaliser). */
export function deriveSeed(seed: number, purpose: string): number {
  let h = (fnv1a(purpose) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** One generator per purpose for a run; `states` (from `streamStates`) restores saved ones. */
export function createStreams(seed: number, states?: Readonly<Record<RandomStream, number>>): Record<RandomStream, Rng> {
  return Object.fromEntries(RANDOM_STREAMS.map((name) => [name, createRng(deriveSeed(seed, name), states?.[name])])) as Record<RandomStream, Rng>;
}

/** The states of a run's streams, to save. */
export function streamStates(streams: Readonly<Record<RandomStream, Rng>>): Record<RandomStream, number> {
  return Object.fromEntries(RANDOM_STREAMS.map((name) => [name, streams[name].state()])) as Record<RandomStream, number>;
}

/** Standard normal samples by Box–Muller, scaled by std. */
export function normalArray(rng: () => number, length: number, std = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const u1 = Math.max(rng(), 1e-12);
    const u2 = rng();
    const radius = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < length) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
