// Memory of one training step of the chosen configuration on the running backend (an estimate from the
// shapes, the engine's own plan): the frozen weights, the trainable tensors, one pass's activations, and a
// warning before a run that would not fit (the engine refuses it with the same numbers).
import { estimateMemory, gib } from '../memory';
import type { RunSettings } from '../../engine/settings';
import type { PlmSummary } from '../../worker/protocol';
import { useAppStore } from '../store';
import { budgetPair } from './BudgetPanel';

export function MemoryPanel({ settings, model, numLabels, tagging = false }: { settings: RunSettings; model: PlmSummary; numLabels: number; tagging?: boolean }) {
  const backend = useAppStore((s) => (s.backend.state === 'done' ? s.backend.value.backend : null));
  if (!backend) return null;
  const { budget } = budgetPair(settings, model, numLabels, tagging).standard;
  const estimate = estimateMemory(model, { batchSize: settings.train.batchSize, seqLen: settings.train.seqLen, backend, trainableParams: budget.adapterParams + budget.headParams });
  const { plan } = estimate;
  return (
    <div className="memory" data-testid="memory">
      <h3>Memory of a training step on {backend} (estimate)</h3>
      <table className="compact">
        <tbody>
          <tr><td>frozen model weights (float32)</td><td data-testid="memory-weights">{gib(estimate.weightsBytes)}</td></tr>
          <tr><td>adapter and head, with gradients and AdamW moments</td><td data-testid="memory-trainable">{gib(estimate.trainableBytes)}</td></tr>
          <tr><td>activations of one pass</td><td data-testid="memory-activations">{plan ? `${gib(plan.passBytes)} (${plan.passes === 1 ? `the whole batch of ${plan.microBatch}` : `${plan.passes} passes of ${plan.microBatch}`}; budget ${gib(plan.budgetBytes)})` : '—'}</td></tr>
          <tr><td>in all</td><td data-testid="memory-total">{gib(estimate.totalBytes)}</td></tr>
        </tbody>
      </table>
      {estimate.refusal && <p className="error" role="alert" data-testid="memory-refusal">This configuration {estimate.refusal}.</p>}
      {estimate.warnings.map((w) => <p key={w} className="warning" data-testid="memory-warning">Note: {w}.</p>)}
    </div>
  );
}
