// The adapter zoo: trainable modules on the frozen encoder, each placed through bert.ts's hooks.
// Conventions follow AdapterHub's `adapters` library and He et al. 2022 ("Towards a Unified View"):
// - Houlsby: a bottleneck after the attention output and after the feed-forward output of every layer,
//   with its own skip connection, before the layer's residual + LayerNorm.
// - Pfeiffer: one bottleneck after the feed-forward block, on the LayerNorm-ed output (original_ln_before).
// - LoRA: x·A·B·(alpha/r) added to the query and value projections.
// - Parallel: s·up(f(down(x))) computed from the feed-forward block's input, added beside it.
// - Prefix-tuning: P learned keys and values per layer, produced by an MLP from a P×H embedding.
// - MAM: prefix-tuning on attention + a parallel adapter on the feed-forward block.
// Weights are tf.Variables in [in, out] layout; a mask (0/1, same shape) multiplies a weight wherever
// it is used, so pruned entries get no gradient and contribute nothing.
import * as tf from '@tensorflow/tfjs';
import type { BertConfig, EncoderHooks } from './bert';
import { matMul2d } from './dense';
import { gelu } from './ops';
import { normalArray } from './random';
import type { AdapterOptions, Nonlinearity } from './settings';

export { ADAPTER_KINDS, NONLINEARITIES, defaultAdapterOptions, type AdapterInit, type AdapterKind, type AdapterOptions, type Nonlinearity } from './settings';

/** One trainable tensor with what the pruner, the budget and the charts need to know about it. */
export interface AdapterParam {
  name: string;
  variable: tf.Variable;
  /** Whether the pruner may remove entries of this tensor. */
  prunable: boolean;
  /** The encoder layer it belongs to, or null (prefix embedding, shared MLP). */
  layer: number | null;
  /** The tensor's role within its module, for charts: down, up, lora_A, lora_B, prefix_mlp, … */
  role: string;
}

/** The built adapters: their parameters, and the hooks that run them given the current masks. */
export interface Adapters {
  options: AdapterOptions;
  params: AdapterParam[];
  /**
   * The weight matrices that are applied one after the other, as name chains ([down, up], [A, B],
   * [mlp.0, mlp.2]): SynFlow's data-free objective is the sum over chains of 1ᵀ|W₁||W₂|1.
   */
  chains: string[][];
  hooks(masks: ReadonlyMap<string, tf.Tensor>): EncoderHooks;
}

function activate(x: tf.Tensor, f: Nonlinearity): tf.Tensor {
  switch (f) {
    case 'relu': return tf.relu(x);
    case 'gelu': return gelu(x);
    case 'tanh': return tf.tanh(x);
    case 'swish': return tf.mul(x, tf.sigmoid(x));
  }
}

