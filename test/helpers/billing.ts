import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createApiKeyService } from '../../src/modules/identity/api-keys.service.ts';
import { apiKeys, users } from '../../src/modules/identity/identity.tables.ts';
import { ACCOUNTS } from '../../src/modules/ledger/accounts.ts';
import { createLedger, type Ledger } from '../../src/modules/ledger/ledger.service.ts';
import { createBilling, keySpendOf, type BillingMetrics, type ChargeEffect, type RetryPolicy } from '../../src/modules/metering/billing.ts';
import { createChargeWriter } from '../../src/modules/metering/charge-writer.ts';
import type { Charge } from '../../src/modules/metering/charges.ts';
import { openJournal, type Journal } from '../../src/modules/metering/journal.ts';
import { createPayerBook, type FlushedCharge, type Payer, type PayerBook } from '../../src/modules/metering/payers.ts';
import { createUsageService } from '../../src/modules/metering/usage.service.ts';
import { usageRecords } from '../../src/modules/metering/usage.tables.ts';
import type { Database } from '../../src/platform/db.ts';
import { systemClock } from '../../src/platform/time.ts';
import type { DbTier } from './database.ts';

// Gateway billing on a real database without the HTTP app, with faults to inject: a ledger whose chosen calls throw
// (an outage, a refusal), a payer book that counts how often each charge is reported, and metrics that count alerts.
// With a journal directory, charges are journaled and the database written behind, as the gateway does by default; a
// bench can be killed (kill -9) and another started over the same database and journal, as a restart would.

type LedgerMethod = 'commitMany' | 'transferMany' | 'balance' | 'prepareAccounts';

export interface BillingBench {
  database: Database;
  /** The real ledger, for funding and checks (no faults). */
  ledger: Ledger;
  /** Calls of each ledger method billing made so far. */
  calls: Record<LedgerMethod, number>;
  /** A fault per method: given the call's number (from 1) and its arguments, true makes that call throw. */
  faults: Partial<Record<LedgerMethod, (n: number, args: unknown[]) => boolean>>;
  book: PayerBook;
  /** How many times each request id was reported flushed / dropped to the book. */
  flushed: Map<string, number>;
  dropped: Map<string, number>;
  metrics: { flushFailed: number; deadLettered: number; keyOverLimit: number };
  billing: ReturnType<typeof createBilling>;
  writer: ReturnType<typeof createChargeWriter>;
  /** The charge journal, when the bench was started with a journal directory. */
  journal?: Journal;
  payer(opts?: { credits?: bigint; keyLimit?: bigint }): Promise<Payer>;
  walletOf(userId: number): Promise<bigint>;
  receivableOf(userId: number): Promise<bigint>;
  usageOf(requestId: string): Promise<(typeof usageRecords.$inferSelect)[]>;
  /** Settles a charge of `cost` for `payer` (after a hold of `held`) and returns its request id and completion. */
  settle(payer: Payer, cost: bigint, held?: bigint): Promise<{ requestId: string; done: Promise<void> }>;
  /** A charge of `cost` for `payer`, under a new request id unless one is given. */
  chargeOf(payer: Payer, cost: bigint, requestId?: string): Charge;
  /** The process dies (kill -9): nothing its billing does from now on reaches the database; its journal stays as it is. */
  kill(): void;
  close(): Promise<void>;
}

export interface BillingBenchOptions {
  /** Journal charges here and write the database behind (journal.ts). */
  journalDir?: string;
  writeBehindMs?: number;
  /** Another bench's database, for a restart over the same data (that bench closes it). */
  database?: Database;
}

export const silentLog = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

