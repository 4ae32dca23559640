import { and, count, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { creations, type CreationRow, type CreationStatus, type CreationType } from './studio.tables.ts';

// Creations SQL. Every read and write names the owner and skips deleted rows, so another user's id, or a deleted
// creation, is simply not there (404, never 403). The one exception is noted on `insert`.

export type NewCreation = Omit<typeof creations.$inferInsert, 'id' | 'deletedAt'>;

const live = isNull(creations.deletedAt);
const owned = (userId: number, id: number) => and(eq(creations.id, id), eq(creations.userId, userId), live);

/**
 * Inserts a creation, or answers the one its generation already made: a retried or resumed generation must not
 * leave two. That answer is looked up without the `deleted_at` filter — a creation its owner deleted stays deleted
 * rather than coming back, or a copy appearing, when a retry of the same generation arrives.
 */
export async function insert(db: Db, row: NewCreation): Promise<CreationRow> {
  const [inserted] = await db
    .insert(creations)
    .values(row)
    // The target names the partial unique index `studio_creations_generation_uq`, predicate and all.
    .onConflictDoNothing({ target: creations.generationId, where: sql`${sql.identifier('generation_id')} IS NOT NULL` })
    .returning();
  if (inserted) return inserted;
  const [existing] = row.generationId
    ? await db.select().from(creations).where(and(eq(creations.generationId, row.generationId), eq(creations.userId, row.userId)))
    : [];
  // Generation ids are random and per user: another owner's row under the same id is a bug, not a retry.
  if (!existing) throw new Error(`generation ${row.generationId} already made another user's creation`);
  return existing;
}

export async function list(db: Db, userId: number, filter: { type?: CreationType; limit: number; offset: number }) {
  const where: SQL[] = [eq(creations.userId, userId), live];
  if (filter.type) where.push(eq(creations.type, filter.type));
  const [rows, [total]] = await Promise.all([
    db.select().from(creations).where(and(...where)).orderBy(desc(creations.id)).limit(filter.limit).offset(filter.offset),
    db.select({ n: count() }).from(creations).where(and(...where)),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function get(db: Db, userId: number, id: number): Promise<CreationRow | undefined> {
  const [row] = await db.select().from(creations).where(owned(userId, id));
  return row;
}

export async function byGeneration(db: Db, userId: number, generationId: string): Promise<CreationRow | undefined> {
  const [row] = await db
    .select()
    .from(creations)
    .where(and(eq(creations.generationId, generationId), eq(creations.userId, userId), live));
  return row;
}

export async function update(db: Db, userId: number, id: number, patch: { title?: string; content?: string }, now: Date) {
  const [row] = await db
    .update(creations)
    .set({ title: patch.title, content: patch.content, updatedAt: now })
    .where(owned(userId, id))
    .returning();
  return row;
}

/** Marks a creation `final` or `truncated` (a stream that finished, or one whose writer went away), with its text. */
export async function setStatus(db: Db, userId: number, id: number, status: CreationStatus, now: Date, content?: string) {
  const [row] = await db
    .update(creations)
    .set({ status, content, updatedAt: now })
    .where(owned(userId, id))
    .returning();
  return row;
}

/** True when a live creation of the user's was deleted. */
export async function softDelete(db: Db, userId: number, id: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(creations)
    .set({ deletedAt: now, updatedAt: now })
    .where(owned(userId, id))
    .returning({ id: creations.id });
  return rows.length > 0;
}
