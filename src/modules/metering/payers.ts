import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import type { Maybe } from '../../platform/maybe.ts';
import { formatCny } from '../../platform/money.ts';
import type { Clock } from '../../platform/time.ts';
import type { Ledger } from '../ledger/ledger.service.ts';
import { createBalanceCache, owedBy, type BalanceCache, type KnownBalances, type PayerBalancesAfter } from './payer-balances.ts';

// What each payer can still spend, for the gateway's hot path: the balances this node knows (payer-balances.ts) less
// what is spoken for — charges settled but not yet durable (`pending`) and holds of requests in flight (`reserved`).
// Prepaid: spendable = wallet − pending − reserved, and nothing while the user owes (an open receivable).
// Postpaid: the receivable goes negative by what is owed, so spendable = credit limit + receivable − pending − reserved
// (no limit: always). Per API key the same for its spend limit. This book counts on one node; with REDIS_URL every
// node counts in Redis (payers-redis.ts), behind the same interface. A read may count a just-committed charge twice
// until its flush reports back — never zero times.

export interface Payer {
  userId: number;
  billingMode: 'prepaid' | 'postpaid';
  creditLimitMicros: bigint | null;
  apiKeyId?: number;
  keySpendLimitMicros?: bigint | null;
  /** The key's spent amount as stored, read when the key was authenticated. */
  keySpentMicros?: bigint;
}

/** Where a hold or a charge is counted: on this node, in Redis for every node, or nowhere (nothing is limited). */
export type CountedIn = 'local' | 'shared' | 'none';

export interface PayerHold {
  readonly id: string;
  readonly payer: Payer;
  readonly amount: bigint;
  readonly countedIn: CountedIn;
}

/** A charge settled but not yet durable: counted against the payer until its flush reports back. */
export interface CountedCharge {
  readonly payer: Payer;
  readonly requestId: string;
  readonly cost: bigint;
  readonly countedIn: CountedIn;
}

export interface FlushedCharge {
  charge: CountedCharge;
  /** The payer's balances after the write, when the writer knows them; without them the balances are re-read. */
  after?: PayerBalancesAfter;
  /** The database refused the key's limit and recorded the charge anyway: the key has spent at least this much. */
  keySpentAtLeast?: bigint;
}

export interface PayerBook {
  /**
   * Holds `amount` for one request; 402 `insufficient_quota` when the payer (or the key) cannot cover it. Counted in
   * memory with fresh balances, the hold is at hand (no promise).
   */
  reserve(p: Payer, amount: bigint): Maybe<PayerHold>;
  release(hold: PayerHold): void;
  /** Ends `hold` (if any) and counts `cost` against the payer until the charge is flushed or dropped. */
  charge(hold: PayerHold | undefined, p: Payer, requestId: string, cost: bigint): CountedCharge;
  /** Charges that are durable now. Call once per charge. */
  flushed(charges: FlushedCharge[]): void;
  /** Charges that will not land (dead-lettered): no longer counted. */
  dropped(charges: CountedCharge[]): void;
  /**
   * The users' balances changed in the database outside the gateway's charges (this node committed a recharge): read
   * them again before any hold, here and — with Redis — on every node.
   */
  invalidate(userIds: number[]): Promise<void>;
  /** Another node said the users' balances changed: read them again before this node's next hold. */
  forget(userIds: number[]): void;
}

interface Counts {
  pending: bigint;
  reserved: bigint;
}

interface KeyCounts extends Counts {
  spent: bigint;
}

