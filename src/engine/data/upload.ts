// Bring your own data: an uploaded .csv, .tsv or .jsonl file becomes a sentence(-pair) classification
// task. Rows are read with Papa Parse (quotes, separators and newlines inside fields, CRLF), the
// header and the GLUE column layouts are recognised, labels may be strings or integers, and a dev
// split is cut deterministically when the file has none. Unusable rows are counted and reported.
// The reference brings papaparse.d.ts to every tsconfig that compiles this file (see that file for why).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./papaparse.d.ts" />
import Papa from 'papaparse/papaparse.js';
import { createRng } from '../random';
import { countLabels, TASK_SPLIT_SEED, type SentenceExample, type SequenceTask } from './task';

/** How to read an upload; every field is optional. Columns are named by header name or 0-based index. */
export interface UploadOptions {
  textColumn?: string | number;
  /** The second sentence of a pair; null says there is none. */
  text2Column?: string | number | null;
  labelColumn?: string | number;
  /** Whether the first row is a header; detected when absent. */
  header?: boolean;
  /** Fraction of the training rows moved to dev when the file gives no dev rows (default 0.1). */
  devFraction?: number;
  /** Seed of the dev split (default 1). */
  seed?: number;
  /** Largest file accepted, in UTF-8 bytes (default 50 MiB). */
  maxBytes?: number;
}

/** Rows that could not be used: how many, and the first few with their line and reason. */
export interface SkippedRows {
  count: number;
  first: { line: number; reason: string }[];
}

/** The columns found and the ones chosen (null: not chosen, or needs asking). */
export interface UploadColumns {
  format: 'csv' | 'tsv' | 'jsonl';
  header: boolean;
  names: string[];
  text: string | null;
  text2: string | null;
  label: string | null;
  /** A column of train/dev/test names, when the file has one. */
  split: string | null;
}

/** What a UI should ask when the columns cannot be told apart. */
export interface MappingQuestion {
  reason: string;
  textCandidates: string[];
  labelCandidates: string[];
}

/** The parsed task, or (task null) the question to ask before it can be built. */
export type UploadResult =
  | { task: SequenceTask; skipped: SkippedRows; columns: UploadColumns; notes: string[]; needsMapping?: undefined }
  | { task: null; skipped: SkippedRows; columns: UploadColumns; notes: string[]; needsMapping: MappingQuestion };

export const DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** How many skipped rows are listed with their line; the rest are only counted. */
const LISTED_SKIPS = 5;

