// No adapter at all: the frozen encoder feeds the head unchanged (the "linear head only" baseline).
// A real kind with no parameters, so budgets, labels and grids need no special case for it.
import type { AdapterSpec } from './spec';

export const none: AdapterSpec = {
  kind: 'none',
  title: 'No adapter (head only)',
  dimLabel: null,
  defaults: { dim: 16, nonlinearity: 'relu' },
  uses: [],
  params: () => [],
  chains: () => [],
  hooks: () => ({}),
  scaled: () => [],
  largeSparseBlocked: () => 'a head-only run has no adapter to widen or prune',
  exportTarget: { library: null, reason: 'a head-only run has no adapter to export' },
};
