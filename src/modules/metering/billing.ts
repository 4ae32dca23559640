import type { FastifyBaseLogger } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Database } from '../../platform/db.ts';
import type { Clock } from '../../platform/time.ts';
import type { ChargeWriter, Failed, Written } from './charge-writer.ts';
import type { Charge, ChargeItem } from './charges.ts';
import * as deadLetters from './dead-letters.repo.ts';
import type { CountedCharge, FlushedCharge, Payer, PayerBook, PayerHold } from './payers.ts';

export type { Charge, ChargeEffect, ChargeItem, EffectMode, PackageUse } from './charges.ts';
export { keySpendOf } from './charges.ts';

// Gateway billing (DESIGN.md §5). Before forwarding, `reserve` holds the request's maximum cost against what the
// payer can spend (payers.ts: in memory, or in Redis shared by every node), so the hot path makes no database round
// trip. After the response, `settle` queues the actual charge; a flusher writes every queued charge at once — group
// commit, charge-writer.ts — and the request completes only when its charge is durable. The database's guards stay
// the final word: what they refuse is charged one request at a time (a wallet's shortfall becomes the user's debt).
//
// Billing never wedges: a charge that fails is retried with backoff while the others go on (another payer's response
// never waits for it), on its own after its first failure, and after `deadAfter` failures it is filed in the
// dead-letter table for an operator (dead-letters.service.ts) and its request is answered. Each charge is reported to
// the payer book exactly once: written, or dropped as a dead letter.

export interface Reservation {
  payer: Payer;
  amount: bigint;
  done: boolean;
  hold: PayerHold;
}

export interface BillingMetrics {
  flushFailed(charges: number): void;
  deadLettered(): void;
  keyOverLimit(): void;
}

