// AdamW with decoupled weight decay (Loshchilov & Hutter, as torch.optim.AdamW and Hugging Face
// compute it), a linear warmup + linear decay schedule, and clipping by the global gradient norm.
// Written by hand because tfjs's Adam has no decoupled decay. A masked weight whose gradient is
// always zero keeps m = v = 0, so its update is exactly 0 and its decay is 0 × w: it stays exactly 0.
// On tfjs's webgpu backend the update runs as two fused dispatches for all tensors together
// (gpu/adamw.ts), with the clipping inside; elsewhere it is the tfjs ops below, unchanged.
import * as tf from '@tensorflow/tfjs';
import { createFusedAdamW, fusedAdamWSupported, type FusedAdamW } from './gpu/adamw';
import { fusedKernelsEnabled } from './gpu/switch';

/** Optimizer settings; `decay(name)` says which parameters get weight decay (weights, not biases). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  decay: (name: string) => boolean;
}

/** What AdamW remembers, as plain arrays: the step count and both moments of every variable. */
export interface AdamWState {
  t: number;
  moments: Record<string, { m: Float32Array; v: Float32Array }>;
}

/** Optimizer state for a set of named variables. */
export interface AdamW {
  /**
   * Applies one update with learning rate `lr`; gradients by variable name. With `maxGradNorm` the
   * gradients are first clipped by their global norm (as `clipByGlobalNorm`); gradients that
   * `clipByGlobalNorm` returned on the fused path carry their clipping with them.
   */
  step(grads: Record<string, tf.Tensor>, lr: number, maxGradNorm?: number): void;
  /** A copy of the state (reads the moments back from the backend). */
  state(): Promise<AdamWState>;
  dispose(): void;
  /** Number of steps taken. */
  readonly t: number;
  /** Whether the update runs as the fused WebGPU kernel (gpu/adamw.ts) rather than tfjs ops. */
  readonly fused: boolean;
}

/** Whether a new optimizer would use the fused WebGPU kernel now. */
function useFused(): boolean {
  return fusedKernelsEnabled() && fusedAdamWSupported();
}

/**
 * Gradients that `clipByGlobalNorm` handed back unclipped on the fused path, with the norm they are
 * to be clipped to: the fused optimizer clips them inside its kernel, any other optimizer first.
 */
const deferredClips = new WeakMap<Record<string, tf.Tensor>, number>();

/** Creates AdamW over `variables` (name → variable), fresh or from a saved `state` (which must cover every variable). */
export function createAdamW(variables: ReadonlyMap<string, tf.Variable>, options: AdamWOptions, state?: AdamWState): AdamW {
  for (const [name, variable] of variables) {
    const saved = state?.moments[name];
    if (state && !saved) throw new Error(`the optimizer state has no moments for ${name}`);
    if (saved && (saved.m.length !== variable.size || saved.v.length !== variable.size)) throw new Error(`the optimizer state's moments for ${name} have ${saved.m.length} entries where ${variable.size} are expected`);
  }
  if (useFused()) return fusedAdamW(variables, options, state);
  const moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  for (const [name, variable] of variables) {
    const saved = state?.moments[name];
    // Under tidy, the tensors the variables start from are freed (the variables keep their own reference).
    moments.set(name, tf.tidy(() => ({
      m: tf.variable(saved ? tf.tensor(saved.m, variable.shape) : tf.zerosLike(variable), false),
      v: tf.variable(saved ? tf.tensor(saved.v, variable.shape) : tf.zerosLike(variable), false),
    })));
  }
  let t = state?.t ?? 0;
  return {
    get t() {
      return t;
    },
    fused: false,
    async state() {
      const out: AdamWState = { t, moments: {} };
      for (const [name, { m, v }] of moments) out.moments[name] = { m: (await m.data()) as Float32Array, v: (await v.data()) as Float32Array };
      return out;
    },
    step(given, lr, maxGradNorm) {
      const clipTo = maxGradNorm ?? deferredClips.get(given);
      const clipped = clipTo === undefined ? null : clipByGlobalNormNow(given, clipTo);
      const grads = clipped?.grads ?? given;
      t += 1;
      const { beta1, beta2, epsilon, weightDecay } = options;
      const stepSize = lr / (1 - beta1 ** t); // bias corrections folded in as torch does
      const correction2 = Math.sqrt(1 - beta2 ** t);
      tf.tidy(() => {
        for (const [name, variable] of variables) {
          const g = grads[name];
          if (!g) continue; // a variable the loss does not reach is left alone
          const { m, v } = moments.get(name)!;
          m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
          v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
          const denominator = tf.add(tf.div(tf.sqrt(v), correction2), epsilon);
          // Decay first, on the pre-update weight, exactly like torch.optim.AdamW.
          const decayed = weightDecay > 0 && options.decay(name) ? tf.mul(variable, 1 - lr * weightDecay) : variable;
          variable.assign(tf.sub(decayed, tf.mul(tf.div(m, denominator), stepSize)));
        }
      });
      if (clipped) tf.dispose([...Object.values(clipped.grads), clipped.norm]);
    },
    dispose() {
      for (const { m, v } of moments.values()) tf.dispose([m, v]);
      moments.clear();
    },
  };
}

