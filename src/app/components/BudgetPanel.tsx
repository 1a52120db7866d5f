// The parameter budget of the chosen configuration, counted exactly, beside its counterpart: the
// standard adapter and its Large-Sparse version (k× the dimension at sparsity 1 − (1 − s)/k).
import { adapterTensorSizes, largeSparse, largeSparseBlocked, scaledDimensionsLabel } from '../../engine/adapters/registry';
import { computeBudget, headParameterCount, type Budget } from '../../engine/budget';
import type { RunSettings } from '../../engine/settings';
import type { PlmSummary } from '../../worker/protocol';

const ROWS: [keyof Budget, string][] = [
  ['plmParams', 'PLM parameters (frozen)'],
  ['adapterParams', 'adapter parameters'],
  ['adapterPrunable', 'of which prunable'],
  ['adapterNonzero', 'adapter non-zero after pruning'],
  ['headParams', 'task head (never pruned)'],
  ['trainableNonzero', 'trainable non-zero'],
  ['percentOfPlm', '% of the PLM'],
];

function format(key: keyof Budget, value: number): string {
  return key === 'percentOfPlm' ? `${value.toFixed(3)}%` : value.toLocaleString('en-US');
}

/** Budgets of the standard configuration (k = 1) and of the Large-Sparse one at factor k (at least 2). */
export function budgetPair(settings: RunSettings, model: PlmSummary, numLabels: number, tagging = false): { k: number; standard: { dims: string; sparsity: number; budget: Budget }; large: { dims: string; sparsity: number; budget: Budget } | null } {
  const config = { hiddenSize: model.hiddenSize, numLayers: model.layers };
  const headParams = headParameterCount(tagging ? 'token' : 'sequence', model.hiddenSize, numLabels);
  const budget = (adapter: RunSettings['adapter'], sparsity: number) => computeBudget({ plmParams: model.parameters, sizes: adapterTensorSizes(config, adapter), sparsity, headParams });
  // The dimensions Large-Sparse scales, as the adapter's spec names them (d=16, r=8, d∥… w=64).
  const standard = { dims: scaledDimensionsLabel(settings.adapter), sparsity: settings.prune.sparsity, budget: budget(settings.adapter, settings.prune.sparsity) };
  const k = Math.max(2, settings.largeSparse);
  // No counterpart where the spec says so (no adapter; prefix-tuning without a prunable prefix MLP).
  const ls = largeSparseBlocked(settings.adapter) === null ? largeSparse(settings.adapter, settings.prune.sparsity, k) : null;
  const large = ls && { dims: scaledDimensionsLabel(ls.options), sparsity: ls.sparsity, budget: budget(ls.options, ls.sparsity) };
  return { k, standard, large };
}

export function BudgetPanel({ settings, model, numLabels, tagging = false }: { settings: RunSettings; model: PlmSummary; numLabels: number; tagging?: boolean }) {
  const { k, standard, large } = budgetPair(settings, model, numLabels, tagging);
  return (
    <div className="budget" data-testid="budget">
      <h3>Parameter budget (exact counts)</h3>
      <table className="compact">
        <thead>
          <tr><th /><th>standard{standard.dims && `: ${standard.dims}`}, {Math.round(standard.sparsity * 1000) / 10}% removed</th>{large && <th>Large-Sparse ×{k}: {large.dims}, {Math.round(large.sparsity * 1000) / 10}% removed</th>}</tr>
        </thead>
        <tbody>
          {ROWS.map(([key, label]) => (
            <tr key={key}><td>{label}</td><td data-testid={`budget-standard-${key}`}>{format(key, standard.budget[key])}</td>{large && <td data-testid={`budget-large-${key}`}>{format(key, large.budget[key])}</td>}</tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Sparsity is the fraction of prunable adapter weights removed. The two columns keep the same number of non-zero prunable weights; they differ only by bias terms, which grow with the dimension.</p>
    </div>
  );
}
