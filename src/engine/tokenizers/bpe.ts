// Byte-level BPE as GPT-2 and RoBERTa use it: text is cut by GPT-2's pattern, each piece's UTF-8
// bytes are written as printable characters (GPT-2's byte-to-unicode table, so a space is "Ġ"), and
// the characters are merged pair by pair, lowest merge rank first, as in GPT-2's encoder.py and the
// `tokenizers` library's BPE model. Also reads vocab.json and merges.txt (roberta.ts builds RoBERTa's
// tokenizer from them).
import type { PreTokenizer } from './components';

/**
 * GPT-2's `bytes_to_unicode`: the printable Latin-1 bytes ('!'…'~', '¡'…'¬', '®'…'ÿ') stand for
 * themselves; the other 68 bytes, in order, take the code points from 256 up.
 */
function buildByteTables(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const byteToChar = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    byteToChar[b] = String.fromCodePoint(printable ? b : next++);
  }
  return { byteToChar, charToByte: new Map(byteToChar.map((c, b) => [c, b])) };
}

const { byteToChar: BYTE_TO_CHAR, charToByte: CHAR_TO_BYTE } = buildByteTables();
const UTF8 = new TextEncoder();

/** The byte-level form of a text: each UTF-8 byte as its GPT-2 character. */
export function bytesToUnicode(text: string): string {
  let out = '';
  for (const b of UTF8.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/**
 * Text of byte-level characters (the ByteLevel decoder): each character back to its byte, then
 * UTF-8 with U+FFFD for invalid sequences (transformers' `errors="replace"`); characters outside
 * the table are kept as their own UTF-8.
 */
export function unicodeToText(chars: string): string {
  const bytes: number[] = [];
  for (const c of chars) {
    const b = CHAR_TO_BYTE.get(c);
    if (b !== undefined) bytes.push(b);
    else bytes.push(...UTF8.encode(c));
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

/**
 * GPT-2's pre-tokenization pattern. `\s` is spelled as Unicode White_Space, which is what the
 * Oniguruma engine of the `tokenizers` library (and the `regex` module of encoder.py, for these
 * characters) matches; JavaScript's own `\s` would also match U+FEFF.
 */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/**
 * The library's ByteLevel pre-tokenizer: a space before the piece when `addPrefixSpace` (and the
 * piece does not start with one), GPT-2's pattern, then the bytes as GPT-2 characters. For the
 * words of a pre-split sentence the space is always added: transformers requires
 * `add_prefix_space=True` for byte-level tokenizers with `is_split_into_words`, and then every word,
 * the first included, gets "Ġ" ("Hello", "world" → "ĠHello", "Ġworld").
 */
export function byteLevelPreTokenizer(addPrefixSpace: boolean, useRegex: boolean): PreTokenizer {
  return (pieces, asWord) =>
    pieces.flatMap((piece) => {
      const p = (addPrefixSpace || asWord) && !piece.startsWith(' ') ? ` ${piece}` : piece;
      const parts = useRegex ? Array.from(p.matchAll(GPT2_PATTERN), (m) => m[0]) : [p];
      return parts.map(bytesToUnicode);
    });
}

/** A BPE model: vocabulary, merge ranks, and the options of the `tokenizers` library's BPE that it honours. */
export interface BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  /** Rank of each merge, keyed by `mergeKey(left, right)`; lower ranks merge first. */
  readonly ranks: ReadonlyMap<string, number>;
  /** Id for characters the vocabulary lacks, or null to drop them (as the library does without unk_token). */
  readonly unkId: number | null;
  readonly continuingSubwordPrefix: string;
  readonly endOfWordSuffix: string;
  /** Consecutive unknown characters become one unk. */
  readonly fuseUnk: boolean;
  /** A word found whole in the vocabulary is taken as it is, without merging (Llama 3's files). */
  readonly ignoreMerges: boolean;
}

/** The key of the merge of `left` and `right`, unambiguous even if tokens contain spaces. */
export function mergeKey(left: string, right: string): string {
  return `${left.length}:${left}${right}`;
}

/** Parses `vocab.json`: a JSON object of token → id, ids non-negative integers. */
export function parseVocabJson(json: unknown): Map<string, number> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('parseVocabJson: expected a JSON object of token → id');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new Error(`parseVocabJson: the id of ${JSON.stringify(token)} must be a non-negative integer, got ${JSON.stringify(id)}`);
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) throw new Error('parseVocabJson: the vocabulary is empty');
  return vocab;
}

/**
 * Parses `merges.txt`: one "left right" pair per line, in rank order; a first line starting with
 * "#version" is a header, and empty lines are skipped, as transformers reads the file.
 */
export function parseMerges(text: string): [string, string][] {
  const lines = text.split(/\r?\n/);
  const merges: [string, string][] = [];
  lines.forEach((line, i) => {
    if ((i === 0 && line.startsWith('#version')) || line.trim() === '') return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new Error(`parseMerges: line ${i + 1} is not two tokens separated by one space: ${JSON.stringify(line)}`);
    merges.push([parts[0]!, parts[1]!]);
  });
  return merges;
}

/** Builds a BPE model; every merge's parts and result must be in the vocabulary, as the library requires. */
export function createBpeModel(vocab: ReadonlyMap<string, number>, merges: readonly (readonly [string, string])[], options: Partial<Omit<BpeModel, 'vocab' | 'ranks'>> = {}): BpeModel {
  const ranks = new Map<string, number>();
  const prefix = options.continuingSubwordPrefix ?? '';
  merges.forEach(([left, right], rank) => {
    for (const part of [left, right]) if (!vocab.has(part)) throw new Error(`createBpeModel: merge ${rank + 1} (${JSON.stringify(`${left} ${right}`)}) uses ${JSON.stringify(part)}, which is not in the vocabulary`);
    const merged = left + (prefix && right.startsWith(prefix) ? right.slice(prefix.length) : right);
    if (!vocab.has(merged)) throw new Error(`createBpeModel: merge ${rank + 1} makes ${JSON.stringify(merged)}, which is not in the vocabulary`);
    const key = mergeKey(left, right);
    if (!ranks.has(key)) ranks.set(key, rank); // a repeated merge keeps its first (best) rank
  });
  return {
    vocab,
    ranks,
    unkId: options.unkId ?? null,
    continuingSubwordPrefix: prefix,
    endOfWordSuffix: options.endOfWordSuffix ?? '',
    fuseUnk: options.fuseUnk ?? false,
    ignoreMerges: options.ignoreMerges ?? false,
  };
}

/**
 * The BPE tokens of one pre-token: start from its characters (the first plain, the others with the
 * continuing prefix, the last with the end-of-word suffix), then repeatedly merge every occurrence,
 * left to right, of the adjacent pair with the lowest rank, until no adjacent pair has one.
 */
export function bpeWord(model: BpeModel, word: string): string[] {
  if (model.ignoreMerges && model.vocab.has(word)) return [word];
  const chars = Array.from(word);
  let symbols = chars.map((c, i) => (i > 0 ? model.continuingSubwordPrefix : '') + c + (i === chars.length - 1 ? model.endOfWordSuffix : ''));
  while (symbols.length > 1) {
    let best = Infinity;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const rank = model.ranks.get(mergeKey(symbols[i]!, symbols[i + 1]!));
      if (rank !== undefined && rank < best) best = rank;
    }
    if (best === Infinity) break;
    const merged: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      const left = symbols[i]!;
      const right = symbols[i + 1];
      if (right !== undefined && model.ranks.get(mergeKey(left, right)) === best) {
        const p = model.continuingSubwordPrefix;
        merged.push(left + (p && right.startsWith(p) ? right.slice(p.length) : right));
        i++;
      } else {
        merged.push(left);
      }
    }
    symbols = merged;
  }
  return symbols;
}

/** The ids of a pre-token's BPE tokens; characters missing from the vocabulary become unk (or nothing). */
export function bpeWordIds(model: BpeModel, word: string): number[] {
  const out: number[] = [];
  let lastWasUnk = false;
  for (const symbol of bpeWord(model, word)) {
    const id = model.vocab.get(symbol);
    if (id !== undefined) {
      out.push(id);
      lastWasUnk = false;
    } else if (model.unkId !== null) {
      if (!(model.fuseUnk && lastWasUnk)) out.push(model.unkId);
      lastWasUnk = true;
    }
  }
  return out;
}
