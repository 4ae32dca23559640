import type { Database } from '../../platform/db.ts';
import { conflict, notFound } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import type { Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { ChargeWriter } from './charge-writer.ts';
import * as repo from './dead-letters.repo.ts';
import type { DeadLetterRow, DeadLetterStatus } from './dead-letters.tables.ts';
import type { PayerBook } from './payers.ts';

// The operator's side of the dead-letter table: list the charges billing gave up on, charge one again (the one-request
// path, idempotent by request id: a charge that did land meanwhile is not taken twice), or write one off with a note.
// Each decision is audited.

export function createDeadLetterService(deps: { database: Database; clock: Clock; writer: ChargeWriter; book: PayerBook; audit: AuditLog }) {
  const { database, clock } = deps;

  async function openLetter(id: number): Promise<DeadLetterRow> {
    const row = await repo.get(database.db, id);
    if (!row) throw notFound('Dead letter');
    if (row.status !== 'open') throw conflict(`This charge is already ${row.status}`);
    return row;
  }

  async function close(actor: Principal, row: DeadLetterRow, to: 'charged' | 'resolved', note: string | null, requestId: string) {
    return database.transaction(async (tx) => {
      const closed = await repo.close(tx, row.id, to, actor.userId, note, clock.now());
      if (!closed) throw conflict('Another operator handled this charge first');
      await deps.audit.record(tx, {
        actorUserId: actor.userId, tenantUserId: row.userId, action: `billing.dead_letter.${to}`, objectType: 'billing_dead_letter', objectId: String(row.id),
        before: { status: row.status }, after: { status: to, cost_micros: row.costMicros }, reason: note ?? undefined, requestId,
      });
      return closed;
    });
  }

  return {
    page: (status: DeadLetterStatus | undefined, window: { limit: number; offset: number }) => repo.page(database.db, status, window.limit, window.offset),

    /** Open letters: what the alert metric reports. */
    openCount: () => repo.countOpen(database.db),

    /** Charges the request now; a failure is noted on the letter, which stays open. */
    async retry(actor: Principal, id: number, requestId: string): Promise<DeadLetterRow> {
      const row = await openLetter(id);
      const item = repo.chargeOf(row);
      let written;
      try {
        written = await deps.writer.alone(item);
      } catch (err) {
        const message = (err as Error).message;
        await repo.noteFailure(database.db, row.id, message, clock.now());
        throw conflict(`The charge failed again: ${message}`);
      }
      // Billing stopped counting it when it was filed; now it is durable, like any flushed charge.
      deps.book.flushed([{ charge: { payer: item.payer, requestId: item.charge.requestId, cost: item.charge.cost, countedIn: 'none' }, after: written.after }]);
      return close(actor, row, 'charged', null, requestId);
    },

    /** Writes the charge off: nothing is charged, the letter is closed with the operator's reason. */
    async resolve(actor: Principal, id: number, note: string, requestId: string): Promise<DeadLetterRow> {
      return close(actor, await openLetter(id), 'resolved', note, requestId);
    },
  };
}

export type DeadLetterService = ReturnType<typeof createDeadLetterService>;
