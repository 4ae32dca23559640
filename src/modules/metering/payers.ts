import { AppError } from '../../platform/errors.ts';
import type { Clock } from '../../platform/time.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import type { Ledger } from '../ledger/ledger.service.ts';

// What each payer can still spend, kept in memory for the gateway's hot path. Per user:
//   stored   — the payer account's balance as last read from (or written to) the database;
//   pending  — charges settled but not yet flushed (so not in `stored`);
//   reserved — holds of requests in flight.
// Prepaid: spendable = stored − pending − reserved. Postpaid: the receivable goes negative by what is owed, so
// spendable = credit limit + stored − pending − reserved (no limit: always). Per API key the same for its spend limit.
// Every flush writes the new stored balance back, so a user under load is always current; an idle entry is re-read
// when it is older than STALE_MS and nothing of it is unflushed.

export interface Payer {
  userId: number;
  billingMode: 'prepaid' | 'postpaid';
  creditLimitMicros: bigint | null;
  apiKeyId?: number;
  keySpendLimitMicros?: bigint | null;
  /** The key's spent amount as stored, read when the key was authenticated. */
  keySpentMicros?: bigint;
}

interface UserEntry {
  stored: bigint;
  pending: bigint;
  reserved: bigint;
  loadedAt: number;
  /** Bumped by every flush that touched this user, so a read that raced a flush is discarded. */
  version: number;
  loading?: Promise<void>;
}

interface KeyEntry {
  spent: bigint;
  pending: bigint;
  reserved: bigint;
}

const STALE_MS = 2_000;
/** After a refusal, re-read the balance (a recharge may just have landed) at most this often. */
const RECHECK_MS = 250;

export function createPayerBook(deps: { ledger: Ledger; clock: Clock }) {
  const users = new Map<number, UserEntry>();
  const keys = new Map<number, KeyEntry>();
  const now = () => deps.clock.now().getTime();
  const account = (p: Payer) => (p.billingMode === 'prepaid' ? ACCOUNTS.userWallet(p.userId) : ACCOUNTS.userReceivable(p.userId));

  async function load(p: Payer, entry?: UserEntry): Promise<UserEntry> {
    const target = entry ?? { stored: 0n, pending: 0n, reserved: 0n, loadedAt: 0, version: 0 };
    if (!entry) users.set(p.userId, target);
    target.loading ??= (async () => {
      const version = target.version;
      const stored = await deps.ledger.balance(account(p));
      // A flush that committed while we read has already written a newer balance: keep that one.
      if (target.version === version && target.pending === 0n) target.stored = stored;
      target.loadedAt = now();
    })().finally(() => (target.loading = undefined));
    await target.loading;
    return target;
  }

  async function entryFor(p: Payer): Promise<UserEntry> {
    const entry = users.get(p.userId);
    if (!entry) return load(p);
    if (entry.loading) await entry.loading;
    else if (entry.pending === 0n && entry.reserved === 0n && now() - entry.loadedAt > STALE_MS) await load(p, entry);
    return entry;
  }

  function spendable(p: Payer, e: UserEntry): bigint | undefined {
    const free = e.stored - e.pending - e.reserved;
    if (p.billingMode === 'prepaid') return free;
    return p.creditLimitMicros === null ? undefined : p.creditLimitMicros + free;
  }

  function keyEntry(p: Payer): KeyEntry | undefined {
    if (p.apiKeyId === undefined) return undefined;
    let k = keys.get(p.apiKeyId);
    if (!k) keys.set(p.apiKeyId, (k = { spent: p.keySpentMicros ?? 0n, pending: 0n, reserved: 0n }));
    return k;
  }

  return {
    async reserve(p: Payer, amount: bigint): Promise<void> {
      const k = keyEntry(p);
      if (k && p.keySpendLimitMicros != null && k.spent + k.pending + k.reserved + amount > p.keySpendLimitMicros) {
        throw new AppError('PAYMENT_REQUIRED', 'This API key has reached its spend limit', { openaiCode: 'insufficient_quota', openaiType: 'insufficient_quota' });
      }
      let e = await entryFor(p);
      let free = spendable(p, e);
      if (free !== undefined && free < amount && e.pending === 0n && now() - e.loadedAt > RECHECK_MS) {
        e = await load(p, e);
        free = spendable(p, e);
      }
      if (free !== undefined && free < amount) {
        const what = p.billingMode === 'prepaid' ? 'Your balance is too low for this request' : 'Your credit limit is reached';
        throw new AppError('PAYMENT_REQUIRED', `${what}; please recharge`, { openaiCode: 'insufficient_quota', openaiType: 'insufficient_quota' });
      }
      e.reserved += amount;
      if (k) k.reserved += amount;
    },

    release(p: Payer, amount: bigint) {
      const e = users.get(p.userId);
      if (e) e.reserved -= amount;
      const k = p.apiKeyId === undefined ? undefined : keys.get(p.apiKeyId);
      if (k) k.reserved -= amount;
    },

    charge(p: Payer, cost: bigint) {
      const e = users.get(p.userId);
      if (e) e.pending += cost;
      const k = keyEntry(p);
      if (k) k.pending += cost;
    },

    /** A charge is durable; `stored` is the payer account's balance after the flush, when the flush knows it. */
    flushed(p: Payer, cost: bigint, stored: bigint | undefined) {
      const e = users.get(p.userId);
      if (e) {
        e.pending -= cost;
        e.version += 1;
        if (stored !== undefined) e.stored = stored;
        else e.stored -= cost;
        e.loadedAt = now();
      }
      const k = p.apiKeyId === undefined ? undefined : keys.get(p.apiKeyId);
      if (k) {
        k.pending -= cost;
        k.spent += cost;
      }
    },

    async reload(p: Payer) {
      const e = users.get(p.userId);
      if (e) await load(p, e);
    },
  };
}
