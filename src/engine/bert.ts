// The frozen BERT-family encoder, as Hugging Face's BertModel, RobertaModel, DistilBertModel and
// ElectraModel compute it (post-LN), with the insertion points adapters need. The four differ only in
// a few switches of the config (families.ts holds their weight names): RoBERTa's position ids, the
// token types DistilBERT lacks, ELECTRA's embedding projection, DistilBERT's activation. Weights are
// plain tensors (never tf.Variables): gradients flow through them to the adapters but they are never
// trained, copied or updated.
import * as tf from '@tensorflow/tfjs';
import type { ModelType } from './families';
import { attentionScores, denseLayer, gelu, layerNorm, maskedSoftmax } from './ops';

/** The architecture, read from a Hugging Face config.json (checkpoint.ts). */
export interface BertConfig {
  /** config.json's model_type: which family's names and switches apply. */
  modelType: ModelType;
  vocabSize: number;
  /** Width of the embedding tables: hiddenSize, except for ELECTRA models with embedding_size ≠ hidden_size. */
  embeddingSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  /** The longest sequence the model takes (for RoBERTa: max_position_embeddings − padding_idx − 1). */
  maxPositions: number;
  /** Rows of the position table (max_position_embeddings). */
  positionRows: number;
  /**
   * 'absolute': position ids 0 … T−1 (BERT, DistilBERT, ELECTRA). 'padding-offset': RoBERTa's ids,
   * padding_idx + 1 + the count of non-pad tokens so far, and padding_idx at pad tokens
   * (transformers' create_position_ids_from_input_ids).
   */
  positionIds: 'absolute' | 'padding-offset';
  /** Rows of the token-type table; 0 where the model has none (DistilBERT). */
  typeVocabSize: number;
  /** The feed-forward activation: exact GELU, or ReLU (DistilBERT's activation "relu"). */
  hiddenAct: 'gelu' | 'relu';
  layerNormEps: number;
  padTokenId: number;
}

/** A dense layer stored as y = x·w + b, with w already transposed to [in, out]. */
export interface Dense {
  w: tf.Tensor2D; // [in, out]
  b: tf.Tensor1D; // [out]
}

/** LayerNorm parameters. */
export interface Norm {
  gamma: tf.Tensor1D; // [H]
  beta: tf.Tensor1D; // [H]
}

/** One transformer layer's weights. */
export interface BertLayer {
  query: Dense;
  key: Dense;
  value: Dense;
  attentionOutput: Dense;
  attentionNorm: Norm;
  intermediate: Dense;
  output: Dense;
  outputNorm: Norm;
}

/** The whole frozen encoder. */
export interface BertModel {
  config: BertConfig;
  /** Tables are [rows, E]; `project` maps E → H (ELECTRA's embeddings_project), null when E = H. */
  embeddings: { word: tf.Tensor2D; position: tf.Tensor2D; tokenType: tf.Tensor2D | null; norm: Norm; project: Dense | null };
  layers: BertLayer[];
  pooler: Dense | null;
}

/** A tokenised batch: three int32 tensors of shape [B, T]. */
export interface EncoderInput {
  inputIds: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
}

/** Where a sublayer's output meets its residual: after self-attention, or after the feed-forward block. */
export type BlockSite = 'attention' | 'ffn';
/** The attention projections adapters may modify. */
export type Projection = 'query' | 'key' | 'value';

/**
 * The insertion points for adapters. Every hook is optional; without hooks the forward is BertModel's.
 * - `projection` changes a query/key/value projection's output (LoRA adds x·A·B·scale).
 * - `prefix` prepends learned keys and values to a layer's attention (prefix-tuning).
 * - `block` replaces `layerNorm(output + residual)` at the end of a sublayer, so sequential adapters
 *   (Houlsby: both sites; Pfeiffer: `ffn`) and parallel adapters (computed from the residual, i.e. the
 *   block's input) can be placed exactly where their papers put them. Its `norm(x, residual?)` is the
 *   layer's LayerNorm of x (+ residual, added first: one fused kernel on WebGPU).
 */