// gold_label before label1…5 (MNLI: the annotators' labels are not the label); quality: MRPC; is_duplicate: QQP.
const LABEL_NAMES = ['label', 'labels', 'gold_label', 'is_duplicate', 'quality', 'class', 'category', 'target', 'sentiment', 'y'];
const PAIR_NAMES: [string, string | null][] = [
  ['sentence1', 'sentence2'], ['question', 'sentence'], ['question1', 'question2'], ['premise', 'hypothesis'], ['#1 string', '#2 string'],
  ['text_a', 'text_b'], ['text1', 'text2'], ['sentence', null], ['text', null], ['text_a', null], ['review', null], ['content', null], ['question', null],
];
// Id columns are never text or labels: GLUE's MRPC (#1 ID, #2 ID), QQP (qid1, qid2) and MNLI (promptID, pairID) have several.
const ID_NAMES = new Set(['id', 'idx', 'index', 'guid', 'pairid', 'pair_id', 'qid', 'qid1', 'qid2', '#1 id', '#2 id', 'promptid']);
/** MNLI's columns beside the sentences that are neither text nor the label: parses, the genre, the annotators' labels. */
const IGNORED_NAMES = /^(sentence[12]_(binary_)?parse|genre|label[1-5])$/;
/** CoLA's headerless layout: source, label (0/1), the original judgement (* or empty), sentence. */
const COLA_NAMES = ['source', 'label', 'original judgement', 'sentence'];
const COLA_JUDGEMENT = /^(\*|\?|\?\?|#)?$/;
const SPLIT_NAMES = new Set(['split', 'set', 'fold', 'partition']);
const SPLIT_VALUES: Record<string, 'train' | 'dev' | 'test'> = { train: 'train', training: 'train', dev: 'dev', development: 'dev', valid: 'dev', validation: 'dev', val: 'dev', test: 'test' };
const KNOWN_NAMES = new Set([...LABEL_NAMES, ...PAIR_NAMES.flatMap(([a, b]) => (b ? [a, b] : [a])), ...ID_NAMES, ...SPLIT_NAMES]);
const INTEGER = /^[+-]?\d+(\.0+)?$/;

interface Row {
  line: number;
  cells: unknown[];
}

const norm = (name: string) => name.trim().toLowerCase();
const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** UTF-8 length of a string, counting no further than `limit`. */
function utf8Bytes(text: string, limit: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if ((c & 0xfc00) === 0xd800 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { bytes += 4; i++; }
    else bytes += 3;
  }
  return bytes;
}

/**
 * Reads delimited text row by row, each row with the line it starts on; `delimiter` '' guesses it.
 * A quote error ends in an error, or for TSV in a re-read that takes quotes literally.
 */
function readDelimited(text: string, fileName: string, delimiter: string, notes: string[]): { rows: Row[]; delimiter: string } {
  const read = (quoteChar: string, delimiter: string) => {
    const rows: Row[] = [];
    const errors: { line: number; message: string }[] = [];
    let line = 1;
    let offset = 0;
    let used = delimiter;
    Papa.parse(text, {
      delimiter,
      delimitersToGuess: [',', '\t', ';', '|'],
      quoteChar,
      step: (result) => {
        const start = line;
        line += (text.slice(offset, result.meta.cursor).match(/\r\n|\r|\n/g) ?? []).length;
        offset = result.meta.cursor;
        used = result.meta.delimiter;
        for (const e of result.errors) if (e.type === 'Quotes') errors.push({ line: start, message: e.message });
        if (!(result.data.length === 1 && (result.data[0] ?? '').trim() === '')) rows.push({ line: start, cells: result.data });
      },
    });
    return { rows, errors, delimiter: used };
  };
  const quoted = read('"', delimiter);
  if (quoted.errors.length === 0) return quoted;
  const first = quoted.errors[0]!;
  if (quoted.delimiter === '\t') {
    // GLUE's TSV files are not quoted (Python reads them with QUOTE_NONE): a sentence may start with '"'.
    notes.push(`quotes were read as ordinary characters: with quoting, line ${first.line} fails (${first.message.toLowerCase()})`);
    return read('\u0000', '\t');
  }
  throw new Error(`${fileName}: line ${first.line}: ${first.message.toLowerCase()}: a quoted field must end with a quote before the next separator (double any quote inside it: "")`);
}

/** Reads JSON Lines: one object per non-empty line; the columns are the keys in order of first appearance. */
function readJsonLines(text: string, skip: (line: number, reason: string) => void): { names: string[]; rows: Row[] } {
  const names: string[] = [];
  const parsed: { line: number; record: Record<string, unknown> }[] = [];
  text.split(/\r\n|\r|\n/).forEach((source, i) => {
    if (source.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(source);
    } catch (error) {
      skip(i + 1, `not valid JSON (${(error as Error).message})`);
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      skip(i + 1, 'not a JSON object');
      return;
    }
    for (const key of Object.keys(record)) if (!names.includes(key)) names.push(key);
    parsed.push({ line: i + 1, record: record as Record<string, unknown> });
  });
  return { names, rows: parsed.map(({ line, record }) => ({ line, cells: names.map((n) => record[n]) })) };
}

/** Whether the first delimited row names the columns: known names, or a value no later row could have. */
function detectHeader(rows: Row[], labelLike: (j: number, from: number) => boolean): boolean {
  const first = rows[0]!.cells.map(String);
  if (first.some((c) => KNOWN_NAMES.has(norm(c)))) return true;
  if (rows.length < 2 || first.some((c) => c.length > 40)) return false;
  return first.some((cell, j) => {
    const rest = rows.slice(1).map((r) => r.cells[j]).filter((v) => !isBlank(v)).map(String);
    if (rest.length === 0 || cell.trim() === '') return false;
    // A column of integers under a word, or a label column whose first value never recurs.
    if (rest.every((v) => INTEGER.test(v.trim())) && !INTEGER.test(cell.trim())) return true;
    return labelLike(j, 1) && !rest.some((v) => v.trim() === cell.trim());
  });
}

/** Label names sorted deterministically (integers numerically, strings by code point) and each value's index. */
function labelIndex(values: string[]): { labels: string[]; index: Map<string, number> } {
  const integers = values.every((v) => INTEGER.test(v));
  const key = (v: string) => (integers ? String(Number(v)) : v);
  const labels = [...new Set(values.map(key))].sort(integers ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byName = new Map(labels.map((l, i) => [l, i]));
  return { labels, index: new Map(values.map((v) => [v, byName.get(key(v))!])) };
}

/** Moves a stratified, seeded fraction of each label's rows from train to dev (file order is kept in both). */
function cutDev(train: SentenceExample[], fraction: number, seed: number): { train: SentenceExample[]; dev: SentenceExample[] } {
  const rng = createRng(seed);
  const byLabel = new Map<number, number[]>();
  train.forEach((e, i) => {
    const rows = byLabel.get(e.label);
    if (rows) rows.push(i);
    else byLabel.set(e.label, [i]);
  });
  const toDev = new Set<number>();
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const rows = byLabel.get(label)!;
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    // Every label keeps at least one training row.
    rows.slice(0, Math.min(Math.round(rows.length * fraction), rows.length - 1)).forEach((i) => toDev.add(i));
  }
  return { train: train.filter((_, i) => !toDev.has(i)), dev: train.filter((_, i) => toDev.has(i)) };
}

/**
 * Parses an uploaded file into a classification task. Throws, naming the file (and the line when
 * there is one), for an empty, too large, unreadable or one-class file; returns `needsMapping`
 * with the candidate columns when it cannot tell which column is which.
 */
export function parseUpload(text: string, fileName: string, options: UploadOptions = {}): UploadResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const bytes = utf8Bytes(text, maxBytes);
  const limit = maxBytes >= 1048576 ? `${Math.round(maxBytes / 1048576)} MB` : `${Math.round(maxBytes / 1024)} KB`;
  if (bytes > maxBytes) throw new Error(`${fileName} is larger than ${limit}, too large to train on in the browser: take a sample of its rows`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark
  if (text.trim() === '') throw new Error(`${fileName} is empty`);
  const extension = /\.([a-z]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';
  const notes: string[] = [];
  const skipped: SkippedRows = { count: 0, first: [] };
  const skip = (line: number, reason: string) => {
    skipped.count += 1;
    if (skipped.first.length < LISTED_SKIPS) skipped.first.push({ line, reason });
  };

  // 1. Rows and column names.
  const jsonl = extension === 'jsonl' || extension === 'ndjson' || (extension !== 'csv' && extension !== 'tsv' && text.trimStart().startsWith('{'));
  let rows: Row[];
  let names: string[];
  let header: boolean;
  let format: UploadColumns['format'];
  if (extension === 'json' && text.trimStart().startsWith('[')) throw new Error(`${fileName}: a JSON array is not supported: write one JSON object per line (JSON Lines, .jsonl)`);
  if (jsonl) {
    ({ names, rows } = readJsonLines(text, skip));
    if (rows.length === 0) throw new Error(`${fileName}: no line is a JSON object${skipped.first[0] ? ` (line ${skipped.first[0].line}: ${skipped.first[0].reason})` : ''}`);
    header = true;
    format = 'jsonl';
  } else {
    const read = readDelimited(text, fileName, extension === 'tsv' ? '\t' : extension === 'csv' ? ',' : '', notes);
    rows = read.rows;
    if (rows.length === 0) throw new Error(`${fileName} has no rows`);
    format = read.delimiter === '\t' ? 'tsv' : 'csv';
    if (read.delimiter !== (format === 'tsv' ? '\t' : ',')) notes.push(`fields are separated by ${JSON.stringify(read.delimiter)}`);
    header = options.header ?? detectHeader(rows, (j, from) => isLabelLike(rows.slice(from).map((r) => r.cells[j])));
    const widths = new Map<number, number>();
    for (const r of rows.slice(header ? 1 : 0)) widths.set(r.cells.length, (widths.get(r.cells.length) ?? 0) + 1);
    const width = header ? rows[0]!.cells.length : [...widths].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
    names = header ? rows[0]!.cells.map((c, j) => String(c).trim() || `column ${j + 1}`) : Array.from({ length: width }, (_, j) => `column ${j + 1}`);
    if (!header && width === 4 && isColaLayout(rows)) {
      names = [...COLA_NAMES];
      notes.push("read as CoLA's headerless layout (source, label, original judgement, sentence)");
    }
    names = names.map((n, j) => (names.indexOf(n) < j ? `${n} (${j + 1})` : n));
    const body: Row[] = [];
    for (const r of rows.slice(header ? 1 : 0)) {
      // A separator after the last field leaves empty cells: harmless. Anything else is a broken row.
      const extra = r.cells.slice(width);
      if (r.cells.length < width) skip(r.line, `${r.cells.length} field${r.cells.length === 1 ? '' : 's'}, expected ${width}`);
      else if (extra.some((c) => !isBlank(c))) skip(r.line, `${r.cells.length} fields, expected ${width} (an unquoted ${format === 'tsv' ? 'tab' : 'comma'} inside a text?)`);
      else body.push({ line: r.line, cells: r.cells.slice(0, width) });
    }
    rows = body;
  }
  if (names.length < 2) throw new Error(`${fileName}: found ${names.length} column; a task needs a text column and a label column (is the separator right?)`);
  if (rows.length === 0) throw new Error(`${fileName} has no data rows${skipped.count > 0 ? ` (${skipped.count} unusable; line ${skipped.first[0]!.line}: ${skipped.first[0]!.reason})` : ''}`);

  // 2. Which column is which: explicit options, then GLUE names, then content.
  const column = (ref: string | number, what: string): number => {
    const j = typeof ref === 'number' ? ref : names.indexOf(ref);
    if (!(Number.isInteger(j) && j >= 0 && j < names.length)) throw new Error(`${fileName}: there is no column ${JSON.stringify(ref)} for the ${what} (columns: ${names.join(', ')})`);
    return j;
  };
  const lowered = names.map(norm);
  const byName = (name: string) => lowered.indexOf(name);
  const splitCol = lowered.findIndex((n) => SPLIT_NAMES.has(n));
  // Ids, the split column and columns with no value at all (a separator at every line's end) are never text or labels.
  const ignored = new Set(lowered.flatMap((n, j) => (ID_NAMES.has(n) || IGNORED_NAMES.test(n) || j === splitCol || rows.every((r) => isBlank(r.cells[j])) ? [j] : [])));
  if (names.join('\u0000') === COLA_NAMES.join('\u0000')) [0, 2].forEach((j) => ignored.add(j));
  const labelLike = lowered.map((_, j) => !ignored.has(j) && isLabelLike(rows.map((r) => r.cells[j])));
  let label = options.labelColumn !== undefined ? column(options.labelColumn, 'label') : LABEL_NAMES.map(byName).find((j) => j >= 0) ?? -1;
  if (label < 0) {
    const candidates = labelLike.flatMap((l, j) => (l ? [j] : []));
    if (candidates.length === 1) label = candidates[0]!;
  }
  let textCol = options.textColumn !== undefined ? column(options.textColumn, 'text') : -1;
  let text2Col = options.text2Column !== undefined && options.text2Column !== null ? column(options.text2Column, 'second text') : -1;
  if (textCol < 0 && header) {
    const pair = PAIR_NAMES.find(([a, b]) => byName(a) >= 0 && byName(a) !== label && (b === null || byName(b) >= 0));
    if (pair) [textCol, text2Col] = [byName(pair[0]), pair[1] === null || options.text2Column === null ? text2Col : byName(pair[1])];
  }
  const texty = names.flatMap((_, j) => (j !== label && !ignored.has(j) && !labelLike[j] ? [j] : []));
  if (textCol < 0 && label >= 0 && texty.length >= 1 && texty.length <= 2) {
    // Sentence pairs keep the file's order, as in GLUE (sentence1, sentence2).
    textCol = texty[0]!;
    if (texty.length === 2 && options.text2Column === undefined) text2Col = texty[1]!;
  }
  const columns: UploadColumns = { format, header, names, text: names[textCol] ?? null, text2: names[text2Col] ?? null, label: names[label] ?? null, split: names[splitCol] ?? null };
  if (label < 0 || textCol < 0) {
    const reason = label < 0 ? 'no column, or more than one, looks like the labels' : 'no column, or more than two, looks like the text';
    const textCandidates = names.filter((_, j) => !ignored.has(j) && j !== label);
    const labelCandidates = names.filter((_, j) => labelLike[j]);
    return { task: null, skipped, columns, notes, needsMapping: { reason: `${fileName}: ${reason}: choose the columns`, textCandidates, labelCandidates } };
  }
  if (new Set([label, textCol, text2Col].filter((j) => j >= 0)).size !== (text2Col >= 0 ? 3 : 2)) throw new Error(`${fileName}: the text, second text and label must be different columns`);

  // 3. Examples, labels and splits.
  const kept: { line: number; text: string; text2: string | null; label: string; split: 'train' | 'dev' | 'test' }[] = [];
  for (const r of rows) {
    const cell = (j: number, what: string): string | Error => {
      const v = r.cells[j];
      if (isBlank(v)) return new Error(`empty ${what} (column ${names[j]})`);
      if (typeof v === 'object' || typeof v === 'function') return new Error(`the ${what} (column ${names[j]}) is not text or a number`);
      return String(v).trim();
    };
    const values = [cell(textCol, 'text'), text2Col >= 0 ? cell(text2Col, 'second text') : null, cell(label, 'label')];
    const split = splitCol >= 0 ? SPLIT_VALUES[norm(String(r.cells[splitCol] ?? ''))] : 'train';
    const problem = values.find((v): v is Error => v instanceof Error);
    if (problem) skip(r.line, problem.message);
    else if (!split) skip(r.line, `unknown split ${JSON.stringify(r.cells[splitCol])} (use train, dev or test)`);
    else kept.push({ line: r.line, text: values[0] as string, text2: values[1] as string | null, label: values[2] as string, split });
  }
  if (kept.length === 0) throw new Error(`${fileName}: no row is usable (${skipped.count} skipped; line ${skipped.first[0]?.line}: ${skipped.first[0]?.reason})`);
  const { labels, index } = labelIndex(kept.map((k) => k.label));
  if (labels.length < 2) throw new Error(`${fileName}: every usable row has the label ${JSON.stringify(labels[0])}: a classifier needs at least two classes`);
  const examples = (split: string) => kept.filter((k) => k.split === split).map((k) => ({ text: k.text, text2: k.text2, label: index.get(k.label)! }));
  let train = examples('train');
  let dev = examples('dev');
  const test = examples('test');
  if (train.length === 0) throw new Error(`${fileName}: no row is in the train split (column ${columns.split})`);
  const devFraction = options.devFraction ?? 0.1;
  const seed = options.seed ?? TASK_SPLIT_SEED;
  const devGiven = dev.length > 0;
  if (!devGiven) {
    if (!(devFraction > 0 && devFraction < 1)) throw new Error(`devFraction must be between 0 and 1, got ${devFraction}`);
    ({ train, dev } = cutDev(train, devFraction, seed));
    if (dev.length === 0) notes.push('the dev split is empty: too few rows per label to hold any out');
  }
  if (skipped.count > 0) notes.push(`${skipped.count} row${skipped.count === 1 ? ' was' : 's were'} skipped`);
  const name = fileName.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '') || 'upload';
  const task: SequenceTask = { name, kind: 'sequence', labels, train, dev, test };
  task.card = {
    title: name,
    description: `Uploaded ${text2Col >= 0 ? 'sentence-pair' : 'single-sentence'} classification task from ${fileName}.`,
    source: fileName,
    licence: 'as given by whoever supplied the file',
    preparation: [
      `columns: text = ${columns.text}${columns.text2 ? `, second text = ${columns.text2}` : ''}, label = ${columns.label}${columns.split ? `, split = ${columns.split}` : ''}`,
      `labels sorted ${labels.every((l) => INTEGER.test(l)) ? 'numerically' : 'by code point'}: ${labels.join(', ')}`,
      `${skipped.count} unusable row${skipped.count === 1 ? '' : 's'} skipped`,
    ],
    splits: devGiven ? `as given in column ${columns.split}` : `dev: ${Math.round(devFraction * 100)}% of each label's training rows, chosen with seed ${seed}`,
    pretrainingOverlap: 'unknown',
    sizes: { train: train.length, dev: dev.length, test: test.length },
    labelCounts: countLabels(task),
  };
  return { task, skipped, columns, notes };
}

/** Whether a column's values look like class labels: short, and few distinct values for the rows. */
function isLabelLike(values: unknown[]): boolean {
  const present = values.filter((v) => !isBlank(v));
  if (present.length === 0 || present.some((v) => typeof v === 'object' || String(v).length > 40)) return false;
  const distinct = new Set(present.map((v) => String(v).trim())).size;
  return distinct <= Math.max(2, Math.min(100, present.length / 2));
}

/** Whether headerless rows have CoLA's four columns: a short source code, a 0/1 label, a judgement mark, a sentence. */
function isColaLayout(rows: Row[]): boolean {
  const sample = rows.slice(0, 200).filter((r) => r.cells.length === 4);
  return sample.length > 0 && sample.every((r) => {
    const [source, label, judgement, sentence] = r.cells.map((c) => String(c ?? '').trim());
    return /^[a-z0-9_-]{1,12}$/i.test(source!) && (label === '0' || label === '1') && COLA_JUDGEMENT.test(judgement!) && sentence!.length > 0;
  });
}
