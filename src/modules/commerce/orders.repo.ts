import { and, count, desc, eq, inArray, isNotNull, lt } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { orders, type OrderKind, type OrderRow, type OrderStatus } from './commerce.tables.ts';

export type NewOrder = Omit<typeof orders.$inferInsert, 'id'>;

/** Inserts an order; undefined when its order number is taken (a failed INSERT would abort the transaction). */
export async function insertOrder(db: Db, o: NewOrder): Promise<OrderRow | undefined> {
  const [row] = await db.insert(orders).values(o).onConflictDoNothing({ target: orders.orderNo }).returning();
  return row;
}

export async function lockByNo(db: Db, orderNo: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(orders).where(eq(orders.orderNo, orderNo)).for('update');
  return row;
}

export async function findOwnedByNo(db: Db, userId: number, orderNo: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(orders).where(and(eq(orders.orderNo, orderNo), eq(orders.userId, userId)));
  return row;
}

export async function findByNo(db: Db, orderNo: string): Promise<OrderRow | undefined> {
  const [row] = await db.select().from(orders).where(eq(orders.orderNo, orderNo));
  return row;
}

export async function findByProviderTxn(db: Db, provider: string, providerTxnId: string): Promise<OrderRow | undefined> {
  const [row] = await db
    .select()
    .from(orders)
    .where(and(eq(orders.provider, provider), eq(orders.providerTxnId, providerTxnId)));
  return row;
}

export async function update(db: Db, id: number, patch: Partial<OrderRow>): Promise<OrderRow> {
  const [row] = await db.update(orders).set(patch).where(eq(orders.id, id)).returning();
  return row as OrderRow;
}

/** Moves a pending order to `status` unless something else moved it first. */
export async function closePending(db: Db, id: number, status: OrderStatus, patch: Partial<OrderRow>): Promise<OrderRow | undefined> {
  const [row] = await db
    .update(orders)
    .set({ ...patch, status })
    .where(and(eq(orders.id, id), eq(orders.status, 'pending')))
    .returning();
  return row;
}

export async function pageOwned(db: Db, userId: number, kind: OrderKind, limit: number, offset: number) {
  const where = and(eq(orders.userId, userId), eq(orders.kind, kind));
  const [rows, [total]] = await Promise.all([
    db.select().from(orders).where(where).orderBy(desc(orders.id)).limit(limit).offset(offset),
    db.select({ n: count() }).from(orders).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** Every user's orders, newest first (operators). */
export async function pageAll(db: Db, f: { status?: OrderStatus; kind?: OrderKind; userId?: number }, limit: number, offset: number) {
  const where = and(
    f.status ? eq(orders.status, f.status) : undefined,
    f.kind ? eq(orders.kind, f.kind) : undefined,
    f.userId === undefined ? undefined : eq(orders.userId, f.userId),
  );
  const [rows, [total]] = await Promise.all([
    db.select().from(orders).where(where).orderBy(desc(orders.id)).limit(limit).offset(offset),
    db.select({ n: count() }).from(orders).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function duePending(db: Db, now: Date, limit: number): Promise<OrderRow[]> {
  return db.select().from(orders).where(and(eq(orders.status, 'pending'), lt(orders.expiresAt, now))).limit(limit);
}

/**
 * `closePending` for an order another transaction may hold: a locked order is skipped, not waited for (waiting
 * could deadlock with that transaction, which is settling the same coupon and finds out for itself).
 */
export async function closePendingUnlessLocked(db: Db, id: number, status: OrderStatus, patch: Partial<OrderRow>): Promise<OrderRow | undefined> {
  const free = db.select({ id: orders.id }).from(orders).where(and(eq(orders.id, id), eq(orders.status, 'pending'))).for('update', { skipLocked: true });
  const [row] = await db.update(orders).set({ ...patch, status }).where(inArray(orders.id, free)).returning();
  return row;
}

/** Whether the user has ever paid an order (a refunded one counts: it was paid). */
export async function hasPaidOrder(db: Db, userId: number): Promise<boolean> {
  const [row] = await db.select({ id: orders.id }).from(orders).where(and(eq(orders.userId, userId), isNotNull(orders.paidAt))).limit(1);
  return row !== undefined;
}
