// The adapter zoo on the tiny BERT: shapes, parameter counts against the analytic formula, where
// gradients go, and each adapter's placement checked against a hand-built computation.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_KINDS, createAdapters, defaultAdapterOptions, disposeAdapters, exportLibrary, largeSparseBlocked, type AdapterKind } from './adapters';
import { isHeadOnly, scaledDimensionsLabel } from './adapters/registry';
import { forwardEncoder, type EncoderInput } from './bert';
import { adapterTensorSizes, computeBudget, headParameterCount, largeSparse } from './budget';
import { countHeadParameters, createHead } from './head';
import type { Plm } from './plm';
import { createRng } from './random';
import { loadTinyPlm } from './testing/tinyModel';

let plm: Plm;
beforeAll(async () => {
  await tf.setBackend('cpu');
  plm = await loadTinyPlm();
});

function batch(): EncoderInput {
  const ids = [[2, 182, 956, 149, 1268, 18, 3, 0], [2, 40, 41, 42, 3, 0, 0, 0]];
  const mask = ids.map((row) => row.map((id) => (id === 0 ? 0 : 1)));
  return { inputIds: tf.tensor2d(ids, undefined, 'int32'), tokenTypeIds: tf.zerosLike(tf.tensor2d(ids, undefined, 'int32')), attentionMask: tf.tensor2d(mask, undefined, 'int32') };
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;

/**
 * Adapter sizes written out by hand from the papers' definitions (independent of the specs' declarations):
 * a bottleneck has 2·H·d weights and d + H biases; LoRA A and B on query and value, 2·2·H·r per layer;
 * the prefix embedding P·H and an MLP H → w → 2·L·H.
 */
function handCountedSizes(kind: AdapterKind, o: ReturnType<typeof defaultAdapterOptions>, H: number, L: number): { prunable: number; fixed: number } {
  const bottlenecks = (count: number, d: number) => ({ prunable: count * (2 * H * d + (o.pruneBiases ? d + H : 0)), fixed: count * (o.pruneBiases ? 0 : d + H) });
  const prefix = () => {
    const weights = H * o.prefixHidden + o.prefixHidden * 2 * L * H;
    const biases = o.prefixHidden + 2 * L * H;
    return { prunable: (o.prunePrefix ? weights : 0) + (o.prunePrefix && o.pruneBiases ? biases : 0), fixed: o.dim * H + (o.prunePrefix ? 0 : weights) + (o.prunePrefix && o.pruneBiases ? 0 : biases) };
  };
  const sum = (a: { prunable: number; fixed: number }, b: { prunable: number; fixed: number }) => ({ prunable: a.prunable + b.prunable, fixed: a.fixed + b.fixed });
  switch (kind) {
    case 'houlsby': return bottlenecks(2 * L, o.dim);
    case 'pfeiffer': case 'parallel': return bottlenecks(L, o.dim);
    case 'lora': return { prunable: L * 2 * 2 * H * o.dim, fixed: 0 };
    case 'prefix': return prefix();
    case 'mam': return sum(bottlenecks(L, o.mamParallelDim), prefix());
    case 'none': return { prunable: 0, fixed: 0 };
  }
}

describe('adapter sizes', () => {
  it.each(ADAPTER_KINDS.map((k) => [k]))('%s: built tensors and the budget agree with the hand-counted formula, with and without pruned biases and prefix MLP', (kind: AdapterKind) => {
    const { hiddenSize: H, numLayers: L } = plm.model.config;
    for (const extra of [{}, { pruneBiases: true }, { prunePrefix: true, pruneBiases: true }, { prunePrefix: true }]) {
      const options = { ...defaultAdapterOptions(kind), ...extra };
      const expected = handCountedSizes(kind, options, H, L);
      expect(adapterTensorSizes(plm.model.config, options)).toEqual(expected);
      const adapters = createAdapters(plm.model.config, options, createRng(3));
      expect(adapters.params.reduce((s, p) => s + p.variable.size, 0)).toBe(expected.prunable + expected.fixed);
      expect(adapters.params.filter((p) => p.prunable).reduce((s, p) => s + p.variable.size, 0)).toBe(expected.prunable);
      disposeAdapters(adapters);
    }
  });

  it('declares roles as fields: weight matrices decay, biases and the prefix embedding do not', () => {
    for (const kind of ADAPTER_KINDS) {
      const adapters = createAdapters(plm.model.config, { ...defaultAdapterOptions(kind), prunePrefix: true }, createRng(3));
      for (const p of adapters.params) {
        expect(p.decays, p.name).toBe(p.shape.length === 2 && p.role !== 'prefix_embedding');
        expect(p.variable.shape).toEqual(p.shape);
      }
      disposeAdapters(adapters);
    }
  });
});

describe('no adapter', () => {
  it('is a real kind with no parameters: the encoder output is the frozen model\'s, and Large-Sparse and export are refused with a reason', () => {
    const adapters = createAdapters(plm.model.config, defaultAdapterOptions('none'), createRng(3));
    expect(adapters.params).toEqual([]);
    expect(maxDiff(forwardEncoder(plm.model, batch(), { hooks: adapters.hooks(new Map()) }).lastHiddenState, forwardEncoder(plm.model, batch()).lastHiddenState)).toBe(0);
    expect(() => largeSparse(defaultAdapterOptions('none'), 0, 2)).toThrow(/head-only/);
    expect(exportLibrary('none')).toBeNull();
  });

  it('is the only kind that is head-only, as read from the specs: the one whose build makes no tensor', () => {
    for (const kind of ADAPTER_KINDS) {
      const options = defaultAdapterOptions(kind);
      const built = createAdapters(plm.model.config, options, createRng(3));
      expect(isHeadOnly(options), kind).toBe(built.params.length === 0);
      disposeAdapters(built);
    }
    expect(ADAPTER_KINDS.filter((k) => isHeadOnly(defaultAdapterOptions(k)))).toEqual(['none']);
  });
});

describe.each(ADAPTER_KINDS.filter((k) => k !== 'none').map((k) => [k]))('%s adapter', (kind: AdapterKind) => {
  it('keeps the output shape, and every adapter tensor gets a gradient', () => {
    const options = defaultAdapterOptions(kind);
    const adapters = createAdapters(plm.model.config, options, createRng(3));
    const prunable = adapters.params.filter((p) => p.prunable).reduce((s, p) => s + p.variable.size, 0);
    // Prefix-tuning has nothing prunable unless the project's extension is switched on.
    if (kind === 'prefix') {
      expect(prunable).toBe(0);
      const extended = { ...options, prunePrefix: true };
      const withPrefix = createAdapters(plm.model.config, extended, createRng(3));
      expect(withPrefix.params.filter((p) => p.prunable).reduce((s, p) => s + p.variable.size, 0)).toBeGreaterThan(0);
      disposeAdapters(withPrefix);
    } else {
      expect(prunable).toBeGreaterThan(0);
    }

    const input = batch();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(forwardEncoder(plm.model, input, { hooks: adapters.hooks(new Map()) }).lastHiddenState)) as tf.Scalar, adapters.params.map((p) => p.variable));
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const p of adapters.params) {
      const g = grads[p.variable.name];
      expect(g, p.name).toBeDefined();
      expect(tf.max(tf.abs(g!)).dataSync()[0], `${p.name} receives a gradient`).toBeGreaterThan(0);
    }
    const out = forwardEncoder(plm.model, input, { hooks: adapters.hooks(new Map()) }).lastHiddenState;
    expect(out.shape).toEqual([2, 8, plm.model.config.hiddenSize]);
    // The adapter changes the output (it is really wired in).
    expect(maxDiff(out, forwardEncoder(plm.model, input).lastHiddenState)).toBeGreaterThan(1e-6);
  });

  it('with its output projection zeroed, leaves the frozen model exactly as it was', () => {
    const adapters = createAdapters(plm.model.config, defaultAdapterOptions(kind), createRng(3));
    // Zero the last matrix of every chain (up, B, mlp.2) and its bias: the adapter then adds nothing,
    // except prefix-tuning, whose zero prefixes still take attention mass (checked separately below).
    const last = new Set(adapters.chains.map((c) => c[c.length - 1]!));
    for (const p of adapters.params) if (last.has(p.name) || p.role === 'up_bias') p.variable.assign(tf.zerosLike(p.variable));
    const diff = maxDiff(forwardEncoder(plm.model, batch(), { hooks: adapters.hooks(new Map()) }).lastHiddenState, forwardEncoder(plm.model, batch()).lastHiddenState);
    if (kind === 'prefix' || kind === 'mam') expect(diff).toBeGreaterThan(1e-6);
    else expect(diff).toBeLessThan(1e-6);
  });
});

