// He et al. 2022 ("Towards a Unified View"; AdapterHub's ParBn): s·up(f(down(x))) computed from the
// feed-forward block's input x and added beside the block's output. Under the `standard` init the
// up-projection starts at zero.
import type { EncoderHooks } from '../bert';
import type { AdapterOptions } from '../settings';
import { bottleneckChains, bottleneckParams, layers, type AdapterShape, type AdapterSpec, type HookContext, type ParamDecl } from './spec';

/** The parallel adapters of every layer with bottleneck `dim` (MAM reuses them). */
export function parallelParams(shape: AdapterShape, o: AdapterOptions, dim: number): ParamDecl[] {
  return layers(shape).flatMap((l) => bottleneckParams('parallel_adapter', l, shape.hiddenSize, dim, o, o.init === 'standard'));
}

/** The block hook of a parallel adapter on the feed-forward block. */
export function parallelBlock({ bottleneck, options }: HookContext): NonNullable<EncoderHooks['block']> {
  return (layer, site, output, residual, norm) => {
    if (site !== 'ffn') return norm(output, residual);
    // output + s·bottleneck(residual), the skip and the scale inside the (fused on WebGPU) bottleneck.
    return norm(bottleneck('parallel_adapter', layer, residual, { skip: output, scale: options.parallelScale }), residual);
  };
}

export const parallel: AdapterSpec = {
  kind: 'parallel',
  title: 'Parallel',
  dimLabel: 'Bottleneck',
  defaults: { dim: 16, nonlinearity: 'relu' },
  uses: ['nonlinearity', 'init', 'pruneBiases', 'parallelScale'],
  params: (shape, o) => parallelParams(shape, o, o.dim),
  chains: (shape, o) => bottleneckChains(parallel.params(shape, o)),
  hooks: (ctx) => ({ block: parallelBlock(ctx) }),
  scaled: () => [{ key: 'dim', label: 'bottleneck', tag: 'd' }],
  largeSparseBlocked: () => null,
  exportTarget: {
    library: 'adapters',
    sites: { parallel_adapter: 'output' },
    config: { mh_adapter: false, original_ln_before: false, is_parallel: true, init_weights: 'mam_adapter', scaling: (o) => o.parallelScale },
  },
};
