// Checks the tokenizer.json reader: the fixture vocab.txt as a tokenizers-library WordPiece gives exactly
// the vocab.txt tokenizer's (slow BertTokenizer's) ids on the fixture cases, which the independent
// Python implementation also computed (json-cases.json); the split behaviours and pre-tokenizers
// against the examples of the library's own documentation; and that unsupported components and
// malformed files are refused with the component and its path named.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTokenizer, tokenizerConfigFromJson } from '../tokenizer';
import { normalizerFromJson, preTokenizerFromJson } from './components';
import { encode, encodeWords, tokenize } from './encode';
import { loadTokenizer } from './load';
import { tokenizerFromJson } from './tokenizerJson';

const TOK_DIR = fileURLToPath(new URL('../fixtures/tokenizer/', import.meta.url));
const ROBERTA_DIR = fileURLToPath(new URL('../fixtures/tiny-roberta/', import.meta.url));
const BERT_DIR = fileURLToPath(new URL('../fixtures/tiny-bert/', import.meta.url));
const bertJson = JSON.parse(readFileSync(`${TOK_DIR}tokenizer.json`, 'utf8')) as Record<string, unknown>;

function folder(files: Record<string, string | null>, dir?: string) {
  return async (name: string): Promise<Uint8Array | null> => {
    if (name in files) return files[name] === null ? null : new TextEncoder().encode(files[name]);
    return dir && existsSync(dir + name) ? new Uint8Array(readFileSync(dir + name)) : null;
  };
}

interface SlowCase { name: string; text: string; text2: string | null; max_length: number | null; tokens: string[]; input_ids: number[]; token_type_ids: number[]; attention_mask: number[] }
interface SlowWordCase { words: string[]; max_length: number | null; input_ids: number[]; word_ids: (number | null)[] }

describe('a WordPiece tokenizer.json', () => {
  const slow = JSON.parse(readFileSync(`${TOK_DIR}cases.json`, 'utf8')) as { cases: SlowCase[]; word_cases: SlowWordCase[] };
  const reference = JSON.parse(readFileSync(`${TOK_DIR}json-cases.json`, 'utf8')) as { differ_from_slow: string[]; cases: { input_ids: number[]; token_type_ids: number[] }[]; word_cases: { input_ids: number[]; word_ids: (number | null)[] }[] };
  const fromJson = tokenizerFromJson(bertJson, { family: 'bert' });
  const fromTxt = createTokenizer(readFileSync(`${TOK_DIR}vocab.txt`, 'utf8'));

  it('gives exactly the vocab.txt tokenizer’s ids on every fixture case, and the Python reference’s', () => {
    expect(reference.differ_from_slow).toEqual([]);
    expect(fromJson.vocabSize).toBe(fromTxt.vocabSize);
    expect(fromJson.specialTokenIds).toEqual(fromTxt.specialTokenIds);
    expect(fromJson.lowercases).toBe(true);
    slow.cases.forEach((c, i) => {
      const label = `case ${c.name}`;
      const options = c.max_length === null ? {} : { maxLength: c.max_length };
      expect(tokenize(fromJson, c.text), label).toEqual(c.tokens);
      const enc = encode(fromJson, c.text, c.text2, options);
      expect(enc, label).toEqual(encode(fromTxt, c.text, c.text2, options));
      expect(enc, label).toEqual({ inputIds: c.input_ids, tokenTypeIds: c.token_type_ids, attentionMask: c.attention_mask });
      expect(enc.inputIds, label).toEqual(reference.cases[i]!.input_ids);
    });
    slow.word_cases.forEach((w, i) => {
      const enc = encodeWords(fromJson, w.words, w.max_length === null ? {} : { maxLength: w.max_length });
      expect(enc.inputIds).toEqual(w.input_ids);
      expect(enc.wordIds).toEqual(w.word_ids);
      expect(enc.inputIds).toEqual(reference.word_cases[i]!.input_ids);
    });
  });

  it('frames the same with BertProcessing as with the TemplateProcessing it states, and with none (the family default)', () => {
    const withBert = tokenizerFromJson({ ...bertJson, post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] } }, { family: 'bert' });
    const withNone = tokenizerFromJson({ ...bertJson, post_processor: null }, { family: 'bert' });
    for (const tok of [withBert, withNone]) expect(encode(tok, 'How old are you?', "I'm 6.")).toEqual(encode(fromJson, 'How old are you?', "I'm 6."));
  });

  it("takes tokenizer_config.json's do_lower_case over the BertNormalizer's, as BertTokenizerFast does", async () => {
    const cased = await loadTokenizer(folder({ 'tokenizer.json': JSON.stringify(bertJson), 'tokenizer_config.json': '{"do_lower_case": false}' }), 'bert');
    expect(cased.lowercases).toBe(false);
    expect(tokenize(cased, 'Hello')).toEqual(tokenize(createTokenizer(readFileSync(`${TOK_DIR}vocab.txt`, 'utf8'), { doLowerCase: false }), 'Hello'));
    expect(tokenize(cased, 'Hello')).not.toEqual(tokenize(fromJson, 'Hello'));
  });

  it('is preferred to vocab.txt when a folder has both, and vocab.txt is used without it', async () => {
    const both = await loadTokenizer(folder({ 'tokenizer.json': JSON.stringify(bertJson) }, BERT_DIR), 'bert');
    expect(both.source).toBe('tokenizer.json');
    const txt = await loadTokenizer(folder({}, BERT_DIR), 'electra');
    expect(txt.source).toBe('vocab.txt');
    // The default model (vocab.txt + tokenizer_config.json) tokenizes exactly as before the loader existed.
    const defaultDir = fileURLToPath(new URL('../../../public/models/default/', import.meta.url));
    const loaded = await loadTokenizer(folder({}, defaultDir), 'bert');
    const direct = createTokenizer(readFileSync(`${defaultDir}vocab.txt`, 'utf8'), tokenizerConfigFromJson(JSON.parse(readFileSync(`${defaultDir}tokenizer_config.json`, 'utf8'))));
    const text = 'The Fulton County Grand Jury said Friday an investigation of Atlanta’s recent primary election produced “no evidence”.';
    expect(encode(loaded, text, 'Yes.', { maxLength: 24 })).toEqual(encode(direct, text, 'Yes.', { maxLength: 24 }));
    expect(loaded.lowercases).toBe(direct.lowercases);
  });

  it('takes special token names from special_tokens_map.json when tokenizer_config.json has none', async () => {
    const renamed = { ...bertJson, post_processor: null, added_tokens: [{ id: 4, content: '[MASK]', special: true }] };
    const tok = await loadTokenizer(folder({ 'tokenizer.json': JSON.stringify(renamed), 'special_tokens_map.json': '{"mask_token": "[UNK]", "pad_token": {"content": "[MASK]"}}' }), 'bert');
    expect(tok.specialTokenIds).toEqual({ cls: 2, sep: 3, pad: 4, unk: 1, mask: 1 });
  });
});

