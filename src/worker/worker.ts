// The training worker: a thin switch from protocol commands to engine calls.
// tfjs runs here, never on the page's main thread.
import { initBackend } from '../engine/backend';
import { runParityCheck } from '../engine/selfcheck';
import { PROTOCOL_VERSION, type BackendReport, type FromWorker, type ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

function reply(message: FromWorker): void {
  self.postMessage(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Starting a backend twice with the same preference (React's StrictMode mounts effects twice)
// returns the first start's report instead of requesting a second GPU device.
let started: { preference: string; report: Promise<BackendReport> } | null = null;

async function handle(command: ToWorker): Promise<FromWorker> {
  switch (command.type) {
    case 'init': {
      if (started?.preference !== command.backend) {
        started = { preference: command.backend, report: initBackend(command.backend, self.navigator.gpu ?? undefined) };
        started.report.catch(() => { started = null; });
      }
      const report = await started.report;
      return { v: PROTOCOL_VERSION, id: command.id, type: 'ready', report };
    }
    case 'selfcheck': {
      const report = await runParityCheck();
      return { v: PROTOCOL_VERSION, id: command.id, type: 'selfcheck', report };
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const command = event.data;
  if (command?.v !== PROTOCOL_VERSION) {
    reply({ v: PROTOCOL_VERSION, id: command?.id ?? -1, type: 'error', message: `protocol version ${String(command?.v)} is not ${PROTOCOL_VERSION}: reload the page` });
    return;
  }
  handle(command).then(reply, (error: unknown) => reply({ v: PROTOCOL_VERSION, id: command.id, type: 'error', message: errorText(error) }));
};
