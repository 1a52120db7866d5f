// The frozen PLM as the rest of the engine uses it: the encoder and its tokenizer, loaded together
// from one model folder, with a summary for the UI and a plain-array encode for the CLI and the page.
import * as tf from '@tensorflow/tfjs';
import { countBertParameters, disposeBert, forwardEncoder, type BertModel } from './bert';
import { loadBertCheckpoint, type ReadModelFile } from './checkpoint';
import { createTokenizer, encode, convertIdsToTokens, type WordPieceTokenizer } from './tokenizer';

/** What the page shows about a loaded model. */
export interface PlmSummary {
  label: string;
  layers: number;
  hiddenSize: number;
  heads: number;
  intermediateSize: number;
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
  tokenizer: WordPieceTokenizer;
  summary: PlmSummary;
}

/** One encoded text: tokens, ids and the last hidden state per token ([T][H]). */
export interface EncodeResult {
  tokens: string[];
  inputIds: number[];
  tokenTypeIds: number[];
  lastHiddenState: number[][];
}

/** Loads a model folder (see checkpoint.ts for the files and their checks). */
export async function loadPlm(readFile: ReadModelFile, label: string): Promise<Plm> {
  const checkpoint = await loadBertCheckpoint(readFile);
  const { model } = checkpoint;
  const tokenizer = createTokenizer(checkpoint.vocab, checkpoint.tokenizerConfig);
  const c = model.config;
  return {
    model,
    tokenizer,
    summary: {
      label,
      layers: c.numLayers,
      hiddenSize: c.hiddenSize,
      heads: c.numHeads,
      intermediateSize: c.intermediateSize,
      maxPositions: c.maxPositions,
      vocabSize: checkpoint.vocab.tokens.length,
      parameters: countBertParameters(model),
      doLowerCase: checkpoint.tokenizerConfig.doLowerCase,
      ignoredTensors: checkpoint.ignoredTensors,
      metadata: checkpoint.metadata,
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
