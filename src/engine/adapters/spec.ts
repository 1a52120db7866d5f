// What an adapter kind is, as data: its defaults, the tensors it adds (names, shapes, roles), where it
// sits in the encoder, the dimension Large-Sparse scales, and what it exports to. One module per kind
// (houlsby.ts, pfeiffer.ts, …) exports one `AdapterSpec`; budgets, Large-Sparse, labels, controls and
// exports read the spec. Specs import no tfjs at run time (the page reads them for budgets and labels);
// the engine passes tfjs in when it runs a spec's hooks (index.ts).
import type * as TF from '@tensorflow/tfjs';
import type { EncoderHooks } from '../bert';
import type { AdapterKind, AdapterOptions } from '../settings';

/** The encoder shape an adapter is built for. */
export interface AdapterShape {
  hiddenSize: number;
  numLayers: number;
}

/** What a tensor is within its module (for charts, exports and the optimizer). */
export type ParamRole = 'down' | 'up' | 'down_bias' | 'up_bias' | 'lora_A' | 'lora_B' | 'prefix_embedding' | 'prefix_mlp' | 'prefix_mlp_bias';

/** One trainable tensor as declared by a spec: everything but its values. */
export interface ParamDecl {
  name: string;
  /** [in, out] for matrices. */
  shape: number[];
  /** The encoder layer it belongs to, or null (the prefix embedding and MLP serve every layer). */
  layer: number | null;
  /** Where it sits: the bottleneck module (attention_adapter, output_adapter, parallel_adapter), the projection LoRA adapts (query, value), or prefix. */
  module: string;
  role: ParamRole;
  /** Whether the pruner may remove entries of this tensor. */
  prunable: boolean;
  /** Whether AdamW decays it (weight matrices yes; biases and the prefix embedding no, as the Hugging Face trainer does). */
  decays: boolean;
  /** How it starts: N(0, 0.02) or zeros. */
  init: 'normal' | 'zeros';
}

/** What a spec's hooks may use: tfjs, the masked weights by name, and the shared bottleneck. */
export interface HookContext {
  tf: typeof TF;
  options: AdapterOptions;
  shape: AdapterShape;
  /** A weight matrix under its mask (the variable itself where there is none). */
  w(name: string): TF.Tensor2D;
  /** A bias vector under its mask. */
  bias(name: string): TF.Tensor1D;
  /** x·W for 2-D tensors through the backend's fast layout (dense.ts). */
  matMul(a: TF.Tensor2D, b: TF.Tensor2D): TF.Tensor2D;
  /**
   * down → non-linearity → up of the bottleneck module `module` of `layer`, on x [N, H] → [N, H], under
   * the masks; with `extras`, skip + scale·(that) (one fused op on WebGPU: ops.ts's adapterBottleneck).
   */
  bottleneck(module: string, layer: number, x: TF.Tensor2D, extras?: { skip?: TF.Tensor2D; scale?: number }): TF.Tensor2D;
}

/** Where a kind's trained weights go in a Python library, if it exports. */
export type ExportTarget =
  /** AdapterHub `adapters`: each bottleneck module's site in BertLayer and the BnConfig flags that differ by kind. */
  | { library: 'adapters'; sites: Record<string, 'attention.output' | 'output'>; config: { mh_adapter: boolean; original_ln_before: boolean; is_parallel: boolean; init_weights: 'bert' | 'mam_adapter'; scaling: (o: AdapterOptions) => number } }
  /** PEFT LoRA on these projections. */
  | { library: 'peft'; targetModules: string[] };

/** The dimension Large-Sparse multiplies, as a user reads it. */
export interface ScaledDimension {
  /** The option it is (dim, prefixHidden, mamParallelDim). */
  key: 'dim' | 'prefixHidden' | 'mamParallelDim';
  /** Its name in labels and controls: "bottleneck", "rank", "prefix MLP width", "parallel bottleneck". */
  label: string;
  /** A short tag for run labels: d, r, w, d∥. */
  tag: string;
}

/** One adapter kind. */
export interface AdapterSpec {
  kind: AdapterKind;
  /** Its name in the page: "Houlsby", "LoRA", "no adapter (head only)". */
  title: string;
  /** What options.dim means for this kind (the controls' label), or null where it means nothing. */
  dimLabel: string | null;
  /** The kind's own defaults, merged over the common ones. */
  defaults: Pick<AdapterOptions, 'dim' | 'nonlinearity'>;
  /** Options besides dim that the kind reads (the controls show only these). */
  uses: readonly (keyof AdapterOptions)[];
  /** Every tensor the kind adds, in a fixed order (initialisation draws in this order). */
  params(shape: AdapterShape, options: AdapterOptions): ParamDecl[];
  /** Weight matrices applied one after the other ([down, up], [A, B]): SynFlow's objective is a sum over them. */
  chains(shape: AdapterShape, options: AdapterOptions): string[][];
  /** The encoder hooks that run the kind, given its masked weights. */
  hooks(ctx: HookContext): EncoderHooks;
  /** What Large-Sparse scales, and the scaled options for a factor k; `largeSparseBlocked` says why it cannot, if so. */
  scaled(options: AdapterOptions): ScaledDimension[];
  largeSparseBlocked(options: AdapterOptions): string | null;
  /** The Python library it exports to, or why it has none. */
  exportTarget: ExportTarget | { library: null; reason: string };
}

/** Declares the four tensors of a bottleneck module (down [H, d] + bias, up [d, H] + bias). */
export function bottleneckParams(module: string, layer: number, H: number, dim: number, options: AdapterOptions, zeroUp = false): ParamDecl[] {
  const prefix = `layer.${layer}.${module}`;
  const bias = options.pruneBiases;
  return [
    { name: `${prefix}.down.weight`, shape: [H, dim], layer, module, role: 'down', prunable: true, decays: true, init: 'normal' },
    { name: `${prefix}.down.bias`, shape: [dim], layer, module, role: 'down_bias', prunable: bias, decays: false, init: 'zeros' },
    { name: `${prefix}.up.weight`, shape: [dim, H], layer, module, role: 'up', prunable: true, decays: true, init: zeroUp ? 'zeros' : 'normal' },
    { name: `${prefix}.up.bias`, shape: [H], layer, module, role: 'up_bias', prunable: bias, decays: false, init: 'zeros' },
  ];
}

/** The [down, up] chains of bottleneck modules declared with `bottleneckParams`. */
export function bottleneckChains(decls: readonly ParamDecl[]): string[][] {
  return decls.filter((d) => d.role === 'down').map((d) => [d.name, d.name.replace(/\.down\.weight$/, '.up.weight')]);
}

/** Layers 0 … L−1. */
export const layers = (shape: AdapterShape) => Array.from({ length: shape.numLayers }, (_, l) => l);
