// The masked adapter bottleneck, y = skip + s·(f(x·(W_d ⊙ M_d) + b_d ⊙ m_d)·(W_u ⊙ M_u) + b_u ⊙ m_u),
// as two WebGPU dispatches forward and six backward (tf.customGrad around programs run through the
// backend's runWebGPUProgram), instead of tfjs's chain of about nine ops forward and fifteen backward
// (the masks' multiplies, two products, two bias adds, the non-linearity, the scale and the skip add,
// and their gradients). The masks are applied inside the products: W ⊙ M is never materialised, and
// every weight gradient leaves the program already multiplied by its mask, so a pruned entry gets an
// exact 0 (AdamW then keeps it at 0). The masks, the non-linearity f (relu, gelu, tanh, swish, each as
// tfjs computes it and differentiates ops.ts's composition) and the scale s are constants of the op.
//
// Forward: (1) `down` writes the pre-activation P = x·W_d' + b_d' and the activation A = f(P) into one
// [2, N, d] tensor (one thread per (row, unit); the backward needs P, the up-projection A); (2) `up`
// gives y = skip + s·(A·W_u' + b_u') with skip the op's input itself (Houlsby), another tensor
// (Pfeiffer, parallel) or none. Backward from dy, with g = s·dy: (3) dP = f'(P) ⊙ (g·W_u'ᵀ);
// (4) dW_u = (Aᵀ·g) ⊙ M_u; (5) db_u = Σ_rows g ⊙ m_u; (6) dW_d = (xᵀ·dP) ⊙ M_d; (7) db_d = Σ_rows dP ⊙ m_d;
// (8) dx = dP·W_d'ᵀ (+ dy when the skip is x). The skip's own gradient, when it is another tensor, is
// dy itself (a second handle, no copy). Each product is a plain loop over the reduced axis, one output
// element per thread, summed in ascending order like tfjs's cpu products.
// Called by ops.ts's `adapterBottleneck` when the fused kernels are active (program.ts).
import * as tf from '@tensorflow/tfjs';
import type { Nonlinearity } from '../settings';
import { ERF_WGSL } from './gelu';
import { flatDispatch, flatLayout, runProgram, type EngineProgram } from './program';

/** The four tensors of a bottleneck, each with its 0/1 mask where it has one (same shape, float32). */
export interface BottleneckTensors {
  down: tf.Tensor2D; // [H, d]
  downBias: tf.Tensor1D; // [d]
  up: tf.Tensor2D; // [d, H]
  upBias: tf.Tensor1D; // [H]
  masks: { down?: tf.Tensor; downBias?: tf.Tensor; up?: tf.Tensor; upBias?: tf.Tensor };
}

/** What is added around the bottleneck: the skip (x itself, another [N, H] tensor, or nothing) and the scale s. */
export interface BottleneckExtras {
  skip?: tf.Tensor2D;
  scale?: number;
}

type MaskKey = keyof BottleneckTensors['masks'];
type Skip = 'none' | 'input' | 'other';
type Kind = 'down' | 'up' | 'dP' | 'dUp' | 'dUpBias' | 'dDown' | 'dDownBias' | 'dX';

const THREADS = 64;

