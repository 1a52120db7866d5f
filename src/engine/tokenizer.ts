// WordPiece tokenizer that reproduces Hugging Face's slow, Python `BertTokenizer` on a `vocab.txt`:
// the same cleaning, CJK padding, NFC, lowercasing, accent stripping, punctuation splitting, greedy
// longest-match-first word pieces, `[CLS] A [SEP] B [SEP]` framing, `longest_first` truncation and
// right padding. It turns text (or pre-split words, for token classification) into the int32
// arrays the encoder takes, and ids back into text for the UI. Plain TypeScript: no DOM, no Node.

/** A parsed `vocab.txt`: the token on each line (its index is its id) and the token → id map. */
export interface Vocab {
  /** Token of each line; `tokens.length` is the number of lines, i.e. the embedding rows the ids index. */
  readonly tokens: readonly string[];
  /** Token → id; a token listed twice keeps its last line, as in Hugging Face's `load_vocab`. */
  readonly ids: ReadonlyMap<string, number>;
}

/** The tokenizer settings that Hugging Face reads from a model folder's `tokenizer_config.json`. */
export interface TokenizerConfig {
  /** Lowercase the text (uncased vocabularies). */
  readonly doLowerCase: boolean;
  /** Strip accents; null follows `doLowerCase`, as in Hugging Face and the original BERT. */
  readonly stripAccents: boolean | null;
  /** Put spaces around CJK ideographs so that each is a word of its own. */
  readonly tokenizeChineseChars: boolean;
  /** Length used when truncation or padding is asked for without an explicit maxLength (Infinity: none). */
  readonly modelMaxLength: number;
}

/** A ready tokenizer: the vocabulary, its settings and the ids of the special tokens. */
export interface WordPieceTokenizer {
  readonly vocab: Vocab;
  readonly config: TokenizerConfig;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  /** Id of `[MASK]`, or null when the vocabulary has none. */
  readonly maskId: number | null;
  /** Special tokens that are never split, lowercased or stripped when they appear in the text. */
  readonly specialTokens: ReadonlySet<string>;
  readonly specialIds: ReadonlySet<number>;
  /** Whether accents are stripped, resolved from `config` once. */
  readonly stripAccents: boolean;
  /** Matches any special token, for cutting the text around them (null when there are none to cut on). */
  readonly specialPattern: RegExp | null;
  /** Body (without `##`) → id of the vocabulary's `##` tokens, so the search needs no concatenation. */
  readonly continuations: ReadonlyMap<string, number>;
  /** Longest vocabulary entry in UTF-16 units: no longer substring can match, so the search starts there. */
  readonly maxPieceUnits: number;
}

/** One encoded sequence (or pair) as plain arrays, one entry per position. */
export interface Encoding {
  readonly inputIds: number[];
  /** 0 for `[CLS]`, the first segment and its `[SEP]` (and padding); 1 for the second segment and its `[SEP]`. */
  readonly tokenTypeIds: number[];
  /** 1 for real positions, 0 for padding. */
  readonly attentionMask: number[];
}

/** An encoding of pre-split words, with the alignment needed to put word labels on word pieces. */
export interface WordEncoding extends Encoding {
  /** Index of the word each position comes from; null for `[CLS]`, `[SEP]` and padding. */
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
  /** Target length including the special tokens; defaults to the config's `modelMaxLength`. */
  readonly maxLength?: number;
  /** Cut with `longest_first` to maxLength; defaults to true when maxLength is given, as in Hugging Face. */
  readonly truncation?: boolean;
  /** 'max_length' pads up to maxLength; 'longest' pads a batch to its longest row (a lone text is its own longest); 'none' does not pad. */
  readonly padding?: 'none' | 'max_length' | 'longest';
}

const REQUIRED_SPECIALS = ['[UNK]', '[CLS]', '[SEP]', '[PAD]'] as const;

/** Hugging Face's words longer than this (in code points) become one `[UNK]`. */
const MAX_CHARS_PER_WORD = 100;

/**
 * Parses a `vocab.txt`, one token per line, the line index being the id. Lines end at \n, \r\n or a
 * lone \r, because Python's text mode (which `load_vocab` uses) reads all three as one newline; only
 * that newline is removed, so spaces and empty lines are tokens (and take ids) as in Hugging Face.
 */
