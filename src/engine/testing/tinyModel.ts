// Test helper: the tiny BERT fixture (2 layers, hidden 32) loaded as a Plm, from the committed files.
// Node-only (reads the fixture from disk); used by the engine's unit tests.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlm, type Plm } from '../plm';

export const TINY_BERT_DIR = fileURLToPath(new URL('../fixtures/tiny-bert/', import.meta.url));

/** Loads the tiny fixture model on the current tfjs backend. */
export function loadTinyPlm(): Promise<Plm> {
  return loadPlm(async (name) => {
    try {
      return new Uint8Array(await readFile(join(TINY_BERT_DIR, name)));
    } catch {
      return null;
    }
  }, 'tiny-bert');
}
