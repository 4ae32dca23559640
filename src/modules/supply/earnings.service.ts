import { and, asc, count, desc, eq, gte, inArray, lt, lte } from 'drizzle-orm';
import type { Database } from '../../platform/db.ts';
import { AppError, conflict, notFound } from '../../platform/errors.ts';
import { formatCny } from '../../platform/money.ts';
import type { Principal } from '../../platform/principal.ts';
import { addMs, beijingDay, beijingDayStart, type Clock } from '../../platform/time.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { InsufficientFunds, type Ledger, type TransferRequest } from '../ledger/ledger.service.ts';
import { suppliers, supplyEarnings, type SupplyEarningRow } from './supply.tables.ts';

// A supplier's earnings (DESIGN.md §6). The ledger holds the money, the records explain it, and the two always agree
// per status: Σ pending records = supplierPending, Σ available records = supplierAvailable (refunds count negative).
// Usage records arrive from the gateway's billing flush, rolled up per package per UTC+8 day; they mature here.

const DAY_MS = 24 * 3600 * 1000;
/** Records matured per transaction: a backlog after downtime drains in several short transactions. */
const MATURE_BATCH = 500;

export interface EarningsAdjustment {
  supplierUserId: number;
  type: 'bonus' | 'refund';
  /** µ¥, positive; a refund is recorded (and moved) as its negative. */
  amountMicros: bigint;
  description: string;
}

/** Whole UTC+8 days, both inclusive; a missing side is open. */
export interface EarningsRange {
  startDate?: string;
  endDate?: string;
}

export interface EarningsBalances {
  pending: bigint;
  available: bigint;
  frozen: bigint;
  withdrawn: bigint;
}

