// Framing, truncation and padding for any Tokenizer: a text or pair (or pre-split words) becomes the
// int32 arrays the encoder takes, as Hugging Face's `__call__` with `truncation='longest_first'`,
// `max_length` and right padding. The tokenizer supplies the ids and its template; nothing here
// depends on whether they came from WordPiece or byte-level BPE.
import type { BatchEncoding, EncodeOptions, Encoding, Template, Tokenizer, WordEncoding } from './types';

/** The word pieces (or BPE tokens) of a text, without special tokens added, as HF's `tokenize`. */
export function tokenize(tok: Tokenizer, text: string): string[] {
  return convertIdsToTokens(tok, tok.tokenizeToIds(text));
}

/** Vocabulary ids of tokens; unknown ones get the unknown token's id (an error when there is none). */
export function convertTokensToIds(tok: Tokenizer, tokens: readonly string[]): number[] {
  return tokens.map((t) => {
    const id = tok.tokenToId(t) ?? tok.specialTokenIds.unk;
    if (id === null) throw new Error(`convertTokensToIds: ${JSON.stringify(t)} is not in the vocabulary, which has no unknown token`);
    return id;
  });
}

/**
 * Tokens of ids, optionally without the special ones. An id no entry has reads as the unknown
 * token (`[UNK]` for WordPiece, as Hugging Face's `ids_to_tokens`), or as "" when there is none.
 */
export function convertIdsToTokens(tok: Tokenizer, ids: ArrayLike<number>, skipSpecialTokens = false): string[] {
  const unk = tok.specialTokenIds.unk === null ? '' : (tok.idToToken(tok.specialTokenIds.unk) ?? '');
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? -1;
    if (skipSpecialTokens && tok.specialIds.has(id)) continue;
    out.push(tok.idToToken(id) ?? unk);
  }
  return out;
}

/** Text of ids, as HF's `decode`: tokens joined by the tokenizer's own rule. */
export function decode(tok: Tokenizer, ids: ArrayLike<number>, skipSpecialTokens = false): string {
  return tok.tokensToString(convertIdsToTokens(tok, ids, skipSpecialTokens));
}

/**
 * Hugging Face's `longest_first` truncation (right side), as the slow (Python) tokenizers do it: a
 * single sequence loses its last `numToRemove` ids; a pair loses one id at a time from whichever is
 * longer, from the second on a tie. (The fast, Rust tokenizers give an odd leftover to the second
 * sequence instead; this engine uses the slow rule for every tokenizer, so one text encodes alike
 * whichever files it came from.) Like Hugging Face, a single sequence is left whole if that would
 * remove all of it; callers check.
 */
export function truncateLongestFirst(ids: readonly number[], pairIds: readonly number[] | null, numToRemove: number): [number[], number[] | null] {
  if (numToRemove <= 0) return [ids.slice(), pairIds ? pairIds.slice() : null];
  if (pairIds === null) return [ids.length > numToRemove ? ids.slice(0, ids.length - numToRemove) : ids.slice(), null];
  // Removing one id at a time from the longer side equals: even out the longer side first, then
  // alternate starting with the second; done in closed form so a huge document costs nothing.
  let a = ids.length;
  let b = pairIds.length;
  let left = numToRemove;
  const even = Math.min(left, Math.abs(a - b));
  if (a > b) a -= even;
  else b -= even;
  left -= even;
  // Now a === b (or nothing is left to remove): the second loses ceil(left / 2), the first floor(left / 2).
  b = Math.max(0, b - Math.ceil(left / 2));
  a = Math.max(0, a - Math.floor(left / 2));
  return [ids.slice(0, a), pairIds.slice(0, b)];
}

/** The length that truncation and 'max_length' padding aim at, or null for none. */
function targetLength(tok: Tokenizer, options: EncodeOptions): number | null {
  if (options.maxLength !== undefined && !(Number.isInteger(options.maxLength) && options.maxLength > 0)) throw new RangeError(`maxLength must be a positive integer, got ${options.maxLength}`);
  const max = options.maxLength ?? tok.modelMaxLength;
  return Number.isFinite(max) ? max : null;
}