export function parseVocab(text: string): Vocab {
  const tokens = text.split(/\r\n|\r|\n/);
  // A final newline ends the last line rather than starting an empty one.
  if (tokens.length > 0 && tokens[tokens.length - 1] === '') tokens.pop();
  if (tokens.length === 0) throw new Error('parseVocab: the vocabulary is empty (vocab.txt has no lines)');
  const ids = new Map<string, number>();
  tokens.forEach((token, id) => ids.set(token, id));
  const missing = REQUIRED_SPECIALS.filter((s) => !ids.has(s));
  if (missing.length > 0) {
    // Python's utf-8 codec keeps a byte-order mark, so Hugging Face would not find the first token either.
    const bom = tokens[0]?.startsWith('\ufeff') ? ' (the first line starts with a byte-order mark, U+FEFF: decode the file without it)' : '';
    throw new Error(`parseVocab: the vocabulary lacks the special token${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that BERT needs${bom}`);
  }
  return { tokens, ids };
}

/** The defaults of Hugging Face's `BertTokenizer`: lowercase, accents follow it, CJK padding, no length limit. */
export const DEFAULT_TOKENIZER_CONFIG: TokenizerConfig = { doLowerCase: true, stripAccents: null, tokenizeChineseChars: true, modelMaxLength: Infinity };

/**
 * Reads a parsed `tokenizer_config.json` (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`,
 * `model_max_length`); absent or null keys take Hugging Face's defaults, other keys are ignored.
 */
