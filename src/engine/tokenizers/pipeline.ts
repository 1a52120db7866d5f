// The `tokenizers` library's pipeline as one Tokenizer: added tokens cut out of the raw text first
// (those with `normalized: false`), then normalizer, added tokens again on the normalized text
// (`normalized: true`), pre-tokenizer, and the model (WordPiece or BPE) on each piece. tokenizer.json
// files and RoBERTa's vocab.json + merges.txt are both assembled into this.
import { bpeWordIds, unicodeToText, type BpeModel } from './bpe';
import type { Normalizer, PreTokenizer } from './components';
import type { SpecialTokenIds, Template, Tokenizer, TokenizerKind } from './types';

/** An entry of tokenizer.json's `added_tokens`: matched in the text before the model sees it. */
export interface AddedToken {
  readonly id: number;
  readonly content: string;
  /** Matched only as a whole word (no word character on either side). */
  readonly singleWord: boolean;
  /** Takes the whitespace before it (RoBERTa's `<mask>`). */
  readonly lstrip: boolean;
  /** Takes the whitespace after it. */
  readonly rstrip: boolean;
  /** Matched in the normalized text rather than the raw one. */
  readonly normalized: boolean;
  /** Left out by `skipSpecialTokens`. */
  readonly special: boolean;
}

/** The WordPiece model of the `tokenizers` library (the same greedy longest-match-first as BertTokenizer). */
export interface WordPieceModel {
  readonly type: 'WordPiece';
  readonly vocab: ReadonlyMap<string, number>;
  readonly unkId: number;
  readonly continuingSubwordPrefix: string;
  /** Words longer than this, in code points, become one unk. */
  readonly maxInputCharsPerWord: number;
}

/** What `createPipelineTokenizer` assembles. */
export interface PipelineSpec {
  readonly kind: TokenizerKind;
  readonly source: string;
  readonly vocabSize: number;
  readonly addedTokens: readonly AddedToken[];
  readonly normalize: Normalizer | null;
  /** The pre-tokenizer (null: the whole normalized text is one piece). */
  readonly preTokenize: PreTokenizer | null;
  readonly model: WordPieceModel | { readonly type: 'BPE'; readonly bpe: BpeModel };
  readonly specialTokenIds: SpecialTokenIds;
  readonly template: Template;
  readonly modelMaxLength: number;
  /** Whether the normalizer lowercases (for the model summary). */
  readonly lowercases?: boolean;
}