/** Builds the adapters for a model with `config`; `rng` makes the initialisation reproducible. */
export function createAdapters(config: BertConfig, options: AdapterOptions, rng: () => number): Adapters {
  if (!Number.isInteger(options.dim) || options.dim < 1) throw new Error(`adapter dimension must be a positive integer, got ${options.dim}`);
  const H = config.hiddenSize;
  const params: AdapterParam[] = [];
  const add = (name: string, shape: number[], values: Float32Array, meta: Omit<AdapterParam, 'name' | 'variable'>) => {
    // tfjs variable names are global; leave them generated so several runs can coexist.
    const initial = tf.tensor(values, shape);
    const variable = tf.variable(initial, true);
    initial.dispose(); // the variable holds its own reference to the data

    params.push({ name, variable, ...meta });
    return name;
  };
  const normal = (size: number) => normalArray(rng, size, 0.02);
  const zeros = (size: number) => new Float32Array(size);
  const pruneBias = options.pruneBiases;

  /** A bottleneck module (down → f → up); `zeroUp` under the standard init of parallel adapters. */
  const bottleneck = (prefix: string, layer: number, dim: number, zeroUp: boolean) => ({
    down: add(`${prefix}.down.weight`, [H, dim], normal(H * dim), { prunable: true, layer, role: 'down' }),
    downBias: add(`${prefix}.down.bias`, [dim], zeros(dim), { prunable: pruneBias, layer, role: 'down_bias' }),
    up: add(`${prefix}.up.weight`, [dim, H], zeroUp ? zeros(dim * H) : normal(dim * H), { prunable: true, layer, role: 'up' }),
    upBias: add(`${prefix}.up.bias`, [H], zeros(H), { prunable: pruneBias, layer, role: 'up_bias' }),
  });
  type Bottleneck = ReturnType<typeof bottleneck>;

  const kind = options.kind;
  const standard = options.init === 'standard';
  const attentionAdapters: Bottleneck[] = [];
  const outputAdapters: Bottleneck[] = [];
  const parallelAdapters: Bottleneck[] = [];
  const lora: { query: [string, string]; value: [string, string] }[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    if (kind === 'houlsby') attentionAdapters.push(bottleneck(`layer.${layer}.attention_adapter`, layer, options.dim, false));
    if (kind === 'houlsby' || kind === 'pfeiffer') outputAdapters.push(bottleneck(`layer.${layer}.output_adapter`, layer, options.dim, false));
    if (kind === 'parallel' || kind === 'mam') {
      parallelAdapters.push(bottleneck(`layer.${layer}.parallel_adapter`, layer, kind === 'mam' ? options.mamParallelDim : options.dim, standard));
    }
    if (kind === 'lora') {
      const r = options.dim;
      const pair = (which: string): [string, string] => [
        add(`layer.${layer}.lora_${which}.A`, [H, r], normal(H * r), { prunable: true, layer, role: 'lora_A' }),
        add(`layer.${layer}.lora_${which}.B`, [r, H], standard ? zeros(r * H) : normal(r * H), { prunable: true, layer, role: 'lora_B' }),
      ];
      lora.push({ query: pair('query'), value: pair('value') });
    }
  }
  let prefix: { embedding: string; w1: string; b1: string; w2: string; b2: string } | null = null;
  if (kind === 'prefix' || kind === 'mam') {
    const P = options.dim;
    const hidden = options.prefixHidden;
    const out = config.numLayers * 2 * H; // keys and values for every layer
    prefix = {
      embedding: add('prefix.embedding', [P, H], normal(P * H), { prunable: false, layer: null, role: 'prefix_embedding' }),
      w1: add('prefix.mlp.0.weight', [H, hidden], normal(H * hidden), { prunable: options.prunePrefix, layer: null, role: 'prefix_mlp' }),
      b1: add('prefix.mlp.0.bias', [hidden], zeros(hidden), { prunable: options.prunePrefix && pruneBias, layer: null, role: 'prefix_mlp_bias' }),
      w2: add('prefix.mlp.2.weight', [hidden, out], normal(hidden * out), { prunable: options.prunePrefix, layer: null, role: 'prefix_mlp' }),
      b2: add('prefix.mlp.2.bias', [out], zeros(out), { prunable: options.prunePrefix && pruneBias, layer: null, role: 'prefix_mlp_bias' }),
    };
  }

  const chains: string[][] = [
    ...[...attentionAdapters, ...outputAdapters, ...parallelAdapters].map((m) => [m.down, m.up]),
    ...lora.flatMap((l) => [l.query, l.value]),
    ...(prefix ? [[prefix.w1, prefix.w2]] : []),
  ];
  const byName = new Map(params.map((p) => [p.name, p.variable]));
  return {
    options,
    params,
    chains,
    hooks(masks) {
      const w = (name: string): tf.Tensor => {
        const variable = byName.get(name)!;
        const mask = masks.get(name);
        return mask ? tf.mul(variable, mask) : variable;
      };
      const runBottleneck = (m: Bottleneck, x: tf.Tensor2D): tf.Tensor2D => {
        const down = activate(tf.add(matMul2d(x, w(m.down) as tf.Tensor2D), w(m.downBias)), options.nonlinearity); // [N, d]
        return tf.add(matMul2d(down as tf.Tensor2D, w(m.up) as tf.Tensor2D), w(m.upBias)) as tf.Tensor2D; // [N, H]
      };
      // The prefix MLP runs once per forward pass and serves every layer.
      let prefixes: tf.Tensor2D[] | null = null;
      const prefixFor = (layer: number) => {
        if (!prefix) return null;
        if (!prefixes) {
          const h1 = tf.tanh(tf.add(matMul2d(w(prefix.embedding) as tf.Tensor2D, w(prefix.w1) as tf.Tensor2D), w(prefix.b1))); // [P, hidden]
          const all = tf.add(matMul2d(h1 as tf.Tensor2D, w(prefix.w2) as tf.Tensor2D), w(prefix.b2)); // [P, L·2·H]
          prefixes = tf.split(all, config.numLayers * 2, 1) as tf.Tensor2D[]; // 2L × [P, H]
        }
        return { key: prefixes[2 * layer]!, value: prefixes[2 * layer + 1]! };
      };
      const hooks: EncoderHooks = {};
      if (lora.length > 0) {
        const scale = options.loraAlpha / options.dim;
        hooks.projection = (layer, which, x, y) => {
          if (which === 'key') return y;
          const [a, b] = lora[layer]![which];
          return tf.add(y, tf.mul(matMul2d(matMul2d(x, w(a) as tf.Tensor2D), w(b) as tf.Tensor2D), scale)); // [N, H]
        };
      }
      if (prefix) hooks.prefix = prefixFor;
      if (attentionAdapters.length + outputAdapters.length + parallelAdapters.length > 0) {
        hooks.block = (layer, site, output, residual, norm) => {
          if (site === 'attention' && kind === 'houlsby') {
            // Houlsby: h + adapter(h) on the sublayer output h, then the layer's residual and LayerNorm.
            return norm(tf.add(tf.add(output, runBottleneck(attentionAdapters[layer]!, output)), residual));
          }
          if (site === 'ffn' && kind === 'houlsby') return norm(tf.add(tf.add(output, runBottleneck(outputAdapters[layer]!, output)), residual));
          if (site === 'ffn' && kind === 'pfeiffer') {
            // Pfeiffer (AdapterHub: original_ln_before, residual_before_ln): the adapter reads LN(h + x),
            // its skip is the sublayer output h, and the layer's LayerNorm is applied again after.
            const adapted = tf.add(runBottleneck(outputAdapters[layer]!, norm(tf.add(output, residual))), output);
            return norm(tf.add(adapted, residual));
          }
          if (site === 'ffn' && (kind === 'parallel' || kind === 'mam')) {
            // Parallel: the adapter reads the block's input x, and s·adapter(x) joins the block's output.
            const side = tf.mul(runBottleneck(parallelAdapters[layer]!, residual), options.parallelScale);
            return norm(tf.add(tf.add(output, side), residual));
          }
          return norm(tf.add(output, residual));
        };
      }
      return hooks;
    },
  };
}

/** No adapter at all: the frozen encoder feeds the head unchanged (the "linear head only" baseline). */
export function noAdapters(options: AdapterOptions): Adapters {
  return { options, params: [], chains: [], hooks: () => ({}) };
}

/** Frees the adapters' variables. */
export function disposeAdapters(adapters: Adapters): void {
  for (const p of adapters.params) p.variable.dispose();
}
