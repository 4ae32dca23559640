import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Database, Db } from '../../platform/db.ts';
import { asOneStatement, type NamedStatement } from '../../platform/sql-batch.ts';
import type { Clock } from '../../platform/time.ts';
import { ACCOUNTS, type AccountSpec } from '../ledger/accounts.ts';
import { BatchRefused, type BatchResult } from '../ledger/batch.ts';
import type { Ledger, Posting, TransferRequest } from '../ledger/ledger.service.ts';
import type { NewUsageRecord } from './usage.tables.ts';
import type { UsageService } from './usage.service.ts';
import { createPayerBook, type Payer } from './payers.ts';

// Gateway billing (DESIGN.md §5). Before forwarding, `reserve` holds the request's maximum cost against what the
// payer can spend — in memory, so the hot path makes no database round trip. After the response, `settle` queues
// the actual charge; a flusher writes every queued charge in one transaction (ledger transfers, usage records, key
// spend) — group commit — and the request completes only when its charge is durable. The ledger's guarded SQL stays
// the final word: if a batch would take a wallet below zero (another node spent the same money), the charge falls
// back to one transfer per request, and what the wallet cannot cover is posted to the user's receivable.

export interface Reservation {
  payer: Payer;
  amount: bigint;
  done: boolean;
}

export interface Charge {
  /** The request id: the transfer's idempotency key, so a charge can never land twice. */
  requestId: string;
  cost: bigint;
  description: string;
  usage: NewUsageRecord;
  /** Set when a supplier's package served it: the supplier earns `earning` (pending), the platform the rest as fee. */
  packageUse?: PackageUse;
}

export interface PackageUse {
  packageId: number;
  supplierUserId: number;
  /** Tokens sold from the package's quota. */
  tokens: number;
  earning: bigint;
}

/** One charge with its payer, as effects see it. */
export interface ChargeItem {
  payer: Payer;
  charge: Charge;
}

/**
 * Writes that must commit with a batch of charges — API key spend, package quota, supplier earnings — as named
 * data-modifying statements. They run inside the batch's single statement on the fast path, and as one statement in the
 * careful path's transaction, so they land exactly when the charges do.
 */
export type ChargeEffect = (items: ChargeItem[], now: Date) => NamedStatement[];

interface Queued {
  payer: Payer;
  charge: Charge;
  /** Called once the charge is durable. A flush that fails is retried, never given up: there is no reject. */
  resolve: () => void;
}

const MAX_BATCH = 1000;
const MAX_RETRY_DELAY_MS = 1_000;