/** The ids of one pre-token under WordPiece: greedy longest prefix, `##` pieces after the first; one unk if any rest fails. */
export function wordPieceIds(model: WordPieceModel, word: string): number[] {
  const chars = Array.from(word);
  if (chars.length > model.maxInputCharsPerWord) return [model.unkId];
  const out: number[] = [];
  let start = 0;
  while (start < chars.length) {
    let found: number | undefined;
    let end = chars.length;
    for (; end > start; end--) {
      const piece = (start > 0 ? model.continuingSubwordPrefix : '') + chars.slice(start, end).join('');
      found = model.vocab.get(piece);
      if (found !== undefined) break;
    }
    if (found === undefined) return [model.unkId];
    out.push(found);
    start = end;
  }
  return out;
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const SPACE_AT_END = /\p{White_Space}*$/u;
const SPACE_AT_START = /^\p{White_Space}*/u;

/** A text cut at added tokens: strings still to tokenize, and ids of the tokens found. */
type Part = string | { id: number };

/**
 * Cuts `text` at the leftmost-longest matches of `tokens` (the library's Aho-Corasick
 * LeftmostLongest), honouring single_word, lstrip and rstrip; strings between matches are kept.
 */
function cutAtAddedTokens(text: string, byContent: ReadonlyMap<string, AddedToken>, pattern: RegExp | null): Part[] {
  if (pattern === null || text === '') return text === '' ? [] : [text];
  const parts: Part[] = [];
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    const token = byContent.get(m[0])!;
    let start = m.index;
    let end = start + m[0].length;
    if (start < at) continue; // inside what an rstrip already took
    if (token.singleWord && ((start > 0 && WORD_CHAR.test(text[start - 1]!)) || (end < text.length && WORD_CHAR.test(text[end]!)))) continue;
    if (token.lstrip) start = Math.max(at, start - (SPACE_AT_END.exec(text.slice(at, start))?.[0].length ?? 0));
    if (token.rstrip) end += SPACE_AT_START.exec(text.slice(end))?.[0].length ?? 0;
    if (start > at) parts.push(text.slice(at, start));
    parts.push({ id: token.id });
    at = end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

/** A regex matching any of `tokens`, longest first so that the leftmost match is also the longest. */
function addedTokenPattern(contents: readonly string[]): RegExp | null {
  if (contents.length === 0) return null;
  const escaped = [...new Set(contents)].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('|'), 'gu');
}

/** Words remembered per tokenizer before the cache is cleared (bounds its memory on long corpora). */
const CACHE_LIMIT = 50_000;

/** Assembles a pipeline into a Tokenizer. */
export function createPipelineTokenizer(spec: PipelineSpec): Tokenizer {
  // Tokens with `normalized: true` are looked for as the normalizer writes them (e.g. lowercased).
  const raw = new Map(spec.addedTokens.filter((t) => !t.normalized).map((t) => [t.content, t]));
  const normalizedTokens = new Map(spec.addedTokens.filter((t) => t.normalized).map((t) => [spec.normalize ? spec.normalize(t.content) : t.content, t]));
  normalizedTokens.delete('');
  const rawPattern = addedTokenPattern([...raw.keys()]);
  const normalizedPattern = addedTokenPattern([...normalizedTokens.keys()]);
  const vocab = spec.model.type === 'BPE' ? spec.model.bpe.vocab : spec.model.vocab;
  const tokenToIdMap = new Map(vocab);
  for (const t of spec.addedTokens) tokenToIdMap.set(t.content, t.id);
  const idToTokenMap = new Map<number, string>();
  for (const [token, id] of tokenToIdMap) if (!idToTokenMap.has(id)) idToTokenMap.set(id, token);
  for (const t of spec.addedTokens) idToTokenMap.set(t.id, t.content);
  const model = spec.model;
  const cache = new Map<string, number[]>();
  const modelIds = (piece: string): number[] => {
    let ids = cache.get(piece);
    if (ids === undefined) {
      ids = model.type === 'BPE' ? bpeWordIds(model.bpe, piece) : wordPieceIds(model, piece);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(piece, ids);
    }
    return ids;
  };
  const run = (text: string, asWord: boolean): number[] => {
    const out: number[] = [];
    for (const part of cutAtAddedTokens(text, raw, rawPattern)) {
      if (typeof part !== 'string') {
        out.push(part.id);
        continue;
      }
      const normalized = spec.normalize ? spec.normalize(part) : part;
      for (const inner of cutAtAddedTokens(normalized, normalizedTokens, normalizedPattern)) {
        if (typeof inner !== 'string') {
          out.push(inner.id);
          continue;
        }
        const pieces = spec.preTokenize ? spec.preTokenize([inner], asWord) : [inner];
        for (const piece of pieces) if (piece !== '') out.push(...modelIds(piece));
      }
    }
    return out;
  };
  const specialIds = new Set(spec.addedTokens.filter((t) => t.special).map((t) => t.id));
  for (const id of Object.values(spec.specialTokenIds)) if (id !== null) specialIds.add(id);
  return {
    kind: spec.kind,
    source: spec.source,
    vocabSize: spec.vocabSize,
    specialTokenIds: spec.specialTokenIds,
    specialIds,
    template: spec.template,
    modelMaxLength: spec.modelMaxLength,
    lowercases: spec.lowercases ?? false,
    tokenizeToIds: (text) => run(text, false),
    wordToIds: (word) => run(word, true),
    tokenToId: (token) => tokenToIdMap.get(token) ?? null,
    idToToken: (id) => idToTokenMap.get(id) ?? null,
    tokensToString: (tokens) => {
      if (spec.kind === 'byte-level-bpe') return unicodeToText(tokens.join(''));
      const prefix = spec.model.type === 'WordPiece' ? spec.model.continuingSubwordPrefix : '##';
      return tokens.join(' ').replaceAll(` ${prefix}`, '').trim();
    },
  };
}