export async function startBillingBench(tier: DbTier, retry: Partial<RetryPolicy> = {}, opts: BillingBenchOptions = {}): Promise<BillingBench> {
  const database = opts.database ?? (await tier.open());
  const ledger = createLedger({ database, clock: systemClock });
  const usage = createUsageService({ database, clock: systemClock });
  const keys = createApiKeyService({ database, clock: systemClock });
  const calls: Record<LedgerMethod, number> = { commitMany: 0, transferMany: 0, balance: 0, prepareAccounts: 0 };
  const faults: BillingBench['faults'] = {};
  let killed = false;
  const faulty = new Proxy(ledger, {
    get(target, prop, receiver) {
      const real = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !(prop in calls) || typeof real !== 'function') return real;
      return (...args: unknown[]) => {
        // A dead process's writes never arrive: every write path starts with one of these calls.
        if (killed) return new Promise(() => undefined);
        const n = (calls[prop as LedgerMethod] += 1);
        if (faults[prop as LedgerMethod]?.(n, args)) return Promise.reject(new Error(`injected: ${prop} call ${n} failed (connection terminated)`));
        return (real as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const flushed = new Map<string, number>();
  const dropped = new Map<string, number>();
  const real = createPayerBook({ ledger, clock: systemClock });
  const book: PayerBook = {
    ...real,
    flushed(charges: FlushedCharge[]) {
      for (const c of charges) flushed.set(c.charge.requestId, (flushed.get(c.charge.requestId) ?? 0) + 1);
      real.flushed(charges);
    },
    dropped(charges) {
      for (const c of charges) dropped.set(c.requestId, (dropped.get(c.requestId) ?? 0) + 1);
      real.dropped(charges);
    },
  };
  const metrics = { flushFailed: 0, deadLettered: 0, keyOverLimit: 0 };
  const countingMetrics: BillingMetrics = {
    flushFailed: (n) => void (metrics.flushFailed += n),
    deadLettered: () => void (metrics.deadLettered += 1),
    keyOverLimit: () => void (metrics.keyOverLimit += 1),
  };
  const keySpend: ChargeEffect = (items, _now, mode) => {
    const spend = keySpendOf(items);
    return spend.size > 0 ? [{ name: 'key_spend', statement: keys.addSpendStatement(spend, { enforceLimits: mode.enforceKeyLimits }) }] : [];
  };
  const writer = createChargeWriter({ database, ledger: faulty, usage, effects: [keySpend], clock: systemClock, keyRefusedBy: (err) => keys.keyOverLimitOf(err) });
  const journal = opts.journalDir ? openJournal({ dir: opts.journalDir, sync: 'os' }) : undefined;
  const billing = createBilling({ database, writer, book, clock: systemClock, log: silentLog, metrics: countingMetrics, retry, journal, writeBehindMs: opts.writeBehindMs });

  let seq = 0;
  const bench: BillingBench = {
    database, ledger, calls, faults, book, flushed, dropped, metrics, billing, writer, journal,
    async payer(opts = {}) {
      const name = `payer-${randomUUID().slice(0, 8)}`;
      const [user] = await database.db.insert(users).values({ username: name, referralCode: name }).returning();
      const userId = (user as { id: number }).id;
      if (opts.credits) {
        await ledger.transfer({ idempotencyKey: `fund:${userId}`, kind: 'gift', postings: [{ account: ACCOUNTS.promoExpense, amount: -opts.credits }, { account: ACCOUNTS.userWallet(userId), amount: opts.credits }] });
      }
      const payer: Payer = { userId, billingMode: 'prepaid', creditLimitMicros: null };
      if (opts.keyLimit === undefined) return payer;
      const [key] = await database.db
        .insert(apiKeys)
        .values({ userId, name: 'capped', keyHash: randomUUID(), last4: 'abcd', spendLimitMicros: opts.keyLimit })
        .returning();
      return { ...payer, apiKeyId: (key as { id: number }).id, keySpendLimitMicros: opts.keyLimit, keySpentMicros: 0n };
    },
    walletOf: (userId) => ledger.balance(ACCOUNTS.userWallet(userId)),
    receivableOf: (userId) => ledger.balance(ACCOUNTS.userReceivable(userId)),
    usageOf: (requestId) => database.db.select().from(usageRecords).where(eq(usageRecords.requestId, requestId)),
    async settle(payer, cost, held = cost) {
      const reservation = await billing.reserve(payer, held);
      const charge = bench.chargeOf(payer, cost);
      return { requestId: charge.requestId, done: billing.settle(reservation, payer, charge) };
    },
    chargeOf(payer, cost, requestId = `req-${(seq += 1)}-${randomUUID().slice(0, 6)}`) {
      return {
        requestId, cost, description: `test charge ${requestId}`,
        usage: { requestId, userId: payer.userId, apiKeyId: payer.apiKeyId, model: 'gpt-test', status: 'success', platform: 'api', costMicros: cost, tokensOut: 1 },
      };
    },
    kill() {
      killed = true;
    },
    async close() {
      // A killed process neither drains nor closes its journal: what it left is the next boot's to apply.
      if (!killed) {
        await billing.drain();
        journal?.close();
      }
      if (!opts.database) await database.close();
    },
  };
  return bench;
}
