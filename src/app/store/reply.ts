// Small helpers the slices share: an error in words, and a reply checked against the type expected.
import type { FromWorker } from '../../worker/protocol';

/** An error (or anything thrown) as the message the UI shows. */
export const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Narrows a reply to the expected type, so a protocol mix-up is an error rather than a silent cast. */
export function expectReply<T extends FromWorker['type']>(reply: FromWorker, type: T): Extract<FromWorker, { type: T }> {
  if (reply.type !== type) throw new Error(`the worker answered ${reply.type} instead of ${type}`);
  return reply as Extract<FromWorker, { type: T }>;
}
