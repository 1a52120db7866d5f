// The tokenizer as the rest of the engine sees it: one interface that the WordPiece (vocab.txt),
// byte-level BPE (vocab.json + merges.txt) and tokenizer.json tokenizers all implement, and the
// plain-array encodings that framing, truncation and padding (encode.ts) produce from it.

/** Which algorithm splits words into vocabulary ids. */
export type TokenizerKind = 'wordpiece' | 'byte-level-bpe';

/** The ids of the special tokens the framing and the heads use; null where the vocabulary has none. */
export interface SpecialTokenIds {
  /** `[CLS]` (BERT) or `<s>` (RoBERTa's bos/cls): the first position, the one sentence heads read. */
  readonly cls: number;
  /** `[SEP]` or `</s>` (RoBERTa's eos/sep). */
  readonly sep: number;
  readonly pad: number;
  readonly unk: number | null;
  readonly mask: number | null;
}

/** One position of a post-processing template: a special token, or where sequence A or B goes. */
export type TemplatePiece = { readonly sequence: 'A' | 'B'; readonly typeId: number } | { readonly special: number; readonly typeId: number };

/**
 * How a text or a pair is framed with special tokens (the `tokenizers` library's post-processor):
 * BERT's `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` (types 0…0 1…1), RoBERTa's `<s> A </s>` /
 * `<s> A </s></s> B </s>` (types all 0).
 */
export interface Template {
  readonly single: readonly TemplatePiece[];
  readonly pair: readonly TemplatePiece[];
}

/** A ready tokenizer, whatever its files: text to ids and back, its special tokens and its framing. */
export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** The file(s) it was built from, for messages and the model summary, e.g. "tokenizer.json". */
  readonly source: string;
  /** Number of ids it can produce (the largest id + 1): the embedding rows the model needs at least. */
  readonly vocabSize: number;
  readonly specialTokenIds: SpecialTokenIds;
  /** Ids that `convertIdsToTokens(…, skipSpecialTokens)` leaves out. */
  readonly specialIds: ReadonlySet<number>;
  readonly template: Template;
  /** Length used when truncation or padding is asked for without maxLength (Infinity: none). */
  readonly modelMaxLength: number;
  /** Whether the text is lowercased before lookup (an "uncased" vocabulary). */
  readonly lowercases: boolean;
  /** Ids of a text, without the template's special tokens; special tokens written in the text map to their ids. */
  tokenizeToIds(text: string): number[];
  /**
   * Ids of word `index` of a pre-split sentence (Hugging Face's `is_split_into_words=True`, which
   * tokenizes each word on its own); byte-level BPE puts a space before it, as transformers does.
   */
  wordToIds(word: string, index: number): number[];
  /** Id of a vocabulary entry (or added token), or null when it has none. */
  tokenToId(token: string): number | null;
  /** Vocabulary entry of an id, or null when no entry has it. */
  idToToken(id: number): string | null;
  /** Joins tokens back into text (WordPiece glues `##`, byte-level BPE decodes the bytes). */
  tokensToString(tokens: readonly string[]): string;
}

/** One encoded sequence (or pair) as plain arrays, one entry per position. */
export interface Encoding {
  readonly inputIds: number[];
  /** The template's type id per position: BERT's 0 for the first segment, 1 for the second; RoBERTa's all 0; padding 0. */
  readonly tokenTypeIds: number[];
  /** 1 for real positions, 0 for padding. */
  readonly attentionMask: number[];
}

/** An encoding of pre-split words, with the alignment needed to put word labels on their pieces. */
export interface WordEncoding extends Encoding {
  /** Index of the word each position comes from; null for special tokens and padding. */
  readonly wordIds: (number | null)[];
  /** Per word, the position of its first piece; -1 if it was truncated away or produced no piece. */
  readonly firstPieceIndex: number[];
}

/** A batch packed row-major into flat int32 arrays of `shape` [batch, seqLen], ready for `tf.tensor2d`. */
export interface BatchEncoding {
  readonly inputIds: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly shape: [number, number];
  /** Per-position labels, when labels were given to `padBatch` (padding gets the ignore index). */
  readonly labels?: Int32Array;
}

/** How to cut and pad: like Hugging Face's `truncation`, `max_length` and `padding` arguments. */
export interface EncodeOptions {
  /** Target length including the special tokens; defaults to the tokenizer's `modelMaxLength`. */
  readonly maxLength?: number;
  /** Cut with `longest_first` to maxLength; defaults to true when maxLength is given, as in Hugging Face. */
  readonly truncation?: boolean;
  /** 'max_length' pads up to maxLength; 'longest' pads a batch to its longest row (a lone text is its own longest); 'none' does not pad. */
  readonly padding?: 'none' | 'max_length' | 'longest';
}

/** BERT's framing for special ids `cls` and `sep`: `[CLS] A [SEP]`, and `[CLS] A [SEP] B [SEP]` with B typed 1. */
export function bertTemplate(cls: number, sep: number): Template {
  return {
    single: [{ special: cls, typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: sep, typeId: 0 }],
    pair: [{ special: cls, typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: sep, typeId: 0 }, { sequence: 'B', typeId: 1 }, { special: sep, typeId: 1 }],
  };
}

/**
 * RoBERTa's framing: `<s> A </s>` and `<s> A </s></s> B </s>`, every type id 0 (transformers'
 * RobertaTokenizer and the `tokenizers` library's RobertaProcessing both give zeros for pairs too).
 */
export function robertaTemplate(cls: number, sep: number): Template {
  return {
    single: [{ special: cls, typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: sep, typeId: 0 }],
    pair: [{ special: cls, typeId: 0 }, { sequence: 'A', typeId: 0 }, { special: sep, typeId: 0 }, { special: sep, typeId: 0 }, { sequence: 'B', typeId: 0 }, { special: sep, typeId: 0 }],
  };
}
