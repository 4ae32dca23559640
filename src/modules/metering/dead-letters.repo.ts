import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import type { ChargeItem } from './charges.ts';
import { billingDeadLetters, type DeadLetterRow, type DeadLetterStatus } from './dead-letters.tables.ts';

// SQL of the dead-letter table. A charge is stored whole, as JSON with its bigints (µ¥) and dates tagged, so a retry
// charges exactly what the request would have been charged.

const encode = (item: ChargeItem): unknown =>
  JSON.parse(JSON.stringify(item, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    if (raw instanceof Date) return { $date: raw.toISOString() };
    return value;
  }));

const decode = (stored: unknown): ChargeItem =>
  JSON.parse(JSON.stringify(stored), (_key, value) => {
    if (value && typeof value === 'object' && typeof value.$bigint === 'string') return BigInt(value.$bigint);
    if (value && typeof value === 'object' && typeof value.$date === 'string') return new Date(value.$date);
    return value;
  }) as ChargeItem;

export const chargeOf = (row: DeadLetterRow): ChargeItem => decode(row.charge);

/** Files a charge given up on; a request filed again while still open keeps one letter with the latest failure. */
export async function file(db: Db, item: ChargeItem, error: string, attempts: number, now: Date): Promise<void> {
  await db
    .insert(billingDeadLetters)
    .values({
      requestId: item.charge.requestId, userId: item.payer.userId, apiKeyId: item.payer.apiKeyId ?? null, costMicros: item.charge.cost,
      charge: encode(item), error, attempts, createdAt: now, updatedAt: now,
    })
    .onConflictDoUpdate({
      target: billingDeadLetters.requestId,
      set: { error, attempts, updatedAt: now },
      where: eq(billingDeadLetters.status, 'open'),
    });
}

export async function page(db: Db, status: DeadLetterStatus | undefined, limit: number, offset: number) {
  const where = status ? eq(billingDeadLetters.status, status) : undefined;
  const [rows, [total]] = await Promise.all([
    db.select().from(billingDeadLetters).where(where).orderBy(desc(billingDeadLetters.id)).limit(limit).offset(offset),
    db.select({ n: count() }).from(billingDeadLetters).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function get(db: Db, id: number): Promise<DeadLetterRow | undefined> {
  const [row] = await db.select().from(billingDeadLetters).where(eq(billingDeadLetters.id, id));
  return row;
}

/** Closes an open letter; undefined when it was not open (another operator got there first). */
export async function close(db: Db, id: number, to: Exclude<DeadLetterStatus, 'open'>, by: number, note: string | null, now: Date) {
  const [row] = await db
    .update(billingDeadLetters)
    .set({ status: to, handledBy: by, note, handledAt: now, updatedAt: now })
    .where(and(eq(billingDeadLetters.id, id), eq(billingDeadLetters.status, 'open')))
    .returning();
  return row;
}

export async function noteFailure(db: Db, id: number, error: string, now: Date): Promise<void> {
  await db
    .update(billingDeadLetters)
    .set({ error, attempts: sql`${billingDeadLetters.attempts} + 1`, updatedAt: now })
    .where(eq(billingDeadLetters.id, id));
}

export async function countOpen(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(billingDeadLetters).where(eq(billingDeadLetters.status, 'open'));
  return Number(row?.n ?? 0);
}
