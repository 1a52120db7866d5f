// The frozen PLM as the rest of the engine uses it: the encoder and its tokenizer, loaded together
// from one model folder (BERT, RoBERTa, DistilBERT or ELECTRA), with a summary for the UI and a
// plain-array encode for the CLI and the page.
import * as tf from '@tensorflow/tfjs';
import { gpuBufferLimits } from './backend';
import { countBertParameters, disposeBert, forwardEncoder, type BertModel } from './bert';
import { loadEncoder, parseBertConfig, readConfigText, type LoadProgress, type ReadModelFile } from './checkpoint';
import { FAMILIES, type ModelType } from './families';
import { convertIdsToTokens, encode, type Tokenizer } from './tokenizer';
import { loadTokenizer } from './tokenizers/load';

/** What the page shows about a loaded model. */
export interface PlmSummary {
  label: string;
  /**
   * config.json's model_type, and the family's name as the page writes it ("RoBERTa"); loadPlm always
   * sets these, optional only for summaries written before there were other families (a BERT).
   */
  modelType?: ModelType;
  architecture?: string;
  /** The tokenizer's algorithm and the file(s) it came from (e.g. "byte-level-bpe", "vocab.json + merges.txt"). */
  tokenizerKind?: string;
  tokenizerSource?: string;
  layers: number;
  hiddenSize: number;
  heads: number;
  intermediateSize: number;
  /** The embeddings' width (ELECTRA's may be smaller than the hidden size); absent in summaries from older builds. */
  embeddingSize?: number;
  maxPositions: number;
  vocabSize: number;
  parameters: number;
  doLowerCase: boolean;
  ignoredTensors: string[];
  metadata: Record<string, string>;
}

/** A loaded PLM: frozen weights, tokenizer and summary. */
export interface Plm {
  model: BertModel;
  tokenizer: Tokenizer;
  summary: PlmSummary;
}

/** One encoded text: tokens, ids and the last hidden state per token ([T][H]). */
export interface EncodeResult {
  tokens: string[];
  inputIds: number[];
  tokenTypeIds: number[];
  lastHiddenState: number[][];
}

/** A model folder's tokenizer alone, read and checked as loadPlm reads it (its config's model type and vocabulary size), without the weights. */
export async function loadModelTokenizer(readFile: ReadModelFile): Promise<Tokenizer> {
  const c = parseBertConfig(await readConfigText(readFile));
  return loadTokenizer(readFile, c.modelType, { vocabSize: c.vocabSize });
}

/** Loads a model folder (see checkpoint.ts for the weights and tokenizers/load.ts for the tokenizer files, and their checks). */
export async function loadPlm(readFile: ReadModelFile, label: string, onProgress?: (progress: LoadProgress) => void): Promise<Plm> {
  // The config and the tokenizer first: their problems are found before the weights are read and uploaded.
  const c = parseBertConfig(await readConfigText(readFile));
  const tokenizer = await loadTokenizer(readFile, c.modelType, { vocabSize: c.vocabSize });
  const { model, ignoredTensors, metadata } = await loadEncoder(readFile, c, gpuBufferLimits(), onProgress);
  return {
    model,
    tokenizer,
    summary: {
      label,
      modelType: c.modelType,
      architecture: FAMILIES[c.modelType].title,
      tokenizerKind: tokenizer.kind,
      tokenizerSource: tokenizer.source,
      layers: c.numLayers,
      hiddenSize: c.hiddenSize,
      heads: c.numHeads,
      intermediateSize: c.intermediateSize,
      embeddingSize: c.embeddingSize,
      maxPositions: c.maxPositions,
      vocabSize: tokenizer.vocabSize,
      parameters: countBertParameters(model),
      doLowerCase: tokenizer.lowercases,
      ignoredTensors,
      metadata,
    },
  };
}

/** Tokenizes a text (or pair), truncated to the model's positions, and runs the encoder on it. */
export async function encodeText(plm: Plm, text: string, text2: string | null): Promise<EncodeResult> {
  const encoding = encode(plm.tokenizer, text, text2, { maxLength: plm.model.config.maxPositions });
  const hidden = tf.tidy(() => {
    const row = (values: number[]) => tf.tensor2d([values], [1, values.length], 'int32');
    const input = { inputIds: row(encoding.inputIds), tokenTypeIds: row(encoding.tokenTypeIds), attentionMask: row(encoding.attentionMask) };
    return tf.squeeze(forwardEncoder(plm.model, input).lastHiddenState, [0]); // [T, H]
  });
  try {
    return {
      tokens: convertIdsToTokens(plm.tokenizer, encoding.inputIds),
      inputIds: encoding.inputIds,
      tokenTypeIds: encoding.tokenTypeIds,
      lastHiddenState: (await hidden.array()) as number[][],
    };
  } finally {
    hidden.dispose();
  }
}

/** Frees the model's weights. */
export function disposePlm(plm: Plm): void {
  disposeBert(plm.model);
}
