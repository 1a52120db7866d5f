// Hu et al. 2021: x·A·B·(alpha/r) added to the query and value projections of every layer. Under the
// `standard` init B starts at zero (then SNIP scores of A are all zero: the pruner reports it).
import { layers, type AdapterSpec, type ParamDecl } from './spec';

/** The projections LoRA adapts (PEFT's default target_modules for BERT). */
export const LORA_TARGETS = ['query', 'value'] as const;

export const lora: AdapterSpec = {
  kind: 'lora',
  title: 'LoRA',
  dimLabel: 'Rank',
  defaults: { dim: 8, nonlinearity: 'relu' },
  uses: ['init', 'loraAlpha'],
  params: (shape, o) => layers(shape).flatMap((layer) => LORA_TARGETS.flatMap((which): ParamDecl[] => [
    { name: `layer.${layer}.lora_${which}.A`, shape: [shape.hiddenSize, o.dim], layer, module: which, role: 'lora_A', prunable: true, decays: true, init: 'normal' },
    { name: `layer.${layer}.lora_${which}.B`, shape: [o.dim, shape.hiddenSize], layer, module: which, role: 'lora_B', prunable: true, decays: true, init: o.init === 'standard' ? 'zeros' : 'normal' },
  ])),
  chains: (shape) => layers(shape).flatMap((layer) => LORA_TARGETS.map((which) => [`layer.${layer}.lora_${which}.A`, `layer.${layer}.lora_${which}.B`])),
  hooks: ({ tf, w, matMul, options }) => {
    const scale = options.loraAlpha / options.dim;
    return {
      projection: (layer, which, x, y) => {
        if (which === 'key') return y;
        const product = matMul(matMul(x, w(`layer.${layer}.lora_${which}.A`)), w(`layer.${layer}.lora_${which}.B`)); // [N, r] → [N, H]
        return tf.add(y, tf.mul(product, scale));
      },
    };
  },
  scaled: () => [{ key: 'dim', label: 'rank', tag: 'r' }],
  largeSparseBlocked: () => null,
  exportTarget: { library: 'peft', targetModules: [...LORA_TARGETS] },
};