export function createBilling(deps: {
  database: Database;
  ledger: Ledger;
  usage: UsageService;
  effects: ChargeEffect[];
  clock: Clock;
  log: FastifyBaseLogger;
}) {
  const { database, ledger } = deps;
  const book = createPayerBook({ ledger, clock: deps.clock });
  const queue: Queued[] = [];
  // One flush at a time. Overlapping flushes are safe (payers.ts orders balances by ledger version) but, measured on
  // PostgreSQL on the 2-core bench host, they only made batches smaller: median 2081 req/s with one flusher, 1688 with
  // two, 1573 with eight (`npm run bench`, 2026-11-25).
  let flushing: Promise<void> | undefined;
  let scheduled = false;
  let retryDelay = 0;

  const payerAccount = (p: Payer): AccountSpec => (p.billingMode === 'prepaid' ? ACCOUNTS.userWallet(p.userId) : ACCOUNTS.userReceivable(p.userId));

  function transferOf(payer: Payer, charge: Charge, from: Posting[] = [{ account: payerAccount(payer), amount: -charge.cost }]): TransferRequest {
    return {
      idempotencyKey: `gateway:${charge.requestId}`,
      kind: 'api_usage',
      reference: charge.requestId,
      description: charge.description,
      postings: [...from, ...creditsOf(charge)],
    };
  }

  /** Where a charge's money goes: platform revenue, or the supplier's pending earnings and the platform's fee. */
  function creditsOf(charge: Charge): Posting[] {
    const use = charge.packageUse;
    if (!use) return [{ account: ACCOUNTS.platformRevenue, amount: charge.cost }];
    const fee = charge.cost - use.earning;
    return [
      ...(use.earning > 0n ? [{ account: ACCOUNTS.supplierPending(use.supplierUserId), amount: use.earning }] : []),
      ...(fee > 0n ? [{ account: ACCOUNTS.platformFeeIncome, amount: fee }] : []),
    ];
  }

  const effectsOf = (items: Queued[]) => deps.effects.flatMap((effect) => effect(items, deps.clock.now()));

  async function applyEffects(tx: Db, items: Queued[]) {
    const statements = items.length > 0 ? effectsOf(items) : [];
    if (statements.length > 0) await tx.execute(asOneStatement(statements));
  }

  /**
   * One transfer per payer per flush: the payer's account pays the sum of its requests, each receiving account gets
   * its share. The requests themselves are the usage records, each naming the transfer (`charge_ref`), so
   * Σ usage costs = Σ charges holds per transfer — and a flush costs three rows per payer, not per request.
   */
  function batchTransfers(batchId: string, charged: Queued[]): { transfers: TransferRequest[]; refs: Map<Queued, string> } {
    const byPayer = new Map<string, Queued[]>();
    for (const q of charged) {
      const code = payerAccount(q.payer).code;
      byPayer.set(code, [...(byPayer.get(code) ?? []), q]);
    }
    const refs = new Map<Queued, string>();
    const transfers = [...byPayer].map(([code, items]) => {
      const ref = `gateway:${batchId}:${code}`;
      const total = items.reduce((sum, q) => sum + q.charge.cost, 0n);
      const credits = new Map<string, Posting>();
      for (const q of items) {
        refs.set(q, ref);
        for (const p of creditsOf(q.charge)) {
          const acc = credits.get(p.account.code);
          credits.set(p.account.code, { account: p.account, amount: (acc?.amount ?? 0n) + p.amount });
        }
      }
      return {
        idempotencyKey: ref,
        kind: 'api_usage',
        reference: ref,
        description: items.length === 1 ? items[0]?.charge.description : `API usage: ${items.length} requests`,
        metadata: { requests: items.length },
        postings: [{ account: payerAccount(items[0]?.payer as Payer), amount: -total }, ...credits.values()],
      };
    });
    return { transfers, refs };
  }

  function schedule() {
    if (scheduled || flushing) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flushing = flush().finally(() => {
        flushing = undefined;
        if (queue.length > 0) setTimeout(schedule, retryDelay);
      });
    });
  }

  /** The fast path: the whole batch — usage records, charges, key spend — in one statement. */
  async function commitFast(batch: Queued[]) {
    const charged = batch.filter((q) => q.charge.cost > 0n);
    const { transfers, refs } = batchTransfers(randomUUID(), charged);
    await ledger.prepareAccounts(transfers.flatMap((t) => t.postings.map((p) => p.account)));
    const alongside = [
      { name: 'usage_rows', statement: deps.usage.insertStatement(batch.map((q) => ({ ...q.charge.usage, chargeRef: refs.get(q) ?? null }))) },
      ...effectsOf(batch),
    ];
    const result = await ledger.commitMany(transfers, alongside);
    for (const q of batch) book.flushed(q.payer, q.charge.cost, afterOf(result, payerAccount(q.payer).code));
  }

  /** The careful path, when the fast one was refused: replays are skipped, and a refused wallet is found by name. */
  async function commit(batch: Queued[]) {
    const batchId = randomUUID();
    const charged = batch.filter((q) => q.charge.cost > 0n);
    const { transfers, refs } = batchTransfers(batchId, charged);
    await ledger.prepareAccounts(transfers.flatMap((t) => t.postings.map((p) => p.account)));
    const result = await database.transaction(async (tx) => {
      const fresh = await deps.usage.recordNew(batch.map((q) => ({ ...q.charge.usage, chargeRef: refs.get(q) ?? null })), tx);
      // A request id already recorded was charged then (a replay): it is not charged again. Refs depend only on the
      // batch and the payer, so the records written above still name the right transfers.
      const due = charged.filter((q) => fresh.has(q.charge.requestId));
      const toApply = due.length === charged.length ? transfers : batchTransfers(batchId, due).transfers;
      const r = toApply.length > 0 ? await ledger.transferMany(toApply, tx) : { balances: new Map<string, bigint>(), replayed: [] };
      await applyEffects(tx, batch.filter((q) => fresh.has(q.charge.requestId)));
      return r;
    });
    for (const q of batch) book.flushed(q.payer, q.charge.cost, undefined);
  }

  /** A wallet that cannot cover its charge pays what it has; the rest becomes the user's debt, never lost money. */
  async function commitAlone(q: Queued) {
    const wallet = payerAccount(q.payer);
    const available = q.payer.billingMode === 'prepaid' ? await ledger.balance(wallet) : q.charge.cost;
    const fromWallet = available < q.charge.cost ? (available > 0n ? available : 0n) : q.charge.cost;
    const from: Posting[] = [
      ...(fromWallet > 0n ? [{ account: wallet, amount: -fromWallet }] : []),
      ...(fromWallet < q.charge.cost ? [{ account: ACCOUNTS.userReceivable(q.payer.userId), amount: fromWallet - q.charge.cost }] : []),
    ];
    const transfer = transferOf(q.payer, q.charge, from);
    await ledger.prepareAccounts(transfer.postings.map((p) => p.account));
    await database.transaction(async (tx) => {
      await ledger.transferMany([transfer], tx);
      await deps.usage.record([{ ...q.charge.usage, chargeRef: transfer.idempotencyKey }], tx);
      await applyEffects(tx, [q]);
    });
    if (fromWallet < q.charge.cost) deps.log.warn({ userId: q.payer.userId, requestId: q.charge.requestId }, 'gateway charge exceeded the wallet; the rest is owed');
    book.flushed(q.payer, q.charge.cost, undefined);
  }

  async function flush(): Promise<void> {
    const batch = queue.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    try {
      try {
        await commitFast(batch).catch((err) => {
          if (err instanceof BatchRefused) return commit(batch);
          throw err;
        });
      } catch (err) {
        if (!(err instanceof BatchRefused)) throw err;
        const refused = new Set(err.accountCodes);
        const alone = batch.filter((q) => refused.has(payerAccount(q.payer).code));
        const rest = batch.filter((q) => !refused.has(payerAccount(q.payer).code));
        if (rest.length > 0) await commit(rest);
        for (const q of alone) await commitAlone(q);
      }
      retryDelay = 0;
      for (const q of batch) q.resolve();
    } catch (err) {
      // The database is unreachable or refused the batch: keep every charge queued, in order, and try again. The
      // waiting requests stay open — their charges are not durable yet.
      queue.unshift(...batch);
      retryDelay = Math.min(MAX_RETRY_DELAY_MS, Math.max(50, retryDelay * 2));
      deps.log.error({ err: (err as Error).message, queued: queue.length }, 'gateway billing flush failed; retrying');
    }
  }

  return {
    /** Holds `amount` for one request; 402 `insufficient_quota` when the payer cannot cover it. */
    async reserve(payer: Payer, amount: bigint): Promise<Reservation> {
      await book.reserve(payer, amount);
      return { payer, amount, done: false };
    },

    /** Charges the actual cost and records the usage; resolves once both are durable. */
    settle(reservation: Reservation | undefined, payer: Payer, charge: Charge): Promise<void> {
      if (reservation && !reservation.done) {
        reservation.done = true;
        book.release(reservation.payer, reservation.amount);
      }
      book.charge(payer, charge.cost);
      return new Promise<void>((resolve) => {
        queue.push({ payer, charge, resolve });
        schedule();
      });
    },

    /** Returns an unused hold (nothing was charged). */
    release(reservation: Reservation) {
      if (reservation.done) return;
      reservation.done = true;
      book.release(reservation.payer, reservation.amount);
    },

    /** Waits until every queued charge is durable (shutdown, tests). */
    async drain(): Promise<void> {
      while (queue.length > 0 || flushing || scheduled) {
        if (flushing) await flushing;
        else await new Promise((r) => setTimeout(r, 5));
      }
    },

    pending: () => queue.length,
  };
}

export type Billing = ReturnType<typeof createBilling>;

/** What each API key spent in these charges (for the key-spend effect). */
export function keySpendOf(items: ChargeItem[]): Map<number, bigint> {
  const spend = new Map<number, bigint>();
  for (const q of items) {
    if (q.payer.apiKeyId !== undefined && q.charge.cost > 0n) spend.set(q.payer.apiKeyId, (spend.get(q.payer.apiKeyId) ?? 0n) + q.charge.cost);
  }
  return spend;
}

function afterOf(result: BatchResult, code: string): { balance: bigint; version: number } | undefined {
  const balance = result.balances.get(code);
  const version = result.versions?.get(code);
  return balance === undefined || version === undefined ? undefined : { balance, version };
}
