// WordPiece tokenizer that reproduces Hugging Face's slow, Python `BertTokenizer` on a `vocab.txt`:
// the same cleaning, CJK padding, NFC, lowercasing, accent stripping, punctuation splitting, greedy
// longest-match-first word pieces and `[CLS] A [SEP] B [SEP]` framing. It implements the engine's
// `Tokenizer` interface (tokenizers/types.ts); framing, `longest_first` truncation and padding are
// tokenizers/encode.ts, re-exported here with the types. Plain TypeScript: no DOM, no Node.
import { bertTemplate, type Tokenizer } from './tokenizers/types';

export { alignLabels, convertIdsToTokens, convertTokensToIds, decode, encode, encodeBatch, encodeWords, padBatch, tokenize, truncateLongestFirst } from './tokenizers/encode';
export type { BatchEncoding, EncodeOptions, Encoding, Tokenizer, WordEncoding } from './tokenizers/types';

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

/** A ready WordPiece tokenizer: the engine's `Tokenizer`, plus its vocabulary, settings and lookup tables. */
export interface WordPieceTokenizer extends Tokenizer {
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
  const tok: WordPieceTokenizer = {
    kind: 'wordpiece',
    source: 'vocab.txt',
    vocabSize: v.tokens.length,
    specialTokenIds: { cls: id('[CLS]'), sep: id('[SEP]'), pad: id('[PAD]'), unk: id('[UNK]'), mask: v.ids.get('[MASK]') ?? null },
    template: bertTemplate(id('[CLS]'), id('[SEP]')),
    modelMaxLength: cfg.modelMaxLength,
    lowercases: cfg.doLowerCase,
    tokenizeToIds: (text) => tokenizeToIds(tok, text),
    // BertTokenizer tokenizes each pre-split word exactly as it would a text of its own.
    wordToIds: (word) => tokenizeToIds(tok, word),
    tokenToId: (token) => v.ids.get(token) ?? null,
    // The earlier line of a token listed twice has no entry (the map keeps the last), as in HF's `ids_to_tokens`.
    idToToken: (tokenId) => {
      const token = v.tokens[tokenId];
      return token !== undefined && v.ids.get(token) === tokenId ? token : null;
    },
    tokensToString: convertTokensToString,
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
  return tok;
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