/** Number of special tokens a template adds around one sequence or a pair. */
export function numSpecialTokens(template: Template, pair: boolean): number {
  return (pair ? template.pair : template.single).filter((p) => 'special' in p).length;
}

/** Truncates, frames with the template's special tokens, and pads ids; `firstStart`/`firstLength` locate the surviving ids of A. */
function frame(tok: Tokenizer, ids: readonly number[], pairIds: readonly number[] | null, options: EncodeOptions): Encoding & { firstStart: number; firstLength: number } {
  const target = targetLength(tok, options);
  const truncation = options.truncation ?? options.maxLength !== undefined;
  const pieces = pairIds === null ? tok.template.single : tok.template.pair;
  const specials = numSpecialTokens(tok.template, pairIds !== null);
  let a = ids as number[];
  let b = pairIds as number[] | null;
  if (truncation && target !== null) {
    const total = ids.length + (pairIds?.length ?? 0) + specials;
    [a, b] = truncateLongestFirst(ids, pairIds, total - target);
    const length = a.length + (b?.length ?? 0) + specials;
    // Hugging Face only logs an error here and returns a sequence longer than max_length, which
    // the encoder's position embeddings may not hold: we refuse instead.
    if (length > target) {
      throw new RangeError(`maxLength ${target} is too short: ${pairIds === null ? `longest_first keeps at least one token of a single sequence, so it needs at least ${specials + 1}` : `a pair needs at least its ${specials} special tokens`}`);
    }
  }
  const inputIds: number[] = [];
  const tokenTypeIds: number[] = [];
  let firstStart = 0;
  for (const piece of pieces) {
    if ('special' in piece) {
      inputIds.push(piece.special);
      tokenTypeIds.push(piece.typeId);
      continue;
    }
    const seq = piece.sequence === 'A' ? a : b;
    if (seq === null) continue;
    if (piece.sequence === 'A') firstStart = inputIds.length;
    for (const id of seq) {
      inputIds.push(id);
      tokenTypeIds.push(piece.typeId);
    }
  }
  const attentionMask = new Array<number>(inputIds.length).fill(1);
  if (options.padding === 'max_length') {
    if (target === null) throw new RangeError("padding 'max_length' needs maxLength or a finite modelMaxLength");
    // Like Hugging Face, a sequence already longer (truncation off) is left as it is.
    for (let i = inputIds.length; i < target; i++) {
      inputIds.push(tok.specialTokenIds.pad);
      tokenTypeIds.push(0);
      attentionMask.push(0);
    }
  }
  return { inputIds, tokenTypeIds, attentionMask, firstStart, firstLength: a.length };
}

/** Encodes a text, or a pair, framed by the tokenizer's template, truncated and padded as asked. */
export function encode(tok: Tokenizer, text: string, textPair: string | null = null, options: EncodeOptions = {}): Encoding {
  const a = tok.tokenizeToIds(text);
  const b = textPair === null ? null : tok.tokenizeToIds(textPair);
  const { inputIds, tokenTypeIds, attentionMask } = frame(tok, a, b, options);
  return { inputIds, tokenTypeIds, attentionMask };
}

/**
 * Encodes pre-split words (Hugging Face's `is_split_into_words=True`: each word is tokenized on its
 * own) and records which word each position comes from and where each word's first piece landed.
 */
export function encodeWords(tok: Tokenizer, words: readonly string[], options: EncodeOptions = {}): WordEncoding {
  const ids: number[] = [];
  const owner: number[] = [];
  words.forEach((word, w) => {
    for (const id of tok.wordToIds(word, w)) {
      ids.push(id);
      owner.push(w);
    }
  });
  const { inputIds, tokenTypeIds, attentionMask, firstStart, firstLength } = frame(tok, ids, null, options);
  const wordIds: (number | null)[] = new Array<number | null>(inputIds.length).fill(null);
  const firstPieceIndex = new Array<number>(words.length).fill(-1);
  for (let i = 0; i < firstLength; i++) {
    const w = owner[i] ?? 0;
    wordIds[i + firstStart] = w;
    if (firstPieceIndex[w] === -1) firstPieceIndex[w] = i + firstStart;
  }
  return { inputIds, tokenTypeIds, attentionMask, wordIds, firstPieceIndex };
}

