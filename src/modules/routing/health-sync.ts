import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { createBroadcast } from '../../platform/broadcast.ts';
import type { Health } from './health.ts';

// Router health shared across nodes (DESIGN.md §1: Redis when configured). Each node counts failures itself; when one
// opens a circuit it publishes the circuit's key (a candidate, or one model through a candidate) and the end of the
// cool-down, and every other node skips it too: a dead upstream costs the whole fleet a handful of failed requests,
// not a handful per node. Nothing of this is on the request path: a publish happens only when a circuit opens.

interface OpenedMessage {
  key: string;
  until: number;
}

export async function shareHealth(deps: { redis: Redis; namespace: string; log: FastifyBaseLogger }) {
  let health: Health | undefined;
  const channel = await createBroadcast<OpenedMessage>({
    redis: deps.redis,
    channel: `${deps.namespace}:router:circuit-open`,
    log: deps.log,
    onMessage(m) {
      if (typeof m.key === 'string' && Number.isFinite(m.until)) health?.openedElsewhere(m.key, m.until);
    },
  });
  return {
    /** Pass as `onOpen` to createHealth. */
    publish: (key: string, until: number) => channel.publish({ key, until }),
    attach(h: Health) {
      health = h;
    },
    close: () => channel.close(),
  };
}
