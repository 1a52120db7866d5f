// The runs panel's share bar: export the shown runs as a JSON file, or put them (up to a link's
// limit) in a share link, copied to the clipboard where the browser allows.
import { useState } from 'react';
import { exportRuns } from '../runFile';
import { toSharedRun, type RunRecord } from '../runs';
import { encodeShare, MAX_SHARED_RUNS } from '../share';

/** Hands a file to the browser's download. */
export function saveFile(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Makes a link for runs and copies it; the box shows it whatever the clipboard allows. */
export function ShareBar({ shown }: { shown: RunRecord[] }) {
  const [withResults, setWithResults] = useState(true);
  const [link, setLink] = useState<{ url: string; note: string } | null>(null);
  const shareable = shown.filter((r) => r.status !== 'running' && r.status !== 'queued').slice(-MAX_SHARED_RUNS);
  // A queued run has recorded nothing: it is neither shared nor exported.
  const exportable = shown.filter((r) => r.status !== 'queued');
  const share = async (runs: RunRecord[]) => {
    let hash: string;
    try {
      hash = encodeShare(runs.map((r) => toSharedRun(r, withResults)));
    } catch (error) {
      setLink({ url: '', note: `No link: ${error instanceof Error ? error.message : String(error)}.` });
      return;
    }
    const url = `${location.origin}${location.pathname}${hash}`;
    let note = `Link to ${runs.length === 1 ? runs[0]!.label : `${runs.length} runs`} (${url.length.toLocaleString('en-US')} characters)`;
    try {
      await navigator.clipboard.writeText(url);
      note += ', copied to the clipboard.';
    } catch {
      note += ': copy it from the box.';
    }
    setLink({ url, note });
  };
  const download = () => {
    saveFile(new Blob([exportRuns(exportable)], { type: 'application/json' }), `sparseadapter-runs-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.json`);
  };
  return (
    <div className="row share" data-testid="share-bar">
      <button type="button" disabled={exportable.length === 0} onClick={download}>Export {exportable.length > 1 ? `the ${exportable.length} shown runs` : 'this run'} (JSON)</button>
      <button type="button" disabled={shareable.length === 0} onClick={() => void share(shareable)}>Share {shareable.length > 1 ? `the ${shareable.length} shown runs` : 'this run'}</button>
      <label className="check"><input type="checkbox" checked={withResults} onChange={(e) => setWithResults(e.target.checked)} /> include results (figures and curves)</label>
      {link && <>{link.url && <input readOnly aria-label="Share link" value={link.url} onFocus={(e) => e.target.select()} />}<span className="muted" role="status">{link.note}</span></>}
    </div>
  );
}

