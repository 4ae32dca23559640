import crypto from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Health } from './health.ts';

// Router health shared across nodes (DESIGN.md §1: Redis when configured). Each node counts failures itself; when one
// opens a circuit it publishes the candidate and the end of the cool-down, and every other node skips that candidate
// too — so a dead upstream costs the whole fleet a handful of failed requests, not a handful per node. Nothing of this
// is on the request path: a publish happens only when a circuit opens.

interface OpenedMessage {
  node: string;
  key: string;
  until: number;
}

export async function shareHealth(deps: { redis: Redis; namespace: string; log: FastifyBaseLogger }) {
  const channel = `${deps.namespace}:router:circuit-open`;
  const node = crypto.randomUUID();
  const subscriber = deps.redis.duplicate();
  let health: Health | undefined;
  subscriber.on('error', (err) => deps.log.warn({ err: err.message }, 'router health subscriber error'));
  subscriber.on('message', (_channel: string, raw: string) => {
    try {
      const m = JSON.parse(raw) as OpenedMessage;
      if (m.node !== node && typeof m.key === 'string' && Number.isFinite(m.until)) health?.openedElsewhere(m.key, m.until);
    } catch {
      // Not ours: ignore.
    }
  });
  await subscriber.subscribe(channel);
  return {
    /** Pass as `onOpen` to createHealth. */
    publish(key: string, until: number) {
      const message: OpenedMessage = { node, key, until };
      deps.redis.publish(channel, JSON.stringify(message)).catch((err: Error) => deps.log.warn({ err: err.message }, 'router health publish failed'));
    },
    attach(h: Health) {
      health = h;
    },
    close: () => subscriber.quit().then(() => undefined, () => subscriber.disconnect()),
  };
}
