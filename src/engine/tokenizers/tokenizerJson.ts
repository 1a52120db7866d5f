// Reads a tokenizer.json (the Hugging Face `tokenizers` library's serialized tokenizer) into the
// engine's Tokenizer: models WordPiece and byte-level BPE, the normalizers and pre-tokenizers of
// components.ts, added tokens, and the post-processors BertProcessing, RobertaProcessing,
// TemplateProcessing (ByteLevel and Sequence around them). Anything else is refused, naming the
// component and where it sits in the file. The file's `truncation` and `padding` are not used: the
// engine asks for its own per call (EncodeOptions); nor is its `decoder`: ids go back to text by the
// model's own rule (WordPiece glues `##`, byte-level BPE decodes bytes), which is all the UI needs.
import { createBpeModel, type BpeModel } from './bpe';
import { arrayAtPath, fail, normalizerFromJson, objectAt, preTokenizerFromJson } from './components';
import { createPipelineTokenizer, type AddedToken, type WordPieceModel } from './pipeline';
import { bertTemplate, robertaTemplate, type SpecialTokenIds, type Template, type TemplatePiece, type Tokenizer } from './types';

/** A model family: which framing and special-token names apply when the file leaves them open. */
export type TokenizerFamily = 'bert' | 'roberta';

const DEFAULT_NAMES: Record<TokenizerFamily, { cls: string; sep: string; pad: string; unk: string; mask: string }> = {
  bert: { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' },
  roberta: { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '<unk>', mask: '<mask>' },
};

type Json = Record<string, unknown>;

/** A token setting of tokenizer_config.json, written as a string or as an AddedToken object. */
function configToken(config: Json, key: string): string | null {
  const v = config[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return null;
}

function vocabAt(value: unknown, path: string): Map<string, number> {
  const obj = objectAt(value, path);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(obj)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) fail(`${path}[${JSON.stringify(token)}]`, `must be a non-negative integer id, got ${JSON.stringify(id)}`);
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) fail(path, 'is empty');
  return vocab;
}

