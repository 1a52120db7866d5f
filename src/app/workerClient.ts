// The page's one bridge to the training worker: sends typed commands and resolves each with its
// reply. A worker that crashes rejects every pending command with a message, and is restarted on
// the next command, so a crash never leaves the page waiting.
import { PROTOCOL_VERSION, type FromWorker, type Streamed, type ToWorker } from '../worker/protocol';

type Command = ToWorker extends infer C ? (C extends ToWorker ? Omit<C, 'v' | 'id'> : never) : never;
type Pending = { resolve: (message: FromWorker) => void; reject: (error: Error) => void; onEvents?: (message: Streamed) => void };

/** A client that owns one worker at a time. */
export interface WorkerClient {
  /**
   * Sends a command; buffers in `transfer` move to the worker instead of being copied. Events the
   * worker streams for this command (a training run's events, a model load's progress) go to `onEvents` until the reply arrives.
   */
  send(command: Command, transfer?: Transferable[], onEvents?: (message: Streamed) => void): Promise<FromWorker>;
  /** Calls `listener` with the reason each time the worker crashes (after its pending commands were rejected); returns the unsubscribe. */
  onCrash(listener: (reason: string) => void): () => void;
  terminate(): void;
}

/** The `name` of the error a command is rejected with when the worker crashed under it. */
export const WORKER_CRASHED = 'WorkerCrashed';

/** A command as the client takes it: a protocol command without its envelope. */
export type { Command as WorkerCommand };

/** Creates the client; the worker starts lazily on the first command, so creating it costs nothing. */
export function createWorkerClient(): WorkerClient {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const crashListeners = new Set<(reason: string) => void>();

  function failAll(reason: string, name = 'Error'): void {
    for (const { reject } of pending.values()) reject(Object.assign(new Error(reason), { name }));
    pending.clear();
  }

  function start(): Worker {
    const created = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    created.onmessage = (event: MessageEvent<FromWorker | Streamed>) => {
      const message = event.data;
      const entry = pending.get(message.id);
      if (!entry) return;
      if (message.type === 'events' || message.type === 'loadProgress') {
        entry.onEvents?.(message);
        return;
      }
      pending.delete(message.id);
      if (message.type === 'error') entry.reject(new Error(message.message));
      else entry.resolve(message);
    };
    created.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const reason = `The engine worker crashed: ${event.message || 'unknown error'}.`;
      failAll(`${reason} It will restart on the next command.`, WORKER_CRASHED);
      created.terminate();
      worker = null;
      for (const listener of crashListeners) listener(reason);
    };
    return created;
  }

  return {
    send(command, transfer = [], onEvents) {
      worker ??= start();
      const id = nextId++;
      const message = { ...command, v: PROTOCOL_VERSION, id } as ToWorker;
      return new Promise<FromWorker>((resolve, reject) => {
        pending.set(id, { resolve, reject, onEvents });
        worker!.postMessage(message, transfer);
      });
    },
    onCrash(listener) {
      crashListeners.add(listener);
      return () => crashListeners.delete(listener);
    },
    terminate() {
      failAll('The engine worker was stopped.');
      worker?.terminate();
      worker = null;
    },
  };
}
