// Reads a model folder from disk for the engine's checkpoint loader (Node only), and reports a model's
// loading on stderr.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadProgress, ReadModelFile } from '../engine/checkpoint';

/** The default model shipped with the app, relative to the repository root. */
export const DEFAULT_MODEL_DIR = 'public/models/default';

/** Files are read in pieces of this size, so a reader can report progress on large weights. */
const CHUNK = 16 * 2 ** 20;

/** A ReadModelFile over a folder: missing files resolve to null, other I/O errors propagate. */
export function folderReader(dir: string): ReadModelFile {
  return async (name, onBytes) => {
    let handle;
    try {
      handle = await open(join(dir, name), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const out = new Uint8Array(size);
      let loaded = 0;
      while (loaded < size) {
        const { bytesRead } = await handle.read(out, loaded, Math.min(CHUNK, size - loaded), loaded);
        if (bytesRead === 0) throw new Error(`${name}: the file ended after ${loaded} of ${size} bytes while it was read`);
        loaded += bytesRead;
        onBytes?.(loaded, size);
      }
      return out;
    } finally {
      await handle.close();
    }
  };
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/**
 * A loading reporter for stderr: on a terminal one line that updates in place; in every case, once
 * loaded, a line with what was read and uploaded and how long each took. `done()` prints it.
 */
export function loadReporter(label: string, write: (text: string) => void = (t) => process.stderr.write(t), tty = Boolean(process.stderr.isTTY)) {
  const started = Date.now();
  let readMs = 0;
  let read = 0;
  let uploaded: Extract<LoadProgress, { stage: 'uploading' }> | null = null;
  let lastDraw = 0;
  return {
    onProgress(p: LoadProgress) {
      if (p.stage === 'reading') {
        read = p.bytes;
        readMs = Date.now() - started;
      } else uploaded = p;
      if (!tty || Date.now() - lastDraw < 200) return;
      lastDraw = Date.now();
      const text = p.stage === 'reading' ? `reading ${p.file}: ${mb(p.bytes)}${p.totalBytes ? ` of ${mb(p.totalBytes)}` : ''}` : `making tensors: ${p.tensors} of ${p.totalTensors} (${mb(p.bytes)} of ${mb(p.totalBytes)} as float32)`;
      write(`\r\x1b[2K${label}: ${text}`);
    },
    done() {
      const total = Date.now() - started;
      const tensors = uploaded ? `, ${uploaded.totalTensors} tensors (${mb(uploaded.totalBytes)} as float32) made in ${((total - readMs) / 1000).toFixed(1)} s` : '';
      write(`${tty ? '\r\x1b[2K' : ''}model: read ${mb(read)} of weights in ${(readMs / 1000).toFixed(1)} s${tensors}\n`);
    },
  };
}
