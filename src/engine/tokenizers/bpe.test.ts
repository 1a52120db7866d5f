// Checks byte-level BPE against GPT-2's rules worked out by hand (the byte table, merge order, the
// Ġ of a leading space, RoBERTa's framing and <mask>), and against the outputs of the independent
// Python implementation in scripts/fixtures/bpe_reference.py (fixtures/tokenizer/bpe-cases.json),
// for the tiny RoBERTa's tokenizer.json and for its vocab.json + merges.txt.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeSplit, encodeTaggingSplit, IGNORE_INDEX } from '../data/task';
import { bpeWord, bytesToUnicode, createBpeModel, parseMerges, parseVocabJson, unicodeToText } from './bpe';
import { convertIdsToTokens, decode, encode, encodeWords, tokenize } from './encode';
import { loadTokenizer } from './load';
import { createByteLevelBpeTokenizer } from './roberta';
import type { Tokenizer } from './types';

const ROBERTA_DIR = fileURLToPath(new URL('../fixtures/tiny-roberta/', import.meta.url));
const CASES = fileURLToPath(new URL('../fixtures/tokenizer/bpe-cases.json', import.meta.url));

/** A model folder read from disk, with some of its files hidden and tokenizer_config.json optionally replaced. */
function folder(dir: string, hide: string[] = [], config?: Record<string, unknown>) {
  return async (name: string): Promise<Uint8Array | null> => {
    if (name === 'tokenizer_config.json' && config) return new TextEncoder().encode(JSON.stringify(config));
    if (hide.includes(name) || !existsSync(dir + name)) return null;
    return new Uint8Array(readFileSync(dir + name));
  };
}

describe('the byte table', () => {
  it("is GPT-2's bytes_to_unicode: printable Latin-1 as itself, the other 68 bytes from U+0100 up", () => {
    expect(bytesToUnicode(' ')).toBe('Ġ'); // byte 32 is the 33rd non-printable byte: U+0100 + 32
    expect(bytesToUnicode('\n')).toBe('Ċ');
    expect(bytesToUnicode('\t')).toBe('ĉ');
    expect(bytesToUnicode('\u0000')).toBe('Ā');
    expect(bytesToUnicode('\u00ad')).toBe('ÂŃ'); // bytes C2 AD: 0xAD, the soft hyphen, is the one byte ≥ 0xA1 mapped away
    expect(bytesToUnicode('A~¡¬®ÿ')).toBe('A~Â¡Â¬Â®Ã¿'); // UTF-8 bytes of the Latin-1 letters
    expect(bytesToUnicode('é')).toBe('Ã©');
    // The unprintable bytes in order: 0–32 → U+0100–U+0120, 127 → U+0121, 128–160 → U+0122–U+0142, 173 → U+0143.
    expect(bytesToUnicode('\u007f')).toBe('\u0121');
    expect(bytesToUnicode('\u0080')).toBe('Â\u0122'); // bytes C2 80
    expect(bytesToUnicode('\u00a0')).toBe('Â\u0142'); // bytes C2 A0
  });

  it('decodes back to the text, with U+FFFD for a cut UTF-8 sequence', () => {
    for (const text of ['Hello world', ' Café 😀 日本\n\t', 'a\u0000b']) expect(unicodeToText(bytesToUnicode(text))).toBe(text);
    expect(unicodeToText(bytesToUnicode('é').slice(0, 1))).toBe('\ufffd');
  });
});

describe('merging by rank', () => {
  const vocab = new Map(['a', 'b', 'c', 'ab', 'bc', 'abc', 'aa', 'aaa'].map((t, i) => [t, i]));
  it('merges the lowest-ranked pair first, everywhere, left to right', () => {
    expect(bpeWord(createBpeModel(vocab, [['a', 'b'], ['ab', 'c'], ['b', 'c']]), 'abc')).toEqual(['abc']);
    expect(bpeWord(createBpeModel(vocab, [['b', 'c'], ['a', 'b']]), 'abc')).toEqual(['a', 'bc']);
    expect(bpeWord(createBpeModel(vocab, [['a', 'a']]), 'aaaaa')).toEqual(['aa', 'aa', 'a']);
    expect(bpeWord(createBpeModel(vocab, [['a', 'a'], ['aa', 'a']]), 'aaa')).toEqual(['aaa']);
    expect(bpeWord(createBpeModel(vocab, []), 'cab')).toEqual(['c', 'a', 'b']);
  });

  it('refuses merges whose parts or result are not in the vocabulary, and malformed files', () => {
    expect(() => createBpeModel(vocab, [['a', 'x']])).toThrow(/merge 1 .*"x", which is not in the vocabulary/);
    expect(() => createBpeModel(vocab, [['c', 'c']])).toThrow(/makes "cc"/);
    expect(parseMerges('#version: 0.2\na b\n\nab c\n')).toEqual([['a', 'b'], ['ab', 'c']]);
    expect(() => parseMerges('a b c\n')).toThrow(/line 1 is not two tokens/);
    expect(() => parseVocabJson(['a'])).toThrow(/JSON object/);
    expect(() => parseVocabJson({ a: -1 })).toThrow(/"a" must be a non-negative integer/);
  });
});

