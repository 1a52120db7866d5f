// The run controls: adapter, dimension, pruner and sparsity, Large-Sparse factor, training settings;
// Run and Stop. Builds RunSettings from the settings table's defaults and sends them to the worker.
import { useState } from 'react';
import { ADAPTER_KINDS, PRUNER_KINDS, defaultRunSettings, type AdapterKind, type PrunerKind, type RunSettings } from '../../engine/settings';
import { useAppStore } from '../store';
import { BudgetPanel } from './BudgetPanel';

function NumberField({ label, value, onChange, min, max, step }: { label: string; value: number; onChange: (v: number) => void; min?: number; max?: number; step?: number }) {
  return (
    <label>{label}
      <input type="number" aria-label={label} value={value} min={min} max={max} step={step ?? 1} onChange={(e) => { const v = Number(e.target.value); if (Number.isFinite(v)) onChange(v); }} />
    </label>
  );
}

/** A short name for a run: adapter, dimension, sparsity and pruner. */
export function runLabel(settings: RunSettings): string {
  const k = settings.largeSparse;
  const sparsity = k > 1 ? 1 - (1 - settings.prune.sparsity) / k : settings.prune.sparsity;
  const dim = settings.adapter.dim * (k > 1 && settings.adapter.kind !== 'mam' && settings.adapter.kind !== 'prefix' ? k : 1);
  return `${settings.adapter.kind} d=${dim} ${Math.round(sparsity * 100)}% ${sparsity > 0 ? settings.prune.pruner : 'dense'}${k > 1 ? ` (Large-Sparse ×${k})` : ''}`;
}

export function TrainPanel() {
  const [settings, setSettings] = useState<RunSettings>(() => ({ ...defaultRunSettings('houlsby'), train: { ...defaultRunSettings().train, steps: 60, seqLen: 32, evalEvery: 20 } }));
  const model = useAppStore((s) => s.model);
  const runs = useAppStore((s) => s.runs);
  const startRun = useAppStore((s) => s.startRun);
  const stopRun = useAppStore((s) => s.stopRun);
  const pauseRun = useAppStore((s) => s.pauseRun);
  const running = runs.find((r) => r.status === 'running');
  const patch = <K extends keyof RunSettings>(key: K, value: Partial<RunSettings[K]>) => setSettings((s) => ({ ...s, [key]: { ...(s[key] as object), ...value } }));
  const setKind = (kind: AdapterKind) => setSettings((s) => ({ ...s, adapter: defaultRunSettings(kind).adapter }));

  return (
    <section className="panel" aria-labelledby="train-title">
      <h2 id="train-title">Adapter, pruning and training</h2>
      <form className="controls" onSubmit={(e) => { e.preventDefault(); void startRun(settings, runLabel(settings)); }}>
        <fieldset>
          <legend>Adapter</legend>
          <label>Type
            <select aria-label="Adapter type" value={settings.adapter.kind} onChange={(e) => setKind(e.target.value as AdapterKind)}>
              {ADAPTER_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
            </select>
          </label>
          <NumberField label={settings.adapter.kind === 'lora' ? 'Rank' : settings.adapter.kind === 'prefix' || settings.adapter.kind === 'mam' ? 'Prefix length' : 'Bottleneck'} value={settings.adapter.dim} min={1} onChange={(dim) => patch('adapter', { dim })} />
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
          <legend>Training (toy sentiment task)</legend>
          <NumberField label="Steps" value={settings.train.steps} min={1} onChange={(steps) => patch('train', { steps })} />
          <NumberField label="Batch size" value={settings.train.batchSize} min={1} onChange={(batchSize) => patch('train', { batchSize })} />
          <NumberField label="Sequence length" value={settings.train.seqLen} min={8} onChange={(seqLen) => patch('train', { seqLen })} />
          <NumberField label="Learning rate" value={settings.train.learningRate} min={0} step={0.0001} onChange={(learningRate) => patch('train', { learningRate })} />
          <NumberField label="Seed" value={settings.train.seed} onChange={(seed) => patch('train', { seed })} />
        </fieldset>
        {model && <BudgetPanel settings={settings} model={model} numLabels={2} />}
        <div className="row">
          <button type="submit" disabled={!model || Boolean(running)}>Run</button>
          <button type="button" disabled={!running} onClick={() => running && void pauseRun(running.id, !running.paused)}>{running?.paused ? 'Resume' : 'Pause'}</button>
          <button type="button" disabled={!running} onClick={() => running && void stopRun(running.id)}>Stop</button>
          <span className="muted">Run: {runLabel(settings)}</span>
        </div>
      </form>
    </section>
  );
}
