// The built-in tasks and their file format. The corpus tasks (spam, genre, pos) are built offline by
// scripts/build-tasks.ts into public/tasks/<name>.json; this file names them, reads and checks such a
// file (with errors that name the file and the place), and writes one in the same layout.
import { BUILTIN_TASK_INFO, type BuiltinTaskName } from '../catalog';
import { toyTask } from './toy';
import { TASK_SPLIT_SEED, type SentenceExample, type SplitName, type TaggedSentence, type Task, type TaskCard } from './task';

export { BUILTIN_TASK_INFO, BUILTIN_TASKS, type BuiltinTaskName } from '../catalog';

/** The `format` and `version` fields every task file starts with. */
export const TASK_FILE_FORMAT = 'sparseadapter-task';
export const TASK_FILE_VERSION = 1;

const SPLITS: readonly SplitName[] = ['train', 'dev', 'test'];

/** Loads a built-in task; `readText` fetches a path relative to the site root (the engine has no fetch of its own). */
export async function loadBuiltinTask(name: BuiltinTaskName, readText: (path: string) => Promise<string>, seed = TASK_SPLIT_SEED): Promise<Task> {
  const file = BUILTIN_TASK_INFO[name].file;
  if (file === null) return toyTask(seed);
  return parseTaskFile(await readText(file), file);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLabel = (v: unknown, count: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < count;

function checkCard(card: unknown, fail: (where: string, problem: string) => never): TaskCard {
  if (!isObject(card)) fail('card', 'is not an object');
  for (const key of ['title', 'description', 'source', 'licence', 'splits', 'pretrainingOverlap'] as const) {
    if (typeof card[key] !== 'string') fail(`card.${key}`, 'is missing or not a string');
  }
  if (!Array.isArray(card.preparation) || !card.preparation.every((p) => typeof p === 'string')) fail('card.preparation', 'is not a list of strings');
  if (!isObject(card.sizes) || !isObject(card.labelCounts)) fail('card', 'lacks sizes or labelCounts');
  return card as unknown as TaskCard;
}

/**
 * Reads and checks a task file (the JSON that scripts/build-tasks.ts writes): format and version,
 * labels, every example of every split, and the card's sizes against the splits. Errors name the
 * file and the place, e.g. `pos.json: train[12].tags[3] is 14, not a label index (0..11)`.
 */
export function parseTaskFile(text: string, fileName: string): Task {
  const fail = (where: string, problem: string): never => {
    throw new Error(`${fileName}: ${where} ${problem}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new Error(`${fileName}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!isObject(json)) return fail('the file', 'is not a JSON object');
  if (json.format !== TASK_FILE_FORMAT) fail('format', `is ${JSON.stringify(json.format)}, expected "${TASK_FILE_FORMAT}" (is this a task file?)`);
  if (json.version !== TASK_FILE_VERSION) fail('version', `is ${JSON.stringify(json.version)}; this app reads version ${TASK_FILE_VERSION}`);
  if (typeof json.name !== 'string' || json.name === '') fail('name', 'is missing');
  if (json.kind !== 'sequence' && json.kind !== 'token') fail('kind', `is ${JSON.stringify(json.kind)}, expected "sequence" or "token"`);
  const labels = json.labels;
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) return fail('labels', 'must be a list of at least two names');
  if (new Set(labels).size !== labels.length) fail('labels', 'has a name twice');
  const n = labels.length;
  const splits = {} as Record<SplitName, unknown[]>;
  for (const split of SPLITS) {
    const examples = json[split];
    if (!Array.isArray(examples)) return fail(split, 'is missing or not a list');
    examples.forEach((e: unknown, i) => {
      const at = `${split}[${i}]`;
      if (!isObject(e)) return fail(at, 'is not an object');
      if (json.kind === 'sequence') {
        if (typeof e.text !== 'string' || e.text.trim() === '') fail(`${at}.text`, 'is missing or empty');
        if (e.text2 !== null && typeof e.text2 !== 'string') fail(`${at}.text2`, 'must be a string or null');
        if (!isLabel(e.label, n)) fail(`${at}.label`, `is ${JSON.stringify(e.label)}, not a label index (0..${n - 1})`);
      } else {
        const { words, tags } = e;
        if (!Array.isArray(words) || words.length === 0 || !words.every((w) => typeof w === 'string' && w !== '')) return fail(`${at}.words`, 'must be a non-empty list of non-empty strings');
        if (!Array.isArray(tags) || tags.length !== words.length) return fail(`${at}.tags`, `must have one tag per word (${words.length})`);
        const bad = tags.findIndex((t) => !isLabel(t, n));
        if (bad >= 0) fail(`${at}.tags[${bad}]`, `is ${JSON.stringify(tags[bad])}, not a label index (0..${n - 1})`);
      }
    });
    splits[split] = examples;
  }
  if (splits.train.length === 0) fail('train', 'is empty');
  const base = { name: json.name as string, labels: labels as string[] };
  const task: Task = json.kind === 'token'
    ? { ...base, kind: 'token', train: splits.train as TaggedSentence[], dev: splits.dev as TaggedSentence[], test: splits.test as TaggedSentence[] }
    : { ...base, kind: 'sequence', train: splits.train as SentenceExample[], dev: splits.dev as SentenceExample[], test: splits.test as SentenceExample[] };
  if (json.card !== undefined) {
    const card = checkCard(json.card, fail);
    for (const split of SPLITS) {
      if (card.sizes[split] !== task[split].length) fail(`card.sizes.${split}`, `is ${card.sizes[split]} but the split has ${task[split].length} examples`);
    }
    task.card = card;
  }
  return task;
}

/**
 * Writes a task in the file format `parseTaskFile` reads: the header fields and the card first, then
 * one example per line, so that the file is diffable and a reader sees the card at the top.
 */
export function serializeTask(task: Task): string {
  const head = { format: TASK_FILE_FORMAT, version: TASK_FILE_VERSION, name: task.name, kind: task.kind, labels: task.labels, ...(task.card && { card: task.card }) };
  const lines = [JSON.stringify(head, null, 1).replace(/\n}$/, ',')];
  SPLITS.forEach((split, s) => {
    const examples = task[split] as readonly unknown[];
    const body = examples.map((e, i) => JSON.stringify(e) + (i < examples.length - 1 ? ',' : '')).join('\n');
    lines.push(`"${split}": [${examples.length > 0 ? `\n${body}\n` : ''}]${s < SPLITS.length - 1 ? ',' : ''}`);
  });
  return lines.join('\n') + '\n}\n';
}