export function tokenizerConfigFromJson(json: unknown): TokenizerConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('tokenizerConfigFromJson: expected a JSON object');
  const obj = json as Record<string, unknown>;
  const bool = (key: string, fallback: boolean): boolean => {
    const v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new Error(`tokenizerConfigFromJson: ${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const strip = obj.strip_accents;
  if (strip !== undefined && strip !== null && typeof strip !== 'boolean') throw new Error(`tokenizerConfigFromJson: strip_accents must be true, false or null, got ${JSON.stringify(strip)}`);
  const max = obj.model_max_length;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !(max > 0))) throw new Error(`tokenizerConfigFromJson: model_max_length must be a positive number, got ${JSON.stringify(max)}`);
  return {
    doLowerCase: bool('do_lower_case', true),
    stripAccents: typeof strip === 'boolean' ? strip : null,
    tokenizeChineseChars: bool('tokenize_chinese_chars', true),
    // Hugging Face writes int(1e30) for "no limit"; anything past the safe integers means the same.
    modelMaxLength: typeof max === 'number' && max <= Number.MAX_SAFE_INTEGER ? Math.floor(max) : Infinity,
  };
}

/** Builds a tokenizer from a vocabulary (parsed, or the text of `vocab.txt`) and optional settings. */
export function createTokenizer(vocab: Vocab | string, config: Partial<TokenizerConfig> = {}): WordPieceTokenizer {
  const v = typeof vocab === 'string' ? parseVocab(vocab) : vocab;
  const cfg: TokenizerConfig = { ...DEFAULT_TOKENIZER_CONFIG, ...config };
  const id = (token: string): number => {
    const found = v.ids.get(token);
    if (found === undefined) throw new Error(`createTokenizer: the vocabulary lacks ${token}`);
    return found;
  };
  // [MASK] is special only if the vocabulary has it: Hugging Face would append it as a new id past
  // the embedding matrix, which no checkpoint can look up.
  const specials = [...REQUIRED_SPECIALS, '[MASK]'].filter((s) => v.ids.has(s));
  const continuations = new Map<string, number>();
  let maxPieceUnits = 0;
  for (const [token, tokenId] of v.ids) {
    if (token.startsWith('##') && token.length > 2) continuations.set(token.slice(2), tokenId);
    maxPieceUnits = Math.max(maxPieceUnits, token.length);
  }
  const escaped = [...specials].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return {
    vocab: v,
    config: cfg,
    unkId: id('[UNK]'),
    clsId: id('[CLS]'),
    sepId: id('[SEP]'),
    padId: id('[PAD]'),
    maskId: v.ids.get('[MASK]') ?? null,
    specialTokens: new Set(specials),
    specialIds: new Set(specials.map(id)),
    stripAccents: cfg.doLowerCase ? cfg.stripAccents !== false : cfg.stripAccents === true,
    specialPattern: escaped.length > 0 ? new RegExp(`(${escaped.join('|')})`) : null,
    continuations,
    maxPieceUnits,
  };
}

// ---------------------------------------------------------------------------------------------
// Character classes. Hugging Face decides each character with `unicodedata.category`; we ask the
// same of JavaScript's \p{…} once per code point and remember the answer, since a regex test per
// character would dominate the run time.

const KNOWN = 1;
/** Dropped by `_clean_text`: U+0000, U+FFFD and every category C* character except \t \n \r. */
const REMOVE = 2;
/** A word boundary: \t \n \r, space and Zs (`_is_whitespace`), and U+2028/U+2029, which survive cleaning but Python's `str.split()` splits on. */
const SPACE = 4;
/** `_is_punctuation`: ASCII 33–47, 58–64, 91–96, 123–126, or category P*. */
const PUNCT = 8;
/** `_is_chinese_char`: the CJK ideograph blocks, each padded with spaces into a word of its own. */
const CJK = 16;

const bmpClasses = new Uint8Array(0x10000);
const astralClasses = new Map<number, number>();
const IS_OTHER = /^\p{C}$/u;
const IS_SPACE_SEPARATOR = /^\p{Zs}$/u;
const IS_PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARKS = /\p{Mn}/gu;
const SIGMA = /Σ/g;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function computeClass(cp: number): number {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d || cp === 0x20) return KNOWN | SPACE;
  // Lone surrogates (category Cs) can only occur in a malformed JavaScript string; they are C*, so dropped.
  if (cp === 0 || cp === 0xfffd || (cp >= 0xd800 && cp <= 0xdfff)) return KNOWN | REMOVE;
  const ch = String.fromCodePoint(cp);
  if (IS_OTHER.test(ch)) return KNOWN | REMOVE;
  if (cp === 0x2028 || cp === 0x2029 || IS_SPACE_SEPARATOR.test(ch)) return KNOWN | SPACE;
  if (isChineseChar(cp)) return KNOWN | CJK;
  const asciiPunct = (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  if (asciiPunct || IS_PUNCTUATION.test(ch)) return KNOWN | PUNCT;
  return KNOWN;
}

function charClass(cp: number): number {
  if (cp < 0x10000) {
    let c = bmpClasses[cp] ?? 0;
    if (c === 0) bmpClasses[cp] = c = computeClass(cp);
    return c;
  }
  let c = astralClasses.get(cp);
  if (c === undefined) astralClasses.set(cp, (c = computeClass(cp)));
  return c;
}

/** Code point at UTF-16 index i (a lone surrogate is its own code point, as `for…of` gives it). */
function codePointAt(s: string, i: number): number {
  const hi = s.charCodeAt(i);
  if (hi >= 0xd800 && hi <= 0xdbff && i + 1 < s.length) {
    const lo = s.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return ((hi - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
  }
  return hi;
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i += codePointAt(s, i) > 0xffff ? 2 : 1) n++;
  return n;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Tokenization.

/**
 * Lowercases as Hugging Face does: its `tokenize` lowercases the text one character at a time
 * (a `(.+?)` regex), so a capital sigma always becomes σ, never the final ς that a whole-string
 * `lower()` (or `toLowerCase`) gives at the end of a word. Every other mapping is context-free.
 */
function lowercase(word: string): string {
  return word.includes('Σ') ? word.replace(SIGMA, 'σ').toLowerCase() : word.toLowerCase();
}

/** `_run_strip_accents`: canonical decomposition, then drop the non-spacing marks (Mn). */
function stripAccents(word: string): string {
  return isAscii(word) ? word : word.normalize('NFD').replace(NONSPACING_MARKS, '');
}

/**
 * Greedy longest-match-first word pieces of one punctuation-free word, appended to `out` as ids:
 * from each position, the longest rest-prefix in the vocabulary (`##`-prefixed after the first);
 * if some rest has none, or the word has more than 100 code points, the whole word is one `[UNK]`.
 */
function wordPieces(tok: WordPieceTokenizer, word: string, out: number[]): void {
  if (word.length > MAX_CHARS_PER_WORD && codePointLength(word) > MAX_CHARS_PER_WORD) {
    out.push(tok.unkId);
    return;
  }
  const mark = out.length;
  let start = 0;
  while (start < word.length) {
    const pieces = start === 0 ? tok.vocab.ids : tok.continuations;
    let id: number | undefined;
    // Substrings longer than the longest vocabulary entry cannot match: start the search below them.
    for (let end = Math.min(word.length, start + tok.maxPieceUnits); end > start; end--) {
      // Never end between the halves of a surrogate pair: pieces are whole code points.
      if ((word.charCodeAt(end) & 0xfc00) === 0xdc00 && (word.charCodeAt(end - 1) & 0xfc00) === 0xd800) continue;
      id = pieces.get(word.slice(start, end));
      if (id !== undefined) {
        out.push(id);
        start = end;
        break;
      }
    }
    if (id === undefined) {
      out.length = mark; // the whole word, not just the unmatched rest, becomes [UNK]
      out.push(tok.unkId);
      return;
    }
  }
}

/**
 * NFC, lowercasing, accent stripping, punctuation splitting and word pieces of one whitespace-delimited
 * word. HF's order is: lowercase the raw text (per character), clean, pad CJK, NFC, split on spaces,
 * lowercase again, strip accents; per word this is the same, since none of these steps joins or
 * splits words differently (no composition crosses a space).
 */
function tokenizeWord(tok: WordPieceTokenizer, word: string, out: number[]): void {
  let w = tok.config.doLowerCase ? lowercase(word) : word;
  // NFC came with newer 4.x versions of BasicTokenizer (older ones lack it); with accent stripping
  // it changes nothing, but for cased vocabularies "e\u0301" is looked up as "é".
  if (!isAscii(w)) w = w.normalize('NFC');
  if (!tok.config.doLowerCase && tok.specialTokens.has(w)) {
    // A special token that only appears after cleaning (e.g. with a zero-width space inside) is in
    // HF's never_split list: kept whole. With lowercasing it can never match: HF has lowercased the
    // text (all but the intact special tokens) before it cleans it.
    out.push(tok.vocab.ids.get(w) ?? tok.unkId);
    return;
  }
  if (tok.stripAccents) w = stripAccents(w);
  // Split around punctuation; stripping may have changed characters, so classify them afresh.
  let start = 0;
  for (let i = 0; i < w.length; ) {
    const cp = codePointAt(w, i);
    const width = cp > 0xffff ? 2 : 1;
    if (charClass(cp) & PUNCT) {
      if (i > start) wordPieces(tok, w.slice(start, i), out);
      wordPieces(tok, w.slice(i, i + width), out);
      start = i + width;
    }
    i += width;
  }
  if (start < w.length) wordPieces(tok, w.slice(start), out);
}

/** Cleaning, CJK padding and whitespace splitting of text free of special tokens; each word's piece ids go to `out`. */
function tokenizeChunk(tok: WordPieceTokenizer, text: string, out: number[]): void {
  const padCjk = tok.config.tokenizeChineseChars;
  let word = ''; // the current word's characters before `runStart`
  let runStart = -1; // start of the current run of kept characters, or -1
  const flush = (): void => {
    if (word !== '') tokenizeWord(tok, word, out);
    word = '';
  };
  for (let i = 0; i < text.length; ) {
    const cp = codePointAt(text, i);
    const width = cp > 0xffff ? 2 : 1;
    const c = charClass(cp);
    if (c & (REMOVE | SPACE) || (padCjk && c & CJK)) {
      if (runStart >= 0) word += text.slice(runStart, i);
      runStart = -1;
      if (!(c & REMOVE)) {
        // Removed characters join their neighbours ("a\u0000b" is one word); spaces and CJK split.
        flush();
        if (c & CJK) {
          word = text.slice(i, i + width);
          flush();
        }
      }
    } else if (runStart < 0) {
      runStart = i;
    }
    i += width;
  }
  if (runStart >= 0) word += text.slice(runStart);
  flush();
}

/** The ids of a text's word pieces, without special tokens added; `[MASK]` and the other specials in it stay whole. */
export function tokenizeToIds(tok: WordPieceTokenizer, text: string): number[] {
  const out: number[] = [];
  if (tok.specialPattern === null) {
    tokenizeChunk(tok, text, out);
    return out;
  }
  // Split with a capture group: odd entries are the special tokens themselves.
  const parts = text.split(tok.specialPattern);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i % 2 === 1) out.push(tok.vocab.ids.get(part) ?? tok.unkId);
    else if (part !== '') tokenizeChunk(tok, part, out);
  }
  return out;
}

