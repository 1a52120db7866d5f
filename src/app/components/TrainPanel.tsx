// The run controls: adapter, dimension, pruner and sparsity, Large-Sparse factor, training settings;
// Run and Stop. Builds RunSettings from the settings table's defaults and sends them to the worker.
import { ADAPTER_KINDS, PAGE_SETTINGS, PageSettingsSchema, SETTINGS, withAdapterKind, type AdapterKind, type ChoiceSetting, type RunSettings } from '../../engine/settings';
import { ADAPTER_SPECS, isHeadOnly, largeSparseBlocked } from '../../engine/adapters/registry';
import { runLabel, seededLabel } from '../labels';
import { seedsProblem } from '../seeds';
import { SWEEP_SPARSITIES } from '../sweeps';
import { epochsForSteps, stepsForEpochs } from '../runs';
import { useAppStore } from '../store';
import { BudgetPanel } from './BudgetPanel';
import { MemoryPanel } from './MemoryPanel';
import { TaskPicker } from './TaskPicker';

/** A number input with a setting's label, range and step (settings.ts's table); `label` overrides the table's (a kind names its dimension). */
function NumberField({ setting, label, value, onChange }: { setting: { label: string; min?: number; max?: number; step: number | 'any'; help?: string }; label?: string; value: number; onChange: (v: number) => void }) {
  const name = label ?? setting.label;
  return (
    <label>{name}
      <input type="number" aria-label={name} title={setting.help} value={value} min={setting.min} max={setting.max} step={setting.step} onChange={(e) => { const v = Number(e.target.value); if (Number.isFinite(v)) onChange(v); }} />
    </label>
  );
}

/** A select over a setting's names; `titles` words an option where its name is not enough. */
function ChoiceField<T extends string>({ setting, value, onChange, titles }: { setting: ChoiceSetting<T>; value: T; onChange: (v: T) => void; titles?: Partial<Record<T, string>> }) {
  return (
    <label>{setting.label}
      <select aria-label={setting.label} value={value} onChange={(e) => onChange(setting.values.find((v) => v === e.target.value) ?? setting.default)}>
        {setting.values.map((v) => <option key={v} value={v}>{titles?.[v] ?? v}</option>)}
      </select>
    </label>
  );
}

/** The epochs field: not a setting (it sets steps), any positive number. */
const EPOCHS = { label: 'or epochs', min: 0.01, step: 'any' } as const;
const { adapter: A, prune: P, train: T } = SETTINGS;

