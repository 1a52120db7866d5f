// The run controls: adapter, dimension, pruner and sparsity, Large-Sparse factor, training settings;
// Run and Stop. Builds RunSettings from the settings table's defaults and sends them to the worker.
import { ADAPTER_KINDS, NONLINEARITIES, PRUNER_KINDS, defaultRunSettings, type AdapterInit, type AdapterKind, type Nonlinearity, type PruneSchedule, type PrunerKind, type RunSettings } from '../../engine/settings';
import { ADAPTER_SPECS, largeSparse, largeSparseBlocked, scaledDimensionsLabel } from '../../engine/adapters/registry';
import { epochsForSteps, stepsForEpochs } from '../runs';
import { useAppStore } from '../store';
import { BudgetPanel } from './BudgetPanel';
import { TaskPicker } from './TaskPicker';

function NumberField({ label, value, onChange, min, max, step }: { label: string; value: number; onChange: (v: number) => void; min?: number; max?: number; step?: number | 'any' }) {
  return (
    <label>{label}
      <input type="number" aria-label={label} value={value} min={min} max={max} step={step ?? 1} onChange={(e) => { const v = Number(e.target.value); if (Number.isFinite(v)) onChange(v); }} />
    </label>
  );
}

/** A short name for a run: adapter, the dimensions Large-Sparse scales (as trained), sparsity and pruner. */
export function runLabel(settings: RunSettings): string {
  const k = settings.largeSparse;
  let trained = { options: settings.adapter, sparsity: settings.prune.sparsity };
  // The same transform the engine applies (the adapter's spec), so the label cannot drift from the run.
  if (k > 1 && !largeSparseBlocked(settings.adapter)) trained = largeSparse(settings.adapter, settings.prune.sparsity, k);
  if (settings.adapter.kind === 'none') return 'head only (no adapter)';
  const sparsity = trained.sparsity;
  return `${settings.adapter.kind} ${scaledDimensionsLabel(trained.options)} ${Math.round(sparsity * 100)}% ${sparsity > 0 ? settings.prune.pruner : 'dense'}${k > 1 ? ` (Large-Sparse ×${k})` : ''}`;
}

