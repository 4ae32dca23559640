import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { HOLD_TTL_MS } from '../../platform/redis-holds.ts';
import { millisOf, type Clock } from '../../platform/time.ts';
import { createCandidateLimits, type CandidateLimiter, type Lease } from './limits.ts';

// Per-candidate caps shared by every node through Redis: requests started in the last minute (`rpmLimit`) and
// requests in flight (`maxConcurrent`) are counted in two sorted sets per candidate, checked and taken in one Lua
// script. A lease carries an expiry, so a node that dies mid-request frees its slots by itself. If Redis cannot be
// reached the node falls back to counting alone (caps protect upstreams; refusing all traffic would be worse).

const MINUTE_MS = 60_000;
/** A lease expires like any shared hold (platform/redis-holds.ts). */
const LEASE_TTL_MS = HOLD_TTL_MS;

// KEYS: running (zset: lease id → expiry), starts (zset: start id → start time).
// ARGV: now, max concurrent (0: none), rpm (0: none), lease id, lease ttl. Returns 1 when taken, 0 when at a cap.
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ${MINUTE_MS})
if tonumber(ARGV[2]) > 0 and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
if tonumber(ARGV[3]) > 0 and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[4])
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ${2 * MINUTE_MS})
return 1
`;

type Scripted = Redis & {
  capsAcquire(running: string, starts: string, now: number, maxConcurrent: number, rpm: number, id: string, ttl: number): Promise<number>;
};

export function createSharedCandidateLimits(deps: { redis: Redis; namespace: string; clock: Clock; log: FastifyBaseLogger }): CandidateLimiter {
  if (!('capsAcquire' in deps.redis)) deps.redis.defineCommand('capsAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  const redis = deps.redis as Scripted;
  const local = createCandidateLimits({ clock: deps.clock });
  const keys = (key: string) => [`${deps.namespace}:caps:${key}:running`, `${deps.namespace}:caps:${key}:starts`] as const;

  return {
    async acquire(key, caps): Promise<Lease | undefined> {
      // No cap, nothing to count (platform channels).
      if (caps.rpmLimit === undefined && caps.maxConcurrent === undefined) return local.acquire(key, caps);
      const [running, starts] = keys(key);
      const id = randomUUID();
      let taken: number;
      try {
        taken = await redis.capsAcquire(running, starts, millisOf(deps.clock), caps.maxConcurrent ?? 0, caps.rpmLimit ?? 0, id, LEASE_TTL_MS);
      } catch (err) {
        deps.log.warn({ err: (err as Error).message, candidate: key }, 'shared caps unavailable; counting on this node alone');
        return local.acquire(key, caps);
      }
      if (Number(taken) !== 1) return undefined;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          redis.zrem(running, id).catch((err: Error) => deps.log.warn({ err: err.message, candidate: key }, 'shared caps: release failed (the lease expires by itself)'));
        },
      };
    },
    inFlight: (key) => local.inFlight(key),
  };
}
