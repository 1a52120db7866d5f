// The tokenizer abstraction the engine uses: the Tokenizer interface and its encodings (types.ts),
// framing, truncation and padding for any tokenizer (encode.ts), and the loader that picks a model
// folder's files (load.ts: tokenizer.json, vocab.txt, or vocab.json + merges.txt).
export * from './types';
export * from './encode';
export { loadTokenizer, TOKENIZER_FAMILIES, TOKENIZER_FILES, type TokenizerModelType } from './load';
export { tokenizerFromJson, type TokenizerFamily } from './tokenizerJson';
export { parseMerges, parseVocabJson } from './bpe';
export { createByteLevelBpeTokenizer } from './roberta';
