// The adapter kinds by name, and what follows from a spec alone: default options, exact tensor sizes,
// the Large-Sparse transform, labels and export targets. Plain data (no tfjs): the page reads it for
// its controls, budgets and labels; index.ts builds the tensors.
import type { AdapterKind, AdapterOptions } from '../settings';
import { houlsby } from './houlsby';
import { lora } from './lora';
import { mam } from './mam';
import { none } from './none';
import { parallel } from './parallel';
import { pfeiffer } from './pfeiffer';
import { prefix } from './prefix';
import type { AdapterShape, AdapterSpec, ScaledDimension } from './spec';

export type { AdapterShape, AdapterSpec, ExportTarget, HookContext, ParamDecl, ParamRole, ScaledDimension } from './spec';

/** Every adapter kind's spec. */
export const ADAPTER_SPECS: Readonly<Record<AdapterKind, AdapterSpec>> = { houlsby, pfeiffer, lora, parallel, prefix, mam, none };

/** The spec of a kind (throws for a name that is not one). */
export function adapterSpec(kind: AdapterKind): AdapterSpec {
  const spec = ADAPTER_SPECS[kind];
  if (!spec) throw new Error(`unknown adapter kind ${JSON.stringify(kind)}`);
  return spec;
}

/**
 * Whether a configuration adds no tensor to the encoder (kind `none`: the head trains alone), as its
 * spec declares: such a run has nothing to prune or widen and no dimension. A spec that declares no
 * tensor for a one-layer encoder declares none for any.
 */
export function isHeadOnly(options: AdapterOptions): boolean {
  return adapterSpec(options.kind).params({ hiddenSize: 1, numLayers: 1 }, options).length === 0;
}

/** Sizes of a configuration's adapter tensors, summed from the spec's declarations (no tensors built). */
export function adapterTensorSizes(shape: AdapterShape, options: AdapterOptions): { prunable: number; fixed: number } {
  let prunable = 0;
  let fixed = 0;
  for (const d of adapterSpec(options.kind).params(shape, options)) {
    const size = d.shape.reduce((a, b) => a * b, 1);
    if (d.prunable) prunable += size;
    else fixed += size;
  }
  return { prunable, fixed };
}

/**
 * Large-Sparse: from a standard configuration (sparsity s) and a factor k, the configuration with the
 * kind's scaled dimensions × k and sparsity 1 − (1 − s)/k, which keeps the same number of non-zero
 * prunable weights (the paper's 2× dimension at 50% sparsity for k = 2, s = 0). Biases grow with the
 * dimension, so budgets are equal up to them.
 */
export function largeSparse(options: AdapterOptions, sparsity: number, k: number): { options: AdapterOptions; sparsity: number } {
  if (!Number.isInteger(k) || k < 1) throw new Error(`the Large-Sparse factor must be a positive integer, got ${k}`);
  if (k === 1) return { options, sparsity };
  const spec = adapterSpec(options.kind);
  const blocked = spec.largeSparseBlocked(options);
  if (blocked) throw new Error(blocked);
  const scaled = { ...options };
  for (const d of spec.scaled(options)) scaled[d.key] = options[d.key] * k;
  return { options: scaled, sparsity: 1 - (1 - sparsity) / k };
}

/** Why a configuration cannot have a Large-Sparse counterpart, or null when it can. */
export function largeSparseBlocked(options: AdapterOptions): string | null {
  return adapterSpec(options.kind).largeSparseBlocked(options);
}

/** The dimensions Large-Sparse scales with their values, e.g. "d=32" or "d∥=64 w=128" (empty for none). */
export function scaledDimensionsLabel(options: AdapterOptions): string {
  return adapterSpec(options.kind).scaled(options).map((d: ScaledDimension) => `${d.tag}=${options[d.key]}`).join(' ');
}

/** The value of the first scaled dimension (the one a results table shows), or 0 for none. */
export function primaryDimension(options: AdapterOptions): number {
  const first = adapterSpec(options.kind).scaled(options)[0];
  return first ? options[first.key] : 0;
}

/** Which Python library a kind exports to, if any (the page shows the button from this). */
export function exportLibrary(kind: AdapterKind): 'adapters' | 'peft' | null {
  return adapterSpec(kind).exportTarget.library;
}

/** Why a kind has no library export. */
export function noExportReason(kind: AdapterKind): string {
  const target = adapterSpec(kind).exportTarget;
  return target.library === null ? target.reason : `${kind} adapters export to ${target.library}`;
}
