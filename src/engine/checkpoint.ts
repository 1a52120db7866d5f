// Loads a Hugging Face encoder folder (config.json + model.safetensors, and for the WordPiece families
// vocab.txt) into the one encoder of bert.ts: BERT, RoBERTa, DistilBERT and ELECTRA, with the names
// of their base models (`bert.`, `roberta.`, `distilbert.`, `electra.`-prefixed as the task models
// save them, or bare as the base models and sentence-transformers exports do; families.ts).
// Where the files come from is the caller's business: a `readFile` function fetches them from a URL,
// from files the user picked, or from a folder in Node. Every problem is a CheckpointError naming the file.
import * as tf from '@tensorflow/tfjs';
import type { BertConfig, BertLayer, BertModel, Dense, Norm } from './bert';
import { MODEL_FILES } from './catalog';
import { FAMILIES, isModelType, MODEL_TYPES, REFUSED_MODEL_TYPES, type ModelType } from './families';
import { CheckpointError, parseSafetensors, type SafetensorsFile } from './safetensors';
import { parseVocab, tokenizerConfigFromJson, type TokenizerConfig, type Vocab } from './tokenizer';

export { MODEL_FILES } from './catalog';

/**
 * Reads one file of a model folder; resolves to null when the file does not exist. A reader that can
 * tells `onBytes` how much it has read (and of how much, when it knows) while it reads.
 */
export type ReadModelFile = (name: string, onBytes?: (loaded: number, total: number | null) => void) => Promise<Uint8Array | null>;

/** How far a model's loading is: the weights file read, then its tensors made (uploaded to the backend). */
export type LoadProgress =
  | { stage: 'reading'; file: string; bytes: number; totalBytes: number | null }
  | { stage: 'uploading'; tensors: number; totalTensors: number; bytes: number; totalBytes: number };

/** A loaded encoder: the frozen model, what the file held besides it, and its metadata. */
export interface LoadedEncoder {
  model: BertModel;
  /** Tensors present in the file that the encoder does not use (pretraining or task heads). */
  ignoredTensors: string[];
  metadata: Record<string, string>;
}

/** A loaded BERT-style checkpoint: the encoder plus what the WordPiece tokenizer needs. */
export interface LoadedCheckpoint extends LoadedEncoder {
  vocab: Vocab;
  tokenizerConfig: TokenizerConfig;
}

/** Buffers some checkpoints store that are not weights. */
const BUFFERS = new Set(['embeddings.position_ids', 'embeddings.token_type_ids']);

function decodeText(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(file, 'is not valid UTF-8 text');
  }
}

