import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { HOLD_TTL_MS, IDLE_KEY_TTL_MS, LIVE_HOLDS_LUA } from '../../platform/redis-holds.ts';
import type { QuotaGate, QuotaHold } from '../routing/candidates.ts';
import type { QuotaBook } from './package-quota.ts';

// The package quota book shared by every node through Redis: the same rules as the in-memory book
// (package-quota.ts) — reserve the worst case before sending, count what was sold once the charge is durable — but
// the tokens left and the holds in flight live in Redis, so N nodes together serve no more than a package's quota
// (plus, at most, the one request that takes the last tokens). Each hold carries an expiry, so a node that dies
// mid-request cannot keep its holds for ever (platform/redis-holds.ts). One Lua script per step keeps each step atomic.

/** Packages not touched for a day are forgotten (the database still knows their quota). */
const KEY_TTL_MS = IDLE_KEY_TTL_MS;

// KEYS: holds (zset, member "<id>:<tokens>", score = expiry), remaining (string).
// ARGV: now, hold ttl, tokens wanted, tokens the database knows are left, hold id, key ttl.
// Returns {held, remaining}; held = 0 when nothing is free.
const RESERVE = `${LIVE_HOLDS_LUA}
local known = tonumber(ARGV[4])
local stored = redis.call('GET', KEYS[2])
local remaining = known
if stored and tonumber(stored) < known then remaining = tonumber(stored) end
redis.call('SET', KEYS[2], remaining, 'PX', ARGV[6])
local free = remaining - liveHolds(KEYS[1], ARGV[1])
if free <= 0 then return {0, remaining} end
local held = math.max(1, math.min(tonumber(ARGV[3]), free))
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[5] .. ':' .. held)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return {held, remaining}
`;

// KEYS: holds, remaining. ARGV: hold member, tokens sold (0 for a release), key ttl. Returns the tokens left.
const SETTLE = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
local remaining = tonumber(redis.call('GET', KEYS[2]) or '0')
if removed == 1 and tonumber(ARGV[2]) > 0 then
  remaining = math.max(0, remaining - tonumber(ARGV[2]))
  redis.call('SET', KEYS[2], remaining, 'PX', ARGV[3])
end
return remaining
`;

type Scripted = Redis & {
  quotaReserve(holds: string, remaining: string, now: number, ttl: number, tokens: number, known: number, id: string, keyTtl: number): Promise<[number, number]>;
  quotaSettle(holds: string, remaining: string, member: string, used: number, keyTtl: number): Promise<number>;
};

export function createSharedQuotaBook(deps: { redis: Redis; namespace: string; log: FastifyBaseLogger; now?: () => number }): QuotaBook {
  if (!('quotaReserve' in deps.redis)) {
    deps.redis.defineCommand('quotaReserve', { numberOfKeys: 2, lua: RESERVE });
    deps.redis.defineCommand('quotaSettle', { numberOfKeys: 2, lua: SETTLE });
  }
  const redis = deps.redis as Scripted;
  const now = deps.now ?? Date.now;
  /** What this node last heard of each package's tokens left (for routing decisions that cannot wait for Redis). */
  const seen = new Map<number, number>();
  const keys = (id: number) => [`${deps.namespace}:quota:${id}:holds`, `${deps.namespace}:quota:${id}:left`] as const;

  function holdOf(id: number, member: string): QuotaHold {
    const [holds, left] = keys(id);
    let open = true;
    const finish = (used: number) => {
      if (!open) return;
      open = false;
      redis
        .quotaSettle(holds, left, member, used, KEY_TTL_MS)
        .then((remaining) => seen.set(id, Number(remaining)))
        // The hold expires by itself; the database decrement (with the charge) is the record that matters.
        .catch((err: Error) => deps.log.warn({ err: err.message, packageId: id }, 'shared package quota: settle failed'));
    };
    return { settle: (used) => finish(used), release: () => finish(0) };
  }

  return {
    gate(id: number, known: number): QuotaGate {
      seen.set(id, Math.min(seen.get(id) ?? known, known));
      const [holds, left] = keys(id);
      return {
        async reserve(tokens) {
          const holdId = randomUUID();
          try {
            const [held, remaining] = await redis.quotaReserve(holds, left, now(), HOLD_TTL_MS, Math.ceil(tokens), known, holdId, KEY_TTL_MS);
            seen.set(id, Number(remaining));
            return Number(held) > 0 ? holdOf(id, `${holdId}:${held}`) : undefined;
          } catch (err) {
            // Without Redis no node can know what the others hold: the package sits this request out (never oversold).
            deps.log.warn({ err: (err as Error).message, packageId: id }, 'shared package quota: reserve failed');
            return undefined;
          }
        },
      };
    },
    remaining: (id: number) => seen.get(id) ?? 0,
    retain(ids: Set<number>) {
      for (const id of seen.keys()) if (!ids.has(id)) seen.delete(id);
    },
  };
}
