// Live results: each run's phase and progress, its loss curves (raw and smoothed) and dev metric,
// where the pruner kept weights (density per layer and per tensor), and a table of all runs.
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useAppStore } from '../store';
import { runProgress, type RunRecord } from '../runs';
import { PruningCharts } from './PruningCharts';

const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#0b7285'];

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

function LossChart({ runs }: { runs: RunRecord[] }) {
  const data = new Map<number, Record<string, number>>();
  runs.forEach((run) => run.losses.forEach((p) => data.set(p.step, { ...data.get(p.step), step: p.step, [`${run.id}:raw`]: p.loss, [`${run.id}:smooth`]: p.smooth })));
  const rows = [...data.values()].sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
  return (
    <ResponsiveContainer width="100%" height={260}>
      <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} />
        <YAxis domain={['auto', 'auto']} width={60} tickFormatter={(v: number) => v.toFixed(3)} />
        <Tooltip />
        <Legend />
        {runs.map((run, i) => [
          <Line key={`${run.id}:raw`} dataKey={`${run.id}:raw`} name={`${run.label} (raw)`} stroke={COLORS[i % COLORS.length]} strokeOpacity={0.3} dot={false} isAnimationActive={false} />,
          <Line key={`${run.id}:smooth`} dataKey={`${run.id}:smooth`} name={`${run.label}`} stroke={COLORS[i % COLORS.length]} dot={false} strokeWidth={2} isAnimationActive={false} />,
        ])}
      </LineChart>
    </ResponsiveContainer>
  );
}

function DensityChart({ run }: { run: RunRecord }) {
  if (!run.pruned) return null;
  const layers = run.pruned.layerDensity.map((d) => ({ layer: d.layer === null ? 'shared' : `layer ${d.layer}`, density: +(100 * d.kept / d.total).toFixed(2) }));
  return (
    <div data-testid="density">
      <h3>Where {run.settings.prune.pruner} kept weights ({run.settings.prune.scope} scope): density per layer, %</h3>
      <ResponsiveContainer width="100%" height={180}>
        <BarChart data={layers}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="layer" />
          <YAxis domain={[0, 100]} width={40} />
          <Tooltip />
          <Bar dataKey="density" fill="#2f6fde" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function RunsPanel() {
  const runs = useAppStore((s) => s.runs);
  if (runs.length === 0) return null;
  const latest = runs[runs.length - 1]!;
  return (
    <section className="panel" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <p data-testid="run-progress" data-status={latest.status}>{latest.label}: {progress(latest)}{eta(latest)}</p>
      <progress max={1} value={runProgress(latest).fraction} aria-label="Run progress" />
      {latest.warnings.map((w) => <p key={w} className="warning">{w}</p>)}
      <LossChart runs={runs} />
      <DensityChart run={latest} />
      <PruningCharts run={latest} />
      <table className="compact" data-testid="runs-table">
        <thead><tr><th>run</th><th>status</th><th>non-zero trainable</th><th>% of PLM</th><th>dev accuracy</th><th>last loss</th><th>time</th></tr></thead>
        <tbody>
          {runs.map((run) => {
            const budget = run.summary?.budget ?? run.pruned?.budget;
            const last = run.losses[run.losses.length - 1];
            const best = run.evals.reduce((m, e) => Math.max(m, e.accuracy), -Infinity);
            return (
              <tr key={run.id} data-testid="run-row" data-settings={JSON.stringify(run.settings)} data-losses={JSON.stringify(run.losses.map((l) => l.loss))}>
                <td>{run.label}</td><td>{run.status}</td>
                <td>{budget ? budget.trainableNonzero.toLocaleString('en-US') : '—'}</td>
                <td>{budget ? budget.percentOfPlm.toFixed(3) : '—'}</td>
                <td>{Number.isFinite(best) ? best.toFixed(3) : '—'}</td>
                <td>{last ? last.loss.toFixed(4) : '—'}</td>
                <td>{run.summary ? `${run.summary.seconds.toFixed(1)} s` : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
