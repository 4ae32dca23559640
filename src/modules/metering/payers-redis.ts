import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { HOLD_TTL_MS, IDLE_KEY_TTL_MS, LIVE_HOLDS_LUA, holdMember } from '../../platform/redis-holds.ts';
import { millisOf, type Clock } from '../../platform/time.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { createBalanceCache, type BalanceAt, type KnownBalances, type PayerBalancesAfter } from './payer-balances.ts';
import { createPayerBook, refusalError, type CountedCharge, type FlushedCharge, type Payer, type PayerBook, type PayerHold, type Refusal } from './payers.ts';

// The payer book shared by every node through Redis: the same rules as the in-memory book (payers.ts), but the holds
// in flight and the charges not yet durable are counted in Redis (platform/redis-holds.ts, like package quota), so N
// nodes together let a payer spend no more than its balance and an API key no more than its limit. Per payer Redis also
// keeps the newest balances any node has read or written (by ledger version), so a recharge pushed there by the node
// that took it is seen by the next request on every node. A key's spent amount is seeded from the database once and
// then moves only with durable charges (a database read may already include a charge a flush is still reporting).
// One script per step — reserve; settle or release; flushed — keeps each step atomic and one round trip.
// If Redis cannot be reached, the node counts alone (the database's guards still have the final word).

// KEYS: payer holds, payer pending, payer balances (hash), key holds, key pending, key spent.
// ARGV: now, hold expiry, amount, hold member, floor ('' = the payer is not limited), spend balance, its version,
// debt balance ('' = none), its version, key limit ('' = none), key spent as the database had it, idle ttl.
// Returns {code, spend balance, its version, debt balance, its version}: 1 held, 0 balance, 2 key limit, 3 debt.
const RESERVE = `${LIVE_HOLDS_LUA}
local now = tonumber(ARGV[1])
local function newest(field, balance, version)
  local stored = redis.call('HMGET', KEYS[3], field, field .. ':v')
  if stored[2] and tonumber(stored[2]) >= tonumber(version) then return stored[1], stored[2] end
  redis.call('HSET', KEYS[3], field, balance, field .. ':v', version)
  return balance, version
end
local balance, version = newest('spend', ARGV[6], ARGV[7])
local debt, debtVersion = '0', '0'
if ARGV[8] ~= '' then debt, debtVersion = newest('debt', ARGV[8], ARGV[9]) end
redis.call('PEXPIRE', KEYS[3], ARGV[12])
local seen = {1, balance, version, debt, debtVersion}
local amount = tonumber(ARGV[3])
if ARGV[10] ~= '' then
  local spent = redis.call('GET', KEYS[6])
  if not spent then
    spent = ARGV[11]
    redis.call('SET', KEYS[6], spent, 'PX', ARGV[12])
  end
  if tonumber(spent) + liveHolds(KEYS[4], now) + liveHolds(KEYS[5], now) + amount > tonumber(ARGV[10]) then seen[1] = 2 return seen end
end
if tonumber(debt) < 0 then seen[1] = 3 return seen end
if ARGV[5] ~= '' and tonumber(balance) - liveHolds(KEYS[1], now) - liveHolds(KEYS[2], now) - amount < tonumber(ARGV[5]) then seen[1] = 0 return seen end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[12])
if ARGV[10] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[4], ARGV[12])
end
return seen
`;

// KEYS: payer holds, payer pending, key holds, key pending.
// ARGV: hold member ('' = none), pending member ('' = none), expiry, idle ttl, '1' when the key is limited.
const SETTLE = `
if ARGV[1] ~= '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  if ARGV[5] == '1' then
    redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
    redis.call('PEXPIRE', KEYS[4], ARGV[4])
  end
end
return 1
`;

// KEYS: payer pending, payer balances, key pending, key spent.
// ARGV: spend balance ('' = unknown), its version, debt balance ('' = unknown), its version, key spent to add,
// key spent at least ('' = no floor), idle ttl, then the pending members that are durable (or dropped) now.
const FLUSHED = `
local function newer(field, balance, version)
  if balance == '' then return end
  local stored = redis.call('HGET', KEYS[2], field .. ':v')
  if stored and tonumber(stored) >= tonumber(version) then return end
  redis.call('HSET', KEYS[2], field, balance, field .. ':v', version)
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
newer('spend', ARGV[1], ARGV[2])
newer('debt', ARGV[3], ARGV[4])
for i = 8, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[3], ARGV[i])
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  if ARGV[5] ~= '0' then redis.call('INCRBY', KEYS[4], ARGV[5]) end
  if ARGV[6] ~= '' and tonumber(redis.call('GET', KEYS[4])) < tonumber(ARGV[6]) then redis.call('SET', KEYS[4], ARGV[6], 'KEEPTTL') end
end
return 1
`;

type Seen = [number, string, string, string, string];

type Scripted = Redis & {
  payerReserve(...args: (string | number)[]): Promise<Seen>;
  payerSettle(...args: (string | number)[]): Promise<number>;
  payerFlushed(...args: (string | number)[]): Promise<number>;
};

/** How long a recharge's commit waits for Redis to hold its new balance. */
const INVALIDATE_WAIT_MS = 500;

