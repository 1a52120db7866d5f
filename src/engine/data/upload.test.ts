// Checks that awkward uploads parse (quotes, separators and newlines inside fields, CRLF, a BOM,
// trailing empty lines, GLUE layouts, JSON Lines), that unusable rows are reported with their line,
// that bad files fail with a clear message, and that the dev split is deterministic.
import { describe, expect, it } from 'vitest';
import { parseUpload, type UploadResult } from './upload';

/** The result's task, failing the test if the upload asked for a column mapping instead. */
function taskOf(result: UploadResult) {
  if (result.task === null) throw new Error(`expected a task, got a mapping question: ${result.needsMapping.reason}`);
  return result.task;
}
const all = (r: UploadResult) => {
  const t = taskOf(r);
  return [...t.train, ...t.dev, ...t.test];
};

/** n rows of `sentence,label` with alternating labels. */
const rows = (n: number, labels = ['neg', 'pos']) => Array.from({ length: n }, (_, i) => `sentence number ${i},${labels[i % labels.length]}`);

describe('parseUpload: CSV robustness', () => {
  it('reads quoted fields holding commas, doubled quotes and newlines, and reports lines correctly after them', () => {
    const text = [
      'sentence,label',
      '"a film, in short",pos', // line 2
      '"she said ""no"" twice",neg', // line 3
      '"first line', // line 4 (the field runs on to line 5)
      'second line",pos',
      ',neg', // line 6: empty text
      'fine again,pos', // line 7
      'also fine,neg',
    ].join('\n');
    const r = parseUpload(text, 'quotes.csv', { devFraction: 0.01 });
    const texts = all(r).map((e) => e.text);
    expect(texts).toContain('a film, in short');
    expect(texts).toContain('she said "no" twice');
    expect(texts).toContain('first line\nsecond line');
    expect(r.skipped).toEqual({ count: 1, first: [{ line: 6, reason: 'empty text (column sentence)' }] });
    expect(r.columns).toMatchObject({ format: 'csv', header: true, text: 'sentence', text2: null, label: 'label' });
  });

  it('takes CRLF line ends, a UTF-8 byte-order mark and trailing empty lines in its stride', () => {
    const text = '\ufeffsentence,label\r\n' + rows(10).join('\r\n') + '\r\n\r\n\r\n';
    const r = parseUpload(text, 'crlf.csv');
    expect(r.columns.names).toEqual(['sentence', 'label']); // not '\ufeffsentence'
    expect(all(r)).toHaveLength(10);
    expect(all(r).every((e) => !e.text.includes('\r'))).toBe(true);
    expect(r.skipped.count).toBe(0);
  });

  it('reports rows with too few or too many fields, counting all and listing the first five', () => {
    const lines = ['sentence,label', ...rows(6), 'no label here', 'a,b,c', ...Array.from({ length: 5 }, () => 'lonely'), 'last,pos'];
    const r = parseUpload(lines.join('\n'), 'broken.csv');
    expect(r.skipped.count).toBe(7);
    expect(r.skipped.first).toEqual([
      { line: 8, reason: '1 field, expected 2' },
      { line: 9, reason: '3 fields, expected 2 (an unquoted comma inside a text?)' },
      { line: 10, reason: '1 field, expected 2' },
      { line: 11, reason: '1 field, expected 2' },
      { line: 12, reason: '1 field, expected 2' },
    ]);
    expect(all(r)).toHaveLength(7);
    expect(r.notes).toContain('7 rows were skipped');
  });

  it('accepts a separator after the last field (empty extra cells)', () => {
    const r = parseUpload('sentence,label,\n' + rows(4).map((l) => l + ',').join('\n'), 'trailing.csv');
    expect(r.skipped.count).toBe(0);
    expect(all(r)).toHaveLength(4);
    const headerless = parseUpload(rows(6).map((l) => l + ',').join('\n'), 'trailing.csv');
    expect(headerless.columns).toMatchObject({ header: false, text: 'column 1', text2: null, label: 'column 2' });
    expect(all(headerless)).toHaveLength(6);
  });

  it('fails on a quote that is never closed, naming the file and the line', () => {
    expect(() => parseUpload('sentence,label\nok,pos\n"never closed,neg\nmore,pos\n', 'open.csv')).toThrow(/^open\.csv: line 3: quoted field unterminated/);
  });
});