describe('normalizers and pre-tokenizers', () => {
  const pre = (spec: unknown, text: string): string[] => preTokenizerFromJson(spec, 'pre_tokenizer')!([text], false);

  it('split with each delimiter behaviour as the library documents for "the-final--countdown"', () => {
    const split = (behavior: string) => pre({ type: 'Split', pattern: { String: '-' }, behavior, invert: false }, 'the-final--countdown');
    expect(split('Removed')).toEqual(['the', 'final', 'countdown']);
    expect(split('Isolated')).toEqual(['the', '-', 'final', '-', '-', 'countdown']);
    expect(split('MergedWithPrevious')).toEqual(['the-', 'final-', '-', 'countdown']);
    expect(split('MergedWithNext')).toEqual(['the', '-final', '-', '-countdown']);
    expect(split('Contiguous')).toEqual(['the', '-', 'final', '--', 'countdown']);
    expect(pre({ type: 'Split', pattern: { Regex: '\\d+' }, behavior: 'Removed', invert: true }, 'ab12cd3')).toEqual(['12', '3']);
  });

  it('cut words as Whitespace, WhitespaceSplit, BertPreTokenizer, Punctuation, Digits and Sequence do', () => {
    expect(pre({ type: 'Whitespace' }, "Hey man!! I'm naïve")).toEqual(['Hey', 'man', '!!', 'I', "'", 'm', 'naïve']);
    expect(pre({ type: 'WhitespaceSplit' }, 'Hey  man!\tok')).toEqual(['Hey', 'man!', 'ok']);
    expect(pre({ type: 'BertPreTokenizer' }, 'Hey friend!     How are you?!?')).toEqual(['Hey', 'friend', '!', 'How', 'are', 'you', '?', '!', '?']);
    expect(pre({ type: 'Punctuation', behavior: 'Contiguous' }, 'Hey!!? you')).toEqual(['Hey', '!!?', ' you']);
    expect(pre({ type: 'Digits', individual_digits: true }, 'a123b')).toEqual(['a', '1', '2', '3', 'b']);
    expect(pre({ type: 'Digits', individual_digits: false }, 'a123b')).toEqual(['a', '123', 'b']);
    expect(pre({ type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: true }] }, 'x1 22')).toEqual(['x', '1', '2', '2']);
    expect(pre({ type: 'ByteLevel', add_prefix_space: true, use_regex: true }, "Hello world's")).toEqual(['ĠHello', 'Ġworld', "'s"]);
  });

  it('normalize as the library does: BertNormalizer strips accents before lowercasing; Sequence runs in order', () => {
    const n = (spec: unknown, text: string): string => normalizerFromJson(spec, 'normalizer')!(text);
    expect(n({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true }, 'Héllo\tWÖRLD\u0000中文 ΟΔΟΣ')).toBe('hello world 中  文  οδοσ');
    expect(n({ type: 'BertNormalizer', lowercase: false }, 'Héllo')).toBe('Héllo');
    expect(n({ type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }] }, 'ÉCOLE')).toBe('ecole');
    expect(n({ type: 'NFKC' }, 'ＡＢＣ１')).toBe('ABC1');
    expect(n({ type: 'Strip', strip_left: true, strip_right: false }, '  a  ')).toBe('a  ');
    expect(n({ type: 'Replace', pattern: { String: '``' }, content: '"' }, 'say ``hi``')).toBe('say "hi"');
  });
});

