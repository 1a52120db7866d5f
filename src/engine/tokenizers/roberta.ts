// RoBERTa's tokenizer from vocab.json + merges.txt (+ tokenizer_config.json), assembled the way
// transformers converts a slow RobertaTokenizer into a fast one (convert_slow_tokenizer's
// RobertaConverter): no normalizer, ByteLevel pre-tokenization, byte-level BPE, RobertaProcessing.
import { byteLevelPreTokenizer, createBpeModel } from './bpe';
import { createPipelineTokenizer, type AddedToken } from './pipeline';
import { robertaTemplate, type Tokenizer } from './types';

/** A string setting of tokenizer_config.json (a token may be written as a string or as an AddedToken object). */
function tokenSetting(config: Record<string, unknown>, key: string, fallback: string): string {
  const v = config[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return fallback;
}

/**
 * RoBERTa's tokenizer from vocab.json and merges.txt, as transformers builds RobertaTokenizerFast
 * from them: ByteLevel pre-tokenization with `add_prefix_space` from tokenizer_config.json (default
 * false: "Hello" → "Hello", " Hello" → "ĠHello"), BPE, `<s> A </s></s> B </s>` with type ids all 0;
 * `<s>`, `</s>`, `<unk>`, `<pad>` are matched in the text as they are, `<mask>` also takes the
 * spaces before it (lstrip), so "a <mask>" gives "a", "<mask>".
 */
export function createByteLevelBpeTokenizer(vocab: ReadonlyMap<string, number>, merges: readonly (readonly [string, string])[], config: Record<string, unknown> = {}): Tokenizer {
  const names = {
    cls: tokenSetting(config, 'cls_token', tokenSetting(config, 'bos_token', '<s>')),
    sep: tokenSetting(config, 'sep_token', tokenSetting(config, 'eos_token', '</s>')),
    unk: tokenSetting(config, 'unk_token', '<unk>'),
    pad: tokenSetting(config, 'pad_token', '<pad>'),
    mask: tokenSetting(config, 'mask_token', '<mask>'),
  };
  const need = (token: string, role: string): number => {
    const id = vocab.get(token);
    if (id === undefined) throw new Error(`createByteLevelBpeTokenizer: the vocabulary lacks the ${role} token ${JSON.stringify(token)}`);
    return id;
  };
  const cls = need(names.cls, 'cls/bos');
  const sep = need(names.sep, 'sep/eos');
  const pad = need(names.pad, 'padding');
  const unk = vocab.get(names.unk) ?? null;
  const mask = vocab.get(names.mask) ?? null;
  const addPrefixSpace = config.add_prefix_space ?? false;
  if (typeof addPrefixSpace !== 'boolean') throw new Error(`createByteLevelBpeTokenizer: add_prefix_space in tokenizer_config.json must be true or false, got ${JSON.stringify(addPrefixSpace)}`);
  const special = (content: string, id: number, lstrip = false): AddedToken => ({ id, content, lstrip, rstrip: false, singleWord: false, normalized: false, special: true });
  const added = [special(names.cls, cls), special(names.sep, sep), special(names.pad, pad)];
  if (unk !== null) added.push(special(names.unk, unk));
  if (mask !== null) added.push(special(names.mask, mask, true));
  const maxLength = config.model_max_length;
  return createPipelineTokenizer({
    kind: 'byte-level-bpe',
    source: 'vocab.json',
    vocabSize: Math.max(...vocab.values()) + 1,
    addedTokens: added,
    normalize: null,
    preTokenize: byteLevelPreTokenizer(addPrefixSpace, true),
    model: { type: 'BPE', bpe: createBpeModel(vocab, merges, { unkId: unk }) },
    specialTokenIds: { cls, sep, pad, unk, mask },
    template: robertaTemplate(cls, sep),
    modelMaxLength: typeof maxLength === 'number' && maxLength > 0 && maxLength <= Number.MAX_SAFE_INTEGER ? Math.floor(maxLength) : Infinity,
  });
}
