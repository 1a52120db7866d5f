// Reads a model folder from disk for the engine's checkpoint loader (Node only).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadModelFile } from '../engine/checkpoint';

/** The default model shipped with the app, relative to the repository root. */
export const DEFAULT_MODEL_DIR = 'public/models/default';

/** A ReadModelFile over a folder: missing files resolve to null, other I/O errors propagate. */
export function folderReader(dir: string): ReadModelFile {
  return async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
}
