// Shows where the engine runs: the tfjs backend, the GPU adapter, warnings when WebGPU is missing
// or is a software fallback, the numerical self-check against the CPU backend, and during a run on
// WebGPU the work asked of the GPU per training step (published by the worker on GPU_COUNTS_CHANNEL).
import { useEffect, useState } from 'react';
import { useAppStore } from '../store';
import { BACKEND_PREFERENCES } from '../../engine/catalog';
import { GPU_COUNTS_CHANNEL, PROTOCOL_VERSION, type BackendPreference, type BackendReport, type GpuCountsMessage, type GpuLiveCounts, type ParityReport } from '../../worker/protocol';

/** The tolerance the self-check is held to: relative to the largest reference magnitude. */
export const SELFCHECK_TOLERANCE = 1e-4;

function Warnings({ report }: { report: BackendReport }) {
  const warnings: string[] = [];
  const name = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'the CPU' }[report.backend];
  if (report.backend !== 'webgpu' && report.fallbacks.some((f) => f.startsWith('webgpu:'))) {
    warnings.push(`WebGPU is not available, so the engine runs on ${name}. Training works but is much slower; use a recent Chrome or Edge with WebGPU enabled.`);
  } else if (report.backend !== 'webgpu') {
    warnings.push(`The engine runs on ${name}, as chosen; WebGPU is usually much faster where available.`);
  }
  if (report.adapter?.isFallbackAdapter) {
    warnings.push('The WebGPU adapter is a software fallback (no GPU is being used): training will be slow.');
  }
  if (warnings.length === 0) return null;
  return (
    <div className="warning" role="alert" data-testid="backend-warning">
      {warnings.map((text) => <p key={text}>{text}</p>)}
      {report.fallbacks.length > 0 && (
        <details>
          <summary>Why the preferred backend was skipped</summary>
          <ul>{report.fallbacks.map((line) => <li key={line}>{line}</li>)}</ul>
        </details>
      )}
    </div>
  );
}

function SelfcheckResult({ report }: { report: ParityReport }) {
  const passed = report.maxRelErr <= SELFCHECK_TOLERANCE;
  return (
    <div data-testid="selfcheck-result" data-passed={passed} data-max-rel-err={report.maxRelErr} data-backend={report.backend}>
      <p className={passed ? 'ok' : 'warning'}>
        {passed ? 'Passed' : 'Failed'}: {report.backend} matches the CPU reference to {report.maxRelErr.toExponential(2)} (tolerance {SELFCHECK_TOLERANCE}).
      </p>
      <table className="compact">
        <thead><tr><th>quantity</th><th>relative error</th></tr></thead>
        <tbody>
          {Object.entries(report.relErr).map(([name, value]) => (
            <tr key={name}><td>{name}</td><td data-testid={`relerr-${name}`}>{value.toExponential(2)}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The latest live WebGPU counts the worker published (null before a run on WebGPU has taken two steps). */
function useGpuCounts(): GpuLiveCounts | null {
  const [counts, setCounts] = useState<GpuLiveCounts | null>(null);
  useEffect(() => {
    if (typeof BroadcastChannel === 'undefined') return undefined;
    const channel = new BroadcastChannel(GPU_COUNTS_CHANNEL);
    channel.onmessage = (event: MessageEvent<GpuCountsMessage>) => {
      if (event.data?.v === PROTOCOL_VERSION && event.data.type === 'gpuCounts') setCounts(event.data.counts);
    };
    return () => channel.close();
  }, []);
  return counts;
}

const kib = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

function GpuCountsTable({ counts }: { counts: GpuLiveCounts }) {
  const p = counts.perStep;
  const rows: [string, string, string][] = [
    ['compute dispatches', String(p.dispatches), 'dispatches'],
    ['queue submits', String(p.submits), 'submits'],
    ['buffers created', `${p.buffersCreated} (${kib(p.bytesCreated)})`, 'buffers'],
    ['written to the GPU', `${kib(p.bytesWritten)} in ${p.writes} writes`, 'written'],
    ['read back', kib(p.bytesRead), 'read'],
    ['pipelines compiled', `${p.pipelines} this step; ${counts.pipelines} this run`, 'pipelines'],
  ];
  return (
    <div data-testid="gpu-counts" data-dispatches={p.dispatches} data-buffers-created={p.buffersCreated}>
      <p>
        WebGPU work per training step (step {counts.step}, {counts.stepsPerSec.toFixed(2)} steps/s; fused optimizer {counts.fused ? 'on' : 'off'}).
        Shader warm-up: {counts.warmupCompileMs} ms compiling before the first step ({counts.compileMs} ms in all).
      </p>
      <table className="compact">
        <tbody>{rows.map(([label, value, id]) => <tr key={id}><td>{label}</td><td data-testid={`gpu-${id}`}>{value}</td></tr>)}</tbody>
      </table>
    </div>
  );
}

/** The panel itself. */
export function BackendPanel({ preference }: { preference: BackendPreference }) {
  const backend = useAppStore((s) => s.backend);
  const selfcheck = useAppStore((s) => s.selfcheck);
  const startBackend = useAppStore((s) => s.startBackend);
  const runSelfcheck = useAppStore((s) => s.runSelfcheck);
  const report = backend.state === 'done' ? backend.value : null;
  const gpuCounts = useGpuCounts();

  return (
    <section className="panel" aria-labelledby="backend-title">
      <h2 id="backend-title">Compute backend</h2>
      <label>
        Preferred backend{' '}
        <select value={preference} onChange={(e) => { const value = e.target.value as BackendPreference; const url = new URL(location.href); url.searchParams.set('backend', value); history.replaceState(null, '', url); void startBackend(value); }}>
          {BACKEND_PREFERENCES.map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      {backend.state === 'busy' && <p>Starting the engine…</p>}
      {backend.state === 'failed' && <p className="error" role="alert">The engine could not start: {backend.message}</p>}
      {report && (
        <>
          <dl className="facts">
            <dt>Backend</dt><dd data-testid="backend-name">{report.backend}</dd>
            {report.adapter && (
              <>
                <dt>Adapter</dt>
                <dd data-testid="adapter-info">
                  {[report.adapter.vendor, report.adapter.architecture].filter(Boolean).join(' · ') || 'not disclosed by the browser'}
                  {report.adapter.description && ` (${report.adapter.description})`}
                </dd>
                <dt>Fallback adapter</dt><dd data-testid="adapter-fallback">{report.adapter.isFallbackAdapter ? 'yes' : 'no'}</dd>
              </>
            )}
          </dl>
          <Warnings report={report} />
          {report.backend === 'webgpu' && gpuCounts && <GpuCountsTable counts={gpuCounts} />}
          <button type="button" onClick={() => void runSelfcheck()} disabled={selfcheck.state === 'busy'}>
            {selfcheck.state === 'busy' ? 'Checking…' : 'Check numerics against CPU'}
          </button>
          {selfcheck.state === 'done' && <SelfcheckResult report={selfcheck.value} />}
          {selfcheck.state === 'failed' && <p className="error" role="alert">Self-check failed to run: {selfcheck.message}</p>}
        </>
      )}
    </section>
  );
}
