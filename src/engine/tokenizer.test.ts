// Checks the WordPiece tokenizer against Hugging Face's slow BertTokenizer: hard cases whose expected
// outputs were derived by hand from HF's rules (tokenization_bert.py, tokenization_utils.py,
// truncate_sequences), and, when present, the outputs of an independent Python implementation.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  alignLabels,
  convertIdsToTokens,
  convertTokensToIds,
  convertTokensToString,
  createTokenizer,
  encode,
  encodeBatch,
  encodeWords,
  padBatch,
  parseVocab,
  tokenize,
  tokenizerConfigFromJson,
  truncateLongestFirst,
} from './tokenizer';

// Ids are line numbers: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the rest in order.
const VOCAB_LINES = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  '!', '?', '.', ',', '$', '^', '¿', "'", '[', ']', '-',
  'the', 'a', '##a', 'hello', 'world', 'cafe', 'café', 'de', '##ja', 'vu', 'Caf', '##é',
  'un', '##aff', '##able', 'hi', '##😀', '😀', '我', '爱', '中', '𠀀', 'x', 'y',
  'οδοσ', 'οδος', 'i', 'mask', 'is', '5', '##€', 'don', 't', 'que', 'b', '##b', 'HELLO', 'Hello',
  'ab', 'cd', 'ef', 'gh', 'ij', 'kl', 'mn', 'op', 'qr', 'st',
];
const VOCAB_TEXT = VOCAB_LINES.join('\n') + '\n';
const uncased = createTokenizer(VOCAB_TEXT);
const cased = createTokenizer(VOCAB_TEXT, { doLowerCase: false });
const idOf = (t: string): number => {
  const id = VOCAB_LINES.indexOf(t);
  if (id < 0) throw new Error(`test vocab lacks ${t}`);
  return id;
};
const ids = (...tokens: string[]): number[] => tokens.map(idOf);