export function createEarningsService(deps: { database: Database; clock: Clock; ledger: Ledger; audit: AuditLog }) {
  const { database, clock, ledger, audit } = deps;
  const t = supplyEarnings;

  /** One batch: the due records still pending become available, and their amounts move in the same transaction. */
  async function matureBatch(): Promise<{ due: number; matured: number }> {
    const now = clock.now();
    const due = await database.db
      .select({ id: t.id, supplierUserId: t.supplierUserId })
      .from(t)
      .where(and(eq(t.status, 'pending'), lte(t.maturesAt, now)))
      .orderBy(asc(t.maturesAt), asc(t.id))
      .limit(MATURE_BATCH);
    if (due.length === 0) return { due: 0, matured: 0 };
    const supplierIds = [...new Set(due.map((r) => r.supplierUserId))];
    await ledger.prepareAccounts(supplierIds.flatMap((id) => [ACCOUNTS.supplierPending(id), ACCOUNTS.supplierAvailable(id)]));

    const matured = await database.transaction(async (tx) => {
      // Row locks in id order, skipping rows another transaction holds (a concurrent maturer, or a flush adding to the
      // record: a later run takes those), and `status = 'pending'` re-checked under the lock: a record moves once. The
      // flush writes a record and its pending money in one transaction, so the amount returned under the lock is the
      // money in supplierPending for it; a flush after this commit finds no open record and opens a new one.
      const lockable = tx
        .select({ id: t.id })
        .from(t)
        .where(and(inArray(t.id, due.map((r) => r.id)), eq(t.status, 'pending'), lte(t.maturesAt, now)))
        .orderBy(asc(t.id))
        .for('update', { skipLocked: true });
      const rows = await tx
        .update(t)
        .set({ status: 'available', updatedAt: now })
        .where(and(inArray(t.id, lockable), eq(t.status, 'pending')))
        .returning({ id: t.id, supplierUserId: t.supplierUserId, amountMicros: t.amountMicros });
      const transfers: TransferRequest[] = rows
        .filter((r) => r.amountMicros !== 0n)
        .map((r) => ({
          idempotencyKey: `earnings-mature:${r.id}`,
          kind: 'earnings_mature',
          reference: `supply_earning:${r.id}`,
          postings: [
            { account: ACCOUNTS.supplierPending(r.supplierUserId), amount: -r.amountMicros },
            { account: ACCOUNTS.supplierAvailable(r.supplierUserId), amount: r.amountMicros },
          ],
        }));
      if (transfers.length > 0) await ledger.transferMany(transfers, tx);
      return rows.length;
    });
    return { due: due.length, matured };
  }

  async function requireSupplier(userId: number): Promise<void> {
    const [found] = await database.db.select({ userId: suppliers.userId }).from(suppliers).where(eq(suppliers.userId, userId));
    if (!found) throw notFound('Supplier');
  }

  return {
    /** Makes every pending record whose hold has passed available. Safe to run concurrently with itself and the flush. */
    async mature(): Promise<{ matured: number }> {
      let matured = 0;
      for (;;) {
        const batch = await matureBatch();
        matured += batch.matured;
        // A short batch was the last; a batch that moved nothing was taken by a concurrent run.
        if (batch.due < MATURE_BATCH || batch.matured === 0) return { matured };
      }
    },

    /**
     * An operator's adjustment, available at once: a bonus is paid by promotions, a refund goes back to platform
     * revenue out of the supplier's available earnings (never more than they have). Audited; the key (per operator)
     * moves money at most once, and a reused key is refused rather than answered from a record it cannot name.
     */
    async adjust(actor: Principal, a: EarningsAdjustment, idempotencyKey: string, requestId: string) {
      await requireSupplier(a.supplierUserId);
      const available = ACCOUNTS.supplierAvailable(a.supplierUserId);
      const signed = a.type === 'bonus' ? a.amountMicros : -a.amountMicros;
      const counterpart = a.type === 'bonus' ? ACCOUNTS.promoExpense : ACCOUNTS.platformRevenue;
      try {
        return await database.transaction(async (tx) => {
          const now = clock.now();
          const [record] = await tx
            .insert(t)
            .values({
              supplierUserId: a.supplierUserId, earningsType: a.type, amountMicros: signed, status: 'available',
              earnDay: beijingDay(now), description: a.description, earnedAt: now, createdAt: now, updatedAt: now,
            })
            .returning();
          const row = record as SupplyEarningRow;
          const result = await ledger.transfer(
            {
              idempotencyKey: `earnings-adjust:${actor.userId}:${idempotencyKey}`,
              kind: `supply_${a.type}`,
              reference: `supply_earning:${row.id}`,
              description: a.description,
              metadata: { operator: actor.userId, supplier: a.supplierUserId },
              postings: [{ account: counterpart, amount: -signed }, { account: available, amount: signed }],
            },
            tx,
          );
          if (result.replayed) throw conflict('This Idempotency-Key was already used for an earlier adjustment', { field: 'headers.idempotency-key' });
          const after = result.balances.get(available.code) as bigint;
          await audit.record(tx, {
            actorUserId: actor.userId, tenantUserId: a.supplierUserId, action: `earnings.${a.type}`, objectType: 'supply_earning',
            objectId: String(row.id), before: { available: after - signed }, after: { available: after, amount: signed },
            reason: a.description, requestId,
          });
          return { record: row, available: after };
        });
      } catch (err) {
        if (!(err instanceof InsufficientFunds)) throw err;
        const have = await ledger.balance(available);
        throw new AppError('VALIDATION_FAILED', `The refund of ¥${formatCny(a.amountMicros)} exceeds the supplier's available earnings of ¥${formatCny(have)}`, {
          field: 'body.amount',
          available: Number(formatCny(have)),
        });
      }
    },

    /** One page of a supplier's records earned within the range, newest first. */
    async list(supplierUserId: number, range: EarningsRange, window: { limit: number; offset: number }) {
      const from = range.startDate ? beijingDayStart(range.startDate) : undefined;
      const to = range.endDate ? addMs(beijingDayStart(range.endDate) as Date, DAY_MS) : undefined;
      const where = and(eq(t.supplierUserId, supplierUserId), from ? gte(t.earnedAt, from) : undefined, to ? lt(t.earnedAt, to) : undefined);
      const [rows, [total]] = await Promise.all([
        // The id breaks ties between records earned in the same instant, so pages never overlap or skip.
        database.db.select().from(t).where(where).orderBy(desc(t.earnedAt), desc(t.id)).limit(window.limit).offset(window.offset),
        database.db.select({ n: count() }).from(t).where(where),
      ]);
      return { rows, total: Number(total?.n ?? 0) };
    },

    /** The supplier's balances, from the ledger. */
    async balances(supplierUserId: number): Promise<EarningsBalances> {
      const [pending, available, frozen, withdrawn] = await Promise.all([
        ledger.balance(ACCOUNTS.supplierPending(supplierUserId)),
        ledger.balance(ACCOUNTS.supplierAvailable(supplierUserId)),
        ledger.balance(ACCOUNTS.supplierFrozen(supplierUserId)),
        ledger.balance(ACCOUNTS.supplierWithdrawn(supplierUserId)),
      ]);
      return { pending, available, frozen, withdrawn };
    },
  };
}

export type EarningsService = ReturnType<typeof createEarningsService>;