export interface RetryPolicy {
  /** Failures after which a charge is written on its own, so one bad charge cannot keep failing a batch. */
  aloneAfter: number;
  /** Failures after which a charge goes to the dead-letter table. */
  deadAfter: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

interface Queued {
  item: ChargeItem;
  counted: CountedCharge;
  /** Completes the request. Called once: when the charge is durable, or filed as a dead letter. */
  resolve: () => void;
  finished: boolean;
  attempts: number;
  /** performance.now() before which a failed charge is not tried again. */
  retryAt: number;
  lastError?: string;
}

const MAX_BATCH = 1000;
const DEFAULT_RETRY: RetryPolicy = { aloneAfter: 1, deadAfter: 6, baseDelayMs: 50, maxDelayMs: 1_000 };

export function createBilling(deps: {
  database: Database;
  writer: ChargeWriter;
  book: PayerBook;
  clock: Clock;
  log: FastifyBaseLogger;
  metrics?: BillingMetrics;
  retry?: Partial<RetryPolicy>;
}) {
  const { writer, book, log } = deps;
  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  /** Charges to write at the next flush, in arrival order. */
  let ready: Queued[] = [];
  /** Charges that failed, each waiting for its retryAt. */
  let waiting: Queued[] = [];
  // One flush at a time. Overlapping flushes are safe (payers.ts orders balances by ledger version) but, measured on
  // PostgreSQL on the 2-core bench host, they only made batches smaller: median 2081 req/s with one flusher, 1688 with
  // two, 1573 with eight (`npm run bench`, 2026-11-25).
  let flushing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let immediate = false;

  function schedule() {
    if (flushing || immediate) return;
    if (ready.length > 0) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      immediate = true;
      setImmediate(run);
      return;
    }
    const next = waiting.reduce((min, q) => Math.min(min, q.retryAt), Infinity);
    if (next === Infinity || next >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(run, Math.max(0, next - performance.now()));
  }

  function run() {
    immediate = false;
    timer = undefined;
    timerAt = Infinity;
    flushing = flush()
      .catch((err: Error) => log.error({ err: err.message }, 'gateway billing flush crashed'))
      .finally(() => {
        flushing = undefined;
        schedule();
      });
  }

  function finish(written: Written[], byItem: Map<ChargeItem, Queued>) {
    const reports: FlushedCharge[] = [];
    const done: Queued[] = [];
    for (const w of written) {
      const q = byItem.get(w.item);
      if (!q || q.finished) continue;
      q.finished = true;
      done.push(q);
      const { payer, charge } = w.item;
      if (w.owed) log.warn({ userId: payer.userId, requestId: charge.requestId, owed: w.owed.toString() }, 'gateway charge exceeded the wallet; the rest is owed');
      if (w.keyOverLimit) {
        deps.metrics?.keyOverLimit();
        log.warn({ apiKeyId: payer.apiKeyId, requestId: charge.requestId }, 'gateway charge recorded past the API key spend limit');
      }
      const keySpentAtLeast = w.keyOverLimit && payer.keySpendLimitMicros != null ? payer.keySpendLimitMicros : undefined;
      reports.push({ charge: q.counted, after: w.after, keySpentAtLeast });
    }
    book.flushed(reports);
    for (const q of done) q.resolve();
  }

  async function failedAgain(failed: Failed[], byItem: Map<ChargeItem, Queued>) {
    if (failed.length > 0) deps.metrics?.flushFailed(failed.length);
    for (const { item, err } of failed) {
      const q = byItem.get(item);
      if (!q || q.finished) continue;
      q.attempts += 1;
      q.lastError = (err as Error)?.message ?? String(err);
      log.error({ err: q.lastError, requestId: item.charge.requestId, userId: item.payer.userId, attempts: q.attempts }, 'gateway charge failed; retrying');
      if (q.attempts >= policy.deadAfter) await fileDeadLetter(q);
      else retryLater(q);
    }
  }

  function retryLater(q: Queued) {
    q.retryAt = performance.now() + Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, q.attempts - 1));
    waiting.push(q);
  }

  async function fileDeadLetter(q: Queued) {
    try {
      await deadLetters.file(deps.database.db, q.item, q.lastError ?? 'unknown error', q.attempts, deps.clock.now());
    } catch (err) {
      // The database is away (it would take this charge otherwise): keep it, and keep its request waiting.
      log.error({ err: (err as Error).message, requestId: q.item.charge.requestId }, 'gateway charge could not be filed as a dead letter; retrying');
      retryLater(q);
      return;
    }
    q.finished = true;
    book.dropped([q.counted]);
    deps.metrics?.deadLettered();
    log.error({ requestId: q.item.charge.requestId, userId: q.item.payer.userId, err: q.lastError }, 'gateway charge filed as a dead letter');
    q.resolve();
  }

  async function writeTogether(batch: Queued[]) {
    const byItem = new Map(batch.map((q) => [q.item, q]));
    const items = batch.map((q) => q.item);
    let written: Written[];
    try {
      written = await writer.fast(items);
    } catch (err) {
      const r = await writer.careful(items, writer.refusalOf(err) ?? { accounts: [], keys: [] });
      finish(r.written, byItem);
      await failedAgain(r.failed, byItem);
      return;
    }
    finish(written, byItem);
  }

  async function writeAlone(q: Queued) {
    const byItem = new Map([[q.item, q]]);
    try {
      finish([await writer.alone(q.item)], byItem);
    } catch (err) {
      await failedAgain([{ item: q.item, err }], byItem);
    }
  }

  async function flush(): Promise<void> {
    const now = performance.now();
    const due = waiting.filter((q) => q.retryAt <= now);
    waiting = waiting.filter((q) => q.retryAt > now);
    const batch = ready.splice(0, MAX_BATCH);
    const together = [...batch, ...due.filter((q) => q.attempts < policy.aloneAfter)];
    if (together.length > 0) await writeTogether(together);
    for (const q of due.filter((x) => x.attempts >= policy.aloneAfter)) await writeAlone(q);
  }

  return {
    /** Holds `amount` for one request; 402 `insufficient_quota` when the payer cannot cover it. */
    async reserve(payer: Payer, amount: bigint): Promise<Reservation> {
      return { payer, amount, done: false, hold: await book.reserve(payer, amount) };
    },

    /** Charges the actual cost and records the usage; resolves once both are durable (or filed as a dead letter). */
    settle(reservation: Reservation | undefined, payer: Payer, charge: Charge): Promise<void> {
      let hold: PayerHold | undefined;
      if (reservation && !reservation.done) {
        reservation.done = true;
        hold = reservation.hold;
      }
      const counted = book.charge(hold, payer, charge.requestId, charge.cost);
      return new Promise<void>((resolve) => {
        ready.push({ item: { payer, charge }, counted, resolve, finished: false, attempts: 0, retryAt: 0 });
        schedule();
      });
    },

    /** Returns an unused hold (nothing was charged). */
    release(reservation: Reservation) {
      if (reservation.done) return;
      reservation.done = true;
      book.release(reservation.hold);
    },

    /** Waits until every queued charge is durable or filed (shutdown, tests). */
    async drain(): Promise<void> {
      while (ready.length > 0 || waiting.length > 0 || flushing || immediate) {
        if (flushing) await flushing;
        else await new Promise((r) => setTimeout(r, 5));
      }
    },

    pending: () => ready.length + waiting.length,
  };
}

export type Billing = ReturnType<typeof createBilling>;