/** f and f' (the latter as tfjs differentiates ops.ts's composition, times the upstream gradient `u`), in WGSL. */
function activationWgsl(f: Nonlinearity): string {
  switch (f) {
    case 'relu':
      return `
        fn act(p : f32) -> f32 { return select(p, 0.0, p < 0.0); }
        fn actGrad(p : f32, u : f32) -> f32 { return u * select(0.0, 1.0, p > 0.0); }`;
    case 'tanh':
      return `
        fn act(p : f32) -> f32 { let e2x = exp(-2.0 * abs(p)); return sign(p) * (1.0 - e2x) / (1.0 + e2x); }
        fn actGrad(p : f32, u : f32) -> f32 { let y = act(p); return (1.0 - y * y) * u; }`;
    case 'swish':
      // x·σ(x): d = u·σ + (u·x)·(σ·(1 − σ)), the product rule and tfjs's sigmoid gradient.
      return `
        fn sigmoid(p : f32) -> f32 { return 1.0 / (1.0 + exp(-1.0 * p)); }
        fn act(p : f32) -> f32 { return p * sigmoid(p); }
        fn actGrad(p : f32, u : f32) -> f32 { let s = sigmoid(p); return u * s + (u * p) * (s * (1.0 - s)); }`;
    case 'gelu':
      // As gpu/gelu.ts: (x·0.5)·(1 + erf(x·√½)) and its derivative.
      return `${ERF_WGSL}
        fn act(p : f32) -> f32 { return (p * 0.5) * (1.0 + erfApprox(p * ${Math.SQRT1_2})); }
        fn actGrad(p : f32, u : f32) -> f32 {
          let v = p * ${Math.SQRT1_2};
          return u * (0.5 * (1.0 + erfApprox(v)) + (p * 0.5) * (${2 / Math.sqrt(Math.PI)} * exp(-v * v)) * ${Math.SQRT1_2});
        }`;
  }
}

/** The inputs each program reads, by WGSL name (the preamble declares each as a storage array of that name). */
function inputsOf(kind: Kind, masked: ReadonlySet<MaskKey>, skip: Skip): string[] {
  const m = (key: MaskKey, name: string) => (masked.has(key) ? [name] : []);
  switch (kind) {
    case 'down': return ['X', 'WD', 'BD', ...m('down', 'MWD'), ...m('downBias', 'MBD')];
    case 'up': return ['Z', 'WU', 'BU', ...m('up', 'MWU'), ...m('upBias', 'MBU'), ...(skip === 'other' ? ['S'] : skip === 'input' ? ['X'] : [])];
    case 'dP': return ['Z', 'WU', 'DY', ...m('up', 'MWU')];
    case 'dUp': return ['Z', 'DY', ...m('up', 'MWU')];
    case 'dUpBias': return ['DY', ...m('upBias', 'MBU')];
    case 'dDown': return ['X', 'DP', ...m('down', 'MWD')];
    case 'dDownBias': return ['DP', ...m('downBias', 'MBD')];
    case 'dX': return ['WD', 'DP', ...m('down', 'MWD'), ...(skip === 'input' ? ['DY'] : [])];
  }
}

