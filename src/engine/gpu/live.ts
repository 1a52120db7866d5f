// The WebGPU counts of a run as it goes, for the page's backend panel: per training step (the
// difference between consecutive 'step' events, one step apart in the steady state), the shader
// compile time before the first step, and steps/s. Reads the active counter; no DOM, no tfjs.
import type { RunEvent } from '../train';
import { activeGpuCounter, diffCounts, type GpuCounts } from './counters';
import { fusedKernelsEnabled } from './switch';

/** What the panel shows, sent a few times a second during a run on WebGPU. */
export interface GpuLiveCounts {
  step: number;
  /** The work of the last step, counted at the WebGPU API. */
  perStep: Pick<GpuCounts, 'dispatches' | 'submits' | 'buffersCreated' | 'bytesCreated' | 'writes' | 'bytesWritten' | 'bytesRead' | 'pipelines'>;
  /** Pipelines compiled since the run started, and the milliseconds spent on them before its first step (shader warm-up). */
  pipelines: number;
  warmupCompileMs: number;
  compileMs: number;
  stepsPerSec: number;
  fused: boolean;
}

/** Follows one run's events; `onEvent` returns the latest counts after each step event (null before there are two). */
export function createGpuLiveMeter(now: () => number = Date.now): { onEvent(event: RunEvent): GpuLiveCounts | null } {
  const counter = activeGpuCounter();
  const start = counter?.snapshot();
  let last: { counts: GpuCounts; at: number } | null = null;
  let warmupCompileMs = NaN;
  return {
    onEvent(event) {
      if (!counter || !start || event.type !== 'step') return null;
      const counts = counter.snapshot();
      const at = now();
      const sinceStart = diffCounts(counts, start);
      if (Number.isNaN(warmupCompileMs)) warmupCompileMs = sinceStart.pipelineMs;
      const previous = last;
      last = { counts, at };
      if (!previous) return null;
      const d = diffCounts(counts, previous.counts);
      return {
        step: event.step,
        perStep: { dispatches: d.dispatches, submits: d.submits, buffersCreated: d.buffersCreated, bytesCreated: d.bytesCreated, writes: d.writes, bytesWritten: d.bytesWritten, bytesRead: d.bytesRead, pipelines: d.pipelines },
        pipelines: sinceStart.pipelines,
        warmupCompileMs: Math.round(warmupCompileMs),
        compileMs: Math.round(sinceStart.pipelineMs),
        stepsPerSec: at > previous.at ? 1000 / (at - previous.at) : 0,
        fused: fusedKernelsEnabled(),
      };
    },
  };
}
