import { and, asc, count, desc, eq, gte, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { suppliers, supplyEarnings, supplySettlements, type SettlementStatus, type SupplyEarningRow, type SupplySettlementRow } from './supply.tables.ts';

// SQL for withdrawals and the earnings records they hold. Every read of a supplier's settlement names the owner.

const s = supplySettlements;
const e = supplyEarnings;

export type NewSettlement = Omit<typeof s.$inferInsert, 'id'>;

/** The supplier's row, locked: withdrawals of one supplier (and their SMS counters) take turns. */
export async function lockSupplier(db: Db, userId: number) {
  const [row] = await db.select().from(suppliers).where(eq(suppliers.userId, userId)).for('update');
  return row;
}

export async function setSmsFailures(db: Db, userId: number, failures: number, lockedUntil: Date | null, now: Date): Promise<void> {
  await db.update(suppliers).set({ smsFailures: failures, withdrawLockedUntil: lockedUntil, updatedAt: now }).where(eq(suppliers.userId, userId));
}

export async function openOf(db: Db, userId: number): Promise<SupplySettlementRow | undefined> {
  const [row] = await db.select().from(s).where(and(eq(s.supplierUserId, userId), inArray(s.status, ['pending', 'processing'])));
  return row;
}

/** µ¥ asked for since `from` by withdrawals that did not fail (a cancelled one is `failed`). */
export async function totalSince(db: Db, userId: number, from: Date): Promise<bigint> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${s.totalMicros}), 0)` })
    .from(s)
    .where(and(eq(s.supplierUserId, userId), ne(s.status, 'failed'), gte(s.createdAt, from)));
  return BigInt(row?.total ?? 0);
}

export async function lastCreatedAt(db: Db, userId: number): Promise<Date | undefined> {
  const [row] = await db.select({ createdAt: s.createdAt }).from(s).where(eq(s.supplierUserId, userId)).orderBy(desc(s.createdAt)).limit(1);
  return row?.createdAt;
}

/**
 * Inserts a withdrawal; undefined when a unique index refused it (its number, or another open withdrawal of the
 * supplier), since a failed INSERT would abort the whole transaction.
 */
export async function insert(db: Db, values: NewSettlement): Promise<SupplySettlementRow | undefined> {
  const [row] = await db.insert(s).values(values).onConflictDoNothing().returning();
  return row;
}

/** A settlement, limited to its owner when `ownerId` is given (another supplier's id is simply not found). */
export async function find(db: Db, id: number, o: { ownerId?: number; lock?: boolean } = {}): Promise<SupplySettlementRow | undefined> {
  const query = db.select().from(s).where(and(eq(s.id, id), o.ownerId === undefined ? undefined : eq(s.supplierUserId, o.ownerId)));
  const [row] = o.lock ? await query.for('update') : await query;
  return row;
}

export async function update(db: Db, id: number, patch: Partial<SupplySettlementRow>): Promise<SupplySettlementRow> {
  const [row] = await db.update(s).set(patch).where(eq(s.id, id)).returning();
  return row as SupplySettlementRow;
}

/** Newest first. */
export async function page(db: Db, filter: { ownerId?: number; status?: SettlementStatus }, window: { limit: number; offset: number }) {
  const where = and(
    filter.ownerId === undefined ? undefined : eq(s.supplierUserId, filter.ownerId),
    filter.status === undefined ? undefined : eq(s.status, filter.status),
  );
  const [rows, [total]] = await Promise.all([
    db.select().from(s).where(where).orderBy(desc(s.createdAt), desc(s.id)).limit(window.limit).offset(window.offset),
    db.select({ n: count() }).from(s).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function processingWith(db: Db, providers: string[], limit: number): Promise<SupplySettlementRow[]> {
  if (providers.length === 0) return [];
  return db.select().from(s).where(and(eq(s.status, 'processing'), inArray(s.payoutProvider, providers))).orderBy(asc(s.id)).limit(limit);
}

// ---- earnings records ----------------------------------------------------------------------------

/** Available records no withdrawal holds, locked: refunds (negative) first, then the oldest earnings. */
export async function lockAvailableRecords(db: Db, userId: number): Promise<SupplyEarningRow[]> {
  return db
    .select()
    .from(e)
    .where(and(eq(e.supplierUserId, userId), eq(e.status, 'available'), isNull(e.settlementId)))
    .orderBy(sql`CASE WHEN ${e.amountMicros} < 0 THEN 0 ELSE 1 END`, asc(e.earnedAt), asc(e.id))
    .for('update');
}

/**
 * Freezes `records` for the settlement, the last one only in part: it keeps `lastPart` and the rest becomes a new
 * available record with the same fields.
 */
export async function freezeRecords(db: Db, settlementId: number, records: SupplyEarningRow[], lastPart: bigint | undefined, now: Date): Promise<void> {
  const last = records.at(-1);
  if (last && lastPart !== undefined && lastPart !== last.amountMicros) {
    const { id: _id, ...fields } = last;
    await db.insert(e).values({ ...fields, amountMicros: last.amountMicros - lastPart, createdAt: now, updatedAt: now });
    await db.update(e).set({ amountMicros: lastPart }).where(eq(e.id, last.id));
  }
  if (records.length === 0) return;
  await db.update(e).set({ status: 'frozen', settlementId, updatedAt: now }).where(inArray(e.id, records.map((r) => r.id)));
}

/** The records a settlement holds become available again (it failed or was cancelled). */
export async function releaseRecords(db: Db, settlementId: number, now: Date): Promise<void> {
  await db.update(e).set({ status: 'available', settlementId: null, updatedAt: now }).where(and(eq(e.settlementId, settlementId), eq(e.status, 'frozen')));
}

export async function markWithdrawn(db: Db, settlementId: number, now: Date): Promise<void> {
  await db.update(e).set({ status: 'withdrawn', updatedAt: now }).where(and(eq(e.settlementId, settlementId), eq(e.status, 'frozen')));
}

export async function recordsOf(db: Db, settlementId: number): Promise<SupplyEarningRow[]> {
  return db.select().from(e).where(eq(e.settlementId, settlementId)).orderBy(asc(e.earnedAt), asc(e.id));
}