describe("RoBERTa's conventions", () => {
  // A hand-made byte-level vocabulary: the specials, the letters needed, and whole words with and without Ġ.
  const tokens = ['<s>', '<pad>', '</s>', '<unk>', 'H', 'e', 'l', 'o', 'Ġ', 'w', 'r', 'd', '!', 'He', 'll', 'Hell', 'Hello', 'ĠH', 'ĠHe', 'ĠHell', 'ĠHello', 'Ġw', 'or', 'Ġwor', 'ld', 'Ġworld', 'a', 'Ġa', '<mask>'];
  const vocab = new Map(tokens.map((t, i) => [t, i]));
  const merges: [string, string][] = [['Ġ', 'H'], ['H', 'e'], ['ĠH', 'e'], ['l', 'l'], ['He', 'll'], ['ĠHe', 'll'], ['Hell', 'o'], ['ĠHell', 'o'], ['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['l', 'd'], ['Ġwor', 'ld'], ['Ġ', 'a']];
  const tok = createByteLevelBpeTokenizer(vocab, merges);
  const id = (t: string): number => vocab.get(t)!;

  it('gives "Hello" → Hello but " Hello" → ĠHello (add_prefix_space false), and ĠHello for both with it true', () => {
    expect(tokenize(tok, 'Hello')).toEqual(['Hello']);
    expect(tokenize(tok, ' Hello')).toEqual(['ĠHello']);
    expect(tokenize(tok, 'Hello world!')).toEqual(['Hello', 'Ġworld', '!']);
    const prefixed = createByteLevelBpeTokenizer(vocab, merges, { add_prefix_space: true });
    expect(tokenize(prefixed, 'Hello')).toEqual(['ĠHello']);
    expect(tokenize(prefixed, ' Hello')).toEqual(['ĠHello']);
  });

  it('frames <s> A </s> and <s> A </s></s> B </s>, every token type 0', () => {
    expect(encode(tok, 'Hello', 'world')).toEqual({
      inputIds: [id('<s>'), id('Hello'), id('</s>'), id('</s>'), id('w'), id('or'), id('ld'), id('</s>')],
      tokenTypeIds: [0, 0, 0, 0, 0, 0, 0, 0],
      attentionMask: [1, 1, 1, 1, 1, 1, 1, 1],
    });
    expect(encode(tok, 'Hello', null, { maxLength: 6, padding: 'max_length' }).inputIds).toEqual([0, id('Hello'), 2, 1, 1, 1]);
    expect(() => encode(tok, 'Hello', 'world', { maxLength: 3 })).toThrow(/a pair needs at least its 4 special tokens/);
  });

  it('lets <mask> take the spaces before it (lstrip), but not after; other specials are matched as written', () => {
    expect(tokenize(tok, 'a <mask>!')).toEqual(['a', '<mask>', '!']);
    expect(tokenize(tok, 'a   <mask> a')).toEqual(['a', '<mask>', 'Ġa']);
    expect(tokenize(tok, 'Hello</s> world<s>')).toEqual(['Hello', '</s>', 'Ġworld', '<s>']);
    expect(tok.specialTokenIds).toEqual({ cls: 0, sep: 2, pad: 1, unk: 3, mask: id('<mask>') });
  });

  it('puts Ġ before every pre-split word, the first included, as transformers does with add_prefix_space=True', () => {
    const enc = encodeWords(tok, ['Hello', 'world']);
    expect(convertIdsToTokens(tok, enc.inputIds)).toEqual(['<s>', 'ĠHello', 'Ġworld', '</s>']);
    expect(enc.wordIds).toEqual([null, 0, 1, null]);
    expect(enc.firstPieceIndex).toEqual([1, 2]);
  });

  it('decodes ids back to the text, and leaves out the special tokens when asked', () => {
    const ids = encode(tok, 'Hello world!').inputIds;
    expect(decode(tok, ids)).toBe('<s>Hello world!</s>');
    expect(decode(tok, ids, true)).toBe('Hello world!');
  });

  it("feeds the engine's task encoding: <pad> (id 1) pads, tags sit on each word's first piece", () => {
    const tagged = encodeTaggingSplit(tok, [{ words: ['Hello', 'world'], tags: [3, 5] }], 6);
    expect(Array.from(tagged.inputIds)).toEqual([0, id('ĠHello'), id('Ġworld'), 2, 1, 1]);
    expect(Array.from(tagged.labels)).toEqual([IGNORE_INDEX, 3, 5, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]);
    const pairs = encodeSplit(tok, [{ text: 'Hello', text2: 'a', label: 1 }], 8);
    expect(Array.from(pairs.inputIds)).toEqual([0, id('Hello'), 2, 2, id('a'), 2, 1, 1]);
    expect(Array.from(pairs.tokenTypeIds)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(pairs.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('names a missing special token', () => {
    expect(() => createByteLevelBpeTokenizer(new Map([['a', 0]]), [])).toThrow(/lacks the cls\/bos token "<s>"/);
  });
});

interface BpeCase {
  name: string;
  text: string;
  text2: string | null;
  max_length: number | null;
  tokens: string[];
  prefixed_tokens: string[];
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
}
interface BpeFixture {
  vocab_size: number;
  cases: BpeCase[];
  word_cases: { words: string[]; max_length: number | null; input_ids: number[]; word_ids: (number | null)[] }[];
}

describe('the tiny RoBERTa against the independent Python implementation', () => {
  const fixture = JSON.parse(readFileSync(CASES, 'utf8')) as BpeFixture;
  const check = (tok: Tokenizer, prefixed: Tokenizer): void => {
    expect(tok.vocabSize).toBe(fixture.vocab_size);
    expect(fixture.cases.length).toBeGreaterThan(20);
    for (const c of fixture.cases) {
      const label = `case ${c.name}: ${JSON.stringify(c.text)} / ${JSON.stringify(c.text2)}`;
      expect(tokenize(tok, c.text), label).toEqual(c.tokens);
      expect(tokenize(prefixed, c.text), label).toEqual(c.prefixed_tokens);
      const options = c.max_length === null ? {} : { maxLength: c.max_length };
      expect(encode(tok, c.text, c.text2, options), label).toEqual({ inputIds: c.input_ids, tokenTypeIds: c.token_type_ids, attentionMask: c.attention_mask });
      if (!c.text.includes('<')) expect(tok.tokensToString(c.tokens), label).toBe(c.text); // byte-level BPE loses nothing
    }
    for (const w of fixture.word_cases) {
      const enc = encodeWords(tok, w.words, w.max_length === null ? {} : { maxLength: w.max_length });
      expect(enc.inputIds, JSON.stringify(w.words)).toEqual(w.input_ids);
      expect(enc.wordIds, JSON.stringify(w.words)).toEqual(w.word_ids);
    }
  };

  it('matches bpe-cases.json exactly from tokenizer.json', async () => {
    const tok = await loadTokenizer(folder(ROBERTA_DIR), 'roberta');
    expect(tok.source).toBe('tokenizer.json');
    expect(tok.kind).toBe('byte-level-bpe');
    const config = JSON.parse(readFileSync(`${ROBERTA_DIR}tokenizer_config.json`, 'utf8')) as Record<string, unknown>;
    check(tok, await loadTokenizer(folder(ROBERTA_DIR, [], { ...config, add_prefix_space: true }), 'roberta'));
    expect(tok.modelMaxLength).toBe(64);
  });

  it('matches bpe-cases.json exactly from vocab.json + merges.txt', async () => {
    const tok = await loadTokenizer(folder(ROBERTA_DIR, ['tokenizer.json']), 'roberta');
    expect(tok.source).toBe('vocab.json');
    const config = JSON.parse(readFileSync(`${ROBERTA_DIR}tokenizer_config.json`, 'utf8')) as Record<string, unknown>;
    check(tok, await loadTokenizer(folder(ROBERTA_DIR, ['tokenizer.json'], { ...config, add_prefix_space: true }), 'roberta'));
  });

  it('tokenizes 10,000 short sentences in seconds, not minutes (0.8 s measured on a busy 2-core machine; the bound leaves room for a more loaded one)', async () => {
    const tok = await loadTokenizer(folder(ROBERTA_DIR), 'roberta');
    const words = ['the', 'Fulton', 'county', 'jury', 'said', 'Friday', 'investigation', 'of', "Atlanta's", 'recent', 'primary', 'election', '1961', 'naïve', '😀'];
    const sentences = Array.from({ length: 10_000 }, (_, i) => Array.from({ length: 12 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' '));
    const start = performance.now();
    for (const s of sentences) encode(tok, s, null, { maxLength: 64 });
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