describe('refusals', () => {
  const refuse = (change: Record<string, unknown>) => () => tokenizerFromJson({ ...bertJson, ...change }, { family: 'bert' });

  it('names an unsupported component and where it is', () => {
    expect(refuse({ model: { type: 'Unigram', vocab: [['a', 0]] } })).toThrow(/model\.vocab|model\.type/);
    expect(refuse({ model: { type: 'Unigram', vocab: { a: 0 } } })).toThrow('model.type: model "Unigram" is not supported (supported: WordPiece, BPE)');
    expect(refuse({ normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Precompiled', precompiled_charsmap: '' }] } })).toThrow('normalizer.normalizers[1].type: normalizer "Precompiled" is not supported');
    expect(refuse({ pre_tokenizer: { type: 'Metaspace', replacement: '▁' } })).toThrow('pre_tokenizer.type: pre-tokenizer "Metaspace" is not supported');
    expect(refuse({ post_processor: { type: 'Fancy' } })).toThrow('post_processor.type: post-processor "Fancy" is not supported');
    const bpe = { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'], byte_fallback: true };
    expect(refuse({ model: bpe })).toThrow(/model\.byte_fallback/);
    expect(refuse({ model: { ...bpe, byte_fallback: false } })).toThrow(/pre_tokenizer: a BPE model without a ByteLevel pre-tokenizer/);
  });

  it('names what is malformed', () => {
    expect(refuse({ model: undefined })).toThrow('model: is missing');
    expect(refuse({ added_tokens: [{ id: 'x', content: '[CLS]' }] })).toThrow('added_tokens[0].id: must be a non-negative integer');
    expect(refuse({ model: { type: 'WordPiece', unk_token: '[NOPE]', vocab: { a: 0 } } })).toThrow('model.unk_token: "[NOPE]" is not in model.vocab');
    expect(() => tokenizerFromJson({ ...bertJson, pre_tokenizer: { type: 'ByteLevel' }, model: { type: 'BPE', vocab: { a: 0 }, merges: [7] } }, { family: 'roberta' })).toThrow('model.merges[0]: must be "left right"');
  });

  it('reports the file and the path through loadTokenizer, and refuses other model types by name', async () => {
    await expect(loadTokenizer(folder({ 'tokenizer.json': '{"model": ' }), 'bert')).rejects.toThrow(/^tokenizer\.json: is not valid JSON/);
    await expect(loadTokenizer(folder({ 'tokenizer.json': JSON.stringify({ ...bertJson, normalizer: { type: 'Nmt' } }) }), 'bert')).rejects.toThrow('tokenizer.json: normalizer.type: normalizer "Nmt" is not supported');
    await expect(loadTokenizer(folder({}), 'gpt2')).rejects.toThrow('config.json: model_type "gpt2" has no tokenizer here: supported are bert, distilbert, electra, roberta');
    await expect(loadTokenizer(folder({}), 'roberta')).rejects.toThrow('vocab.json: is missing: a roberta folder needs tokenizer.json, or vocab.json and merges.txt');
    await expect(loadTokenizer(folder({}), 'distilbert')).rejects.toThrow('vocab.txt: is missing');
    await expect(loadTokenizer(folder({}, ROBERTA_DIR), 'roberta', { vocabSize: 900 })).rejects.toThrow("tokenizer.json: has 961 token ids but config.json's vocab_size is 900");
  });
});
