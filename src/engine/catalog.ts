// The names the page shares with the engine, the worker and the CLI: the compute backends, the
// built-in tasks and a model folder's files. Plain data with no tfjs, so the page imports it (as it
// imports settings.ts) instead of keeping copies.
import type { Task } from './data/task';

/** Backends the engine can run on, in order of preference for `auto`. */
export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];
export type BackendPreference = BackendName | 'auto';
/** What a user may ask for (the page's picker and its `?backend=`), `auto` first. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', ...BACKEND_ORDER];

/** The tasks that come with the app, in the order a UI lists them. */
export const BUILTIN_TASKS = ['toy', 'spam', 'genre', 'pos'] as const;
export type BuiltinTaskName = (typeof BUILTIN_TASKS)[number];

/**
 * What a UI shows before loading a built-in task; `file` is relative to the site root (null: generated
 * in code); `trainExamples`: the size of its train split (grids given in epochs plan their steps from
 * it before any task is loaded; tasks.test.ts checks it against the loaded task).
 */
export const BUILTIN_TASK_INFO: Record<BuiltinTaskName, { title: string; kind: Task['kind']; file: string | null; trainExamples: number }> = {
  toy: { title: 'Toy sentiment (templates)', kind: 'sequence', file: null, trainExamples: 256 },
  spam: { title: 'Spam (SpamAssassin)', kind: 'sequence', file: 'tasks/spam.json', trainExamples: 3485 },
  genre: { title: 'Genre (Brown corpus)', kind: 'sequence', file: 'tasks/genre.json', trainExamples: 3599 },
  pos: { title: 'POS tagging (Brown corpus)', kind: 'token', file: 'tasks/pos.json', trainExamples: 4800 },
};

/**
 * The files of a model folder, by their Hugging Face names: config and weights, and the tokenizer's
 * (tokenizer.json when present; else vocab.txt for WordPiece, vocab.json + merges.txt for byte-level BPE).
 */
export const MODEL_FILES = {
  config: 'config.json',
  weights: 'model.safetensors',
  vocab: 'vocab.txt',
  tokenizerConfig: 'tokenizer_config.json',
  specialTokensMap: 'special_tokens_map.json',
  tokenizerJson: 'tokenizer.json',
  bpeVocab: 'vocab.json',
  merges: 'merges.txt',
} as const;