describe('placements against hand-built computations', () => {
  it('LoRA adds x·A·B·alpha/r to the query and value projections only', () => {
    const options = { ...defaultAdapterOptions('lora'), dim: 4, loraAlpha: 8 };
    const adapters = createAdapters(plm.model.config, options, createRng(5));
    const hooks = adapters.hooks(new Map());
    const x = tf.randomNormal([6, 32], 0, 1, 'float32', 1) as tf.Tensor2D;
    const y = tf.randomNormal([6, 32], 0, 1, 'float32', 2) as tf.Tensor2D;
    const A = adapters.params.find((p) => p.name === 'layer.1.lora_value.A')!.variable;
    const B = adapters.params.find((p) => p.name === 'layer.1.lora_value.B')!.variable;
    const expected = tf.add(y, tf.mul(tf.matMul(tf.matMul(x, A), B), 8 / 4));
    expect(maxDiff(hooks.projection!(1, 'value', x, y), expected)).toBeLessThan(1e-6);
    expect(maxDiff(hooks.projection!(1, 'key', x, y), y)).toBe(0);
  });

  it('masks multiply the weights: a fully masked Houlsby adapter is the identity of its skip path', () => {
    const adapters = createAdapters(plm.model.config, defaultAdapterOptions('houlsby'), createRng(5));
    const masks = new Map(adapters.params.filter((p) => p.prunable).map((p) => [p.name, tf.zerosLike(p.variable)]));
    const diff = maxDiff(forwardEncoder(plm.model, batch(), { hooks: adapters.hooks(masks) }).lastHiddenState, forwardEncoder(plm.model, batch()).lastHiddenState);
    expect(diff).toBeLessThan(1e-6); // biases are zero at init, so nothing passes
  });

  it('Pfeiffer reads LN(h + x), adds the sublayer output h, and re-normalises', () => {
    const adapters = createAdapters(plm.model.config, defaultAdapterOptions('pfeiffer'), createRng(5));
    const hooks = adapters.hooks(new Map());
    const h = tf.randomNormal([3, 32], 0, 1, 'float32', 3) as tf.Tensor2D;
    const x = tf.randomNormal([3, 32], 0, 1, 'float32', 4) as tf.Tensor2D;
    const norm = (t: tf.Tensor2D) => tf.mul(t, 0.5) as tf.Tensor2D; // any function: it marks where normalisation happens
    const get = (n: string) => adapters.params.find((p) => p.name === n)!.variable;
    const inner = norm(tf.add(h, x) as tf.Tensor2D);
    const adapter = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(inner, get('layer.0.output_adapter.down.weight')), get('layer.0.output_adapter.down.bias'))), get('layer.0.output_adapter.up.weight')), get('layer.0.output_adapter.up.bias'));
    const expected = norm(tf.add(tf.add(adapter, h), x) as tf.Tensor2D);
    expect(maxDiff(hooks.block!(0, 'ffn', h, x, norm), expected)).toBeLessThan(1e-6);
    expect(maxDiff(hooks.block!(0, 'attention', h, x, norm), norm(tf.add(h, x) as tf.Tensor2D))).toBeLessThan(1e-6);
  });
});