/** The word pieces of a text, without special tokens added, as HF's `tokenize`. */
export function tokenize(tok: WordPieceTokenizer, text: string): string[] {
  return tokenizeToIds(tok, text).map((id) => tok.vocab.tokens[id] ?? '[UNK]');
}

/** Vocabulary ids of tokens; unknown ones get the id of `[UNK]`. */
export function convertTokensToIds(tok: WordPieceTokenizer, tokens: readonly string[]): number[] {
  const ids = tok.vocab.ids;
  return tokens.map((t) => ids.get(t) ?? tok.unkId);
}

/**
 * Tokens of ids, optionally without the special ones. An id out of range, or the earlier line of a
 * token listed twice, reads as `[UNK]`, as Hugging Face's `ids_to_tokens` (built from the map) does.
 */
export function convertIdsToTokens(tok: WordPieceTokenizer, ids: ArrayLike<number>, skipSpecialTokens = false): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? -1;
    if (skipSpecialTokens && tok.specialIds.has(id)) continue;
    const token = tok.vocab.tokens[id];
    out.push(token !== undefined && tok.vocab.ids.get(token) === id ? token : '[UNK]');
  }
  return out;
}

/** Python's `str.isspace()` characters, which `str.strip()` removes; JavaScript's `trim()` differs (U+001C–U+001F, U+0085, U+FEFF). */
function isPythonSpace(unit: number): boolean {
  return (
    (unit >= 0x09 && unit <= 0x0d) || (unit >= 0x1c && unit <= 0x20) || unit === 0x85 || unit === 0xa0 || unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) || unit === 0x2028 || unit === 0x2029 || unit === 0x202f || unit === 0x205f || unit === 0x3000
  );
}

