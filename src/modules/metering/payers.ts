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
// Every flush writes the new stored balance back, with the account's version: flushes may complete in any order, and
// only a higher version replaces `stored`. An entry is also re-read when older than STALE_MS (another node, a
// recharge). A read may count a just-committed charge twice until its flush reports back — never zero times.

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
  /** The ledger account's version `stored` was read at (see ledger.tables.ts). */
  version: number;
  loadedAt: number;
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
      const read = await deps.ledger.balanceVersion(account(p));
      // A flush that reported back while we read may have brought a newer balance: keep the newest.
      if (read.version >= target.version) {
        target.stored = read.balance;
        target.version = read.version;
      }
      target.loadedAt = now();
    })().finally(() => (target.loading = undefined));
    await target.loading;
    return target;
  }

  async function entryFor(p: Payer): Promise<UserEntry> {
    const entry = users.get(p.userId);
    if (!entry) return load(p);
    if (entry.loading) await entry.loading;
    else if (now() - entry.loadedAt > STALE_MS) await load(p, entry);
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
        throw insufficientQuota('This API key has reached its spend limit');
      }
      let e = await entryFor(p);
      let free = spendable(p, e);
      if (free !== undefined && free < amount && now() - e.loadedAt > RECHECK_MS) {
        e = await load(p, e);
        free = spendable(p, e);
      }
      if (free !== undefined && free < amount) {
        const what = p.billingMode === 'prepaid' ? 'Your balance is too low for this request' : 'Your credit limit is reached';
        throw insufficientQuota(`${what}; please recharge`);
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

    /**
     * A charge is durable. `after` is the payer account's balance and version after its flush, when the flush knows
     * them; without them the charge is taken off `stored` and the entry is re-read on its next use.
     */
    flushed(p: Payer, cost: bigint, after: { balance: bigint; version: number } | undefined) {
      const e = users.get(p.userId);
      if (e) {
        e.pending -= cost;
        if (!after) {
          e.stored -= cost;
          e.loadedAt = 0;
        } else if (after.version > e.version) {
          e.stored = after.balance;
          e.version = after.version;
          e.loadedAt = now();
        }
      }
      const k = p.apiKeyId === undefined ? undefined : keys.get(p.apiKeyId);
      if (k) {
        k.pending -= cost;
        k.spent += cost;
      }
    },
  };
}

/** 402 with OpenAI's `insufficient_quota` (not 429: SDKs must not retry it). */
function insufficientQuota(message: string): AppError {
  return new AppError('PAYMENT_REQUIRED', message, { openaiCode: 'insufficient_quota', openaiType: 'insufficient_quota' });
}