export interface EncoderHooks {
  projection?(layer: number, which: Projection, input: tf.Tensor2D, output: tf.Tensor2D): tf.Tensor2D;
  prefix?(layer: number): { key: tf.Tensor2D; value: tf.Tensor2D } | null; // each [P, H]
  block?(layer: number, site: BlockSite, output: tf.Tensor2D, residual: tf.Tensor2D, norm: (x: tf.Tensor2D, residual?: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D;
}

/** What the encoder returns. Hidden states are [B, T, H]; `hiddenStates` has numLayers + 1 entries. */
export interface EncoderOutput {
  lastHiddenState: tf.Tensor3D;
  hiddenStates: tf.Tensor3D[] | null;
  pooled: tf.Tensor2D | null; // [B, H]
}

/** An additive mask value that zeroes a position after softmax without overflowing float32 arithmetic. */
const MASKED = -1e9;

/** The gradient reaches x only (the weights are frozen), through the backend's fast matMul layout (dense.ts; on WebGPU the bias inside the product, ops.ts). */
function dense(x: tf.Tensor2D, layer: Dense): tf.Tensor2D {
  return denseLayer(x, layer.w, layer.b); // [N, in]·[in, out] + [out] → [N, out]
}

/** Multi-head self-attention of one layer on x [B·T, H]; returns the context before the output dense. */
function selfAttention(model: BertModel, index: number, x: tf.Tensor2D, additiveMask: tf.Tensor4D, batch: number, length: number, hooks: EncoderHooks): tf.Tensor2D {
  const { hiddenSize: H, numHeads: nh } = model.config;
  const hs = H / nh;
  const layer = model.layers[index]!;
  const project = (which: Projection) => {
    const y = dense(x, layer[which]); // [B·T, H]
    return hooks.projection ? hooks.projection(index, which, x, y) : y;
  };
  const heads = (t: tf.Tensor, len: number) => tf.transpose(tf.reshape(t, [batch, len, nh, hs]), [0, 2, 1, 3]); // [B, nh, len, hs]
  const q = heads(project('query'), length);
  let k = heads(project('key'), length);
  let v = heads(project('value'), length);
  let mask: tf.Tensor4D = additiveMask; // [B, 1, 1, T]
  const prefix = hooks.prefix?.(index) ?? null;
  if (prefix) {
    const p = prefix.key.shape[0];
    const tile = (t: tf.Tensor2D) => heads(tf.tile(tf.expandDims(t, 0), [batch, 1, 1]), p); // [B, nh, P, hs]
    k = tf.concat([tile(prefix.key), k], 2); // [B, nh, P+T, hs]
    v = tf.concat([tile(prefix.value), v], 2);
    mask = tf.concat([tf.zeros([batch, 1, 1, p]), additiveMask], 3); // prefixes are always visible
  }
  // The transpose is explicit so that matMul runs in its fast, untransposed layout (wasm); on WebGPU the product reads kᵀ (ops.ts).
  const probs = maskedSoftmax(attentionScores(q, k), Math.sqrt(hs), mask); // softmax(q·kᵀ / √hs + mask) over S: [B, nh, T, S]
  const context = tf.matMul(probs, v); // [B, nh, T, hs]
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * length, H]); // [B·T, H]
}

/**
 * Position ids [B·T] (int32): 0 … T−1 per row, or RoBERTa's padding-offset ids, which count only the
 * non-pad tokens: pad + cumsum(ids ≠ pad) at real tokens and pad at pad tokens.
 */
function positionIds(config: BertConfig, inputIds: tf.Tensor2D): tf.Tensor1D {
  const [batch, length] = inputIds.shape;
  if (config.positionIds === 'absolute') return tf.tile(tf.range(0, length, 1, 'int32'), [batch]) as tf.Tensor1D;
  const real = tf.cast(tf.notEqual(inputIds, config.padTokenId), 'float32'); // [B, T] 1 at real tokens
  const counted = tf.mul(tf.cumsum(real, 1), real); // [B, T] 1, 2, … at real tokens, 0 at pads
  return tf.reshape(tf.cast(tf.add(counted, config.padTokenId), 'int32'), [-1]) as tf.Tensor1D; // [B·T]
}

/** Word + position (+ token type) embeddings, layer-normalised (and projected to H): [B·T, H]. */
function embed(model: BertModel, input: EncoderInput): tf.Tensor2D {
  const length = input.inputIds.shape[1];
  if (length > model.config.maxPositions) throw new Error(`sequence length ${length} exceeds the model's ${model.config.maxPositions} positions`);
  const { embeddings, config } = model;
  const words = tf.gather(embeddings.word, tf.reshape(input.inputIds, [-1])); // [B·T, E]
  const positions = tf.gather(embeddings.position, positionIds(config, input.inputIds)); // [B·T, E]
  let sum: tf.Tensor = words;
  if (embeddings.tokenType) {
    // With one type (RoBERTa) every position gets row 0, whatever ids a tokenizer wrote.
    const types = config.typeVocabSize === 1 ? tf.slice(embeddings.tokenType, [0, 0], [1, -1]) : tf.gather(embeddings.tokenType, tf.reshape(input.tokenTypeIds, [-1])); // [B·T, E] or [1, E]
    sum = tf.add(sum, types);
  }
  // The order transformers adds them in: words + types, then positions (added by the norm, as its residual).
  const normed = layerNorm(sum, embeddings.norm.gamma, embeddings.norm.beta, config.layerNormEps, { residual: positions, frozen: true }) as tf.Tensor2D; // [B·T, E]
  return embeddings.project ? dense(normed, embeddings.project) : normed; // [B·T, H]
}

