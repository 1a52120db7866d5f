// The normalizers and pre-tokenizers of a tokenizer.json, read from their JSON as the `tokenizers`
// library (Rust) defines them. A normalizer maps a string to a string; a pre-tokenizer maps the
// pieces so far to finer pieces (offsets are not needed here). A component this file does not
// know is refused with its type and its path in the file.
import { byteLevelPreTokenizer } from './bpe';

/** Maps text to normalized text. */
export type Normalizer = (text: string) => string;

/**
 * Cuts pieces into finer pieces; `asWord` is true when each piece is one word of a pre-split
 * sentence, which byte-level pre-tokenization always gives a leading space (see ByteLevel below).
 */
export type PreTokenizer = (pieces: string[], asWord: boolean) => string[];

/** A JSON object of a component, with the path it sits at (e.g. "normalizer.normalizers[1]") for messages. */
type Json = Record<string, unknown>;

/** Thrown for anything wrong in tokenizer.json; the message names the path. */
export function fail(path: string, problem: string): never {
  throw new Error(`tokenizerFromJson: ${path}: ${problem}`);
}

/** The value at `path`, checked to be a JSON object. */
export function objectAt(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, `must be a JSON object, got ${JSON.stringify(value)}`);
  return value as Json;
}

function boolAt(obj: Json, key: string, path: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function stringAt(obj: Json, key: string, path: string): string {
  const v = obj[key];
  if (typeof v !== 'string') fail(`${path}.${key}`, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** The array at `path`. */
export function arrayAtPath(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, `must be an array, got ${JSON.stringify(value)}`);
  return value;
}

function arrayAt(obj: Json, key: string, path: string): unknown[] {
  return arrayAtPath(obj[key], `${path}.${key}`);
}

// ---------------------------------------------------------------------------------------------
// Character predicates, as the library's Rust code asks them (char methods and unicode_categories).

const WHITE_SPACE = /\p{White_Space}/u;
const OTHER = /\p{C}/u;
const PUNCTUATION = /\p{P}/u;
const NUMERIC = /\p{N}/u;
const NONSPACING_MARKS = /\p{Mn}/gu;

/** The library's `is_chinese_char` (note 0x2B920, where transformers' slow BertTokenizer has 0x2B820). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b920 && cp <= 0x2ceaf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BERT's punctuation: ASCII punctuation, or Unicode P*. */
function isBertPunctuation(c: string): boolean {
  const cp = c.codePointAt(0) ?? 0;
  return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) || PUNCTUATION.test(c);
}

/** Lowercases one character at a time (Rust's `char::to_lowercase`): a capital sigma is always σ, never final ς. */
export function lowercaseChars(text: string): string {
  return text.includes('Σ') ? text.replaceAll('Σ', 'σ').toLowerCase() : text.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Splitting with the library's delimiter behaviours.

type Behavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
const BEHAVIORS: readonly Behavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

/** Splits `text` at delimiter spans (sorted, not overlapping, [start, end) in UTF-16 units) as `behavior` says; empty pieces are dropped. */
function splitAt(text: string, spans: readonly [number, number][], behavior: Behavior): string[] {
  // The text as alternating segments, each marked delimiter or not.
  const segments: { s: string; delim: boolean }[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    if (start > at) segments.push({ s: text.slice(at, start), delim: false });
    if (end > start) {
      const last = segments[segments.length - 1];
      // Contiguous: touching delimiters count as one.
      if (behavior === 'Contiguous' && last?.delim && start === at) last.s += text.slice(start, end);
      else segments.push({ s: text.slice(start, end), delim: true });
    }
    at = end;
  }
  if (at < text.length) segments.push({ s: text.slice(at), delim: false });
  const out: string[] = [];
  let cur = '';
  for (const { s, delim } of segments) {
    if (!delim) {
      if (behavior === 'MergedWithNext') {
        out.push(cur + s);
        cur = '';
      } else {
        cur += s;
      }
      continue;
    }
    if (behavior === 'Removed') {
      if (cur) out.push(cur);
      cur = '';
    } else if (behavior === 'Isolated' || behavior === 'Contiguous') {
      if (cur) out.push(cur);
      out.push(s);
      cur = '';
    } else if (behavior === 'MergedWithPrevious') {
      out.push(cur + s);
      cur = '';
    } else {
      if (cur) out.push(cur);
      cur = s;
    }
  }
  if (cur) out.push(cur);
  return out.filter((p) => p !== '');
}

/** Spans of the single characters for which `test` holds. */
function charSpans(text: string, test: (c: string) => boolean): [number, number][] {
  const spans: [number, number][] = [];
  let i = 0;
  for (const c of text) {
    if (test(c)) spans.push([i, i + c.length]);
    i += c.length;
  }
  return spans;
}

/** Spans of a global regex's matches (or, inverted, of the text between them). */
function regexSpans(text: string, re: RegExp, invert: boolean): [number, number][] {
  const matches: [number, number][] = [];
  for (const m of text.matchAll(re)) if (m[0] !== '') matches.push([m.index, m.index + m[0].length]);
  if (!invert) return matches;
  const gaps: [number, number][] = [];
  let at = 0;
  for (const [start, end] of matches) {
    if (start > at) gaps.push([at, start]);
    at = end;
  }
  if (at < text.length) gaps.push([at, text.length]);
  return gaps;
}

/** A `{"String": s}` or `{"Regex": r}` pattern as a global, Unicode JavaScript regex. */
function patternAt(value: unknown, path: string): RegExp {
  const obj = objectAt(value, path);
  if (typeof obj.String === 'string') return new RegExp(obj.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  if (typeof obj.Regex === 'string') {
    try {
      return new RegExp(obj.Regex, 'gu');
    } catch (error) {
      fail(`${path}.Regex`, `${JSON.stringify(obj.Regex)} is not a regex JavaScript can run (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return fail(path, 'must be {"String": …} or {"Regex": …}');
}

function behaviorAt(obj: Json, path: string, fallback: Behavior): Behavior {
  const v = obj.behavior ?? fallback;
  if (!BEHAVIORS.includes(v as Behavior)) fail(`${path}.behavior`, `${JSON.stringify(v)} is not one of ${BEHAVIORS.join(', ')}`);
  return v as Behavior;
}

// ---------------------------------------------------------------------------------------------
// Normalizers.

/**
 * The library's BertNormalizer: clean, pad CJK, strip accents (NFD, drop Mn; default: as lowercase),
 * lowercase; in that order. Unlike transformers' slow BertTokenizer (tokenizer.ts) it does not
 * compose to NFC first, so a cased vocabulary sees "e\u0301" as two characters; with accent
 * stripping the two agree.
 */
export function bertNormalizer(cleanText: boolean, handleChineseChars: boolean, stripAccents: boolean | null, lowercase: boolean): Normalizer {
  const strip = stripAccents ?? lowercase;
  return (text) => {
    let out = '';
    for (const c of text) {
      const cp = c.codePointAt(0) ?? 0;
      if (cleanText) {
        if (cp === 0 || cp === 0xfffd || (cp !== 9 && cp !== 10 && cp !== 13 && OTHER.test(c))) continue;
        if (WHITE_SPACE.test(c)) {
          out += ' ';
          continue;
        }
      }
      out += handleChineseChars && isChineseChar(cp) ? ` ${c} ` : c;
    }
    if (strip) out = out.normalize('NFD').replace(NONSPACING_MARKS, '');
    return lowercase ? lowercaseChars(out) : out;
  };
}

/** Builds the normalizer at `path` (null for JSON null: none). */
export function normalizerFromJson(value: unknown, path: string): Normalizer | null {
  if (value === null || value === undefined) return null;
  const obj = objectAt(value, path);
  const type = obj.type;
  switch (type) {
    case 'BertNormalizer': {
      const strip = obj.strip_accents;
      if (strip !== undefined && strip !== null && typeof strip !== 'boolean') fail(`${path}.strip_accents`, `must be true, false or null, got ${JSON.stringify(strip)}`);
      return bertNormalizer(boolAt(obj, 'clean_text', path, true), boolAt(obj, 'handle_chinese_chars', path, true), typeof strip === 'boolean' ? strip : null, boolAt(obj, 'lowercase', path, true));
    }
    case 'Lowercase':
      return lowercaseChars;
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (text) => text.normalize(type);
    case 'StripAccents':
      return (text) => text.replace(NONSPACING_MARKS, '');
    case 'Strip': {
      const left = boolAt(obj, 'strip_left', path, true);
      const right = boolAt(obj, 'strip_right', path, true);
      return (text) => text.replace(left ? /^\p{White_Space}+/u : /(?!)/u, '').replace(right ? /\p{White_Space}+$/u : /(?!)/u, '');
    }
    case 'Replace': {
      const re = patternAt(obj.pattern, `${path}.pattern`);
      const content = stringAt(obj, 'content', path);
      return (text) => text.replace(re, () => content);
    }
    case 'Prepend': {
      const prepend = stringAt(obj, 'prepend', path);
      return (text) => (text === '' ? text : prepend + text);
    }
    case 'Sequence': {
      const parts = arrayAt(obj, 'normalizers', path)
        .map((n, i) => normalizerFromJson(n, `${path}.normalizers[${i}]`))
        .filter((n): n is Normalizer => n !== null);
      return (text) => parts.reduce((t, n) => n(t), text);
    }
    default:
      return fail(`${path}.type`, `normalizer ${JSON.stringify(type)} is not supported (supported: BertNormalizer, Lowercase, NFC, NFD, NFKC, NFKD, StripAccents, Strip, Replace, Prepend, Sequence)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Pre-tokenizers.

/** Applies a per-piece split to every piece. */
const each = (split: (piece: string) => string[]): PreTokenizer => (pieces) => pieces.flatMap(split);

const WHITESPACE_WORDS = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\p{White_Space}]+/gu;
const isSpace = (c: string): boolean => WHITE_SPACE.test(c);

/** Builds the pre-tokenizer at `path` (null for JSON null: the whole text is one piece). */
export function preTokenizerFromJson(value: unknown, path: string): PreTokenizer | null {
  if (value === null || value === undefined) return null;
  const obj = objectAt(value, path);
  const type = obj.type;
  switch (type) {
    case 'BertPreTokenizer':
      return each((p) => splitAt(p, charSpans(p, isSpace), 'Removed').flatMap((w) => splitAt(w, charSpans(w, isBertPunctuation), 'Isolated')));
    case 'ByteLevel':
      return byteLevelPreTokenizer(boolAt(obj, 'add_prefix_space', path, true), boolAt(obj, 'use_regex', path, true));
    case 'Whitespace':
      // `\w+|[^\w\s]+` of Rust's regex crate, whose \w is Unicode's word characters.
      return each((p) => Array.from(p.matchAll(WHITESPACE_WORDS), (m) => m[0]));
    case 'WhitespaceSplit':
      return each((p) => splitAt(p, charSpans(p, isSpace), 'Removed'));
    case 'Punctuation': {
      const behavior = behaviorAt(obj, path, 'Isolated');
      return each((p) => splitAt(p, charSpans(p, isBertPunctuation), behavior));
    }
    case 'Digits': {
      const individual = boolAt(obj, 'individual_digits', path, false);
      const isDigit = (c: string): boolean => NUMERIC.test(c);
      return each((p) => splitAt(p, charSpans(p, isDigit), individual ? 'Isolated' : 'Contiguous'));
    }
    case 'Split': {
      const re = patternAt(obj.pattern, `${path}.pattern`);
      const behavior = behaviorAt(obj, path, 'Isolated');
      const invert = boolAt(obj, 'invert', path, false);
      return each((p) => splitAt(p, regexSpans(p, re, invert), behavior));
    }
    case 'Sequence': {
      const parts = arrayAt(obj, 'pretokenizers', path)
        .map((n, i) => preTokenizerFromJson(n, `${path}.pretokenizers[${i}]`))
        .filter((n): n is PreTokenizer => n !== null);
      return (pieces, asWord) => parts.reduce((ps, pre) => pre(ps, asWord), pieces);
    }
    default:
      return fail(`${path}.type`, `pre-tokenizer ${JSON.stringify(type)} is not supported (supported: BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Punctuation, Digits, Split, Sequence)`);
  }
}
