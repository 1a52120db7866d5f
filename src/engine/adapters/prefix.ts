// Li & Liang 2021: P learned keys and values per layer, produced by an MLP (tanh) from a P×H embedding
// and put in front of the attention's own keys and values. The MLP runs once per forward pass and
// serves every layer. Pruning the MLP is this project's extension (prunePrefix), off by default.
import type { Tensor2D } from '@tensorflow/tfjs';
import type { EncoderHooks } from '../bert';
import type { AdapterOptions } from '../settings';
import type { AdapterShape, AdapterSpec, HookContext, ParamDecl } from './spec';

/** The prefix embedding and MLP (MAM reuses them). */
export function prefixParams(shape: AdapterShape, o: AdapterOptions): ParamDecl[] {
  const H = shape.hiddenSize;
  const P = o.dim;
  const hidden = o.prefixHidden;
  const out = shape.numLayers * 2 * H; // keys and values for every layer
  const mlp = o.prunePrefix;
  const base = { layer: null, module: 'prefix' } as const;
  return [
    { ...base, name: 'prefix.embedding', shape: [P, H], role: 'prefix_embedding', prunable: false, decays: false, init: 'normal' },
    { ...base, name: 'prefix.mlp.0.weight', shape: [H, hidden], role: 'prefix_mlp', prunable: mlp, decays: true, init: 'normal' },
    { ...base, name: 'prefix.mlp.0.bias', shape: [hidden], role: 'prefix_mlp_bias', prunable: mlp && o.pruneBiases, decays: false, init: 'zeros' },
    { ...base, name: 'prefix.mlp.2.weight', shape: [hidden, out], role: 'prefix_mlp', prunable: mlp, decays: true, init: 'normal' },
    { ...base, name: 'prefix.mlp.2.bias', shape: [out], role: 'prefix_mlp_bias', prunable: mlp && o.pruneBiases, decays: false, init: 'zeros' },
  ];
}

export const PREFIX_CHAIN = ['prefix.mlp.0.weight', 'prefix.mlp.2.weight'];

/** The prefix hook: the MLP's output split into each layer's keys and values, computed on first use. */
export function prefixHook({ tf, w, bias, matMul, shape }: HookContext): NonNullable<EncoderHooks['prefix']> {
  let prefixes: Tensor2D[] | null = null;
  return (layer) => {
    if (!prefixes) {
      const h1 = tf.tanh<Tensor2D>(tf.add(matMul(w('prefix.embedding'), w('prefix.mlp.0.weight')), bias('prefix.mlp.0.bias'))); // [P, hidden]
      const all = tf.add(matMul(h1, w('prefix.mlp.2.weight')), bias('prefix.mlp.2.bias')); // [P, L·2·H]
      prefixes = tf.split(all, shape.numLayers * 2, 1) as Tensor2D[]; // 2L × [P, H]
    }
    return { key: prefixes[2 * layer]!, value: prefixes[2 * layer + 1]! };
  };
}

export const prefix: AdapterSpec = {
  kind: 'prefix',
  title: 'Prefix-tuning',
  dimLabel: 'Prefix length',
  defaults: { dim: 16, nonlinearity: 'relu' },
  uses: ['prefixHidden', 'prunePrefix', 'pruneBiases'],
  params: prefixParams,
  chains: () => [PREFIX_CHAIN],
  hooks: (ctx) => ({ prefix: prefixHook(ctx) }),
  scaled: () => [{ key: 'prefixHidden', label: 'prefix MLP width', tag: 'w' }],
  largeSparseBlocked: (o) => (o.prunePrefix ? null : 'Large-Sparse for prefix-tuning needs a prunable prefix MLP (turn on prunePrefix)'),
  exportTarget: { library: null, reason: 'prefix adapters have no AdapterHub or PEFT export here (only Houlsby, Pfeiffer and parallel → AdapterHub, LoRA → PEFT)' },
};