/**
 * The learning rate of the optimizer step with 0-based index `step`: Hugging Face's
 * `get_linear_schedule_with_warmup`, as the paper's code uses it: step 0 runs at 0, the rate rises
 * linearly to `peak` at `warmupSteps`, then falls linearly to 0 at `totalSteps`.
 */
export function linearSchedule(step: number, totalSteps: number, warmupSteps: number, peak: number): number {
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  return peak * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** Warmup steps for a ratio, as the Hugging Face trainer counts them: ceil(ratio × steps). */
export function warmupSteps(ratio: number, totalSteps: number): number {
  return Math.ceil(ratio * totalSteps);
}

/** AdamW as the fused WebGPU kernel: same interface, same state layout. */
function fusedAdamW(variables: ReadonlyMap<string, tf.Variable>, options: AdamWOptions, state?: AdamWState): AdamW {
  let kernel: FusedAdamW | null = createFusedAdamW(variables, options, state?.moments);
  let t = state?.t ?? 0;
  return {
    get t() {
      return t;
    },
    fused: true,
    async state() {
      if (!kernel) throw new Error('the optimizer was disposed');
      return { t, moments: await kernel.moments() };
    },
    step(grads, lr, maxGradNorm) {
      if (!kernel) throw new Error('the optimizer was disposed');
      t += 1;
      kernel.step(grads, lr, t, maxGradNorm ?? deferredClips.get(grads) ?? null);
    },
    dispose() {
      kernel?.dispose();
      kernel = null;
    },
  };
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm; returns the new gradients and the norm (a scalar tensor).
 * When the fused WebGPU optimizer is in use, the gradients come back as they are, marked to be clipped inside
 * the optimizer's kernel (which saves two ops per tensor); `norm` is then computed only when read.
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  if (useFused()) {
    const marked = { ...grads };
    deferredClips.set(marked, maxNorm);
    return {
      grads: marked,
      get norm() {
        return globalNorm(grads);
      },
    };
  }
  return clipByGlobalNormNow(grads, maxNorm);
}

/** The global L2 norm of the gradients (a scalar tensor). */
function globalNorm(grads: Record<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.sqrt(Object.values(grads).map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))) as tf.Scalar);
}

function clipByGlobalNormNow(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    // Pairwise adds, not tf.addN: tfjs's WebGPU addN binds every input at once and fails validation
    // past the device's limit of storage buffers per shader stage (8 by default).
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.reduce((a, b) => tf.add(a, b))) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    const clipped: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
    return { grads: clipped, norm };
  });
}