export function TrainPanel() {
  const settings = useAppStore((s) => s.draft);
  const setSettings = useAppStore((s) => s.setDraft);
  const model = useAppStore((s) => s.model);
  const runSeeds = useAppStore((s) => s.runSeeds);
  const sweepSparsity = useAppStore((s) => s.sweepSparsity);
  const page = useAppStore((s) => s.draftPage);
  const setPage = useAppStore((s) => s.setDraftPage);
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
  const setKind = (kind: AdapterKind) => setSettings((s) => withAdapterKind(s, kind));
  // A head-only kind has nothing to prune: its sparsity stays 0 (withAdapterKind set it).
  const headOnly = isHeadOnly(settings.adapter);
  // The seeds count is checked here (the worker checks the run settings): every button that queues runs uses it.
  const seeds = page.seeds;
  const seedsError = PageSettingsSchema.safeParse(page).success ? seedsProblem(settings.train.seed, seeds) : `${PAGE_SETTINGS.seeds.label} must be a whole number from ${PAGE_SETTINGS.seeds.min} to ${PAGE_SETTINGS.seeds.max}`;
  const label = (s: RunSettings) => seededLabel(s, seeds);
  const times = seeds > 1 ? ` × ${seeds} seeds` : '';
  const cannotRun = !model || (settings.task !== 'toy' && !task) || seedsError !== null;

  return (
    <section className="panel" aria-labelledby="train-title">
      <h2 id="train-title">Adapter, pruning and training</h2>
      <form className="controls" noValidate onSubmit={(e) => { e.preventDefault(); if (!cannotRun) void runSeeds(settings, seeds, label); }}>
        <fieldset>
          <legend>Adapter</legend>
          <label>Type
            <select aria-label="Adapter type" value={settings.adapter.kind} onChange={(e) => setKind(e.target.value as AdapterKind)}>
              {ADAPTER_KINDS.map((k) => <option key={k} value={k}>{ADAPTER_SPECS[k].title}</option>)}
            </select>
          </label>
          {spec.dimLabel !== null && <NumberField setting={A.dim} label={spec.dimLabel} value={settings.adapter.dim} onChange={(dim) => patch('adapter', { dim })} />}
        </fieldset>
        <fieldset>
          <legend>Pruning at initialisation</legend>
          <label>{P.sparsity.label} (fraction of adapter weights removed): {Math.round(settings.prune.sparsity * 100)}%
            <input type="range" aria-label={P.sparsity.label} disabled={headOnly && settings.prune.sparsity === 0} title={headOnly ? 'a head-only run has no adapter to prune' : undefined} min={P.sparsity.min} max={P.sparsity.max} step={P.sparsity.step} value={settings.prune.sparsity} onChange={(e) => patch('prune', { sparsity: Number(e.target.value) })} />
          </label>
          <ChoiceField setting={P.pruner} value={settings.prune.pruner} onChange={(pruner) => patch('prune', { pruner })} />
          <ChoiceField setting={P.scope} value={settings.prune.scope} onChange={(scope) => patch('prune', { scope })} />
          <NumberField setting={SETTINGS.largeSparse} value={settings.largeSparse} onChange={(largeSparse) => setSettings((s) => ({ ...s, largeSparse }))} />
        </fieldset>
        <fieldset>
          <legend>Task and training</legend>
          <TaskPicker value={settings.task} onChange={(id) => setSettings((s) => ({ ...s, task: id }))} />
          <NumberField setting={T.steps} value={settings.train.steps} onChange={(steps) => patch('train', { steps })} />
          {task && task.sizes.train > 0 && <NumberField setting={EPOCHS} value={epochsForSteps(settings.train.steps, task.sizes.train, settings.train.batchSize)} onChange={(epochs) => epochs > 0 && patch('train', { steps: stepsForEpochs(epochs, task.sizes.train, settings.train.batchSize) })} />}
          <NumberField setting={T.batchSize} value={settings.train.batchSize} onChange={(batchSize) => patch('train', { batchSize })} />
          <NumberField setting={T.seqLen} value={settings.train.seqLen} onChange={(seqLen) => patch('train', { seqLen })} />
          <NumberField setting={T.learningRate} value={settings.train.learningRate} onChange={(learningRate) => patch('train', { learningRate })} />
          <NumberField setting={T.seed} value={settings.train.seed} onChange={(seed) => patch('train', { seed })} />
          <NumberField setting={PAGE_SETTINGS.seeds} value={seeds} onChange={(n) => setPage({ seeds: n })} />
        </fieldset>
        <details>
          <summary>Advanced settings</summary>
          <fieldset>
            <legend>Adapter details</legend>
            {uses('nonlinearity') && (
              <ChoiceField setting={A.nonlinearity} value={settings.adapter.nonlinearity} onChange={(nonlinearity) => patch('adapter', { nonlinearity })} />
            )}
            {uses('init') && (
              <ChoiceField setting={A.init} value={settings.adapter.init} onChange={(init) => patch('adapter', { init })} titles={{ bert: 'bert: every matrix N(0, 0.02)', standard: 'standard: zero LoRA B / parallel up' }} />
            )}
            {uses('loraAlpha') && <NumberField setting={A.loraAlpha} value={settings.adapter.loraAlpha} onChange={(loraAlpha) => patch('adapter', { loraAlpha })} />}
            {uses('parallelScale') && <NumberField setting={A.parallelScale} value={settings.adapter.parallelScale} onChange={(parallelScale) => patch('adapter', { parallelScale })} />}
            {uses('mamParallelDim') && <NumberField setting={A.mamParallelDim} value={settings.adapter.mamParallelDim} onChange={(mamParallelDim) => patch('adapter', { mamParallelDim })} />}
            {uses('prefixHidden') && <NumberField setting={A.prefixHidden} value={settings.adapter.prefixHidden} onChange={(prefixHidden) => patch('adapter', { prefixHidden })} />}
            {uses('pruneBiases') && <label className="check"><input type="checkbox" checked={settings.adapter.pruneBiases} onChange={(e) => patch('adapter', { pruneBiases: e.target.checked })} /> {A.pruneBiases.label}</label>}
            {uses('prunePrefix') && <label className="check"><input type="checkbox" checked={settings.adapter.prunePrefix} onChange={(e) => patch('adapter', { prunePrefix: e.target.checked })} /> {A.prunePrefix.label}</label>}
          </fieldset>
          <fieldset>
            <legend>Pruning details</legend>
            <NumberField setting={P.rounds} value={settings.prune.rounds} onChange={(rounds) => patch('prune', { rounds })} />
            <ChoiceField setting={P.schedule} value={settings.prune.schedule} onChange={(schedule) => patch('prune', { schedule })} />
            <NumberField setting={P.scoringBatches} value={settings.prune.scoringBatches} onChange={(scoringBatches) => patch('prune', { scoringBatches })} />
          </fieldset>
          <fieldset>
            <legend>Optimiser</legend>
            <NumberField setting={T.warmupRatio} value={settings.train.warmupRatio} onChange={(warmupRatio) => patch('train', { warmupRatio })} />
            <NumberField setting={T.weightDecay} value={settings.train.weightDecay} onChange={(weightDecay) => patch('train', { weightDecay })} />
            <NumberField setting={T.maxGradNorm} value={settings.train.maxGradNorm} onChange={(maxGradNorm) => patch('train', { maxGradNorm })} />
            <NumberField setting={T.evalEvery} value={settings.train.evalEvery} onChange={(evalEvery) => patch('train', { evalEvery })} />
            <NumberField setting={SETTINGS.splitSeed} value={settings.splitSeed} onChange={(splitSeed) => setSettings((s) => ({ ...s, splitSeed }))} />
          </fieldset>
        </details>
        {model && <BudgetPanel settings={settings} model={model} numLabels={task?.labels.length ?? 2} tagging={task?.kind === 'token'} />}
        {model && <MemoryPanel settings={settings} model={model} numLabels={task?.labels.length ?? 2} tagging={task?.kind === 'token'} />}
        <div className="row">
          {/* While a run trains, Run and the comparison queue their runs behind it (see the runs panel). */}
          <button type="submit" disabled={cannotRun} title={seedsError ?? (running ? 'Queues this run: it starts when the runs before it have ended' : undefined)}>Run</button>
          <button type="button" disabled={cannotRun || blocked !== null} title={seedsError ?? blocked ?? 'The standard adapter and its Large-Sparse counterpart, seed by seed: the same batches and head within a pair'} onClick={() => void compareLargeSparse(settings, compareK, label, seeds)}>Large-Sparse ×{compareK} vs standard{times}</button>
          <button type="button" disabled={cannotRun} title={seedsError ?? `Queues ${SWEEP_SPARSITIES.length * seeds} runs: this configuration at each sparsity, for each seed; the runs panel then draws the metric against sparsity`} onClick={() => void sweepSparsity(settings, SWEEP_SPARSITIES, seeds, label)}>Sparsity sweep {SWEEP_SPARSITIES.map((x) => 100 * x).join(', ')}%{times}</button>
          <button type="button" disabled={!running} onClick={() => running && void pauseRun(running.id, !running.paused)}>{running?.paused ? 'Resume' : 'Pause'}</button>
          <button type="button" disabled={!running} onClick={() => running && void stopRun(running.id)}>Stop</button>
          <span className="muted">Run: {runLabel(settings)}{seeds > 1 && seedsError === null && ` with seeds ${settings.train.seed} to ${settings.train.seed + seeds - 1}`}{running && ` (waits for the running run${queued > 0 ? ` and ${queued} queued` : ''})`}</span>
        </div>
        {seedsError && <p className="warning" role="alert" data-testid="seeds-error">{seedsError}.</p>}
      </form>
    </section>
  );
}
