// The adapter zoo on the frozen encoder: builds a kind's declared tensors as tf.Variables and runs its
// placement hooks (bert.ts) with the current masks. What each kind is lives in its own module
// (houlsby.ts, pfeiffer.ts, lora.ts, parallel.ts, prefix.ts, mam.ts, none.ts); conventions follow
// AdapterHub's `adapters` library and He et al. 2022 ("Towards a Unified View").
// Weights are tf.Variables in [in, out] layout; a mask (0/1, same shape) multiplies a weight wherever
// it is used, so pruned entries get no gradient and contribute nothing.
import * as tf from '@tensorflow/tfjs';
import type { BertConfig, EncoderHooks } from '../bert';
import { matMul2d } from '../dense';
import { adapterBottleneck } from '../ops';
import { normalArray } from '../random';
import type { AdapterOptions } from '../settings';
import { adapterSpec } from './registry';
import type { HookContext, ParamDecl } from './spec';

export { ADAPTER_KINDS, defaultAdapterOptions, NONLINEARITIES, type AdapterInit, type AdapterKind, type AdapterOptions, type Nonlinearity } from '../settings';
export { ADAPTER_SPECS, adapterSpec, adapterTensorSizes, exportLibrary, largeSparse, largeSparseBlocked, noExportReason } from './registry';
export type { ParamDecl, ParamRole } from './spec';

/** One trainable tensor: its declaration (name, shape, role, prunable, decays) and its variable. */
export interface AdapterParam extends ParamDecl {
  variable: tf.Variable;
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

/** Builds the adapters for a model with `config`; `rng` draws the initial weights in declaration order. */
export function createAdapters(config: Pick<BertConfig, 'hiddenSize' | 'numLayers'>, options: AdapterOptions, rng: () => number): Adapters {
  if (options.kind !== 'none' && (!Number.isInteger(options.dim) || options.dim < 1)) throw new Error(`adapter dimension must be a positive integer, got ${options.dim}`);
  const spec = adapterSpec(options.kind);
  const shape = { hiddenSize: config.hiddenSize, numLayers: config.numLayers };
  const params: AdapterParam[] = spec.params(shape, options).map((decl) => {
    const size = decl.shape.reduce((a, b) => a * b, 1);
    // tfjs variable names are global; leave them generated so several runs can coexist.
    const initial = tf.tensor(decl.init === 'normal' ? normalArray(rng, size, 0.02) : new Float32Array(size), decl.shape);
    const variable = tf.variable(initial, true);
    initial.dispose(); // the variable holds its own reference to the data
    return { ...decl, variable };
  });
  const byName = new Map(params.map((p) => [p.name, p.variable]));
  return {
    options,
    params,
    chains: spec.chains(shape, options),
    hooks(masks) {
      const masked = (name: string): tf.Tensor => {
        const variable = byName.get(name);
        if (!variable) throw new Error(`a ${options.kind} adapter has no tensor ${name}`);
        const mask = masks.get(name);
        return mask ? tf.mul(variable, mask) : variable;
      };
      const w = (name: string) => masked(name) as tf.Tensor2D;
      const bias = (name: string) => masked(name) as tf.Tensor1D;
      const ctx: HookContext = {
        tf,
        options,
        shape,
        w,
        bias,
        matMul: matMul2d,
        bottleneck(module, layer, x, extras) {
          const p = `layer.${layer}.${module}`;
          const tensor = (name: string) => {
            const variable = byName.get(name);
            if (!variable) throw new Error(`a ${options.kind} adapter has no tensor ${name}`);
            return variable;
          };
          const names = { down: `${p}.down.weight`, downBias: `${p}.down.bias`, up: `${p}.up.weight`, upBias: `${p}.up.bias` };
          return adapterBottleneck(x, {
            down: tensor(names.down) as tf.Tensor2D, // [H, d]
            downBias: tensor(names.downBias) as tf.Tensor1D, // [d]
            up: tensor(names.up) as tf.Tensor2D, // [d, H]
            upBias: tensor(names.upBias) as tf.Tensor1D, // [H]
            masks: { down: masks.get(names.down), downBias: masks.get(names.downBias), up: masks.get(names.up), upBias: masks.get(names.upBias) },
          }, options.nonlinearity, extras); // skip + scale·up(f(down(x)))
        },
      };
      return spec.hooks(ctx);
    },
  };
}

/** Frees the adapters' variables. */
export function disposeAdapters(adapters: Adapters): void {
  for (const p of adapters.params) p.variable.dispose();
}