/** Per-position labels for token classification: each word's label on its first piece, `ignoreIndex` elsewhere. */
export function alignLabels(encoding: WordEncoding, wordLabels: readonly number[], ignoreIndex = -100): number[] {
  if (wordLabels.length !== encoding.firstPieceIndex.length) throw new Error(`alignLabels: ${wordLabels.length} labels for ${encoding.firstPieceIndex.length} words`);
  const labels = new Array<number>(encoding.inputIds.length).fill(ignoreIndex);
  encoding.firstPieceIndex.forEach((pos, w) => {
    if (pos >= 0) labels[pos] = wordLabels[w] ?? ignoreIndex;
  });
  return labels;
}

/**
 * Packs encodings into flat [batch, seqLen] int32 arrays, right-padded with the pad token, token type 0
 * and mask 0 (and `ignoreIndex` for labels) up to `length`, or to the longest row when it is omitted.
 */
export function padBatch(tok: Tokenizer, encodings: readonly Encoding[], options: { length?: number; labels?: readonly (readonly number[])[]; ignoreIndex?: number } = {}): BatchEncoding {
  const longest = encodings.reduce((m, e) => Math.max(m, e.inputIds.length), 0);
  const seqLen = options.length ?? longest;
  if (longest > seqLen) throw new RangeError(`padBatch: a row has ${longest} positions, more than the length ${seqLen}: truncate when encoding`);
  if (options.labels && options.labels.length !== encodings.length) throw new Error(`padBatch: ${options.labels.length} label rows for ${encodings.length} encodings`);
  const size = encodings.length * seqLen;
  const inputIds = new Int32Array(size).fill(tok.specialTokenIds.pad);
  const tokenTypeIds = new Int32Array(size);
  const attentionMask = new Int32Array(size);
  const labels = options.labels ? new Int32Array(size).fill(options.ignoreIndex ?? -100) : undefined;
  encodings.forEach((e, row) => {
    const offset = row * seqLen;
    inputIds.set(e.inputIds, offset);
    tokenTypeIds.set(e.tokenTypeIds, offset);
    attentionMask.set(e.attentionMask, offset);
    const rowLabels = options.labels?.[row];
    if (labels && rowLabels) {
      if (rowLabels.length !== e.inputIds.length) throw new Error(`padBatch: label row ${row} has ${rowLabels.length} entries for ${e.inputIds.length} positions`);
      labels.set(rowLabels, offset);
    }
  });
  const shape: [number, number] = [encodings.length, seqLen];
  return labels ? { inputIds, tokenTypeIds, attentionMask, shape, labels } : { inputIds, tokenTypeIds, attentionMask, shape };
}

/**
 * Encodes a batch of texts or [text, textPair] pairs into flat int32 arrays; padding defaults to
 * 'longest' (the batch's longest row), 'max_length' pads every row to maxLength.
 */
export function encodeBatch(tok: Tokenizer, inputs: readonly (string | readonly [string, string])[], options: EncodeOptions = {}): BatchEncoding {
  const perRow: EncodeOptions = { ...options, padding: 'none' };
  const encodings = inputs.map((input) => (typeof input === 'string' ? encode(tok, input, null, perRow) : encode(tok, input[0], input[1], perRow)));
  if (options.padding === 'none' && encodings.some((e) => e.inputIds.length !== encodings[0]?.inputIds.length)) {
    throw new RangeError("encodeBatch: rows differ in length and padding is 'none'");
  }
  const length = options.padding === 'max_length' ? (targetLength(tok, options) ?? undefined) : undefined;
  if (options.padding === 'max_length' && length === undefined) throw new RangeError("padding 'max_length' needs maxLength or a finite modelMaxLength");
  return padBatch(tok, encodings, length === undefined ? {} : { length });
}
