import type { FastifyReply } from 'fastify';
import { onClientGone } from '../../platform/cancel-signal.ts';

/**
 * The client's going away, as an AbortSignal (a task's polling sleeps on it): a generation stops (and pays nothing)
 * when nobody is there to receive it.
 */
export function clientGone(reply: FastifyReply): { signal: AbortSignal; done(): void } {
  const abort = new AbortController();
  return { signal: abort.signal, done: onClientGone(reply, () => abort.abort()) };
}
