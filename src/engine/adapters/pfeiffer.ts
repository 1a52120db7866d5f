// Pfeiffer et al. 2021 (AdapterHub's SeqBn): one bottleneck after the feed-forward block, reading the
// LayerNorm-ed output (original_ln_before, residual_before_ln).
import { bottleneckChains, bottleneckParams, layers, type AdapterSpec } from './spec';

export const pfeiffer: AdapterSpec = {
  kind: 'pfeiffer',
  title: 'Pfeiffer',
  dimLabel: 'Bottleneck',
  defaults: { dim: 16, nonlinearity: 'relu' },
  uses: ['nonlinearity', 'init', 'pruneBiases'],
  params: (shape, o) => layers(shape).flatMap((l) => bottleneckParams('output_adapter', l, shape.hiddenSize, o.dim, o)),
  chains: (shape, o) => bottleneckChains(pfeiffer.params(shape, o)),
  hooks: ({ tf, bottleneck }) => ({
    block: (layer, site, output, residual, norm) => {
      if (site !== 'ffn') return norm(tf.add(output, residual));
      // The adapter reads LN(h + x), its skip is the sublayer output h, and the layer's LayerNorm is applied again after.
      const adapted = bottleneck('output_adapter', layer, norm(tf.add(output, residual)), { skip: output });
      return norm(tf.add(adapted, residual));
    },
  }),
  scaled: () => [{ key: 'dim', label: 'bottleneck', tag: 'd' }],
  largeSparseBlocked: () => null,
  exportTarget: {
    library: 'adapters',
    sites: { output_adapter: 'output' },
    config: { mh_adapter: false, original_ln_before: true, is_parallel: false, init_weights: 'bert', scaling: () => 1 },
  },
};
