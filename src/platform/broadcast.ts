import crypto from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

// A Redis pub/sub channel between the nodes of one deployment: each node hears what the others publish (never its
// own messages). Nothing waits on it — a message lost while Redis is away costs only freshness.

export interface Broadcast<T> {
  publish(message: T): void;
  close(): Promise<void>;
}

export async function createBroadcast<T>(deps: {
  redis: Redis;
  channel: string;
  log: FastifyBaseLogger;
  onMessage(message: T): void;
}): Promise<Broadcast<T>> {
  const node = crypto.randomUUID();
  const subscriber = deps.redis.duplicate();
  subscriber.on('error', (err) => deps.log.warn({ err: err.message, channel: deps.channel }, 'broadcast subscriber error'));
  subscriber.on('message', (_channel: string, raw: string) => {
    try {
      const envelope = JSON.parse(raw) as { node?: string; message?: T };
      if (envelope.node !== node && envelope.message !== undefined) deps.onMessage(envelope.message);
    } catch {
      // Not ours: ignore.
    }
  });
  await subscriber.subscribe(deps.channel);
  return {
    publish(message) {
      deps.redis
        .publish(deps.channel, JSON.stringify({ node, message }))
        .catch((err: Error) => deps.log.warn({ err: err.message, channel: deps.channel }, 'broadcast publish failed'));
    },
    close: () => subscriber.quit().then(() => undefined, () => subscriber.disconnect()),
  };
}