/**
 * Runs the encoder. Call inside tf.tidy (or tf.grad) so intermediates are freed; only the returned
 * tensors survive a tidy.
 */
export function forwardEncoder(model: BertModel, input: EncoderInput, options: { hooks?: EncoderHooks; outputHiddenStates?: boolean; pool?: boolean } = {}): EncoderOutput {
  const hooks = options.hooks ?? {};
  const { config } = model;
  const [batch, length] = input.inputIds.shape;
  const H = config.hiddenSize;
  const eps = config.layerNormEps;
  const additiveMask = tf.reshape(tf.mul(tf.sub(1, tf.cast(input.attentionMask, 'float32')), MASKED), [batch, 1, 1, length]) as tf.Tensor4D;
  const toBatch = (x: tf.Tensor2D) => tf.reshape(x, [batch, length, H]) as tf.Tensor3D;

  let h = embed(model, input); // [B·T, H]
  const hiddenStates = options.outputHiddenStates ? [toBatch(h)] : null;
  model.layers.forEach((layer, index) => {
    const finish = (site: BlockSite, output: tf.Tensor2D, residual: tf.Tensor2D, norm: Norm) => {
      // The encoder's norms are frozen: no gradient goes to their γ and β.
      const normalise = (x: tf.Tensor2D, add?: tf.Tensor2D) => layerNorm(x, norm.gamma, norm.beta, eps, { residual: add, frozen: true }) as tf.Tensor2D;
      return hooks.block ? hooks.block(index, site, output, residual, normalise) : normalise(output, residual);
    };
    const context = selfAttention(model, index, h, additiveMask, batch, length, hooks);
    const attended = finish('attention', dense(context, layer.attentionOutput), h, layer.attentionNorm); // [B·T, H]
    const preActivation = dense(attended, layer.intermediate); // [B·T, I]
    const inner = (config.hiddenAct === 'relu' ? tf.relu(preActivation) : gelu(preActivation)) as tf.Tensor2D; // [B·T, I]
    h = finish('ffn', dense(inner, layer.output), attended, layer.outputNorm); // [B·T, H]
    hiddenStates?.push(toBatch(h));
  });
  const lastHiddenState = toBatch(h);
  let pooled: tf.Tensor2D | null = null;
  if (options.pool && model.pooler) {
    const cls = tf.reshape(tf.slice(lastHiddenState, [0, 0, 0], [batch, 1, H]), [batch, H]) as tf.Tensor2D; // [B, H]
    pooled = tf.tanh(dense(cls, model.pooler)) as tf.Tensor2D;
  }
  return { lastHiddenState, hiddenStates, pooled };
}

/** Every weight tensor of the model, in a fixed order. */
export function bertTensors(model: BertModel): tf.Tensor[] {
  const { embeddings } = model;
  const tensors: tf.Tensor[] = [embeddings.word, embeddings.position, embeddings.norm.gamma, embeddings.norm.beta];
  if (embeddings.tokenType) tensors.push(embeddings.tokenType);
  if (embeddings.project) tensors.push(embeddings.project.w, embeddings.project.b);
  for (const layer of model.layers) {
    for (const d of [layer.query, layer.key, layer.value, layer.attentionOutput, layer.intermediate, layer.output]) tensors.push(d.w, d.b);
    tensors.push(layer.attentionNorm.gamma, layer.attentionNorm.beta, layer.outputNorm.gamma, layer.outputNorm.beta);
  }
  if (model.pooler) tensors.push(model.pooler.w, model.pooler.b);
  return tensors;
}

/** Number of parameters of the frozen encoder (what the budget panel calls "PLM parameters"). */
export function countBertParameters(model: BertModel): number {
  return bertTensors(model).reduce((sum, t) => sum + t.size, 0);
}

/** Frees every weight of the model. */
export function disposeBert(model: BertModel): void {
  tf.dispose(bertTensors(model));
}