function parseJson(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(file, `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CheckpointError(file, 'must contain a JSON object');
  return value as Record<string, unknown>;
}

/** config.json's model_type (a config without one is BERT's, or DistilBERT's by its keys); refuses the rest, naming it. */
function modelTypeOf(json: Record<string, unknown>, file: string): ModelType {
  const modelType = json.model_type;
  const loads = `only encoders of types ${MODEL_TYPES.map((t) => JSON.stringify(t)).join(', ')} load (T5 and other encoder-decoders are out of scope)`;
  if (modelType === undefined) return 'n_layers' in json && 'dim' in json ? 'distilbert' : 'bert';
  if (isModelType(modelType)) return modelType;
  const why = typeof modelType === 'string' ? REFUSED_MODEL_TYPES[modelType] : undefined;
  throw new CheckpointError(file, `model_type is ${JSON.stringify(modelType)}${why ? `: ${why}` : ''}; ${loads}`);
}

/**
 * Reads a Hugging Face config.json of a BERT, RoBERTa, DistilBERT or ELECTRA model; refuses other
 * architectures and options the encoder does not implement.
 */
export function parseBertConfig(text: string, file: string = MODEL_FILES.config): BertConfig {
  const json = parseJson(text, file);
  const modelType = modelTypeOf(json, file);
  const family = FAMILIES[modelType];
  const architectures = json.architectures;
  if (Array.isArray(architectures) && architectures.some((a) => typeof a !== 'string' || !a.startsWith(family.classPrefix))) {
    throw new CheckpointError(file, `architectures ${JSON.stringify(architectures)} is not a ${family.title} architecture (model_type ${JSON.stringify(modelType)})`);
  }
  const distil = modelType === 'distilbert';
  const actKey = distil ? 'activation' : 'hidden_act';
  const hiddenAct = json[actKey] ?? 'gelu';
  if (hiddenAct !== 'gelu' && !(distil && hiddenAct === 'relu')) throw new CheckpointError(file, `${actKey} ${JSON.stringify(hiddenAct)} is not supported (only the exact "gelu"${distil ? ' or "relu"' : ''})`);
  const positionType = json.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') throw new CheckpointError(file, `position_embedding_type ${JSON.stringify(positionType)} is not supported (only "absolute")`);
  const int = (key: string, fallback?: number): number => {
    const value = json[key] ?? fallback;
    if (!Number.isSafeInteger(value) || (value as number) <= 0) throw new CheckpointError(file, `${key} must be a positive integer, got ${JSON.stringify(json[key])}`);
    return value as number;
  };
  const roberta = modelType === 'roberta';
  const padTokenId = Number.isSafeInteger(json.pad_token_id) ? (json.pad_token_id as number) : roberta ? 1 : 0;
  const hiddenSize = int(distil ? 'dim' : 'hidden_size');
  const positionRows = int('max_position_embeddings', 512);
  // RoBERTa's positions start at padding_idx + 1, so the table's first padding_idx + 1 rows are never a real token's.
  const maxPositions = roberta ? positionRows - padTokenId - 1 : positionRows;
  if (maxPositions <= 0) throw new CheckpointError(file, `max_position_embeddings ${positionRows} leaves no positions after RoBERTa's offset of pad_token_id + 1 = ${padTokenId + 1}`);
  const config: BertConfig = {
    modelType,
    vocabSize: int('vocab_size'),
    hiddenSize,
    embeddingSize: modelType === 'electra' ? int('embedding_size', 128) : hiddenSize,
    numLayers: int(distil ? 'n_layers' : 'num_hidden_layers'),
    numHeads: int(distil ? 'n_heads' : 'num_attention_heads'),
    intermediateSize: int(distil ? 'hidden_dim' : 'intermediate_size'),
    maxPositions,
    positionRows,
    positionIds: roberta ? 'padding-offset' : 'absolute',
    typeVocabSize: distil ? 0 : int('type_vocab_size', 2),
    hiddenAct: hiddenAct as 'gelu' | 'relu',
    // DistilBERT's LayerNorms are built with eps 1e-12 whatever the config says.
    layerNormEps: !distil && typeof json.layer_norm_eps === 'number' && json.layer_norm_eps > 0 ? json.layer_norm_eps : 1e-12,
    padTokenId,
  };
  if (config.hiddenSize % config.numHeads !== 0) throw new CheckpointError(file, `hidden size ${config.hiddenSize} is not divisible by the ${config.numHeads} attention heads`);
  return config;
}

/** Builds the model from a parsed safetensors file, checking names and shapes against the config. */
export function bertFromSafetensors(config: BertConfig, weights: SafetensorsFile, onTensor?: (progress: Extract<LoadProgress, { stage: 'uploading' }>) => void): { model: BertModel; ignoredTensors: string[] } {
  const file = weights.file;
  const family = FAMILIES[config.modelType];
  const names = [...weights.tensors.keys()];
  // Task and pretraining models save the encoder under its attribute (`roberta.`…); base models save it bare.
  const prefix = names.some((n) => n.startsWith(family.prefix)) ? family.prefix : '';
  const used = new Set<string>();
  const { hiddenSize: H, intermediateSize: I, embeddingSize: E } = config;
  // Progress over the file's tensors as float32 (heads the encoder skips count as done at the end).
  const floatBytes = (shape: readonly number[]) => 4 * shape.reduce((a, b) => a * b, 1);
  const totalTensors = weights.tensors.size;
  let totalBytes = 0;
  for (const info of weights.tensors.values()) totalBytes += floatBytes(info.shape);
  let doneBytes = 0;

  const read = (name: string, shape: number[]): Float32Array => {
    const full = prefix + name;
    const info = weights.tensors.get(full);
    if (!info) throw new CheckpointError(file, `missing tensor ${full} (a ${family.title} checkpoint${prefix ? '' : ' without the ' + family.prefix + ' prefix'} has it)`);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(file, `tensor ${full} has shape ${JSON.stringify(info.shape)}, expected ${JSON.stringify(shape)} from config.json`);
    }
    used.add(full);
    const data = weights.readFloat32(full);
    doneBytes += floatBytes(info.shape);
    onTensor?.({ stage: 'uploading', tensors: used.size, totalTensors, bytes: doneBytes, totalBytes });
    return data;
  };
  // Torch stores Linear weights as [out, in]; we keep them as [in, out] so the forward needs no transposed matMul.
  const linear = (name: string, inSize: number, outSize: number): Dense => {
    const w = read(`${name}.weight`, [outSize, inSize]);
    const b = read(`${name}.bias`, [outSize]);
    return tf.tidy(() => ({ w: tf.transpose(tf.tensor2d(w, [outSize, inSize])) as tf.Tensor2D, b: tf.tensor1d(b) }));
  };
  const norm = (name: string, width = H): Norm => ({ gamma: tf.tensor1d(read(`${name}.weight`, [width])), beta: tf.tensor1d(read(`${name}.bias`, [width])) });
  const table = (name: string, rows: number): tf.Tensor2D => tf.tensor2d(read(`${name}.weight`, [rows, E]), [rows, E]);

  const created: tf.Tensor[] = [];
  // Everything created so far is freed if a later tensor turns out to be missing or misshapen.
  const track = <T extends tf.Tensor | Dense | Norm>(value: T): T => {
    if (value instanceof tf.Tensor) created.push(value);
    else created.push(...(Object.values(value) as tf.Tensor[]));
    return value;
  };
  try {
    const emb = family.embeddings;
    const embeddings = {
      word: track(table(emb.word, config.vocabSize)),
      position: track(table(emb.position, config.positionRows)),
      tokenType: emb.tokenType && config.typeVocabSize > 0 ? track(table(emb.tokenType, config.typeVocabSize)) : null,
      norm: track(norm(emb.norm, E)),
      project: emb.project && E !== H ? track(linear(emb.project, E, H)) : null,
    };
    const layers: BertLayer[] = [];
    for (let i = 0; i < config.numLayers; i++) {
      const n = family.layer(i);
      layers.push({
        query: track(linear(n.query, H, H)),
        key: track(linear(n.key, H, H)),
        value: track(linear(n.value, H, H)),
        attentionOutput: track(linear(n.attentionOutput, H, H)),
        attentionNorm: track(norm(n.attentionNorm)),
        intermediate: track(linear(n.intermediate, H, I)),
        output: track(linear(n.output, I, H)),
        outputNorm: track(norm(n.outputNorm)),
      });
    }
    const poolerName = family.pooler;
    const hasPooler = poolerName !== null && (weights.tensors.has(`${prefix}${poolerName}.weight`) || weights.tensors.has(`${prefix}${poolerName}.bias`));
    const pooler = hasPooler ? track(linear(poolerName, H, H)) : null;

    const ignoredTensors: string[] = [];
    for (const name of names) {
      if (used.has(name)) continue;
      const local = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      if (BUFFERS.has(local) || family.heads.some((p) => name.startsWith(p))) ignoredTensors.push(name);
      else throw new CheckpointError(file, `unexpected tensor ${name}: it is not part of a ${config.numLayers}-layer ${family.title} encoder (is config.json for this checkpoint?)`);
    }
    onTensor?.({ stage: 'uploading', tensors: totalTensors, totalTensors, bytes: totalBytes, totalBytes });
    return { model: { config, embeddings, layers, pooler }, ignoredTensors };
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}

/** Runs a parser from another module and reports its failure as a problem of `file`. */
function asCheckpointError<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    const text = error instanceof Error ? error.message : String(error);
    throw new CheckpointError(file, text.replace(/^\w+: /, '')); // drop the parser's own function-name prefix
  }
}

