// Loads a Hugging Face BERT folder (config.json + model.safetensors + vocab.txt) into a BertModel.
// Where the files come from is the caller's business: a `readFile` function fetches them from a URL,
// from files the user picked, or from a folder in Node. Every problem is a CheckpointError naming the file.
import * as tf from '@tensorflow/tfjs';
import type { BertConfig, BertLayer, BertModel, Dense, Norm } from './bert';
import { MODEL_FILES } from './catalog';
import { CheckpointError, parseSafetensors, type SafetensorsFile } from './safetensors';
import { parseVocab, tokenizerConfigFromJson, type TokenizerConfig, type Vocab } from './tokenizer';

export { MODEL_FILES } from './catalog';

/** Reads one file of a model folder; resolves to null when the file does not exist. */
export type ReadModelFile = (name: string) => Promise<Uint8Array | null>;

/** A loaded checkpoint: the frozen model plus what the tokenizer needs. */
export interface LoadedCheckpoint {
  model: BertModel;
  vocab: Vocab;
  tokenizerConfig: TokenizerConfig;
  /** Tensors present in the file that the encoder does not use (pretraining or task heads). */
  ignoredTensors: string[];
  metadata: Record<string, string>;
}

/** Tensor name prefixes of heads that may sit beside the encoder; they are skipped, and listed. */
const HEAD_PREFIXES = ['cls.', 'classifier.', 'qa_outputs.'];
/** Buffers some checkpoints store that are not weights. */
const BUFFERS = new Set(['embeddings.position_ids']);

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

/** Reads a Hugging Face BertConfig; refuses other architectures and options the encoder does not implement. */
export function parseBertConfig(text: string, file: string = MODEL_FILES.config): BertConfig {
  const json = parseJson(text, file);
  const modelType = json.model_type;
  if (modelType !== undefined && modelType !== 'bert') throw new CheckpointError(file, `model_type is ${JSON.stringify(modelType)}, but only BERT ("bert") models are supported`);
  const architectures = json.architectures;
  if (Array.isArray(architectures) && architectures.some((a) => typeof a !== 'string' || !a.startsWith('Bert'))) {
    throw new CheckpointError(file, `architectures ${JSON.stringify(architectures)} is not a BERT architecture`);
  }
  const hiddenAct = json.hidden_act ?? 'gelu';
  if (hiddenAct !== 'gelu') throw new CheckpointError(file, `hidden_act ${JSON.stringify(hiddenAct)} is not supported (only the exact "gelu")`);
  const positionType = json.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') throw new CheckpointError(file, `position_embedding_type ${JSON.stringify(positionType)} is not supported (only "absolute")`);
  const int = (key: string, fallback?: number): number => {
    const value = json[key] ?? fallback;
    if (!Number.isSafeInteger(value) || (value as number) <= 0) throw new CheckpointError(file, `${key} must be a positive integer, got ${JSON.stringify(json[key])}`);
    return value as number;
  };
  const config: BertConfig = {
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers: int('num_hidden_layers'),
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: typeof json.layer_norm_eps === 'number' && json.layer_norm_eps > 0 ? json.layer_norm_eps : 1e-12,
    padTokenId: Number.isSafeInteger(json.pad_token_id) ? (json.pad_token_id as number) : 0,
  };
  if (config.hiddenSize % config.numHeads !== 0) throw new CheckpointError(file, `hidden_size ${config.hiddenSize} is not divisible by num_attention_heads ${config.numHeads}`);
  return config;
}