describe('parseUpload: layouts and headers', () => {
  it('reads GLUE sentence pairs from TSV (sentence1, sentence2, label)', () => {
    const text = 'sentence1\tsentence2\tlabel\n' + Array.from({ length: 6 }, (_, i) => `first ${i}\tsecond ${i}\t${i % 2}`).join('\n');
    const r = parseUpload(text, 'mrpc.tsv');
    expect(r.columns).toMatchObject({ format: 'tsv', text: 'sentence1', text2: 'sentence2', label: 'label' });
    const t = taskOf(r);
    expect(t.labels).toEqual(['0', '1']);
    expect(all(r).find((e) => e.text === 'first 3')).toEqual({ text: 'first 3', text2: 'second 3', label: 1 });
  });

  it('reads the QNLI layout (question, sentence, label) with string labels sorted by code point', () => {
    const text = 'index\tquestion\tsentence\tlabel\n' + Array.from({ length: 6 }, (_, i) => `${i}\tq${i}?\ts${i}.\t${i % 2 ? 'not_entailment' : 'entailment'}`).join('\n');
    const r = parseUpload(text, 'qnli.tsv');
    expect(r.columns).toMatchObject({ text: 'question', text2: 'sentence', label: 'label' });
    expect(taskOf(r).labels).toEqual(['entailment', 'not_entailment']);
  });

  // GLUE's own files, in their own layouts (a few rows each, copied in shape from the GLUE downloads).
  it("reads CoLA's headerless four columns (source, label, original judgement, sentence) without column flags", () => {
    const rows = [['gj04', 1, '', "Our friends won't buy this analysis, let alone the next one we propose."], ['gj04', 0, '*', 'They drank the pub.'], ['clc95', 1, '', 'The sailors rode the breeze clear of the rocks.'], ['bc01', 0, '*', 'Harry coughed us into a fit.'], ['ks08', 1, '', 'He left.'], ['c-05', 0, '*', 'Who did you see him?']];
    const r = parseUpload(rows.map((row) => row.join('\t')).join('\n') + '\n', 'in_domain_train.tsv');
    expect(r.columns).toMatchObject({ header: false, text: 'sentence', text2: null, label: 'label' });
    expect(r.notes).toContain("read as CoLA's headerless layout (source, label, original judgement, sentence)");
    expect(taskOf(r).labels).toEqual(['0', '1']);
    expect(all(r).find((e) => e.text === 'They drank the pub.')).toEqual({ text: 'They drank the pub.', text2: null, label: 0 });
    expect(r.skipped.count).toBe(0);
  });

  it("reads MRPC's Quality / #1 ID / #2 ID / #1 String / #2 String layout", () => {
    const text = '\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n' + Array.from({ length: 6 }, (_, i) => `${i % 2}\t${702876 + i}\t${702977 + i}\tAmrozi accused his brother ${i} .\tReferring to him as only " the witness " , ${i}`).join('\n');
    const r = parseUpload(text, 'msr_paraphrase_train.txt');
    expect(r.columns).toMatchObject({ text: '#1 String', text2: '#2 String', label: 'Quality' });
    expect(all(r).find((e) => e.text === 'Amrozi accused his brother 3 .')).toEqual({ text: 'Amrozi accused his brother 3 .', text2: 'Referring to him as only " the witness " , 3', label: 1 });
  });

  it("reads QQP's id / qid1 / qid2 / question1 / question2 / is_duplicate layout (ids are not labels)", () => {
    const text = 'id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n' + Array.from({ length: 8 }, (_, i) => `${133273 + i}\t${i % 3}\t${(i + 1) % 3}\tHow is the life of a math student ${i}?\tWhich level of prepration is enough ${i}?\t${i % 2}`).join('\n');
    const r = parseUpload(text, 'qqp-train.tsv');
    expect(r.columns).toMatchObject({ text: 'question1', text2: 'question2', label: 'is_duplicate' });
    expect(taskOf(r).labels).toEqual(['0', '1']);
  });

  it("reads MNLI with gold_label (not label1…label5), sentence1 and sentence2 (not their parses)", () => {
    const head = ['index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse', 'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2', 'label1', 'gold_label'];
    const gold = ['neutral', 'entailment', 'contradiction'];
    const rows = Array.from({ length: 9 }, (_, i) => [i, 31193 + i, `${31193 + i}n`, 'government', `( ( Conceptually cream ) ${i} )`, '( ( Product ) )', '(ROOT (S (NP (JJ Conceptually))))', '(ROOT (S))', `Conceptually cream skimming ${i}.`, `Product and geography ${i}.`, gold[(i + 1) % 3], gold[i % 3]]);
    const r = parseUpload([head, ...rows].map((row) => row.join('\t')).join('\n'), 'dev_matched.tsv');
    expect(r.columns).toMatchObject({ text: 'sentence1', text2: 'sentence2', label: 'gold_label' });
    expect(taskOf(r).labels).toEqual(['contradiction', 'entailment', 'neutral']);
    expect(all(r).find((e) => e.text === 'Conceptually cream skimming 1.')!.label).toBe(1); // entailment
  });

  it("reads Hugging Face datasets' CSV exports (to_csv: the columns, then the idx column, which is not a label)", () => {
    const sst2 = parseUpload(['sentence,label,idx', ...Array.from({ length: 40 }, (_, i) => `"sentence number ${i}, quoted",${i % 2},${i}`)].join('\n') + '\n', 'sst2-train.csv');
    expect(sst2.columns).toMatchObject({ format: 'csv', header: true, text: 'sentence', text2: null, label: 'label' });
    expect(taskOf(sst2).labels).toEqual(['0', '1']);
    const mnli = parseUpload(['premise,hypothesis,label,idx', ...Array.from({ length: 40 }, (_, i) => `premise ${i},hypothesis ${i},${i % 3},${i}`)].join('\n') + '\n', 'mnli-train.csv');
    expect(mnli.columns).toMatchObject({ text: 'premise', text2: 'hypothesis', label: 'label' });
    expect(taskOf(mnli).labels).toEqual(['0', '1', '2']);
  });

  it("reads RTE's index / sentence1 / sentence2 / label layout", () => {
    const text = 'index\tsentence1\tsentence2\tlabel\n' + Array.from({ length: 6 }, (_, i) => `${i}\tDana Reeve ${i} died.\tChristopher Reeve had an accident.\t${i % 2 ? 'not_entailment' : 'entailment'}`).join('\n');
    const r = parseUpload(text, 'rte-train.tsv');
    expect(r.columns).toMatchObject({ text: 'sentence1', text2: 'sentence2', label: 'label' });
  });

  it('takes GLUE TSV quotes literally when quoting would break a row', () => {
    const text = 'sentence\tlabel\n" well " , it works\t1\nplain\t0\n"another" one\t1\nlast\t0\n';
    const r = parseUpload(text, 'sst.tsv');
    expect(all(r).map((e) => e.text)).toContain('" well " , it works');
    expect(r.notes.some((n) => n.startsWith('quotes were read as ordinary characters'))).toBe(true);
  });

  it('finds no header in a headerless file with integer labels, and sorts integer labels numerically', () => {
    const text = ['good film,10', 'bad film,2', 'okay film,1', 'great film,10', 'poor film,2', 'meh film,1'].join('\n');
    const r = parseUpload(text, 'numbers.csv');
    expect(r.columns).toMatchObject({ header: false, names: ['column 1', 'column 2'], text: 'column 1', label: 'column 2' });
    expect(taskOf(r).labels).toEqual(['1', '2', '10']);
    expect(all(r)).toHaveLength(6);
  });

  it('finds a header of unknown names when its label cell never recurs (or is a word over integers)', () => {
    const words = parseUpload('comment,verdict\n' + rows(6, ['good', 'bad']).join('\n'), 'words.csv');
    expect(words.columns).toMatchObject({ header: true, text: 'comment', label: 'verdict' });
    const ints = parseUpload('comment,score\n' + rows(6, ['0', '1']).join('\n'), 'ints.csv');
    expect(ints.columns).toMatchObject({ header: true, text: 'comment', label: 'score' });
    // The first row's label recurs: it is data.
    const data = parseUpload(rows(6).join('\n'), 'data.csv');
    expect(data.columns.header).toBe(false);
    expect(all(data)).toHaveLength(6);
  });

  it('guesses the separator of other extensions from the content', () => {
    const r = parseUpload('sentence;label\n' + rows(4).map((l) => l.replace(',', ';')).join('\n'), 'data.txt');
    expect(r.columns).toMatchObject({ text: 'sentence', label: 'label' });
    expect(r.notes).toContain('fields are separated by ";"');
  });

  it('asks which column is which when it cannot tell, and accepts the answer as options', () => {
    // Two short low-cardinality columns and two texts: which is the label?
    const lines = Array.from({ length: 8 }, (_, i) => `src${i % 3},${i % 2},text a ${i},text b ${i}`);
    const r = parseUpload(lines.join('\n'), 'cola_raw.csv');
    expect(r.task).toBeNull();
    expect(r.needsMapping).toMatchObject({ labelCandidates: ['column 1', 'column 2'] });
    expect(r.needsMapping?.reason).toMatch(/^cola_raw\.csv: /);
    const answered = parseUpload(lines.join('\n'), 'cola_raw.csv', { labelColumn: 1, textColumn: 'column 3', text2Column: null });
    expect(answered.columns).toMatchObject({ text: 'column 3', text2: null, label: 'column 2' });
    expect(taskOf(answered).labels).toEqual(['0', '1']);
    expect(() => parseUpload(lines.join('\n'), 'cola_raw.csv', { labelColumn: 'nope' })).toThrow(/cola_raw\.csv: there is no column "nope" for the label/);
  });
});