function addedTokensAt(value: unknown): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('added_tokens', 'must be an array');
  return value.map((entry, i) => {
    const path = `added_tokens[${i}]`;
    const t = objectAt(entry, path);
    if (!Number.isSafeInteger(t.id) || (t.id as number) < 0) fail(`${path}.id`, `must be a non-negative integer, got ${JSON.stringify(t.id)}`);
    if (typeof t.content !== 'string' || t.content === '') fail(`${path}.content`, `must be a non-empty string, got ${JSON.stringify(t.content)}`);
    const flag = (key: string, fallback: boolean): boolean => {
      const v = t[key];
      if (v === undefined) return fallback;
      if (typeof v !== 'boolean') fail(`${path}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
      return v;
    };
    const special = flag('special', false);
    return { id: t.id as number, content: t.content, singleWord: flag('single_word', false), lstrip: flag('lstrip', false), rstrip: flag('rstrip', false), normalized: flag('normalized', !special), special };
  });
}

/** The model at "model": WordPiece, or BPE (its type may be left out, as older files do, and is then inferred). */
function modelAt(value: unknown): WordPieceModel | { type: 'BPE'; bpe: BpeModel } {
  const m = objectAt(value, 'model');
  const type = m.type ?? (Array.isArray(m.merges) ? 'BPE' : typeof m.max_input_chars_per_word === 'number' ? 'WordPiece' : undefined);
  const vocab = vocabAt(m.vocab, 'model.vocab');
  const unkName = m.unk_token ?? null;
  if (unkName !== null && typeof unkName !== 'string') fail('model.unk_token', `must be a string or null, got ${JSON.stringify(unkName)}`);
  const unkId = unkName === null ? null : (vocab.get(unkName) ?? fail('model.unk_token', `${JSON.stringify(unkName)} is not in model.vocab`));
  const optionalString = (key: string, fallback: string): string => {
    const v = m[key] ?? fallback;
    if (typeof v !== 'string') fail(`model.${key}`, `must be a string or null, got ${JSON.stringify(v)}`);
    return v;
  };
  if (type === 'WordPiece') {
    if (unkId === null) fail('model.unk_token', 'WordPiece needs an unknown token');
    const max = m.max_input_chars_per_word ?? 100;
    if (!Number.isSafeInteger(max) || (max as number) <= 0) fail('model.max_input_chars_per_word', `must be a positive integer, got ${JSON.stringify(max)}`);
    return { type: 'WordPiece', vocab, unkId, continuingSubwordPrefix: optionalString('continuing_subword_prefix', '##'), maxInputCharsPerWord: max as number };
  }
  if (type === 'BPE') {
    if (m.byte_fallback === true) fail('model.byte_fallback', 'BPE with byte_fallback (SentencePiece-style <0x..> tokens) is not supported');
    if (typeof m.dropout === 'number' && m.dropout > 0) fail('model.dropout', `BPE dropout ${m.dropout} makes tokenization random; only null or 0 is supported`);
    const merges = arrayAtPath(m.merges, 'model.merges').map((entry, i): [string, string] => {
      if (typeof entry === 'string') {
        const parts = entry.split(' ');
        if (parts.length === 2 && parts[0] && parts[1]) return [parts[0], parts[1]];
      } else if (Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && typeof entry[1] === 'string') {
        return [entry[0], entry[1]];
      }
      return fail(`model.merges[${i}]`, `must be "left right" or ["left", "right"], got ${JSON.stringify(entry)}`);
    });
    const bool = (key: string): boolean => m[key] === true;
    try {
      const bpe = createBpeModel(vocab, merges, { unkId, continuingSubwordPrefix: optionalString('continuing_subword_prefix', ''), endOfWordSuffix: optionalString('end_of_word_suffix', ''), fuseUnk: bool('fuse_unk'), ignoreMerges: bool('ignore_merges') });
      return { type: 'BPE', bpe };
    } catch (error) {
      return fail('model.merges', (error instanceof Error ? error.message : String(error)).replace(/^\w+: /, ''));
    }
  }
  return fail('model.type', `model ${JSON.stringify(type)} is not supported (supported: WordPiece, BPE)`);
}

/** Whether the pre-tokenizer (or one inside a Sequence) is ByteLevel. */
function hasByteLevel(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const obj = value as Json;
  if (obj.type === 'ByteLevel') return true;
  return obj.type === 'Sequence' && Array.isArray(obj.pretokenizers) && obj.pretokenizers.some(hasByteLevel);
}

/** A `[token, id]` pair of BertProcessing / RobertaProcessing. */
function tokenIdPair(value: unknown, path: string): number {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || !Number.isSafeInteger(value[1])) fail(path, `must be ["token", id], got ${JSON.stringify(value)}`);
  return value[1] as number;
}

/** The template of a TemplateProcessing's `single` or `pair`, special tokens resolved through its `special_tokens`. */
function templatePieces(value: unknown, specials: Json, path: string): TemplatePiece[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  return value.flatMap((entry, i): TemplatePiece[] => {
    const p = objectAt(entry, `${path}[${i}]`);
    if (p.Sequence !== undefined) {
      const s = objectAt(p.Sequence, `${path}[${i}].Sequence`);
      if (s.id !== 'A' && s.id !== 'B') fail(`${path}[${i}].Sequence.id`, `must be "A" or "B", got ${JSON.stringify(s.id)}`);
      return [{ sequence: s.id, typeId: Number(s.type_id ?? 0) }];
    }
    if (p.SpecialToken !== undefined) {
      const s = objectAt(p.SpecialToken, `${path}[${i}].SpecialToken`);
      const name = String(s.id);
      const entryPath = `post_processor.special_tokens[${JSON.stringify(name)}]`;
      const ids = objectAt(specials[name] ?? fail(entryPath, `is missing (used at ${path}[${i}])`), entryPath).ids;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every(Number.isSafeInteger)) fail(`${entryPath}.ids`, `must be a non-empty array of ids, got ${JSON.stringify(ids)}`);
      return (ids as number[]).map((id) => ({ special: id, typeId: Number(s.type_id ?? 0) }));
    }
    return fail(`${path}[${i}]`, 'must be {"Sequence": …} or {"SpecialToken": …}');
  });
}

/** The framing the post-processor states; null when it states none (missing, or ByteLevel only). */
function templateAt(value: unknown, path: string): Template | null {
  if (value === null || value === undefined) return null;
  const p = objectAt(value, path);
  switch (p.type) {
    case 'BertProcessing':
      return bertTemplate(tokenIdPair(p.cls, `${path}.cls`), tokenIdPair(p.sep, `${path}.sep`));
    case 'RobertaProcessing':
      return robertaTemplate(tokenIdPair(p.cls, `${path}.cls`), tokenIdPair(p.sep, `${path}.sep`));
    case 'TemplateProcessing': {
      const specials = objectAt(p.special_tokens ?? {}, `${path}.special_tokens`);
      return { single: templatePieces(p.single, specials, `${path}.single`), pair: templatePieces(p.pair, specials, `${path}.pair`) };
    }
    case 'ByteLevel':
      return null; // offsets only
    case 'Sequence': {
      const found = arrayAtPath(p.processors, `${path}.processors`).map((q, i) => templateAt(q, `${path}.processors[${i}]`)).filter((t): t is Template => t !== null);
      if (found.length > 1) fail(`${path}.processors`, 'more than one processor adds special tokens');
      return found[0] ?? null;
    }
    default:
      return fail(`${path}.type`, `post-processor ${JSON.stringify(p.type)} is not supported (supported: BertProcessing, RobertaProcessing, TemplateProcessing, ByteLevel, Sequence)`);
  }
}

/**
 * Builds a Tokenizer from a parsed tokenizer.json. `family` (from config.json's model_type) supplies
 * the framing and special-token names the file leaves open; `tokenizerConfig` (tokenizer_config.json)
 * may name the special tokens and the model_max_length; as transformers' fast tokenizers do, for
 * RoBERTa its `add_prefix_space` (default false) replaces the ByteLevel pre-tokenizer's, and for the
 * BERT family its `do_lower_case`, `strip_accents` and `tokenize_chinese_chars`, where it has them,
 * replace the BertNormalizer's settings.
 */
export function tokenizerFromJson(json: unknown, options: { family: TokenizerFamily; tokenizerConfig?: Record<string, unknown> }): Tokenizer {
  const root = objectAt(json, '(top level)');
  if (root.model === undefined) fail('model', 'is missing: this is not a tokenizers-library tokenizer.json');
  const config = options.tokenizerConfig ?? {};
  const model = modelAt(root.model);
  const byteLevel = hasByteLevel(root.pre_tokenizer);
  if (model.type === 'BPE' && !byteLevel) fail('pre_tokenizer', 'a BPE model without a ByteLevel pre-tokenizer (e.g. SentencePiece-style BPE) is not supported: only byte-level BPE is');
  let preTokenizerJson = root.pre_tokenizer;
  if (options.family === 'roberta' && typeof preTokenizerJson === 'object' && preTokenizerJson !== null && (preTokenizerJson as Json).type === 'ByteLevel') {
    const addPrefixSpace = config.add_prefix_space ?? false;
    if (typeof addPrefixSpace !== 'boolean') throw new Error(`tokenizerFromJson: tokenizer_config.json's add_prefix_space must be true or false, got ${JSON.stringify(addPrefixSpace)}`);
    preTokenizerJson = { ...(preTokenizerJson as Json), add_prefix_space: addPrefixSpace };
  }
  let normalizerJson = root.normalizer;
  if (options.family === 'bert' && typeof normalizerJson === 'object' && normalizerJson !== null && (normalizerJson as Json).type === 'BertNormalizer') {
    // BertTokenizerFast rebuilds a BertNormalizer whose settings disagree with tokenizer_config.json's.
    const overrides: Json = {};
    for (const [from, to] of [['do_lower_case', 'lowercase'], ['strip_accents', 'strip_accents'], ['tokenize_chinese_chars', 'handle_chinese_chars']] as const) {
      const v = config[from];
      if (v === undefined) continue;
      if (typeof v !== 'boolean' && !(from === 'strip_accents' && v === null)) throw new Error(`tokenizerFromJson: tokenizer_config.json's ${from} must be true or false${from === 'strip_accents' ? ' or null' : ''}, got ${JSON.stringify(v)}`);
      overrides[to] = v;
    }
    normalizerJson = { ...(normalizerJson as Json), ...overrides };
  }
  const normalize = normalizerFromJson(normalizerJson, 'normalizer');
  const preTokenize = preTokenizerFromJson(preTokenizerJson, 'pre_tokenizer');
  const addedTokens = addedTokensAt(root.added_tokens);

  const vocab = model.type === 'BPE' ? model.bpe.vocab : model.vocab;
  const lookup = (token: string): number | null => addedTokens.find((t) => t.content === token)?.id ?? vocab.get(token) ?? null;
  const names = DEFAULT_NAMES[options.family];
  const named = (key: 'cls' | 'sep' | 'pad' | 'unk' | 'mask', ...configKeys: string[]): number | null => {
    for (const k of configKeys) {
      const name = configToken(config, k);
      if (name !== null) return lookup(name);
    }
    return lookup(names[key]);
  };
  const stated = templateAt(root.post_processor, 'post_processor');
  const statedSpecials = stated?.single.filter((p): p is { special: number; typeId: number } => 'special' in p) ?? [];
  const cls = statedSpecials[0]?.special ?? named('cls', 'cls_token', 'bos_token');
  const sep = statedSpecials[statedSpecials.length - 1]?.special ?? named('sep', 'sep_token', 'eos_token');
  const padding = root.padding !== null && typeof root.padding === 'object' ? (root.padding as Json) : null;
  const pad = named('pad', 'pad_token') ?? (typeof padding?.pad_id === 'number' ? padding.pad_id : null);
  if (cls === null) fail('post_processor', `states no first special token and the vocabulary has no ${names.cls}`);
  if (sep === null) fail('post_processor', `states no separator token and the vocabulary has no ${names.sep}`);
  if (pad === null) fail('added_tokens', `no padding token: the vocabulary has no ${names.pad} and tokenizer_config.json names none`);
  const specialTokenIds: SpecialTokenIds = {
    cls,
    sep,
    pad,
    unk: model.type === 'BPE' ? model.bpe.unkId : model.unkId,
    mask: named('mask', 'mask_token'),
  };
  const template = stated ?? (options.family === 'roberta' ? robertaTemplate(cls, sep) : bertTemplate(cls, sep));
  const ids = [...vocab.values(), ...addedTokens.map((t) => t.id)];
  const maxLength = config.model_max_length;
  return createPipelineTokenizer({
    kind: model.type === 'BPE' ? 'byte-level-bpe' : 'wordpiece',
    source: 'tokenizer.json',
    vocabSize: ids.reduce((m, id) => Math.max(m, id), -1) + 1,
    addedTokens,
    normalize,
    preTokenize,
    model,
    specialTokenIds,
    template,
    modelMaxLength: typeof maxLength === 'number' && maxLength > 0 && maxLength <= Number.MAX_SAFE_INTEGER ? Math.floor(maxLength) : Infinity,
    lowercases: normalize !== null && normalize('A') === 'a',
  });
}
