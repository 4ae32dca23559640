import type { FastifyReply } from 'fastify';

/** The client's going away, as a signal: a generation stops (and pays nothing) when nobody is there to receive it. */
export function clientGone(reply: FastifyReply): { signal: AbortSignal; done(): void } {
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort();
  };
  reply.raw.on('close', onClose);
  return { signal: abort.signal, done: () => reply.raw.off('close', onClose) };
}