describe('parseVocab', () => {
  it('numbers lines from 0, accepts \\n, \\r\\n and lone \\r, and keeps spaces and empty lines as tokens', () => {
    const v = parseVocab('[PAD]\r\n[UNK]\r[CLS]\n\n[SEP]\n tok \n');
    expect(v.tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', '', '[SEP]', ' tok ']);
    expect(v.ids.get('[SEP]')).toBe(4);
    expect(v.ids.get('')).toBe(3);
    expect(v.ids.get(' tok ')).toBe(5);
    expect(parseVocab('[PAD]\n[UNK]\n[CLS]\n[SEP]').tokens).toHaveLength(4); // no final newline
  });

  it('names what is missing', () => {
    expect(() => parseVocab('')).toThrow(/empty/);
    expect(() => parseVocab('hello\nworld\n')).toThrow(/lacks the special tokens \[UNK\], \[CLS\], \[SEP\], \[PAD\]/);
    expect(() => parseVocab('[PAD]\n[UNK]\n[CLS]\n')).toThrow(/lacks the special token \[SEP\] /);
    expect(() => parseVocab('\ufeff[PAD]\n[UNK]\n[CLS]\n[SEP]\n')).toThrow(/\[PAD\].*byte-order mark/);
  });

  it('lets the last line of a duplicate win, and decodes the earlier id as [UNK], like load_vocab', () => {
    const tok = createTokenizer('[PAD]\n[UNK]\n[CLS]\n[SEP]\ndup\ndup\n');
    expect(convertTokensToIds(tok, ['dup'])).toEqual([5]);
    expect(convertIdsToTokens(tok, [4, 5, 99])).toEqual(['[UNK]', 'dup', '[UNK]']);
  });
});

describe('tokenizerConfigFromJson', () => {
  it("takes HF's defaults and reads the keys it knows", () => {
    expect(tokenizerConfigFromJson({})).toEqual({ doLowerCase: true, stripAccents: null, tokenizeChineseChars: true, modelMaxLength: Infinity });
    expect(tokenizerConfigFromJson({ do_lower_case: false, strip_accents: true, model_max_length: 512, tokenizer_class: 'BertTokenizer' })).toEqual({
      doLowerCase: false, stripAccents: true, tokenizeChineseChars: true, modelMaxLength: 512,
    });
    expect(tokenizerConfigFromJson({ model_max_length: 1e30 }).modelMaxLength).toBe(Infinity); // HF's "no limit"
    expect(() => tokenizerConfigFromJson({ do_lower_case: 'yes' })).toThrow(/do_lower_case/);
    expect(() => tokenizerConfigFromJson([])).toThrow(/object/);
  });
});

describe('basic tokenization and word pieces', () => {
  it('lowercases and strips accents for an uncased vocabulary, and keeps them when told', () => {
    expect(tokenize(uncased, 'Café Déjà Vu')).toEqual(['cafe', 'de', '##ja', 'vu']);
    // Decomposed input (e + combining acute) gives the same after NFD and dropping Mn.
    expect(tokenize(uncased, 'Cafe\u0301')).toEqual(['cafe']);
    // strip_accents=false with lowercasing keeps é (composed, as typed).
    expect(tokenize(createTokenizer(VOCAB_TEXT, { stripAccents: false }), 'CAFÉ')).toEqual(['café']);
    // Cased: nothing is lowercased or stripped; "Café" → Caf + ##é, typed composed or decomposed (NFC).
    expect(tokenize(cased, 'Café')).toEqual(['Caf', '##é']);
    expect(tokenize(cased, 'Cafe\u0301')).toEqual(['Caf', '##é']);
    // NFC also maps U+1FEF GREEK VARIA (a symbol, Sk) to the backtick, which is punctuation.
    expect(tokenize(cased, 'a\u1fefb')).toEqual(['a', '[UNK]', 'b']);
    // strip_accents=true without lowercasing strips but keeps case.
    expect(tokenize(createTokenizer(VOCAB_TEXT, { doLowerCase: false, stripAccents: true }), 'Cafè HELLO')).toEqual(['[UNK]', 'HELLO']);
  });

  it('lowercases one character at a time as HF does: capital sigma is always σ, never final ς', () => {
    expect(tokenize(uncased, 'ΟΔΟΣ')).toEqual(['οδοσ']);
    expect(tokenize(uncased, 'οδος')).toEqual(['οδος']); // an input ς stays ς
    // İ lowercases to i + U+0307 (Mn), which accent stripping drops.
    expect(tokenize(uncased, 'İ')).toEqual(['i']);
  });

  it('splits every punctuation character on its own, ASCII symbols and Unicode P* included', () => {
    expect(tokenize(uncased, 'hello!!!...world?!')).toEqual(['hello', '!', '!', '!', '.', '.', '.', 'world', '?', '!']);
    expect(tokenize(uncased, '$5 a^b')).toEqual(['$', '5', 'a', '^', 'b']);
    expect(tokenize(uncased, '¿Qué?')).toEqual(['¿', 'que', '?']);
    expect(tokenize(uncased, "don't")).toEqual(['don', "'", 't']);
    // € is a currency symbol (Sc), not punctuation: it stays in the word.
    expect(tokenize(uncased, '5€')).toEqual(['5', '##€']);
    // Full-width ！ (Po) and the ideographic full stop 。 (Po) are punctuation; not in the vocab → [UNK] each.
    expect(tokenize(uncased, 'hi！hi。')).toEqual(['hi', '[UNK]', 'hi', '[UNK]']);
  });

  it('pads CJK ideographs, astral ones included, but not kana', () => {
    expect(tokenize(uncased, '我爱ab中文')).toEqual(['我', '爱', 'ab', '中', '[UNK]']);
    expect(tokenize(uncased, 'x𠀀y')).toEqual(['x', '𠀀', 'y']); // U+20000, CJK Extension B
    expect(tokenize(uncased, 'ひらがな')).toEqual(['[UNK]']); // one word: Hiragana is not in HF's CJK ranges
    expect(tokenize(createTokenizer(VOCAB_TEXT, { tokenizeChineseChars: false }), '我爱')).toEqual(['[UNK]']);
  });

  it('keeps emoji inside words (they are symbols, So) and counts astral characters as one', () => {
    expect(tokenize(uncased, 'hi😀')).toEqual(['hi', '##😀']);
    expect(tokenize(uncased, 'hi😀 😀😀')).toEqual(['hi', '##😀', '😀', '##😀']);
    // The zero-width joiner (Cf) is removed, gluing the two emoji into one word.
    expect(tokenize(uncased, '😀\u200d😀')).toEqual(['😀', '##😀']);
    // 100 emoji are 200 UTF-16 units but 100 characters: still word-pieced; 101 are one [UNK].
    expect(tokenize(uncased, '😀'.repeat(100))).toEqual(['😀', ...new Array<string>(99).fill('##😀')]);
    expect(tokenize(uncased, '😀'.repeat(101))).toEqual(['[UNK]']);
  });

  it('turns a word longer than 100 characters, or one with an unmatchable rest, into a single [UNK]', () => {
    expect(tokenize(uncased, 'a'.repeat(120))).toEqual(['[UNK]']);
    expect(tokenize(uncased, 'a'.repeat(100))).toEqual(['a', ...new Array<string>(99).fill('##a')]);
    expect(tokenize(uncased, 'unaffable')).toEqual(['un', '##aff', '##able']);
    // "un" and "##aff" match but "##ablez" has no continuation: the whole word is [UNK], not a partial.
    expect(tokenize(uncased, 'unaffablez hello')).toEqual(['[UNK]', 'hello']);
  });

  it('gives nothing for empty and whitespace-only text', () => {
    expect(tokenize(uncased, '')).toEqual([]);
    expect(tokenize(uncased, ' \t\n\r\u00a0\u3000 ')).toEqual([]);
    // A lone combining mark vanishes once accents are stripped; cased it is an unknown word.
    expect(tokenize(uncased, '\u0301')).toEqual([]);
    expect(tokenize(cased, '\u0301')).toEqual(['[UNK]']);
  });

  it('removes control and format characters (joining their neighbours) and maps whitespace to spaces', () => {
    expect(tokenize(uncased, 'hel\u0000lo wor\ufffdld')).toEqual(['hello', 'world']);
    expect(tokenize(uncased, 'a\u00adb c\u200bd')).toEqual(['ab', 'cd']); // soft hyphen and ZWSP are Cf
    // \v, \f and NEL are Cc, not HF whitespace: removed, so they glue words together.
    expect(tokenize(uncased, 'e\u000bf g\u000ch i\u0085j')).toEqual(['ef', 'gh', 'ij']);
    expect(tokenize(uncased, 'ab\tcd\nef\rgh\u00a0ij\u2028kl')).toEqual(['ab', 'cd', 'ef', 'gh', 'ij', 'kl']);
    expect(tokenize(uncased, 'ab\u{E0001}cd\u{F0000}')).toEqual(['[UNK]']); // tag (Cf) and private use (Co) removed → "abcd" → ab + no ##cd
  });

  it('handles uppercase by vocabulary: uncased lowercases, cased looks up as written', () => {
    expect(tokenize(uncased, 'HELLO World')).toEqual(['hello', 'world']);
    expect(tokenize(cased, 'HELLO Hello hello')).toEqual(['HELLO', 'Hello', 'hello']);
  });

  it('never splits or lowercases the special tokens written in the text, as HF does by default', () => {
    expect(tokenize(uncased, 'the [MASK] is [mask]')).toEqual(['the', '[MASK]', 'is', '[', 'mask', ']']);
    expect(tokenize(uncased, 'x[SEP]y[CLS]')).toEqual(['x', '[SEP]', 'y', '[CLS]']);
    expect(tokenize(cased, '[MASK]')).toEqual(['[MASK]']);
    // Found only after cleaning: HF lowercases first, so uncased splits it; cased keeps it whole.
    expect(tokenize(uncased, '[MA\u200bSK]')).toEqual(['[', 'mask', ']']);
    expect(tokenize(cased, '[MA\u200bSK]')).toEqual(['[MASK]']);
  });
});

describe('encode', () => {
  it('frames a text and a pair, with token types and an attention mask', () => {
    expect(encode(uncased, 'Hello world!')).toEqual({
      inputIds: ids('[CLS]', 'hello', 'world', '!', '[SEP]'),
      tokenTypeIds: [0, 0, 0, 0, 0],
      attentionMask: [1, 1, 1, 1, 1],
    });
    expect(encode(uncased, 'hi', 'the world')).toEqual({
      inputIds: ids('[CLS]', 'hi', '[SEP]', 'the', 'world', '[SEP]'),
      tokenTypeIds: [0, 0, 0, 1, 1, 1],
      attentionMask: [1, 1, 1, 1, 1, 1],
    });
    expect(encode(uncased, '').inputIds).toEqual(ids('[CLS]', '[SEP]'));
    expect(encode(uncased, '', '')).toEqual({ inputIds: ids('[CLS]', '[SEP]', '[SEP]'), tokenTypeIds: [0, 0, 1], attentionMask: [1, 1, 1] });
  });

  it('truncates a single text from the right', () => {
    expect(encode(uncased, 'ab cd ef gh', null, { maxLength: 4 }).inputIds).toEqual(ids('[CLS]', 'ab', 'cd', '[SEP]'));
    expect(encode(uncased, 'ab cd', null, { maxLength: 10 }).inputIds).toEqual(ids('[CLS]', 'ab', 'cd', '[SEP]'));
    expect(encode(uncased, 'ab cd ef', null, { maxLength: 4, truncation: false }).inputIds).toHaveLength(5);
  });

  it('truncates pairs longest_first: the longer side loses a token each step, the second on a tie', () => {
    const A = 'ab cd ef gh ij'; // 5 tokens
    const B = 'kl mn'; // 2 tokens
    // First long: total 10, max 8 → A loses 2.
    expect(encode(uncased, A, B, { maxLength: 8 })).toEqual({
      inputIds: ids('[CLS]', 'ab', 'cd', 'ef', '[SEP]', 'kl', 'mn', '[SEP]'),
      tokenTypeIds: [0, 0, 0, 0, 0, 1, 1, 1],
      attentionMask: [1, 1, 1, 1, 1, 1, 1, 1],
    });
    // Second long: 2 + 6 + 3 = 11, max 8 → B loses 3.
    expect(encode(uncased, 'ab cd', 'ef gh ij kl mn op', { maxLength: 8 }).inputIds).toEqual(ids('[CLS]', 'ab', 'cd', '[SEP]', 'ef', 'gh', 'ij', '[SEP]'));
    // Both long and equal: 4 + 4 + 3 = 11, max 7 → B, A, B, A → 2 and 2.
    expect(encode(uncased, 'ab cd ef gh', 'ij kl mn op', { maxLength: 7 }).inputIds).toEqual(ids('[CLS]', 'ab', 'cd', '[SEP]', 'ij', 'kl', '[SEP]'));
    // Odd removal on equal sides: 3 + 3 + 3 = 9, max 6 → B, A, B → A keeps 2, B keeps 1.
    expect(encode(uncased, 'ab cd ef', 'gh ij kl', { maxLength: 6 }).inputIds).toEqual(ids('[CLS]', 'ab', 'cd', '[SEP]', 'gh', '[SEP]'));
    // Down to the bare frame.
    expect(encode(uncased, 'ab', 'cd', { maxLength: 3 }).inputIds).toEqual(ids('[CLS]', '[SEP]', '[SEP]'));
  });

  it('matches a step-by-step transcription of truncate_sequences on every small case', () => {
    const reference = (a: number, b: number, remove: number): [number, number] => {
      for (let i = 0; i < remove; i++) {
        if (a > b) a = Math.max(0, a - 1);
        else b = Math.max(0, b - 1);
      }
      return [a, b];
    };
    for (let a = 0; a <= 9; a++) {
      for (let b = 0; b <= 9; b++) {
        for (let remove = 0; remove <= a + b + 2; remove++) {
          const [x, y] = truncateLongestFirst(new Array<number>(a).fill(7), new Array<number>(b).fill(8), remove);
          expect([x.length, y?.length], `a=${a} b=${b} remove=${remove}`).toEqual(reference(a, b, remove));
        }
      }
    }
  });

  it('refuses a maxLength that cannot hold the frame, where HF would log an error and not truncate', () => {
    expect(() => encode(uncased, 'ab cd', null, { maxLength: 2 })).toThrow(/maxLength 2 is too short/);
    expect(() => encode(uncased, 'ab', 'cd', { maxLength: 2 })).toThrow(/too short/);
    expect(encode(uncased, '', null, { maxLength: 2 }).inputIds).toEqual(ids('[CLS]', '[SEP]'));
    expect(() => encode(uncased, 'ab', null, { maxLength: 0 })).toThrow(/positive integer/);
  });

  it("pads to max_length with [PAD], token type 0 and mask 0, and uses the config's model_max_length", () => {
    expect(encode(uncased, 'hi', 'x', { maxLength: 8, padding: 'max_length' })).toEqual({
      inputIds: [...ids('[CLS]', 'hi', '[SEP]', 'x', '[SEP]'), 0, 0, 0],
      tokenTypeIds: [0, 0, 0, 1, 1, 0, 0, 0],
      attentionMask: [1, 1, 1, 1, 1, 0, 0, 0],
    });
    const short = createTokenizer(VOCAB_TEXT, { modelMaxLength: 4 });
    expect(encode(short, 'ab cd ef gh', null, { truncation: true }).inputIds).toEqual(ids('[CLS]', 'ab', 'cd', '[SEP]'));
    expect(encode(short, 'ab cd ef gh').inputIds).toHaveLength(6); // no truncation unless asked, as in HF
    expect(() => encode(uncased, 'ab', null, { padding: 'max_length' })).toThrow(/max_length/);
  });
});

describe('batches', () => {
  it('packs rows into flat row-major int32 arrays padded to the longest', () => {
    const batch = encodeBatch(uncased, ['hello world', 'hi', ['hi', 'x']]);
    expect(batch.shape).toEqual([3, 5]);
    expect(batch.inputIds).toBeInstanceOf(Int32Array);
    expect(Array.from(batch.inputIds)).toEqual([
      ...ids('[CLS]', 'hello', 'world', '[SEP]'), 0,
      ...ids('[CLS]', 'hi', '[SEP]'), 0, 0,
      ...ids('[CLS]', 'hi', '[SEP]', 'x', '[SEP]'),
    ]);
    expect(Array.from(batch.tokenTypeIds)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('pads to max_length and truncates each row when asked, and handles an empty batch', () => {
    const batch = encodeBatch(uncased, ['ab cd ef gh ij', 'ab'], { maxLength: 4, padding: 'max_length' });
    expect(batch.shape).toEqual([2, 4]);
    expect(Array.from(batch.inputIds)).toEqual([...ids('[CLS]', 'ab', 'cd', '[SEP]'), ...ids('[CLS]', 'ab', '[SEP]'), 0]);
    expect(encodeBatch(uncased, [], { maxLength: 6, padding: 'max_length' }).shape).toEqual([0, 6]);
    expect(() => padBatch(uncased, [encode(uncased, 'ab cd ef')], { length: 3 })).toThrow(/truncate/);
  });
});

describe('word alignment for token classification', () => {
  const words = ['Hello', 'unaffable', '!', '', 'world'];

  it('maps each piece to its word and finds first pieces; empty words get none', () => {
    const enc = encodeWords(uncased, words);
    expect(enc.inputIds).toEqual(ids('[CLS]', 'hello', 'un', '##aff', '##able', '!', 'world', '[SEP]'));
    expect(enc.wordIds).toEqual([null, 0, 1, 1, 1, 2, 4, null]);
    expect(enc.firstPieceIndex).toEqual([1, 2, 5, -1, 6]);
    expect(alignLabels(enc, [3, 1, 0, 2, 5])).toEqual([-100, 3, 1, -100, -100, 0, 5, -100]);
  });

  it('marks words truncated away with -1 and padding with null', () => {
    const enc = encodeWords(uncased, words, { maxLength: 5, padding: 'max_length' });
    expect(enc.inputIds).toEqual(ids('[CLS]', 'hello', 'un', '##aff', '[SEP]'));
    expect(enc.wordIds).toEqual([null, 0, 1, 1, null]);
    expect(enc.firstPieceIndex).toEqual([1, 2, -1, -1, -1]);
    const padded = encodeWords(uncased, ['hi', 'x y'], { maxLength: 6, padding: 'max_length' });
    // "x y" is one word to the caller, two pieces here.
    expect(padded.wordIds).toEqual([null, 0, 1, 1, null, null]);
    const batch = padBatch(uncased, [enc, padded], { labels: [alignLabels(enc, [1, 2, 3, 4, 5]), alignLabels(padded, [7, 8])] });
    expect(batch.shape).toEqual([2, 6]);
    expect(Array.from(batch.labels ?? [])).toEqual([-100, 1, 2, -100, -100, -100, -100, 7, 8, -100, -100, -100]);
  });
});

describe('decoding', () => {
  it('turns ids into tokens and tokens into text, gluing ## pieces', () => {
    const enc = encode(uncased, 'Hello unaffable world!');
    expect(convertIdsToTokens(uncased, enc.inputIds)).toEqual(['[CLS]', 'hello', 'un', '##aff', '##able', 'world', '!', '[SEP]']);
    const words = convertIdsToTokens(uncased, Int32Array.from(enc.inputIds), true);
    expect(convertTokensToString(words)).toBe('hello unaffable world !');
    // HF's plain replace of " ##": a leading ## piece keeps its marks; a lone "##" token vanishes.
    expect(convertTokensToString(['##a', 'b', '##', '##c'])).toBe('##a bc');
    expect(convertTokensToString([])).toBe('');
    // Python's strip() removes U+001F but keeps U+FEFF, unlike JavaScript's trim().
    expect(convertTokensToString(['a', '\u001f'])).toBe('a');
    expect(convertTokensToString(['\ufeff'])).toBe('\ufeff');
  });
});

describe('performance', () => {
  it('tokenizes 10,000 short sentences well under a second', () => {
    const tok = createTokenizer(VOCAB_TEXT); // cold cache
    const pool = ['Hello', 'world', 'the', 'unaffable', 'café', 'déjà', 'vu', "don't", 'a', 'hi😀', '我爱', 'ΟΔΟΣ', '5€', '¿Qué?', 'x', 'y'];
    const sentences: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const words: string[] = [];
      for (let j = 0; j < 12; j++) words.push(pool[(i * 7 + j * 13 + ((i * j) % 5)) % pool.length] ?? '');
      sentences.push(words.join(' ') + (i % 3 === 0 ? '!' : '.') + ` w${i}`);
    }
    // CPU time of this process, so that other work on a busy machine does not count.
    const before = process.cpuUsage();
    let count = 0;
    for (const s of sentences) count += encode(tok, s).inputIds.length;
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    expect(count).toBeGreaterThan(10_000 * 14);
    expect(ms).toBeLessThan(750); // typically 100–300 ms
  });
});

// The independent Python implementation's outputs (see the fixture's own notes for how it was made).
const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/tokenizer/', import.meta.url));
const CASES = `${FIXTURE_DIR}cases.json`;

interface FixtureCase {
  name: string;
  text: string;
  text2: string | null;
  max_length: number | null;
  tokens: string[];
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
}
interface FixtureWordCase {
  words: string[];
  max_length: number | null;
  input_ids: number[];
  word_ids: (number | null)[];
}
interface Fixture {
  vocab: string;
  do_lower_case: boolean;
  cases: FixtureCase[];
  word_cases: FixtureWordCase[];
}

describe('fixture from an independent Python implementation', () => {
  it.skipIf(!existsSync(CASES))('matches fixtures/tokenizer/cases.json exactly', () => {
    const fixture = JSON.parse(readFileSync(CASES, 'utf8')) as Fixture;
    const tok = createTokenizer(readFileSync(`${FIXTURE_DIR}${fixture.vocab}`, 'utf8'), { doLowerCase: fixture.do_lower_case });
    expect(fixture.cases.length).toBeGreaterThan(0);
    for (const c of fixture.cases) {
      const label = `case ${c.name}: ${JSON.stringify(c.text)} / ${JSON.stringify(c.text2)}`;
      expect(tokenize(tok, c.text), label).toEqual(c.tokens);
      const options = c.max_length === null ? {} : { maxLength: c.max_length };
      expect(encode(tok, c.text, c.text2, options), label).toEqual({ inputIds: c.input_ids, tokenTypeIds: c.token_type_ids, attentionMask: c.attention_mask });
    }
    for (const w of fixture.word_cases) {
      const label = `words ${JSON.stringify(w.words)} max ${w.max_length}`;
      const enc = encodeWords(tok, w.words, w.max_length === null ? {} : { maxLength: w.max_length });
      expect(enc.inputIds, label).toEqual(w.input_ids);
      expect(enc.wordIds, label).toEqual(w.word_ids);
    }
  });
});