/** Joins tokens with spaces and glues `##` pieces to the piece before, as `BertTokenizer.convert_tokens_to_string`. */
export function convertTokensToString(tokens: readonly string[]): string {
  const text = tokens.join(' ').replaceAll(' ##', '');
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpace(text.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/**
 * Hugging Face's `longest_first` truncation (right side): a single sequence loses its last
 * `numToRemove` ids; a pair loses one id at a time from whichever is longer, from the second on a tie.
 * Like Hugging Face, a single sequence is left whole if that would remove all of it; callers check.
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
function targetLength(tok: WordPieceTokenizer, options: EncodeOptions): number | null {
  if (options.maxLength !== undefined && !(Number.isInteger(options.maxLength) && options.maxLength > 0)) throw new RangeError(`maxLength must be a positive integer, got ${options.maxLength}`);
  const max = options.maxLength ?? tok.config.modelMaxLength;
  return Number.isFinite(max) ? max : null;
}

/** Truncates, frames with `[CLS]`/`[SEP]`, and pads ids; `firstLength` reports how many of `ids` survived. */
function frame(tok: WordPieceTokenizer, ids: readonly number[], pairIds: readonly number[] | null, options: EncodeOptions): Encoding & { firstLength: number } {
  const target = targetLength(tok, options);
  const truncation = options.truncation ?? options.maxLength !== undefined;
  const specials = pairIds === null ? 2 : 3;
  let a = ids as number[];
  let b = pairIds as number[] | null;
  if (truncation && target !== null) {
    const total = ids.length + (pairIds?.length ?? 0) + specials;
    [a, b] = truncateLongestFirst(ids, pairIds, total - target);
    const length = a.length + (b?.length ?? 0) + specials;
    // Hugging Face only logs an error here and returns a sequence longer than max_length, which
    // the encoder's position embeddings may not hold: we refuse instead.
    if (length > target) {
      throw new RangeError(`maxLength ${target} is too short: ${pairIds === null ? 'longest_first keeps at least one token of a single sequence, so it needs at least 3' : 'a pair needs at least its 3 special tokens'}`);
    }
  }
  const inputIds = [tok.clsId, ...a, tok.sepId];
  const tokenTypeIds = new Array<number>(inputIds.length).fill(0);
  if (b !== null) {
    inputIds.push(...b, tok.sepId);
    for (let i = 0; i <= b.length; i++) tokenTypeIds.push(1);
  }
  const attentionMask = new Array<number>(inputIds.length).fill(1);
  if (options.padding === 'max_length') {
    if (target === null) throw new RangeError("padding 'max_length' needs maxLength or a finite modelMaxLength");
    // Like Hugging Face, a sequence already longer (truncation off) is left as it is.
    for (let i = inputIds.length; i < target; i++) {
      inputIds.push(tok.padId);
      tokenTypeIds.push(0);
      attentionMask.push(0);
    }
  }
  return { inputIds, tokenTypeIds, attentionMask, firstLength: a.length };
}

/** Encodes a text, or a pair, as `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]`, truncated and padded as asked. */
export function encode(tok: WordPieceTokenizer, text: string, textPair: string | null = null, options: EncodeOptions = {}): Encoding {
  const a = tokenizeToIds(tok, text);
  const b = textPair === null ? null : tokenizeToIds(tok, textPair);
  const { inputIds, tokenTypeIds, attentionMask } = frame(tok, a, b, options);
  return { inputIds, tokenTypeIds, attentionMask };
}

/**
 * Encodes pre-split words (Hugging Face's `is_split_into_words=True`: each word is tokenized on its
 * own) and records which word each position comes from and where each word's first piece landed.
 */
export function encodeWords(tok: WordPieceTokenizer, words: readonly string[], options: EncodeOptions = {}): WordEncoding {
  const ids: number[] = [];
  const owner: number[] = [];
  words.forEach((word, w) => {
    for (const id of tokenizeToIds(tok, word)) {
      ids.push(id);
      owner.push(w);
    }
  });
  const { inputIds, tokenTypeIds, attentionMask, firstLength } = frame(tok, ids, null, options);
  const wordIds: (number | null)[] = new Array<number | null>(inputIds.length).fill(null);
  const firstPieceIndex = new Array<number>(words.length).fill(-1);
  for (let i = 0; i < firstLength; i++) {
    const w = owner[i] ?? 0;
    wordIds[i + 1] = w; // +1 for [CLS]
    if (firstPieceIndex[w] === -1) firstPieceIndex[w] = i + 1;
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
 * Packs encodings into flat [batch, seqLen] int32 arrays, right-padded with `[PAD]`, token type 0 and
 * mask 0 (and `ignoreIndex` for labels) up to `length`, or to the longest row when it is omitted.
 */
export function padBatch(tok: WordPieceTokenizer, encodings: readonly Encoding[], options: { length?: number; labels?: readonly (readonly number[])[]; ignoreIndex?: number } = {}): BatchEncoding {
  const longest = encodings.reduce((m, e) => Math.max(m, e.inputIds.length), 0);
  const seqLen = options.length ?? longest;
  if (longest > seqLen) throw new RangeError(`padBatch: a row has ${longest} positions, more than the length ${seqLen}: truncate when encoding`);
  if (options.labels && options.labels.length !== encodings.length) throw new Error(`padBatch: ${options.labels.length} label rows for ${encodings.length} encodings`);
  const size = encodings.length * seqLen;
  const inputIds = new Int32Array(size).fill(tok.padId);
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
export function encodeBatch(tok: WordPieceTokenizer, inputs: readonly (string | readonly [string, string])[], options: EncodeOptions = {}): BatchEncoding {
  const perRow: EncodeOptions = { ...options, padding: 'none' };
  const encodings = inputs.map((input) => (typeof input === 'string' ? encode(tok, input, null, perRow) : encode(tok, input[0], input[1], perRow)));
  if (options.padding === 'none' && encodings.some((e) => e.inputIds.length !== encodings[0]?.inputIds.length)) {
    throw new RangeError("encodeBatch: rows differ in length and padding is 'none'");
  }
  const length = options.padding === 'max_length' ? (targetLength(tok, options) ?? undefined) : undefined;
  if (options.padding === 'max_length' && length === undefined) throw new RangeError("padding 'max_length' needs maxLength or a finite modelMaxLength");
  return padBatch(tok, encodings, length === undefined ? {} : { length });
}
