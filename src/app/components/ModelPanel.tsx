// The frozen PLM: which model is loaded (the default one, or a Hugging Face BERT, RoBERTa, DistilBERT
// or ELECTRA folder the user picks or drops), and a small encoder try-out that shows the tokens and
// their hidden states.
import { useState, type DragEvent } from 'react';
import { useAppStore } from '../store';
import { MODEL_FILES } from '../../engine/catalog';
import { FAMILIES, MODEL_TYPES } from '../../engine/families';
import type { ModelSource } from '../../worker/protocol';

/** The model shipped in public/models/default/. */
export const DEFAULT_MODEL: ModelSource = { kind: 'url', url: `${import.meta.env.BASE_URL}models/default/`, label: 'default (pretrained by this project)', pythonName: 'public/models/default' };
const WANTED = new Set<string>(Object.values(MODEL_FILES));
/** "BERT, RoBERTa, DistilBERT or ELECTRA". */
const FAMILY_LIST = MODEL_TYPES.map((t) => FAMILIES[t].title).join(', ').replace(/, ([^,]*)$/, ' or $1');
const TOKENIZER_NAMES: Record<string, string> = { wordpiece: 'WordPiece', 'byte-level-bpe': 'byte-level BPE' };

/** Reads the model files among those picked (a folder's other files are ignored). */
async function sourceFromFiles(files: File[]): Promise<ModelSource> {
  const picked = files.filter((f) => WANTED.has(f.name));
  const folder = files[0]?.webkitRelativePath.split('/')[0];
  const label = folder || picked.map((f) => f.name).join(', ') || 'picked files';
  return { kind: 'files', label, files: await Promise.all(picked.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() }))) };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** The model load in progress: the weights file read (of its size, when the server says), then the tensors made. */
function LoadProgressLine() {
  const p = useAppStore((s) => s.modelLoadProgress);
  if (!p) return <p data-testid="model-progress">Loading model…</p>;
  const [done, total, text] = p.stage === 'reading'
    ? [p.bytes, p.totalBytes, `reading ${p.file}: ${mb(p.bytes)}${p.totalBytes ? ` of ${mb(p.totalBytes)}` : ''}`]
    : [p.tensors, p.totalTensors, `making tensors: ${p.tensors} of ${p.totalTensors} (${mb(p.bytes)} of ${mb(p.totalBytes)} as float32)`];
  return (
    <p data-testid="model-progress" data-stage={p.stage}>
      Loading model… {text} <progress aria-label="model loading" value={done} max={total ?? undefined} />
    </p>
  );
}

function ModelFacts() {
  const model = useAppStore((s) => s.model);
  const stats = useAppStore((s) => s.modelLoadStats);
  if (!model) return <p>No model loaded yet.</p>;
  return (
    <dl className="facts" data-testid="model-facts">
      <dt>Model</dt><dd data-testid="model-label">{model.label}</dd>
      <dt>Architecture</dt><dd data-testid="model-architecture">{model.architecture ?? 'BERT'}</dd>
      <dt>Shape</dt><dd>{model.layers} layers · hidden {model.hiddenSize} · {model.heads} heads · FFN {model.intermediateSize} · {model.maxPositions} positions</dd>
      <dt>Parameters</dt><dd data-testid="model-parameters">{model.parameters.toLocaleString('en-US')} (frozen)</dd>
      <dt>Vocabulary</dt><dd data-testid="model-vocabulary">{model.vocabSize.toLocaleString('en-US')} {TOKENIZER_NAMES[model.tokenizerKind ?? 'wordpiece'] ?? model.tokenizerKind} tokens{model.tokenizerSource ? ` (${model.tokenizerSource})` : ''}, {model.doLowerCase ? 'uncased' : 'cased'}</dd>
      {stats && <><dt>Loaded</dt><dd data-testid="model-load-stats">{stats.bytesRead > 0 ? `${mb(stats.bytesRead)} of weights read, ` : ''}{stats.tensors} tensors made, in {stats.seconds.toFixed(1)} s</dd></>}
      {model.ignoredTensors.length > 0 && <><dt>Not used</dt><dd>{model.ignoredTensors.length} head tensors ({model.ignoredTensors.slice(0, 3).join(', ')}{model.ignoredTensors.length > 3 ? ', …' : ''})</dd></>}
    </dl>
  );
}