describe('parseUpload: JSON Lines', () => {
  it('reads objects by key, with integer labels, and reports bad lines', () => {
    const lines = [
      '{"sentence": "one", "label": 0, "idx": 0}',
      '{"sentence": "two", "label": 1, "idx": 1}',
      'not json',
      '[1, 2]',
      '',
      '{"sentence": "three", "idx": 5}',
      '{"sentence": {"nested": true}, "label": 1}',
      '{"sentence": "four", "label": 1}',
      '{"sentence": "five", "label": 0}',
    ];
    const r = parseUpload(lines.join('\n') + '\n', 'glue.jsonl');
    expect(r.columns).toMatchObject({ format: 'jsonl', header: true, text: 'sentence', label: 'label' });
    expect(all(r).map((e) => e.text).sort()).toEqual(['five', 'four', 'one', 'two']);
    expect(r.skipped.count).toBe(4);
    expect(r.skipped.first.map((s) => s.line)).toEqual([3, 4, 6, 7]);
    expect(r.skipped.first[0]!.reason).toMatch(/^not valid JSON/);
    expect(r.skipped.first[1]!.reason).toBe('not a JSON object');
    expect(r.skipped.first[2]!.reason).toBe('empty label (column label)');
    expect(r.skipped.first[3]!.reason).toBe('the text (column sentence) is not text or a number');
  });

  it('refuses a JSON array with a hint', () => {
    expect(() => parseUpload('[{"sentence": "a", "label": 0}]', 'data.json')).toThrow(/data\.json: a JSON array is not supported/);
  });
});