describe('budget and Large-Sparse', () => {
  it('a Large-Sparse adapter keeps the standard non-zero budget up to its extra bias terms', () => {
    const config = plm.model.config;
    for (const kind of ['houlsby', 'pfeiffer', 'parallel', 'lora'] as const) {
      for (const k of [2, 4]) {
        const standard = defaultAdapterOptions(kind);
        const large = largeSparse(standard, 0, k);
        expect(large.sparsity).toBeCloseTo(1 - 1 / k, 12);
        const a = computeBudget({ plmParams: 1e6, sizes: adapterTensorSizes(config, standard), sparsity: 0, headParams: 10 });
        const b = computeBudget({ plmParams: 1e6, sizes: adapterTensorSizes(config, large.options), sparsity: large.sparsity, headParams: 10 });
        expect(b.adapterPrunable).toBe(k * a.adapterPrunable);
        expect(b.adapterNonzero - b.adapterParams + b.adapterPrunable).toBe(a.adapterPrunable); // the kept prunable weights are equal
        const extraBiases = kind === 'lora' ? 0 : (kind === 'houlsby' ? 2 : 1) * config.numLayers * (k - 1) * standard.dim;
        expect(b.adapterNonzero - a.adapterNonzero).toBe(extraBiases);
      }
    }
  });
  it('scales the dimension each spec names: MAM its parallel bottleneck (and the prefix MLP when pruned), prefix-tuning its MLP, never a prefix length', () => {
    const mam = defaultAdapterOptions('mam');
    expect(largeSparse(mam, 0.5, 2).options).toMatchObject({ dim: mam.dim, mamParallelDim: 2 * mam.mamParallelDim, prefixHidden: mam.prefixHidden });
    expect(largeSparse({ ...mam, prunePrefix: true }, 0.5, 2).options).toMatchObject({ dim: mam.dim, mamParallelDim: 2 * mam.mamParallelDim, prefixHidden: 2 * mam.prefixHidden });
    expect(scaledDimensionsLabel(largeSparse(mam, 0, 2).options)).toBe(`d=${2 * mam.mamParallelDim}`);
    expect(() => largeSparse(defaultAdapterOptions('prefix'), 0, 2)).toThrow(/prunePrefix/);
    const prefix = { ...defaultAdapterOptions('prefix'), prunePrefix: true };
    expect(largeSparse(prefix, 0, 2).options).toMatchObject({ dim: prefix.dim, prefixHidden: 2 * prefix.prefixHidden });
    expect(largeSparseBlocked(prefix)).toBeNull();
  });
  it('counts the head as head.ts builds it', () => {
    for (const kind of ['sequence', 'token'] as const) expect(countHeadParameters(createHead(kind, 32, 5, createRng(1)))).toBe(headParameterCount(kind, 32, 5));
  });
  it('counts the percentage of the PLM exactly', () => {
    const b = computeBudget({ plmParams: 200_000, sizes: { prunable: 1000, fixed: 50 }, sparsity: 0.4, headParams: 30 });
    expect(b).toEqual({ plmParams: 200_000, adapterParams: 1050, adapterPrunable: 1000, adapterNonzero: 650, headParams: 30, trainableNonzero: 680, percentOfPlm: 0.34 });
  });
});