function EncoderTryOut() {
  const [text, setText] = useState('The cat sat on the mat.');
  const [text2, setText2] = useState('');
  const encoding = useAppStore((s) => s.encoding);
  const encode = useAppStore((s) => s.encode);
  const model = useAppStore((s) => s.model);
  const result = encoding.state === 'done' ? encoding.value : null;
  return (
    <div className="tryout">
      <h3>Try the encoder</h3>
      <form onSubmit={(e) => { e.preventDefault(); void encode(text, text2.trim() ? text2 : null); }}>
        <label>Text <input aria-label="Text" value={text} onChange={(e) => setText(e.target.value)} /></label>
        <label>Second text (optional) <input aria-label="Second text" value={text2} onChange={(e) => setText2(e.target.value)} /></label>
        <button type="submit" disabled={!model || encoding.state === 'busy'}>Encode</button>
      </form>
      {encoding.state === 'failed' && <p className="error" role="alert">{encoding.message}</p>}
      {result && (
        <table className="compact" data-testid="encoding" data-input-ids={JSON.stringify(result.inputIds)} data-hidden={JSON.stringify(result.lastHiddenState)}>
          <thead><tr><th>token</th><th>id</th><th>type</th><th>‖h‖</th><th>h[0..3]</th></tr></thead>
          <tbody>
            {result.tokens.map((token, i) => {
              const h = result.lastHiddenState[i] ?? [];
              return (
                <tr key={i}>
                  <td>{token}</td><td>{result.inputIds[i]}</td><td>{result.tokenTypeIds[i]}</td>
                  <td>{Math.hypot(...h).toFixed(3)}</td><td>{h.slice(0, 4).map((v) => v.toFixed(3)).join(' ')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The panel itself. */
export function ModelPanel() {
  const modelLoad = useAppStore((s) => s.modelLoad);
  const loadModel = useAppStore((s) => s.loadModel);
  const [dragging, setDragging] = useState(false);
  const pick = async (list: FileList | null) => { if (list && list.length > 0) await loadModel(await sourceFromFiles([...list])); };
  const onDrop = (event: DragEvent) => { event.preventDefault(); setDragging(false); void pick(event.dataTransfer.files); };

  return (
    <section className={`panel${dragging ? ' dragging' : ''}`} aria-labelledby="model-title" onDragOver={(e) => { e.preventDefault(); setDragging(true); }} onDragLeave={() => setDragging(false)} onDrop={onDrop}>
      <h2 id="model-title">Frozen PLM</h2>
      <ModelFacts />
      {modelLoad.state === 'busy' && <LoadProgressLine />}
      {modelLoad.state === 'failed' && <p className="error" role="alert" data-testid="model-error">Could not load the model: {modelLoad.message}</p>}
      <div className="row">
        <label className="file">Load a Hugging Face {FAMILY_LIST} folder: pick its files (config.json, model.safetensors, and tokenizer.json or vocab.txt, or vocab.json + merges.txt) or drop them here{' '}
          <input type="file" multiple aria-label="Model files" accept=".json,.safetensors,.txt" onChange={(e) => { void pick(e.target.files); e.target.value = ''; }} />
        </label>
        <button type="button" onClick={() => void loadModel(DEFAULT_MODEL)} disabled={modelLoad.state === 'busy'}>Use the default model</button>
      </div>
      <p className="muted">Encoder models only: T5 (an encoder-decoder) and decoder-only models such as GPT-2 are out of scope, and their folders are refused with the reason.</p>
      <EncoderTryOut />
    </section>
  );
}
