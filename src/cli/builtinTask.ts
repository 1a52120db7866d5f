// The built-in tasks for the command line: read from the app's public/ folder as the page fetches
// them, with an unknown name refused by a message that lists the others (Node only).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Task } from '../engine/data/task';
import { BUILTIN_TASKS, loadBuiltinTask, type BuiltinTaskName } from '../engine/data/tasks';

/** Loads built-in task `name` from public/ (relative to the repository root); `seed` splits the toy task. */
export async function loadPublicTask(name: string, seed?: number): Promise<Task> {
  if (!BUILTIN_TASKS.includes(name as BuiltinTaskName)) throw new Error(`unknown task "${name}" (available: ${BUILTIN_TASKS.join(', ')})`);
  return loadBuiltinTask(name as BuiltinTaskName, (path) => readFile(join('public', path.replace(/^\//, '')), 'utf8'), seed);
}
