// "Try it": the trained adapter of a finished run on the user's own sentence: a probability per label
// for sentence tasks, a tag per word for tagging.
import { useState } from 'react';
import { useAppStore } from '../store';
import type { RunRecord } from '../runs';

export function TryIt({ run }: { run: RunRecord }) {
  const [text, setText] = useState('the film was wonderful.');
  const [text2, setText2] = useState('');
  const prediction = useAppStore((s) => s.prediction);
  const predict = useAppStore((s) => s.predict);
  const result = prediction.state === 'done' && prediction.value.runId === run.id ? prediction.value : null;
  return (
    <div className="tryout" data-testid="try-it">
      <h3>Try it: {run.label}</h3>
      <form onSubmit={(e) => { e.preventDefault(); void predict(run.id, text, text2.trim() ? text2 : null); }}>
        <label>Sentence <input aria-label="Sentence to classify" value={text} onChange={(e) => setText(e.target.value)} /></label>
        <label>Second sentence (pair tasks) <input aria-label="Second sentence to classify" value={text2} onChange={(e) => setText2(e.target.value)} /></label>
        <button type="submit" disabled={prediction.state === 'busy'}>Predict</button>
      </form>
      {prediction.state === 'failed' && <p className="error" role="alert">{prediction.message}</p>}
      {result?.kind === 'sequence' && (
        <table className="compact" data-testid="prediction" data-probabilities={JSON.stringify(result.probabilities)}>
          <tbody>
            {result.labels.map((label, i) => (
              <tr key={label}><td>{label}</td><td><meter min={0} max={1} value={result.probabilities[i]} /> {(100 * (result.probabilities[i] ?? 0)).toFixed(1)}%</td></tr>
            ))}
          </tbody>
        </table>
      )}
      {result?.kind === 'token' && (
        <p data-testid="prediction">{result.words.map((w, i) => <span key={i} className="tagged">{w}<sub>{result.tags[i]}</sub> </span>)}</p>
      )}
    </div>
  );
}