/** One stage of the bottleneck, one thread per output element; sizes come in as uniforms (one pipeline per variant). */
class BottleneckProgram implements EngineProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  size = true;
  uniforms = 'n : i32, h : i32, d : i32, scale : f32,';
  constructor(private readonly kind: Kind, private readonly f: Nonlinearity, private readonly masked: ReadonlySet<MaskKey>, private readonly skip: Skip, private readonly scaled: boolean, n: number, h: number, d: number) {
    this.variableNames = inputsOf(kind, masked, skip);
    this.outputShape = { down: [2, n, d], up: [n, h], dP: [n, d], dUp: [d, h], dUpBias: [h], dDown: [h, d], dDownBias: [d], dX: [n, h] }[kind];
    this.dispatchLayout = flatLayout(this.outputShape);
    this.dispatch = flatDispatch(kind === 'down' ? [n, d] : this.outputShape, THREADS); // `down` writes two entries per thread
    this.shaderKey = `engineBottleneck_${kind}_${f}_${[...masked].sort().join('+') || 'dense'}_${skip}_${scaled ? 'scaled' : 'plain'}`;
  }
  getUserCode(): string {
    const has = (key: MaskKey) => this.masked.has(key);
    // Masked reads: W ⊙ M entry by entry, never materialised.
    const helpers = `
      fn wd(i : i32) -> f32 { return ${has('down') ? 'WD[i] * MWD[i]' : 'WD[i]'}; }
      fn bd(i : i32) -> f32 { return ${has('downBias') ? 'BD[i] * MBD[i]' : 'BD[i]'}; }
      fn wu(i : i32) -> f32 { return ${has('up') ? 'WU[i] * MWU[i]' : 'WU[i]'}; }
      fn bu(i : i32) -> f32 { return ${has('upBias') ? 'BU[i] * MBU[i]' : 'BU[i]'}; }
      fn g(i : i32) -> f32 { return ${this.scaled ? 'DY[i] * uniforms.scale' : 'DY[i]'}; }`;
    const used = new Set(this.variableNames);
    // Only the helpers whose arrays this program binds (WGSL rejects names it has not declared).
    const needs: Record<string, string[]> = { wd: ['WD'], bd: ['BD'], wu: ['WU'], bu: ['BU'], g: ['DY'] };
    const kept = helpers.split('\n').filter((line) => {
      const name = /fn (\w+)\(/.exec(line)?.[1];
      return !name || needs[name]!.every((v) => used.has(v));
    }).join('\n');
    const body = {
      down: `
        let total = n * d;
        if (index < total) {
          let row = index / d;
          let j = index - row * d;
          var acc = 0.0;
          for (var k = 0; k < h; k = k + 1) { acc = acc + X[row * h + k] * wd(k * d + j); }
          let p = acc + bd(j);
          setOutputAtIndex(index, p);
          setOutputAtIndex(total + index, act(p));
        }`,
      up: `
        if (index < uniforms.size) {
          let row = index / h;
          let c = index - row * h;
          let a = n * d + row * d; // the activations, after the pre-activations in Z
          var acc = 0.0;
          for (var j = 0; j < d; j = j + 1) { acc = acc + Z[a + j] * wu(j * h + c); }
          var y = acc + bu(c);
          ${this.scaled ? 'y = y * uniforms.scale;' : ''}
          ${this.skip === 'other' ? 'y = S[index] + y;' : this.skip === 'input' ? 'y = X[index] + y;' : ''}
          setOutputAtIndex(index, y);
        }`,
      dP: `
        if (index < uniforms.size) {
          let row = index / d;
          let j = index - row * d;
          var acc = 0.0;
          for (var c = 0; c < h; c = c + 1) { acc = acc + g(row * h + c) * wu(j * h + c); }
          setOutputAtIndex(index, actGrad(Z[index], acc));
        }`,
      dUp: `
        if (index < uniforms.size) {
          let j = index / h;
          let c = index - j * h;
          var acc = 0.0;
          for (var r = 0; r < n; r = r + 1) { acc = acc + Z[n * d + r * d + j] * g(r * h + c); }
          setOutputAtIndex(index, ${has('up') ? 'acc * MWU[index]' : 'acc'});
        }`,
      dUpBias: `
        if (index < uniforms.size) {
          var acc = 0.0;
          for (var r = 0; r < n; r = r + 1) { acc = acc + g(r * h + index); }
          setOutputAtIndex(index, ${has('upBias') ? 'acc * MBU[index]' : 'acc'});
        }`,
      dDown: `
        if (index < uniforms.size) {
          let k = index / d;
          let j = index - k * d;
          var acc = 0.0;
          for (var r = 0; r < n; r = r + 1) { acc = acc + X[r * h + k] * DP[r * d + j]; }
          setOutputAtIndex(index, ${has('down') ? 'acc * MWD[index]' : 'acc'});
        }`,
      dDownBias: `
        if (index < uniforms.size) {
          var acc = 0.0;
          for (var r = 0; r < n; r = r + 1) { acc = acc + DP[r * d + index]; }
          setOutputAtIndex(index, ${has('downBias') ? 'acc * MBD[index]' : 'acc'});
        }`,
      dX: `
        if (index < uniforms.size) {
          let row = index / h;
          let k = index - row * h;
          var acc = 0.0;
          for (var j = 0; j < d; j = j + 1) { acc = acc + DP[row * d + j] * wd(k * d + j); }
          setOutputAtIndex(index, ${this.skip === 'input' ? 'DY[index] + acc' : 'acc'});
        }`,
    }[this.kind];
    const activation = this.kind === 'down' || this.kind === 'dP' ? activationWgsl(this.f) : '';
    return `${activation}
      ${kept}
      fn main(index : i32) {
        let n = uniforms.n;
        let h = uniforms.h;
        let d = uniforms.d;
        ${body}
      }`;
  }
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Whether the bottleneck can run fused: float32 x [N, H] and tensors of a [H, d]/[d, H] bottleneck, masks of their shapes, a skip of x's. */
export function fusedBottleneckApplies(x: tf.Tensor, t: BottleneckTensors, extras: BottleneckExtras = {}): boolean {
  if (x.rank !== 2 || x.dtype !== 'float32' || x.size === 0) return false;
  const [, h] = x.shape as [number, number];
  const d = t.down.shape[1] ?? 0;
  const shapes = { down: [h, d], downBias: [d], up: [d, h], upBias: [h] } as const;
  for (const key of Object.keys(shapes) as MaskKey[]) {
    const tensor = t[key];
    if (tensor.dtype !== 'float32' || !same(tensor.shape, shapes[key])) return false;
    const mask = t.masks[key];
    if (mask && (mask.dtype !== 'float32' || !same(mask.shape, shapes[key]))) return false;
  }
  if (extras.skip && (extras.skip.dtype !== 'float32' || !same(extras.skip.shape, x.shape))) return false;
  return d > 0 && (extras.scale === undefined || Number.isFinite(extras.scale));
}

/**
 * The masked bottleneck with its skip and scale in two dispatches forward and six backward, on the
 * webgpu backend (ops.ts decides when). Gradients go to x, the four tensors and a separate skip.
 */
export function fusedBottleneck(x: tf.Tensor2D, t: BottleneckTensors, f: Nonlinearity, extras: BottleneckExtras = {}): tf.Tensor2D {
  const [n, h] = x.shape;
  const d = t.down.shape[1];
  const masked = new Set((Object.keys(t.masks) as MaskKey[]).filter((k) => t.masks[k] !== undefined));
  const skip: Skip = extras.skip === undefined ? 'none' : extras.skip === x ? 'input' : 'other';
  const scaled = extras.scale !== undefined;
  const uniforms = [{ type: 'int32' as const, data: [n] }, { type: 'int32' as const, data: [h] }, { type: 'int32' as const, data: [d] }, { type: 'float32' as const, data: [extras.scale ?? 1] }];
  const run = (kind: Kind, inputs: Record<string, tf.Tensor | undefined>) => {
    const program = new BottleneckProgram(kind, f, masked, skip, scaled, n, h, d);
    return runProgram(program, program.variableNames.map((name) => inputs[name]!), uniforms);
  };
  const { down: mwd, downBias: mbd, up: mwu, upBias: mbu } = t.masks;
  const inputs: tf.Tensor[] = [x, t.down, t.downBias, t.up, t.upBias, ...(skip === 'other' ? [extras.skip!] : [])];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [sx, wd, bd, wu, bu] = args as tf.Tensor[];
    const s = skip === 'other' ? (args[5] as tf.Tensor) : undefined;
    const save = args[inputs.length] as tf.GradSaveFunc;
    const z = run('down', { X: sx, WD: wd, BD: bd, MWD: mwd, MBD: mbd }); // [2, N, d]: P, then f(P)
    save([sx!, wd!, wu!, z]);
    return {
      value: run('up', { Z: z, WU: wu, BU: bu, MWU: mwu, MBU: mbu, S: s, X: sx }),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [X, WD, WU, Z] = saved;
        const DY = dy as tf.Tensor;
        const DP = run('dP', { Z, WU, DY, MWU: mwu }); // [N, d]
        const grads = [
          run('dX', { WD, DP, MWD: mwd, DY }),
          run('dDown', { X, DP, MWD: mwd }),
          run('dDownBias', { DP, MBD: mbd }),
          run('dUp', { Z, DY, MWU: mwu }),
          run('dUpBias', { DY, MBU: mbu }),
          ...(skip === 'other' ? [tf.clone(DY)] : []),
        ];
        DP.dispose();
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor2D;
}