describe('parseUpload: files it refuses', () => {
  it('refuses an empty file, a header alone, and a file without a second column', () => {
    expect(() => parseUpload('', 'empty.csv')).toThrow('empty.csv is empty');
    expect(() => parseUpload('\ufeff\r\n\r\n', 'blank.csv')).toThrow('blank.csv is empty');
    expect(() => parseUpload('sentence,label\n', 'header.csv')).toThrow('header.csv has no data rows');
    expect(() => parseUpload('just text\nmore text\n', 'one.csv')).toThrow(/one\.csv: found 1 column/);
  });

  it('refuses a file with one class', () => {
    expect(() => parseUpload('sentence,label\n' + rows(5, ['pos']).join('\n'), 'same.csv')).toThrow('same.csv: every usable row has the label "pos": a classifier needs at least two classes');
  });

  it('refuses a file too large for the browser', () => {
    const text = 'sentence,label\n' + rows(100).join('\n');
    expect(() => parseUpload(text, 'big.csv', { maxBytes: 1024 })).toThrow('big.csv is larger than 1 KB, too large to train on in the browser: take a sample of its rows');
    expect(() => parseUpload(text, 'big.csv', { maxBytes: 1024 * 1024 })).not.toThrow();
  });
});

describe('parseUpload: splits', () => {
  const text = 'sentence,label\n' + rows(200, ['a', 'b', 'c', 'c']).join('\n');

  it('cuts a stratified dev split of the asked fraction, the same for the same seed', () => {
    const one = taskOf(parseUpload(text, 'split.csv', { seed: 7 }));
    const again = taskOf(parseUpload(text, 'split.csv', { seed: 7 }));
    const other = taskOf(parseUpload(text, 'split.csv', { seed: 8 }));
    expect(again.dev).toEqual(one.dev);
    expect(again.train).toEqual(one.train);
    expect(other.dev).not.toEqual(one.dev);
    // 50 a, 50 b, 100 c → 5, 5 and 10 in dev.
    expect(one.card!.labelCounts.dev).toEqual([5, 5, 10]);
    expect(one.card!.labelCounts.train).toEqual([45, 45, 90]);
    expect(one.test).toEqual([]);
    const devTexts = new Set(one.dev.map((e) => e.text));
    expect(one.train.some((e) => devTexts.has(e.text))).toBe(false);
    // round(50 · 0.25) = 13 (twice) and 100 · 0.25 = 25.
    expect(taskOf(parseUpload(text, 'split.csv', { devFraction: 0.25 })).dev).toHaveLength(13 + 13 + 25);
  });

  it('keeps the splits a split column gives, and reports unknown split names', () => {
    const given = ['sentence,label,split', 'a,x,train', 'b,y,train', 'c,x,dev', 'd,y,validation', 'e,x,test', 'f,y,holdout'].join('\n');
    const r = parseUpload(given, 'given.csv');
    const t = taskOf(r);
    expect([t.train.length, t.dev.length, t.test.length]).toEqual([2, 2, 1]);
    expect(r.columns.split).toBe('split');
    expect(r.skipped.first).toEqual([{ line: 7, reason: 'unknown split "holdout" (use train, dev or test)' }]);
    expect(t.card!.splits).toBe('as given in column split');
  });
});