/** Reads a file the folder must have. */
async function need(readFile: ReadModelFile, name: string, why: string, onBytes?: (loaded: number, total: number | null) => void): Promise<Uint8Array> {
  const bytes = await readFile(name, onBytes);
  if (!bytes) throw new CheckpointError(name, `is missing: ${why}`);
  return bytes;
}

/** Reads config.json's text (for callers that need more of it than the encoder, such as the tokenizer). */
export async function readConfigText(readFile: ReadModelFile): Promise<string> {
  return decodeText(await need(readFile, MODEL_FILES.config, 'a model folder needs config.json and model.safetensors'), MODEL_FILES.config);
}

/** The largest buffers a WebGPU device takes (its limits); null on other backends, which have none of their own. */
export interface BufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

const MB = 1024 * 1024;
const size = (bytes: number) => (bytes >= MB / 10 ? `${(bytes / MB).toFixed(1)} MB` : `${bytes} bytes`);

/**
 * Refuses, before any upload, a checkpoint whose largest tensor (held as float32, whatever the file's
 * dtype) is bigger than one storage buffer of the GPU may be: tfjs would fail deep inside a kernel.
 */
export function checkBufferLimits(weights: SafetensorsFile, limits: BufferLimits | null): void {
  if (!limits) return;
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  let largest: { name: string; bytes: number } | null = null;
  for (const [name, info] of weights.tensors) {
    const bytes = info.shape.reduce((a, b) => a * b, 1) * 4;
    if (!largest || bytes > largest.bytes) largest = { name, bytes };
  }
  if (largest && largest.bytes > limit) {
    throw new CheckpointError(weights.file, `tensor ${largest.name} needs ${size(largest.bytes)} as float32, more than this GPU's largest buffer (${size(limit)}): the model cannot run on WebGPU here; choose the WASM or CPU backend`);
  }
}

