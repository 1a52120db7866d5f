// The run queue as the runs panel shows it: the runs waiting to train, in the order they will start.
import { useAppStore } from '../store';
import type { RunRecord } from '../runs';

/** The runs waiting to train, in the order they will start, each with a Cancel button. */
export function RunQueue({ runs, queue }: { runs: RunRecord[]; queue: readonly string[] }) {
  const cancelRun = useAppStore((s) => s.cancelRun);
  const queued = queue.flatMap((id) => runs.filter((r) => r.id === id));
  if (queued.length === 0) return null;
  return (
    <ol className="queue" aria-label="Queued runs" data-testid="run-queue">
      {queued.map((run, i) => (
        <li key={run.id} data-testid="queued-run" data-status={run.status}>
          {run.label}: queued ({i === 0 ? 'next' : `number ${i + 1} in line`})
          {' '}<button type="button" aria-label={`Cancel ${run.label}`} onClick={() => cancelRun(run.id)}>Cancel</button>
        </li>
      ))}
    </ol>
  );
}