/** Builds the model from a parsed safetensors file, checking names and shapes against the config. */
export function bertFromSafetensors(config: BertConfig, weights: SafetensorsFile): { model: BertModel; ignoredTensors: string[] } {
  const file = weights.file;
  const names = [...weights.tensors.keys()];
  const prefix = names.some((n) => n.startsWith('bert.')) ? 'bert.' : '';
  const used = new Set<string>();
  const { hiddenSize: H, intermediateSize: I } = config;

  const read = (name: string, shape: number[]): Float32Array => {
    const full = prefix + name;
    const info = weights.tensors.get(full);
    if (!info) throw new CheckpointError(file, `missing tensor ${full}`);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(file, `tensor ${full} has shape ${JSON.stringify(info.shape)}, expected ${JSON.stringify(shape)} from config.json`);
    }
    used.add(full);
    return weights.readFloat32(full);
  };
  // Torch stores Linear weights as [out, in]; we keep them as [in, out] so the forward needs no transposed matMul.
  const linear = (name: string, inSize: number, outSize: number): Dense => {
    const w = read(`${name}.weight`, [outSize, inSize]);
    const b = read(`${name}.bias`, [outSize]);
    return tf.tidy(() => ({ w: tf.transpose(tf.tensor2d(w, [outSize, inSize])) as tf.Tensor2D, b: tf.tensor1d(b) }));
  };
  const norm = (name: string): Norm => ({ gamma: tf.tensor1d(read(`${name}.weight`, [H])), beta: tf.tensor1d(read(`${name}.bias`, [H])) });
  const table = (name: string, rows: number): tf.Tensor2D => tf.tensor2d(read(name, [rows, H]), [rows, H]);

  const created: tf.Tensor[] = [];
  // Everything created so far is freed if a later tensor turns out to be missing or misshapen.
  const track = <T extends tf.Tensor | Dense | Norm>(value: T): T => {
    if (value instanceof tf.Tensor) created.push(value);
    else created.push(...(Object.values(value) as tf.Tensor[]));
    return value;
  };
  try {
    const embeddings = {
      word: track(table('embeddings.word_embeddings.weight', config.vocabSize)),
      position: track(table('embeddings.position_embeddings.weight', config.maxPositions)),
      tokenType: track(table('embeddings.token_type_embeddings.weight', config.typeVocabSize)),
      norm: track(norm('embeddings.LayerNorm')),
    };
    const layers: BertLayer[] = [];
    for (let i = 0; i < config.numLayers; i++) {
      const base = `encoder.layer.${i}`;
      layers.push({
        query: track(linear(`${base}.attention.self.query`, H, H)),
        key: track(linear(`${base}.attention.self.key`, H, H)),
        value: track(linear(`${base}.attention.self.value`, H, H)),
        attentionOutput: track(linear(`${base}.attention.output.dense`, H, H)),
        attentionNorm: track(norm(`${base}.attention.output.LayerNorm`)),
        intermediate: track(linear(`${base}.intermediate.dense`, H, I)),
        output: track(linear(`${base}.output.dense`, I, H)),
        outputNorm: track(norm(`${base}.output.LayerNorm`)),
      });
    }
    const hasPooler = weights.tensors.has(`${prefix}pooler.dense.weight`) || weights.tensors.has(`${prefix}pooler.dense.bias`);
    const pooler = hasPooler ? track(linear('pooler.dense', H, H)) : null;

    const ignoredTensors: string[] = [];
    for (const name of names) {
      if (used.has(name)) continue;
      const local = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      if (BUFFERS.has(local) || HEAD_PREFIXES.some((p) => name.startsWith(p))) ignoredTensors.push(name);
      else throw new CheckpointError(file, `unexpected tensor ${name}: it is not part of a ${config.numLayers}-layer BERT encoder (is config.json for this checkpoint?)`);
    }
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

/** Loads a whole model folder through `readFile`. */
export async function loadBertCheckpoint(readFile: ReadModelFile): Promise<LoadedCheckpoint> {
  const need = async (name: string): Promise<Uint8Array> => {
    const bytes = await readFile(name);
    if (!bytes) throw new CheckpointError(name, 'is missing: a model folder needs config.json, model.safetensors and vocab.txt');
    return bytes;
  };
  const config = parseBertConfig(decodeText(await need(MODEL_FILES.config), MODEL_FILES.config));
  const vocabText = decodeText(await need(MODEL_FILES.vocab), MODEL_FILES.vocab);
  const vocab = asCheckpointError(MODEL_FILES.vocab, () => parseVocab(vocabText));
  if (vocab.tokens.length > config.vocabSize) throw new CheckpointError(MODEL_FILES.vocab, `has ${vocab.tokens.length} tokens but config.json's vocab_size is ${config.vocabSize}`);
  const tokenizerBytes = await readFile(MODEL_FILES.tokenizerConfig);
  const tokenizerConfig = tokenizerBytes
    ? asCheckpointError(MODEL_FILES.tokenizerConfig, () => tokenizerConfigFromJson(parseJson(decodeText(tokenizerBytes, MODEL_FILES.tokenizerConfig), MODEL_FILES.tokenizerConfig)))
    : tokenizerConfigFromJson({});
  const weights = parseSafetensors(await need(MODEL_FILES.weights), MODEL_FILES.weights);
  const { model, ignoredTensors } = bertFromSafetensors(config, weights);
  return { model, vocab, tokenizerConfig, ignoredTensors, metadata: weights.metadata };
}