export function createPayerBook(deps: { ledger: Pick<Ledger, 'balanceVersions'>; clock: Clock; balances?: BalanceCache }): PayerBook {
  const balances = deps.balances ?? createBalanceCache(deps);
  const users = new Map<number, Counts>();
  const keys = new Map<number, KeyCounts>();

  const countsOf = (userId: number): Counts => {
    let c = users.get(userId);
    if (!c) users.set(userId, (c = { pending: 0n, reserved: 0n }));
    return c;
  };

  function keyCounts(p: Payer): KeyCounts | undefined {
    if (p.apiKeyId === undefined) return undefined;
    let k = keys.get(p.apiKeyId);
    if (!k) keys.set(p.apiKeyId, (k = { spent: 0n, pending: 0n, reserved: 0n }));
    // The authenticated key says what the database had: other nodes' spending shows up there within seconds.
    if (p.keySpentMicros !== undefined && p.keySpentMicros > k.spent) k.spent = p.keySpentMicros;
    return k;
  }

  /** Why `amount` cannot be held now, or undefined when it can. */
  function refusal(p: Payer, known: KnownBalances, amount: bigint): Refusal | undefined {
    const k = keyCounts(p);
    if (k && p.keySpendLimitMicros != null && k.spent + k.pending + k.reserved + amount > p.keySpendLimitMicros) return { kind: 'key' };
    const owed = p.billingMode === 'prepaid' ? owedBy(known) : 0n;
    if (owed > 0n) return { kind: 'debt', owed };
    const c = countsOf(p.userId);
    const free = known.spend.balance - c.pending - c.reserved;
    if (p.billingMode === 'prepaid' ? free < amount : p.creditLimitMicros !== null && p.creditLimitMicros + free < amount) return { kind: 'balance' };
    return undefined;
  }

  function count(p: Payer, field: keyof Counts, amount: bigint) {
    countsOf(p.userId)[field] += amount;
    const k = keyCounts(p);
    if (k) k[field] += amount;
  }

  function hold(p: Payer, amount: bigint, known: KnownBalances): Maybe<PayerHold> {
    const refused = refusal(p, known, amount);
    // A recharge may just have landed (a key's limit no read can lift).
    if (refused && refused.kind !== 'key') {
      return balances.recheck(p).then((reread) => {
        const still = reread ? refusal(p, reread, amount) : refused;
        if (still) throw refusalError(p, still);
        return take(p, amount);
      });
    }
    // A refusal rejects, as it would after a read: callers handle one failure path.
    if (refused) return Promise.reject(refusalError(p, refused));
    return take(p, amount);
  }

  /** Checked and taken with no await between: concurrent holds cannot both take the last of the room. */
  function take(p: Payer, amount: bigint): PayerHold {
    count(p, 'reserved', amount);
    return { id: randomUUID(), payer: p, amount, countedIn: 'local' };
  }

  function release(hold: PayerHold) {
    if (hold.countedIn === 'local') count(hold.payer, 'reserved', -hold.amount);
  }

  return {
    reserve(p, amount) {
      const known = balances.get(p);
      if (known instanceof Promise) return known.then((k) => hold(p, amount, k));
      return hold(p, amount, known);
    },

    release,

    charge(hold, p, requestId, cost) {
      if (hold) release(hold);
      count(p, 'pending', cost);
      return { payer: p, requestId, cost, countedIn: 'local' };
    },

    flushed(charges) {
      for (const { charge, after, keySpentAtLeast } of charges) {
        const p = charge.payer;
        if (charge.countedIn === 'local') count(p, 'pending', -charge.cost);
        if (after) balances.observe(p, after);
        // A write this node cannot describe (a replay): read again. A free request (a failure) moved nothing.
        else if (charge.cost > 0n) balances.markStale(p);
        const k = keyCounts(p);
        if (!k) continue;
        k.spent += charge.cost;
        if (keySpentAtLeast !== undefined && k.spent < keySpentAtLeast) k.spent = keySpentAtLeast;
      }
    },

    dropped(charges) {
      for (const c of charges) if (c.countedIn === 'local') count(c.payer, 'pending', -c.cost);
    },

    async invalidate(userIds) {
      balances.invalidate(userIds);
    },

    forget(userIds) {
      balances.invalidate(userIds);
    },
  };
}

/** Why a hold was refused: the key's spend limit, a prepaid user's debt, or the balance (credit limit). */
export type Refusal = { kind: 'key' } | { kind: 'debt'; owed: bigint } | { kind: 'balance' };

export function refusalError(p: Pick<Payer, 'billingMode'>, r: Refusal): AppError {
  if (r.kind === 'key') return insufficientQuota('This API key has reached its spend limit');
  if (r.kind === 'debt') {
    // In CNY rounded up to the cent: paying what the message says always clears the debt.
    const cents = ((r.owed + 9_999n) / 10_000n) * 10_000n;
    return insufficientQuota(`Your account owes ¥${formatCny(cents)} for earlier usage; please recharge to continue`);
  }
  const what = p.billingMode === 'prepaid' ? 'Your balance is too low for this request' : 'Your credit limit is reached';
  return insufficientQuota(`${what}; please recharge`);
}

/** 402 with OpenAI's `insufficient_quota` (not 429: SDKs must not retry it). */
function insufficientQuota(message: string): AppError {
  return new AppError('PAYMENT_REQUIRED', message, { openaiCode: 'insufficient_quota', openaiType: 'insufficient_quota' });
}