const REFUSALS: Record<number, Refusal['kind']> = { 0: 'balance', 2: 'key', 3: 'debt' };

export function createSharedPayerBook(deps: { redis: Redis; namespace: string; ledger: Pick<Ledger, 'balanceVersions'>; clock: Clock; log: FastifyBaseLogger }): PayerBook {
  if (!('payerReserve' in deps.redis)) {
    deps.redis.defineCommand('payerReserve', { numberOfKeys: 6, lua: RESERVE });
    deps.redis.defineCommand('payerSettle', { numberOfKeys: 4, lua: SETTLE });
    deps.redis.defineCommand('payerFlushed', { numberOfKeys: 4, lua: FLUSHED });
  }
  const redis = deps.redis as Scripted;
  const balances = createBalanceCache(deps);
  // Counts for the node alone while Redis is away: its holds and charges stay with it until they end.
  const local = createPayerBook({ ...deps, balances });
  const now = () => millisOf(deps.clock);
  const ns = deps.namespace;
  const payerKeys = (p: Pick<Payer, 'userId'>) => [`${ns}:payer:${p.userId}:holds`, `${ns}:payer:${p.userId}:pending`] as const;
  const balanceKey = (userId: number, mode: Payer['billingMode']) => `${ns}:payer:${userId}:${mode}:balances`;
  const keyKeys = (p: Pick<Payer, 'apiKeyId'>) =>
    [`${ns}:apikey:${p.apiKeyId ?? 'none'}:holds`, `${ns}:apikey:${p.apiKeyId ?? 'none'}:pending`, `${ns}:apikey:${p.apiKeyId ?? 'none'}:spent`] as const;

  const keyLimited = (p: Payer) => p.apiKeyId !== undefined && p.keySpendLimitMicros != null;
  /** The lowest the spend account may go, or undefined when the payer is not limited (postpaid without a limit). */
  const floorOf = (p: Payer): bigint | undefined =>
    p.billingMode === 'prepaid' ? 0n : p.creditLimitMicros === null ? undefined : -p.creditLimitMicros;

  const limited = (p: Payer) => floorOf(p) !== undefined || keyLimited(p);

  async function tryReserve(p: Payer, amount: bigint, member: string, known: KnownBalances): Promise<Seen> {
    const [holds, pending] = payerKeys(p);
    const [keyHolds, keyPending, keySpent] = keyKeys(p);
    const at = now();
    const floor = floorOf(p);
    return redis.payerReserve(
      holds, pending, balanceKey(p.userId, p.billingMode), keyHolds, keyPending, keySpent,
      at, at + HOLD_TTL_MS, amount.toString(), member, floor === undefined ? '' : floor.toString(),
      known.spend.balance.toString(), known.spend.version, known.debt ? known.debt.balance.toString() : '', known.debt?.version ?? 0,
      keyLimited(p) ? (p.keySpendLimitMicros as bigint).toString() : '', (p.keySpentMicros ?? 0n).toString(), IDLE_KEY_TTL_MS,
    );
  }

  const balancesOf = (seen: Seen): PayerBalancesAfter => ({
    spend: { balance: BigInt(seen[1]), version: Number(seen[2]) },
    debt: { balance: BigInt(seen[3]), version: Number(seen[4]) },
  });

  function settle(p: Payer, holdMemberText: string, pendingMember: string) {
    const [holds, pending] = payerKeys(p);
    const [keyHolds, keyPending] = keyKeys(p);
    redis
      .payerSettle(holds, pending, keyHolds, keyPending, holdMemberText, pendingMember, now() + HOLD_TTL_MS, IDLE_KEY_TTL_MS, keyLimited(p) ? '1' : '0')
      // The hold expires by itself; an uncounted charge is still refused by the database's guards if it overspends.
      .catch((err: Error) => deps.log.warn({ err: err.message, userId: p.userId }, 'shared payer book: settle failed'));
  }

  /** Tells Redis that charges are durable (or dropped), with what the writer knows of the balances after them. */
  function report(p: Payer, members: string[], after: PayerBalancesAfter | undefined, spentAdded: bigint, spentAtLeast?: bigint) {
    const [, pending] = payerKeys(p);
    const [, keyPending, keySpent] = keyKeys(p);
    const at = (b?: BalanceAt) => (b ? [b.balance.toString(), b.version] : ['', 0]);
    redis
      .payerFlushed(
        pending, balanceKey(p.userId, p.billingMode), keyPending, keySpent,
        ...at(after?.spend), ...at(p.billingMode === 'prepaid' ? after?.debt : undefined), spentAdded.toString(), spentAtLeast?.toString() ?? '', IDLE_KEY_TTL_MS, ...members,
      )
      .catch((err: Error) => deps.log.warn({ err: err.message, userId: p.userId }, 'shared payer book: flush report failed (pending charges expire by themselves)'));
  }

  return {
    async reserve(p, amount) {
      if (!limited(p)) return { id: randomUUID(), payer: p, amount, countedIn: 'none' };
      const id = randomUUID();
      const member = holdMember(id, amount);
      let seen: Seen;
      try {
        seen = await tryReserve(p, amount, member, await balances.get(p));
        // A recharge may just have landed (a key's limit no read can lift).
        if (Number(seen[0]) !== 1 && Number(seen[0]) !== 2) {
          const reread = await balances.recheck(p);
          if (reread) seen = await tryReserve(p, amount, member, reread);
        }
      } catch (err) {
        deps.log.warn({ err: (err as Error).message, userId: p.userId }, 'shared payer book unavailable; counting on this node alone');
        return local.reserve(p, amount);
      }
      balances.observe(p, balancesOf(seen));
      const refused = REFUSALS[Number(seen[0])];
      if (refused === 'debt') throw refusalError(p, { kind: 'debt', owed: -BigInt(seen[3]) });
      if (refused) throw refusalError(p, { kind: refused });
      return { id, payer: p, amount, countedIn: 'shared' };
    },

    release(hold) {
      if (hold.countedIn === 'local') local.release(hold);
      else if (hold.countedIn === 'shared') settle(hold.payer, holdMember(hold.id, hold.amount), '');
    },

    charge(hold, p, requestId, cost): CountedCharge {
      if (hold?.countedIn === 'local') return local.charge(hold, p, requestId, cost);
      if (hold?.countedIn !== 'shared' && !limited(p)) return { payer: p, requestId, cost, countedIn: 'none' };
      settle(p, hold ? holdMember(hold.id, hold.amount) : '', cost > 0n ? holdMember(requestId, cost) : '');
      return { payer: p, requestId, cost, countedIn: 'shared' };
    },

    flushed(charges) {
      local.flushed(charges);
      // Charges nobody limits have nothing to report (their payer and key are not counted in Redis).
      const counted = charges.filter((c) => c.charge.countedIn === 'shared' || (c.charge.countedIn === 'none' && limited(c.charge.payer)));
      for (const group of byPayerAndKey(counted)) {
        const p = group[0]?.charge.payer as Payer;
        const members = group.filter((c) => c.charge.countedIn === 'shared' && c.charge.cost > 0n).map((c) => holdMember(c.charge.requestId, c.charge.cost));
        const spent = group.reduce((sum, c) => sum + c.charge.cost, 0n);
        const atLeast = group.reduce<bigint | undefined>((max, c) => (c.keySpentAtLeast !== undefined && (max === undefined || c.keySpentAtLeast > max) ? c.keySpentAtLeast : max), undefined);
        // The newest balances the group's writes left (each flush reports its own; versions order them).
        const after = group.reduce<PayerBalancesAfter | undefined>((acc, c) => newestOf(acc, c.after), undefined);
        report(p, members, after, p.apiKeyId === undefined ? 0n : spent, atLeast);
      }
    },

    dropped(charges) {
      local.dropped(charges);
      for (const group of byPayerAndKey(charges.map((charge) => ({ charge })).filter((c) => c.charge.countedIn === 'shared'))) {
        const p = group[0]?.charge.payer as Payer;
        report(p, group.map((c) => holdMember(c.charge.requestId, c.charge.cost)), undefined, 0n);
      }
    },

    /**
     * Re-read on this node, and the balances the database has now pushed to Redis before this returns: the request
     * after a recharge, on any node, sees it.
     */
    forget(userIds) {
      balances.invalidate(userIds);
    },

    async invalidate(userIds) {
      balances.invalidate(userIds);
      await Promise.all(
        userIds.map(async (userId) => {
          const [walletAccount, receivableAccount] = [ACCOUNTS.userWallet(userId), ACCOUNTS.userReceivable(userId)];
          const read = await deps.ledger.balanceVersions([walletAccount, receivableAccount]);
          const [wallet, receivable] = [read.get(walletAccount.code), read.get(receivableAccount.code)];
          const base = { userId, creditLimitMicros: null };
          report({ ...base, billingMode: 'prepaid' }, [], { spend: wallet, debt: receivable }, 0n);
          report({ ...base, billingMode: 'postpaid' }, [], { spend: receivable }, 0n);
        }),
      );
      // Commands on one connection run in order: a ping answered means the reports above have been applied. Bounded:
      // a commit must not wait long on Redis (the other nodes then re-read after their broadcast or within seconds).
      await Promise.race([redis.ping().catch(() => undefined), new Promise((r) => setTimeout(r, INVALIDATE_WAIT_MS).unref())]);
    },
  };
}

function byPayerAndKey(charges: FlushedCharge[]): FlushedCharge[][] {
  const groups = new Map<string, FlushedCharge[]>();
  for (const c of charges) {
    const key = `${c.charge.payer.userId}:${c.charge.payer.billingMode}:${c.charge.payer.apiKeyId ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()];
}

function newestOf(a: PayerBalancesAfter | undefined, b: PayerBalancesAfter | undefined): PayerBalancesAfter | undefined {
  if (!a || !b) return a ?? b;
  const pick = (x?: BalanceAt, y?: BalanceAt) => (!x || !y ? (x ?? y) : x.version >= y.version ? x : y);
  return { spend: pick(a.spend, b.spend), debt: pick(a.debt, b.debt) };
}

export type { PayerHold };
