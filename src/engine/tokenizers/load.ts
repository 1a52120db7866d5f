// Picks and builds a model folder's tokenizer, as transformers' AutoTokenizer would: tokenizer.json
// (the `tokenizers` library's file) when the folder has one, else the model family's own files:
// vocab.txt for BERT, DistilBERT and ELECTRA (WordPiece), vocab.json + merges.txt for RoBERTa
// (byte-level BPE); tokenizer_config.json (and special_tokens_map.json for the special tokens' names)
// adds its settings to either. Problems name the file.
import type { ReadModelFile } from '../checkpoint';
import { CheckpointError } from '../safetensors';
import { createTokenizer, parseVocab, tokenizerConfigFromJson } from '../tokenizer';
import { parseMerges, parseVocabJson } from './bpe';
import { MODEL_FILES } from '../catalog';
import { createByteLevelBpeTokenizer } from './roberta';
import { tokenizerFromJson } from './tokenizerJson';
import type { Tokenizer } from './types';

/** The tokenizer files a model folder may hold, in the order they are looked for. */
export const TOKENIZER_FILES = {
  json: MODEL_FILES.tokenizerJson,
  config: MODEL_FILES.tokenizerConfig,
  specialTokensMap: MODEL_FILES.specialTokensMap,
  vocabTxt: MODEL_FILES.vocab,
  vocabJson: MODEL_FILES.bpeVocab,
  merges: MODEL_FILES.merges,
} as const;

/** The `model_type`s of config.json whose tokenizers load, and the family each belongs to. */
export const TOKENIZER_FAMILIES = { bert: 'bert', distilbert: 'bert', electra: 'bert', roberta: 'roberta' } as const;

/** A `model_type` whose tokenizer this engine knows. */
export type TokenizerModelType = keyof typeof TOKENIZER_FAMILIES;

function decodeText(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(file, 'is not valid UTF-8 text');
  }
}

function parseJsonFile(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(decodeText(bytes, file));
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(file, `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Runs a parser and reports its failure as a problem of `file` (without the parser's own name prefix). */
function inFile<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    const text = error instanceof Error ? error.message : String(error);
    throw new CheckpointError(file, text.replace(/^\w+: /, ''));
  }
}

/**
 * Loads the tokenizer of a model folder for config.json's `model_type` (bert, roberta, distilbert,
 * electra; others are refused, naming the type). With `vocabSize` (config.json's `vocab_size`), a
 * tokenizer that can produce ids past the embedding matrix is refused.
 */
export async function loadTokenizer(readFile: ReadModelFile, modelType: string, options: { vocabSize?: number } = {}): Promise<Tokenizer> {
  if (!Object.hasOwn(TOKENIZER_FAMILIES, modelType)) {
    throw new CheckpointError('config.json', `model_type ${JSON.stringify(modelType)} has no tokenizer here: supported are ${Object.keys(TOKENIZER_FAMILIES).join(', ')}`);
  }
  const family = TOKENIZER_FAMILIES[modelType as TokenizerModelType];
  const configBytes = await readFile(TOKENIZER_FILES.config);
  const configJson = configBytes ? parseJsonFile(configBytes, TOKENIZER_FILES.config) : {};
  if (typeof configJson !== 'object' || configJson === null || Array.isArray(configJson)) throw new CheckpointError(TOKENIZER_FILES.config, 'must contain a JSON object');
  // special_tokens_map.json may name special tokens that tokenizer_config.json leaves out.
  const mapBytes = await readFile(TOKENIZER_FILES.specialTokensMap);
  const map = mapBytes ? parseJsonFile(mapBytes, TOKENIZER_FILES.specialTokensMap) : {};
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError(TOKENIZER_FILES.specialTokensMap, 'must contain a JSON object');
  const config = { ...(map as Record<string, unknown>), ...(configJson as Record<string, unknown>) };

  let tokenizer: Tokenizer;
  const jsonBytes = await readFile(TOKENIZER_FILES.json);
  if (jsonBytes) {
    const json = parseJsonFile(jsonBytes, TOKENIZER_FILES.json);
    tokenizer = inFile(TOKENIZER_FILES.json, () => tokenizerFromJson(json, { family, tokenizerConfig: config }));
  } else if (family === 'bert') {
    const vocabBytes = await readFile(TOKENIZER_FILES.vocabTxt);
    if (!vocabBytes) throw new CheckpointError(TOKENIZER_FILES.vocabTxt, `is missing: a ${modelType} folder needs tokenizer.json or vocab.txt`);
    const vocab = inFile(TOKENIZER_FILES.vocabTxt, () => parseVocab(decodeText(vocabBytes, TOKENIZER_FILES.vocabTxt)));
    tokenizer = createTokenizer(vocab, inFile(TOKENIZER_FILES.config, () => tokenizerConfigFromJson(config)));
  } else {
    const vocabBytes = await readFile(TOKENIZER_FILES.vocabJson);
    const mergesBytes = await readFile(TOKENIZER_FILES.merges);
    if (!vocabBytes || !mergesBytes) {
      const missing = !vocabBytes ? TOKENIZER_FILES.vocabJson : TOKENIZER_FILES.merges;
      throw new CheckpointError(missing, `is missing: a ${modelType} folder needs tokenizer.json, or vocab.json and merges.txt`);
    }
    const vocab = inFile(TOKENIZER_FILES.vocabJson, () => parseVocabJson(parseJsonFile(vocabBytes, TOKENIZER_FILES.vocabJson)));
    const merges = inFile(TOKENIZER_FILES.merges, () => parseMerges(decodeText(mergesBytes, TOKENIZER_FILES.merges)));
    tokenizer = inFile(TOKENIZER_FILES.vocabJson, () => createByteLevelBpeTokenizer(vocab, merges, config));
  }
  if (options.vocabSize !== undefined && tokenizer.vocabSize > options.vocabSize) {
    throw new CheckpointError(tokenizer.source, `has ${tokenizer.vocabSize} token ids but config.json's vocab_size is ${options.vocabSize}`);
  }
  return tokenizer;
}