export function TrainPanel() {
  const settings = useAppStore((s) => s.draft);
  const setSettings = useAppStore((s) => s.setDraft);
  const model = useAppStore((s) => s.model);
  const startRun = useAppStore((s) => s.startRun);
  const stopRun = useAppStore((s) => s.stopRun);
  const pauseRun = useAppStore((s) => s.pauseRun);
  const compareLargeSparse = useAppStore((s) => s.compareLargeSparse);
  const compareK = Math.max(2, settings.largeSparse);
  // Primitives, so that a streaming run's events do not re-render the controls.
  const runningId = useAppStore((s) => s.runs.find((r) => r.status === 'running')?.id);
  const runningPaused = useAppStore((s) => s.runs.find((r) => r.status === 'running')?.paused ?? false);
  const running = runningId === undefined ? undefined : { id: runningId, paused: runningPaused };
  const queued = useAppStore((s) => s.runQueue.length);
  const task = useAppStore((s) => s.tasks.find((t) => t.id === settings.task));
  const patch = <K extends keyof RunSettings>(key: K, value: Partial<RunSettings[K]>) => setSettings((s) => ({ ...s, [key]: { ...(s[key] as object), ...value } }));
  const spec = ADAPTER_SPECS[settings.adapter.kind];
  const blocked = largeSparseBlocked(settings.adapter);
  /** Whether the chosen kind reads an option (its spec lists them): the controls show only those. */
  const uses = (option: keyof RunSettings['adapter']) => spec.uses.includes(option);
  const setKind = (kind: AdapterKind) => setSettings((s) => ({ ...s, adapter: defaultRunSettings(kind).adapter }));

  return (
    <section className="panel" aria-labelledby="train-title">
      <h2 id="train-title">Adapter, pruning and training</h2>
      <form className="controls" noValidate onSubmit={(e) => { e.preventDefault(); void startRun(settings, runLabel(settings)); }}>
        <fieldset>
          <legend>Adapter</legend>
          <label>Type
            <select aria-label="Adapter type" value={settings.adapter.kind} onChange={(e) => setKind(e.target.value as AdapterKind)}>
              {ADAPTER_KINDS.map((k) => <option key={k} value={k}>{ADAPTER_SPECS[k].title}</option>)}
            </select>
          </label>
          {spec.dimLabel !== null && <NumberField label={spec.dimLabel} value={settings.adapter.dim} min={1} onChange={(dim) => patch('adapter', { dim })} />}
        </fieldset>
        <fieldset>
          <legend>Pruning at initialisation</legend>
          <label>Sparsity (fraction of adapter weights removed): {Math.round(settings.prune.sparsity * 100)}%
            <input type="range" aria-label="Sparsity" min={0} max={0.95} step={0.05} value={settings.prune.sparsity} onChange={(e) => patch('prune', { sparsity: Number(e.target.value) })} />
          </label>
          <label>Pruner
            <select aria-label="Pruner" value={settings.prune.pruner} onChange={(e) => patch('prune', { pruner: e.target.value as PrunerKind })}>
              {PRUNER_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          </label>
          <label>Scope
            <select aria-label="Scope" value={settings.prune.scope} onChange={(e) => patch('prune', { scope: e.target.value as 'global' | 'local' })}>
              <option value="global">global</option><option value="local">local</option>
            </select>
          </label>
          <NumberField label="Large-Sparse factor k" value={settings.largeSparse} min={1} max={8} onChange={(largeSparse) => setSettings((s) => ({ ...s, largeSparse }))} />
        </fieldset>
        <fieldset>
          <legend>Task and training</legend>
          <TaskPicker value={settings.task} onChange={(id) => setSettings((s) => ({ ...s, task: id }))} />
          <NumberField label="Steps" value={settings.train.steps} min={1} onChange={(steps) => patch('train', { steps })} />
          {task && task.sizes.train > 0 && <NumberField label="or epochs" value={epochsForSteps(settings.train.steps, task.sizes.train, settings.train.batchSize)} min={0.01} step="any" onChange={(epochs) => epochs > 0 && patch('train', { steps: stepsForEpochs(epochs, task.sizes.train, settings.train.batchSize) })} />}
          <NumberField label="Batch size" value={settings.train.batchSize} min={1} onChange={(batchSize) => patch('train', { batchSize })} />
          <NumberField label="Sequence length" value={settings.train.seqLen} min={8} onChange={(seqLen) => patch('train', { seqLen })} />
          <NumberField label="Learning rate" value={settings.train.learningRate} min={0} step={0.0001} onChange={(learningRate) => patch('train', { learningRate })} />
          <NumberField label="Seed" value={settings.train.seed} onChange={(seed) => patch('train', { seed })} />
        </fieldset>
        <details>
          <summary>Advanced settings</summary>
          <fieldset>
            <legend>Adapter details</legend>
            {uses('nonlinearity') && (
              <label>Non-linearity
                <select aria-label="Non-linearity" value={settings.adapter.nonlinearity} onChange={(e) => patch('adapter', { nonlinearity: e.target.value as Nonlinearity })}>
                  {NONLINEARITIES.map((k) => <option key={k} value={k}>{k}</option>)}
                </select>
              </label>
            )}
            {uses('init') && (
              <label>Initialisation
                <select aria-label="Initialisation" value={settings.adapter.init} onChange={(e) => patch('adapter', { init: e.target.value as AdapterInit })}>
                  <option value="bert">bert: every matrix N(0, 0.02)</option>
                  <option value="standard">standard: zero LoRA B / parallel up</option>
                </select>
              </label>
            )}
            {uses('loraAlpha') && <NumberField label="LoRA alpha" value={settings.adapter.loraAlpha} min={1} onChange={(loraAlpha) => patch('adapter', { loraAlpha })} />}
            {uses('parallelScale') && <NumberField label="Parallel scale" value={settings.adapter.parallelScale} min={0} step={0.5} onChange={(parallelScale) => patch('adapter', { parallelScale })} />}
            {uses('mamParallelDim') && <NumberField label="Parallel bottleneck" value={settings.adapter.mamParallelDim} min={1} onChange={(mamParallelDim) => patch('adapter', { mamParallelDim })} />}
            {uses('prefixHidden') && <NumberField label="Prefix MLP width" value={settings.adapter.prefixHidden} min={1} onChange={(prefixHidden) => patch('adapter', { prefixHidden })} />}
            {uses('pruneBiases') && <label className="check"><input type="checkbox" checked={settings.adapter.pruneBiases} onChange={(e) => patch('adapter', { pruneBiases: e.target.checked })} /> also prune biases</label>}
            {uses('prunePrefix') && <label className="check"><input type="checkbox" checked={settings.adapter.prunePrefix} onChange={(e) => patch('adapter', { prunePrefix: e.target.checked })} /> prune the prefix MLP (this project's extension, not in the paper)</label>}
          </fieldset>
          <fieldset>
            <legend>Pruning details</legend>
            <NumberField label="Rounds" value={settings.prune.rounds} min={1} onChange={(rounds) => patch('prune', { rounds })} />
            <label>Schedule
              <select aria-label="Schedule" value={settings.prune.schedule} onChange={(e) => patch('prune', { schedule: e.target.value as PruneSchedule })}>
                <option value="exponential">exponential</option><option value="linear">linear</option>
              </select>
            </label>
            <NumberField label="Scoring batches" value={settings.prune.scoringBatches} min={1} onChange={(scoringBatches) => patch('prune', { scoringBatches })} />
          </fieldset>
          <fieldset>
            <legend>Optimiser</legend>
            <NumberField label="Warmup ratio" value={settings.train.warmupRatio} min={0} max={1} step={0.01} onChange={(warmupRatio) => patch('train', { warmupRatio })} />
            <NumberField label="Weight decay" value={settings.train.weightDecay} min={0} step={0.01} onChange={(weightDecay) => patch('train', { weightDecay })} />
            <NumberField label="Gradient clip" value={settings.train.maxGradNorm} min={0} step={0.1} onChange={(maxGradNorm) => patch('train', { maxGradNorm })} />
            <NumberField label="Eval every (steps)" value={settings.train.evalEvery} min={0} onChange={(evalEvery) => patch('train', { evalEvery })} />
          </fieldset>
        </details>
        {model && <BudgetPanel settings={settings} model={model} numLabels={task?.labels.length ?? 2} tagging={task?.kind === 'token'} />}
        <div className="row">
          {/* While a run trains, Run and the comparison queue their runs behind it (see the runs panel). */}
          <button type="submit" disabled={!model || (settings.task !== 'toy' && !task)} title={running ? 'Queues this run: it starts when the runs before it have ended' : undefined}>Run</button>
          <button type="button" disabled={!model || (settings.task !== 'toy' && !task) || blocked !== null} title={blocked ?? undefined} onClick={() => void compareLargeSparse(settings, compareK, runLabel)}>Large-Sparse ×{compareK} vs standard</button>
          <button type="button" disabled={!running} onClick={() => running && void pauseRun(running.id, !running.paused)}>{running?.paused ? 'Resume' : 'Pause'}</button>
          <button type="button" disabled={!running} onClick={() => running && void stopRun(running.id)}>Stop</button>
          <span className="muted">Run: {runLabel(settings)}{running && ` (waits for the running run${queued > 0 ? ` and ${queued} queued` : ''})`}</span>
        </div>
      </form>
    </section>
  );
}
