// Live results: the running run's phase and progress and the queue behind it, each run's loss curves
// (raw and smoothed) and dev metric (a seed group's as its mean with a band), where the pruner kept
// weights (density per layer and per tensor), the Large-Sparse comparisons, the sparsity sweeps, and a
// table of all runs.
import { memo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { exportLibrary } from '../../engine/settings';
import { KEPT_ADAPTERS } from '../../worker/protocol';
import { useAppStore } from '../store';
import { comparisons } from '../comparison';
import { runProgress, type RunRecord } from '../runs';
import { repeatOf } from '../seeds';
import { ComparisonNote } from './ComparisonNote';
import { saveFile, ShareBar } from './ShareBar';
import { PruningCharts } from './PruningCharts';
import { SeedGroupTable } from './SeedGroupTable';
import { SweepCharts } from './SweepChart';
import { RunQueue } from './RunQueue';
import { TryIt } from './TryIt';
import { ConfusionMatrix, LOSS_SERIES, LR_SERIES, METRIC_SERIES, StepChart, THROUGHPUT_SERIES } from './RunCharts';

function progress(run: RunRecord): string {
  if (run.status === 'failed') return `failed: ${run.error}`;
  if (run.paused) return 'paused';
  if (run.phase === 'scoring' && run.scoring) return `scoring batch ${run.scoring.batch} of ${run.scoring.batches} (round ${run.scoring.round}/${run.scoring.rounds})`;
  const last = run.losses[run.losses.length - 1];
  if (run.phase === 'training' && last) return `training step ${last.step} of ${run.settings.train.steps}`;
  return run.phase;
}

function eta(run: RunRecord): string {
  const { etaSeconds } = runProgress(run);
  return etaSeconds === null ? '' : ` — about ${etaSeconds < 90 ? `${Math.ceil(etaSeconds)} s` : `${Math.ceil(etaSeconds / 60)} min`} left`;
}

type Pruned = NonNullable<RunRecord['pruned']>;

/** Memoised on the pruning outcome (fixed while the run trains), so streaming steps do not redraw it. */
const DensityBars = memo(function DensityBars({ pruned, pruner, scope }: { pruned: Pruned; pruner: string; scope: string }) {
  const layers = pruned.layerDensity.map((d) => ({ layer: d.layer === null ? 'shared' : `layer ${d.layer}`, density: +(100 * d.kept / d.total).toFixed(2) }));
  return (
    <div data-testid="density">
      <h3>Where {pruner} kept weights ({scope} scope): density per layer, %</h3>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={layers}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="layer" interval={0} />
          <YAxis domain={[0, 100]} width={40} interval={0} />
          <Tooltip />
          <Bar dataKey="density" fill="#0072B2" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
});

function DensityChart({ run }: { run: RunRecord }) {
  return run.pruned ? <DensityBars pruned={run.pruned} pruner={run.settings.prune.pruner} scope={run.settings.prune.scope} /> : null;
}

/** Learning rate and throughput, drawn only while opened (fewer charts to redraw while a run streams). */
function MoreCharts({ runs }: { runs: RunRecord[] }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Learning rate and throughput</summary>
      {open && <div className="two">
        <StepChart runs={runs} series={LR_SERIES} digits={2} title="Learning rate" phase={250} />
        <StepChart runs={runs} series={THROUGHPUT_SERIES} digits={4} title="Throughput (tokens/s)" phase={750} />
      </div>}
    </details>
  );
}

/** Import of exported runs; available with no runs too. */
function ImportRuns() {
  const importRunFile = useAppStore((s) => s.importRunFile);
  const status = useAppStore((s) => s.runImport);
  const notes = useAppStore((s) => s.importNotes);
  const importAdapter = useAppStore((s) => s.importAdapter);
  const adapterImport = useAppStore((s) => s.adapterImport);
  return (
    <div className="row" data-testid="import-runs">
      <label>Import runs (JSON) <input type="file" accept=".json,application/json" aria-label="Import runs" onChange={(e) => { const f = e.target.files?.[0]; if (f) void f.text().then((t) => importRunFile(f.name, t)); e.target.value = ''; }} /></label>
      {status.state === 'done' && <span className="muted" role="status">Imported {status.value} run{status.value === 1 ? '' : 's'}.</span>}
      {status.state === 'failed' && <span className="warning" role="alert">{status.message}</span>}
      <label>Import a trained adapter (.safetensors) <input type="file" accept=".safetensors" aria-label="Import adapter" onChange={(e) => { const f = e.target.files?.[0]; if (f) void f.arrayBuffer().then((b) => importAdapter(f.name, new Uint8Array(b))); e.target.value = ''; }} /></label>
      {adapterImport.state === 'done' && <span className="muted" role="status">Loaded {adapterImport.value}: try it below.</span>}
      {adapterImport.state === 'failed' && <span className="warning" role="alert" data-testid="adapter-import-error">{adapterImport.message}</span>}
      {notes.map((n, i) => <p key={i} className="warning">{n}</p>)}
    </div>
  );
}

/** The Python library a run's adapter exports to ("AdapterHub" or "PEFT"), or null (prefix-tuning, MAM). */
function pythonLibrary(run: RunRecord): string | null {
  const library = exportLibrary(run.settings.adapter.kind);
  return library === 'adapters' ? 'AdapterHub' : library === 'peft' ? 'PEFT' : null;
}

/** The last run that `test` accepts. */
function lastRun(runs: readonly RunRecord[], test: (run: RunRecord) => boolean): RunRecord | undefined {
  for (let i = runs.length - 1; i >= 0; i--) if (test(runs[i]!)) return runs[i];
  return undefined;
}

export function RunsPanel() {
  const runs = useAppStore((s) => s.runs);
  const queue = useAppStore((s) => s.runQueue);
  const applySettings = useAppStore((s) => s.applySettings);
  const renameRun = useAppStore((s) => s.renameRun);
  const deleteRun = useAppStore((s) => s.deleteRun);
  const checkpoints = useAppStore((s) => s.checkpoints);
  const resumeRun = useAppStore((s) => s.resumeRun);
  const resumeNotice = useAppStore((s) => s.resumeNotice);
  const [editing, setEditing] = useState<string | null>(null);
  const exportAdapter = useAppStore((s) => s.exportAdapter);
  const exportLibraryZip = useAppStore((s) => s.exportLibrary);
  const kept = useAppStore((s) => s.keptAdapters);
  const [adapterError, setAdapterError] = useState<string | null>(null);
  /** Asks the worker for a file and saves it; a failure is shown above the table. */
  const download = async (make: () => Promise<{ name: string; bytes: Uint8Array; type: string }>) => {
    try {
      const { name, bytes, type } = await make();
      saveFile(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name);
      setAdapterError(null);
    } catch (error) {
      setAdapterError(error instanceof Error ? error.message : String(error));
    }
  };
  const downloadAdapter = (run: RunRecord) => download(async () => ({ name: `${run.label.replace(/[^\w.=-]+/g, '_')}.safetensors`, bytes: await exportAdapter(run.id), type: 'application/octet-stream' }));
  const downloadForPython = (run: RunRecord) => download(async () => {
    const { fileName, bytes } = await exportLibraryZip(run.id, run.label);
    return { name: fileName, bytes, type: 'application/zip' };
  });
  // Runs unticked in the table are hidden from the charts; all are shown by default.
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  if (runs.length === 0) return <section className="panel" aria-label="Runs"><ImportRuns /></section>;
  // The details below are the latest started run's; a queued run has none yet.
  const latest = lastRun(runs, (r) => r.status !== 'queued') ?? runs[runs.length - 1]!;
  const running = runs.filter((r) => r.status === 'running');
  // Try it works while another run trains: it is the latest finished run's.
  const tryRun = lastRun(runs, (r) => r.status === 'done');
  const shown = runs.filter((r) => !hidden.has(r.id));
  const toggle = (id: string) => setHidden((h) => { const next = new Set(h); if (next.has(id)) next.delete(id); else next.add(id); return next; });
  return (
    <section className="panel" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      {(running.length > 0 ? running : latest.status === 'queued' ? [] : [latest]).map((run) => (
        <div key={run.id}>
          <p data-testid="run-progress" data-status={run.status}>{run.label}: {progress(run)}{eta(run)}</p>
          <progress max={1} value={runProgress(run).fraction} aria-label={`Progress of ${run.label}`} />
        </div>
      ))}
      <RunQueue runs={runs} queue={queue} />
      {latest.warnings.map((w) => <p key={w} className="warning">{w}</p>)}
      <StepChart runs={shown} series={LOSS_SERIES} height={260} title="Training loss (smoothed; raw faint)" />
      <StepChart runs={shown} series={METRIC_SERIES} title="Dev accuracy" phase={500} />
      <MoreCharts runs={shown} />
      <SeedGroupTable runs={shown} />
      {latest.summary && <ConfusionMatrix run={latest} labels={latest.summary.labels} />}
      {tryRun && (kept.includes(tryRun.id)
        ? <TryIt run={tryRun} />
        : <p className="muted" data-testid="not-kept">Try it and the adapter downloads need this run's trained adapter, which the engine no longer holds (it keeps the last {KEPT_ADAPTERS} trained or imported ones, and none after a reload or a model change): run it again, or import its adapter file.</p>)}
      <DensityChart run={latest} />
      <PruningCharts run={latest} />
      {comparisons(runs).map((c) => <ComparisonNote key={c.group} comparison={c} />)}
      <SweepCharts runs={shown} />
      <ShareBar shown={shown} />
      <ImportRuns />
      {adapterError && <p className="warning" role="alert">{adapterError}</p>}
      {resumeNotice && <p className="warning" role="alert" data-testid="resume-notice">{resumeNotice.message}</p>}
      <table className="compact" data-testid="runs-table">
        <thead><tr><th>show</th><th>run</th><th>status</th><th>non-zero trainable</th><th>% of PLM</th><th>dev accuracy</th><th>last loss</th><th>time</th><th>actions</th></tr></thead>
        <tbody>
          {runs.map((run) => {
            const budget = run.summary?.budget ?? run.pruned?.budget;
            const last = run.losses[run.losses.length - 1];
            const best = run.evals.length > 0 ? run.evals.reduce((m, e) => Math.max(m, e.accuracy), -Infinity) : run.summary?.dev.accuracy ?? NaN;
            return (
              <tr key={run.id} data-testid="run-row" data-settings={JSON.stringify(run.settings)} data-losses={JSON.stringify(run.losses.map((l) => l.loss))} data-checkpoint={checkpoints[run.id]?.step}>
                <td><input type="checkbox" aria-label={`Show ${run.label}`} checked={!hidden.has(run.id)} onChange={() => toggle(run.id)} /></td>
                <td>{editing === run.id
                  ? <input aria-label={`New name for ${run.label}`} defaultValue={run.label} autoFocus maxLength={120}
                    onKeyDown={(e) => { if (e.key === 'Enter') { renameRun(run.id, e.currentTarget.value); setEditing(null); } else if (e.key === 'Escape') setEditing(null); }}
                    onBlur={(e) => { renameRun(run.id, e.currentTarget.value); setEditing(null); }} />
                  : run.label}</td>
                <td title={run.error ?? undefined}>{run.status}</td>
                <td>{budget ? budget.trainableNonzero.toLocaleString('en-US') : '—'}</td>
                <td>{budget ? budget.percentOfPlm.toFixed(3) : '—'}</td>
                <td>{Number.isFinite(best) ? best.toFixed(3) : '—'}</td>
                <td>{last ? last.loss.toFixed(4) : '—'}</td>
                <td>{run.summary ? `${run.summary.seconds.toFixed(1)} s` : '—'}</td>
                <td><button type="button" title={`Put this run's settings in the controls${run.seedGroup ? ` with its group's ${run.seedGroup.seeds} seeds` : ''} (nothing starts until you press Run)`} onClick={() => { const { settings, page } = repeatOf(run, runs); void applySettings(settings, page); document.getElementById('train-title')?.scrollIntoView({ behavior: 'smooth' }); }}>{run.status === 'shared' ? 'Run it again' : 'Use settings'}</button>
                  {run.status === 'done' && kept.includes(run.id) && <>{' '}<button type="button" aria-label={`Download the adapter of ${run.label}`} onClick={() => void downloadAdapter(run)}>Adapter</button></>}
                  {run.status === 'done' && kept.includes(run.id) && pythonLibrary(run) && <>{' '}<button type="button" aria-label={`Download ${run.label} for ${pythonLibrary(run)}`} title={`A folder (zipped) that ${pythonLibrary(run)} loads in Python, with the head and the sparsity masks`} onClick={() => void downloadForPython(run)}>{pythonLibrary(run)}</button></>}
                  {run.status === 'interrupted' && checkpoints[run.id] && <>{' '}<button type="button" aria-label={`Resume ${run.label}`} title={`Continue from the checkpoint at step ${checkpoints[run.id]!.step} (model ${checkpoints[run.id]!.model})`} onClick={() => void resumeRun(run.id)}>Resume</button></>}
                  {' '}<button type="button" aria-label={`Rename ${run.label}`} onClick={() => setEditing(run.id)}>Rename</button>
                  {' '}<button type="button" aria-label={`Delete ${run.label}`} disabled={run.status === 'running'} onClick={() => void deleteRun(run.id)}>Delete</button></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
