// He et al. 2022's MAM adapter: prefix-tuning on attention (dim is the prefix length) and a parallel
// adapter on the feed-forward block (mamParallelDim is its bottleneck).
import { parallelBlock, parallelParams } from './parallel';
import { PREFIX_CHAIN, prefixHook, prefixParams } from './prefix';
import { bottleneckChains, type AdapterSpec } from './spec';

export const mam: AdapterSpec = {
  kind: 'mam',
  title: 'MAM (prefix + parallel)',
  dimLabel: 'Prefix length',
  defaults: { dim: 16, nonlinearity: 'relu' },
  uses: ['nonlinearity', 'init', 'pruneBiases', 'parallelScale', 'mamParallelDim', 'prefixHidden', 'prunePrefix'],
  params: (shape, o) => [...parallelParams(shape, o, o.mamParallelDim), ...prefixParams(shape, o)],
  chains: (shape, o) => [...bottleneckChains(parallelParams(shape, o, o.mamParallelDim)), PREFIX_CHAIN],
  hooks: (ctx) => ({ prefix: prefixHook(ctx), block: parallelBlock(ctx) }),
  // Large-Sparse widens what is pruned: the parallel bottleneck, and the prefix MLP when it is pruned too.
  scaled: (o) => [{ key: 'mamParallelDim', label: 'parallel bottleneck', tag: 'd' }, ...(o.prunePrefix ? [{ key: 'prefixHidden', label: 'prefix MLP width', tag: 'w' } as const] : [])],
  largeSparseBlocked: () => null,
  exportTarget: { library: null, reason: 'mam adapters have no AdapterHub or PEFT export here (only Houlsby, Pfeiffer and parallel → AdapterHub, LoRA → PEFT)' },
};
