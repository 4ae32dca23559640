import type { FastifyBaseLogger } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Database } from '../../platform/db.ts';
import { andThen, type Maybe } from '../../platform/maybe.ts';
import type { Clock } from '../../platform/time.ts';
import type { ChargeWriter, Failed, Written } from './charge-writer.ts';
import type { Charge, ChargeItem } from './charges.ts';
import * as deadLetters from './dead-letters.repo.ts';
import type { Journal, JournalEntry } from './journal.ts';
import type { CountedCharge, FlushedCharge, Payer, PayerBook, PayerHold } from './payers.ts';

export type { Charge, ChargeEffect, ChargeItem, EffectMode, PackageUse } from './charges.ts';
export { keySpendOf } from './charges.ts';

// Gateway billing (DESIGN.md §5). Before forwarding, `reserve` holds the request's maximum cost against what the
// payer can spend (payers.ts: in memory, or in Redis shared by every node), so the hot path makes no database round
// trip. After the response, `settle` queues the actual charge, and the request completes only when its charge is
// durable — in the charge journal (journal.ts; the database is written behind, every `writeBehindMs` or a full batch),
// or, without a journal, in the database itself (group commit: a flusher writes every queued charge at once). Either
// way the writes go through charge-writer.ts, and the database's guards stay the final word: what they refuse is
// charged one request at a time (a wallet's shortfall becomes the user's debt). Until its charge is in the database a
// payer's balance counts it as pending (payers.ts).
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
  /** The stream's opening charge, journaled: closed by the settled charge, or charged itself when none comes. */
  opened?: { entry: JournalEntry; item: ChargeItem };
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
  /** Called once: when the charge is in the database, or filed as a dead letter. */
  resolve: () => void;
  /** performance.now() when it was queued (the write-behind interval counts from the oldest). */
  queuedAt: number;
  finished: boolean;
  attempts: number;
  /** performance.now() before which a failed charge is not tried again. */
  retryAt: number;
  lastError?: string;
}

/** Charges per database write: group commit writes what arrived meanwhile; write-behind waits for more. */
const MAX_BATCH = 1000;
const MAX_BEHIND_BATCH = 4000;
const DEFAULT_RETRY: RetryPolicy = { aloneAfter: 1, deadAfter: 6, baseDelayMs: 50, maxDelayMs: 1_000 };

export function createBilling(deps: {
  database: Database;
  writer: ChargeWriter;
  book: PayerBook;
  clock: Clock;
  log: FastifyBaseLogger;
  metrics?: BillingMetrics;
  retry?: Partial<RetryPolicy>;
  /** With a journal, a charge is durable once journaled and the database is written behind. */
  journal?: Journal;
  /** How long a journaled charge may wait for its database write (a full batch goes at once). */
  writeBehindMs?: number;
}) {
  const { writer, book, log, journal } = deps;
  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  const behindMs = journal ? (deps.writeBehindMs ?? 100) : 0;
  const maxBatch = journal ? MAX_BEHIND_BATCH : MAX_BATCH;
  /** drain() is waiting: write at once. */
  let urgent = 0;
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
    const oldest = ready[0];
    if (oldest && (behindMs === 0 || urgent > 0 || ready.length >= maxBatch)) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      immediate = true;
      setImmediate(run);
      return;
    }
    const next = waiting.reduce((min, q) => Math.min(min, q.retryAt), oldest ? oldest.queuedAt + behindMs : Infinity);
    if (next === Infinity || next >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(run, Math.max(0, next - performance.now()));
  }

  function enqueue(item: ChargeItem, counted: CountedCharge, resolve: () => void) {
    ready.push({ item, counted, resolve, queuedAt: performance.now(), finished: false, attempts: 0, retryAt: 0 });
    schedule();
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
    const batch = ready.splice(0, maxBatch);
    const together = [...batch, ...due.filter((q) => q.attempts < policy.aloneAfter)];
    if (together.length > 0) await writeTogether(together);
    for (const q of due.filter((x) => x.attempts >= policy.aloneAfter)) await writeAlone(q);
  }

  return {
    /** Holds `amount` for one request; 402 `insufficient_quota` when the payer cannot cover it. */
    reserve(payer: Payer, amount: bigint): Maybe<Reservation> {
      return andThen(book.reserve(payer, amount), (hold): Reservation => ({ payer, amount, done: false, hold }));
    },

    /**
     * Charges the actual cost and records the usage; resolves once the charge is durable: journaled (the database
     * follows), or in the database (or filed as a dead letter).
     */
    settle(reservation: Reservation | undefined, payer: Payer, charge: Charge): Promise<void> {
      let hold: PayerHold | undefined;
      let opened: JournalEntry | undefined;
      if (reservation && !reservation.done) {
        reservation.done = true;
        hold = reservation.hold;
        opened = reservation.opened?.entry;
      }
      const counted = book.charge(hold, payer, charge.requestId, charge.cost);
      const item = { payer, charge };
      if (!journal) return new Promise<void>((resolve) => enqueue(item, counted, resolve));
      const { entry, written } = journal.append({ kind: 'charge', item });
      const applied = new Promise<void>((resolve) => enqueue(item, counted, () => (journal.done(entry), resolve())));
      return written.then(
        () => void (opened && journal.done(opened)),
        (err: Error) => {
          // The journal cannot be written (a full or failing disk): this charge is durable when the database has it.
          log.error({ err: err.message, requestId: charge.requestId }, 'charge journal write failed; waiting for the database');
          return applied.then(() => void (opened && journal.done(opened)));
        },
      );
    },

    /**
     * A stream is about to send its first byte: journal what it costs if it is cut there (its prompt), so that a
     * crash mid-stream still charges that much. Without a journal there is nothing to do (the charge waits for the
     * stream's end, as the response does).
     */
    async open(reservation: Reservation | undefined, payer: Payer, charge: Charge): Promise<void> {
      if (!journal || !reservation || reservation.done || reservation.opened) return;
      const { entry, written } = journal.append({ kind: 'open', item: { payer, charge } });
      reservation.opened = { entry, item: { payer, charge } };
      await written.catch((err: Error) => log.error({ err: err.message, requestId: charge.requestId }, 'charge journal write failed for a stream opening'));
    },

    /**
     * Returns an unused hold. A stream that sent its first byte and ends without a settled charge (it broke inside
     * this service) is charged its opening, as it would be after a crash.
     */
    release(reservation: Reservation) {
      if (reservation.done) return;
      reservation.done = true;
      book.release(reservation.hold);
      const opened = reservation.opened;
      if (!journal || !opened) return;
      const { payer, charge } = opened.item;
      enqueue(opened.item, book.charge(undefined, payer, charge.requestId, charge.cost), () => journal.done(opened.entry));
    },

    /** Charges journaled before a restart and not yet in the database: queued as if just settled. */
    replay(items: ChargeItem[]) {
      for (const item of items) enqueue(item, book.charge(undefined, item.payer, item.charge.requestId, item.charge.cost), () => undefined);
    },

    /** Waits until every queued charge is durable or filed (shutdown, tests). */
    async drain(): Promise<void> {
      urgent += 1;
      try {
        schedule();
        while (ready.length > 0 || waiting.length > 0 || flushing || immediate) {
          if (flushing) await flushing;
          else await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        urgent -= 1;
      }
    },

    pending: () => ready.length + waiting.length,
  };
}

export type Billing = ReturnType<typeof createBilling>;