/** Loads the encoder of a model folder (config.json, unless given already parsed, + model.safetensors) through `readFile`. */
export async function loadEncoder(readFile: ReadModelFile, parsed?: BertConfig, limits: BufferLimits | null = null, onProgress?: (progress: LoadProgress) => void): Promise<LoadedEncoder> {
  const config = parsed ?? parseBertConfig(await readConfigText(readFile));
  const file = MODEL_FILES.weights;
  const bytes = await need(readFile, file, 'a model folder needs config.json and model.safetensors', onProgress && ((loaded, total) => onProgress({ stage: 'reading', file, bytes: loaded, totalBytes: total })));
  // The last word on reading: the size read (a server that compresses gives no total on the way).
  onProgress?.({ stage: 'reading', file, bytes: bytes.length, totalBytes: bytes.length });
  const weights = parseSafetensors(bytes, file);
  checkBufferLimits(weights, limits);
  const { model, ignoredTensors } = bertFromSafetensors(config, weights, onProgress);
  return { model, ignoredTensors, metadata: weights.metadata };
}

/** Reads a folder's WordPiece files: vocab.txt and, if present, tokenizer_config.json. */
export async function loadWordPieceFiles(readFile: ReadModelFile): Promise<{ vocab: Vocab; tokenizerConfig: TokenizerConfig }> {
  const vocabText = decodeText(await need(readFile, MODEL_FILES.vocab, 'a BERT, DistilBERT or ELECTRA folder needs config.json, model.safetensors and vocab.txt'), MODEL_FILES.vocab);
  const vocab = asCheckpointError(MODEL_FILES.vocab, () => parseVocab(vocabText));
  const tokenizerBytes = await readFile(MODEL_FILES.tokenizerConfig);
  const tokenizerConfig = tokenizerBytes
    ? asCheckpointError(MODEL_FILES.tokenizerConfig, () => tokenizerConfigFromJson(parseJson(decodeText(tokenizerBytes, MODEL_FILES.tokenizerConfig), MODEL_FILES.tokenizerConfig)))
    : tokenizerConfigFromJson({});
  return { vocab, tokenizerConfig };
}

/** Loads a whole WordPiece model folder (BERT, DistilBERT, ELECTRA) through `readFile`. */
export async function loadBertCheckpoint(readFile: ReadModelFile): Promise<LoadedCheckpoint> {
  const config = parseBertConfig(await readConfigText(readFile));
  const { vocab, tokenizerConfig } = await loadWordPieceFiles(readFile);
  if (vocab.tokens.length > config.vocabSize) throw new CheckpointError(MODEL_FILES.vocab, `has ${vocab.tokens.length} tokens but config.json's vocab_size is ${config.vocabSize}`);
  const encoder = await loadEncoder(readFile, config);
  return { ...encoder, vocab, tokenizerConfig };
}
