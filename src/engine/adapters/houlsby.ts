// Houlsby et al. 2019 (AdapterHub's DoubleSeqBn): a bottleneck after the attention output and one
// after the feed-forward output of every layer, each with its own skip connection, before the
// layer's residual + LayerNorm.
import { bottleneckChains, bottleneckParams, layers, type AdapterSpec } from './spec';

export const houlsby: AdapterSpec = {
  kind: 'houlsby',
  title: 'Houlsby',
  dimLabel: 'Bottleneck',
  defaults: { dim: 16, nonlinearity: 'swish' }, // AdapterHub's Houlsby uses swish
  uses: ['nonlinearity', 'init', 'pruneBiases'],
  params: (shape, o) => layers(shape).flatMap((l) => [
    ...bottleneckParams('attention_adapter', l, shape.hiddenSize, o.dim, o),
    ...bottleneckParams('output_adapter', l, shape.hiddenSize, o.dim, o),
  ]),
  chains: (shape, o) => bottleneckChains(houlsby.params(shape, o)),
  hooks: ({ bottleneck }) => ({
    // h + adapter(h) on the sublayer output h (the skip is the bottleneck's own input), then the layer's residual and LayerNorm.
    block: (layer, site, output, residual, norm) =>
      norm(bottleneck(site === 'attention' ? 'attention_adapter' : 'output_adapter', layer, output, { skip: output }), residual),
  }),
  scaled: () => [{ key: 'dim', label: 'bottleneck', tag: 'd' }],
  largeSparseBlocked: () => null,
  exportTarget: {
    library: 'adapters',
    // mh_adapter sits in BertSelfOutput (attention.output), output_adapter in BertOutput (output).
    sites: { attention_adapter: 'attention.output', output_adapter: 'output' },
    config: { mh_adapter: true, original_ln_before: false, is_parallel: false, init_weights: 'bert', scaling: () => 1 },
  },
};
