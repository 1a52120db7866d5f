// What a share link could not use, in words (rendered as text, never as markup).
import { useAppStore } from '../store';

export function ShareNotice() {
  const notice = useAppStore((s) => s.shareNotice);
  const dismiss = useAppStore((s) => s.dismissShareNotice);
  if (notice.length === 0) return null;
  return (
    <section className="panel warning" role="alert" data-testid="share-notice">
      <h2>About this share link</h2>
      <ul>{notice.map((line, i) => <li key={i}>{line}</li>)}</ul>
      <button type="button" onClick={dismiss}>Dismiss</button>
    </section>
  );
}

/** A storage failure (quota, private mode): shown, never swallowed. */
export function StorageNotice() {
  const error = useAppStore((s) => s.storageError);
  if (!error) return null;
  return <p className="warning" role="alert" data-testid="storage-error">{error}</p>;
}

/** A worker crash and what was done about it. */
export function CrashNotice() {
  const notice = useAppStore((s) => s.crashNotice);
  if (!notice) return null;
  return <p className="warning" role="alert" data-testid="crash-notice">{notice}</p>;
}
