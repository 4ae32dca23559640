import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { generations, type GenerationRow, type GenerationStatus } from './studio.tables.ts';

// SQL for studio generations. A state change names the states it leaves, so that two paths (the request that
// finishes, the sweeper that gives up on it) cannot both win: the loser's update matches no row.

const OPEN: GenerationStatus[] = ['reserved', 'running'];

export async function insert(db: Db, row: typeof generations.$inferInsert): Promise<GenerationRow> {
  const [created] = await db.insert(generations).values(row).returning();
  return created as GenerationRow;
}

export async function byKey(db: Db, userId: number, idempotencyKey: string): Promise<GenerationRow | undefined> {
  const [row] = await db.select().from(generations).where(and(eq(generations.userId, userId), eq(generations.idempotencyKey, idempotencyKey)));
  return row;
}

export async function byId(db: Db, id: string, o: { lock?: boolean } = {}): Promise<GenerationRow | undefined> {
  const q = db.select().from(generations).where(eq(generations.id, id));
  const [row] = o.lock ? await q.for('update') : await q;
  return row;
}

/** The user's own generation (another user's id is not found). */
export async function owned(db: Db, userId: number, id: string): Promise<GenerationRow | undefined> {
  const [row] = await db.select().from(generations).where(and(eq(generations.id, id), eq(generations.userId, userId)));
  return row;
}

/** Moves an open generation on; undefined when it was no longer open (someone else finished it). */
export async function finishOpen(db: Db, id: string, set: Partial<typeof generations.$inferInsert>): Promise<GenerationRow | undefined> {
  const [row] = await db
    .update(generations)
    .set(set)
    .where(and(eq(generations.id, id), inArray(generations.status, OPEN)))
    .returning();
  return row;
}

export async function expired(db: Db, now: Date, limit: number): Promise<GenerationRow[]> {
  return db
    .select()
    .from(generations)
    .where(and(inArray(generations.status, OPEN), lt(generations.expiresAt, now)))
    .orderBy(asc(generations.expiresAt))
    .limit(limit);
}

/** Open generations waiting on a provider's task (video), oldest first: what the poller resumes on boot. */
export async function openTasks(db: Db, kind: string): Promise<GenerationRow[]> {
  return db
    .select()
    .from(generations)
    .where(and(eq(generations.kind, kind as GenerationRow['kind']), inArray(generations.status, OPEN), sql`${generations.providerTaskId} IS NOT NULL`))
    .orderBy(asc(generations.createdAt));
}

export async function countPoll(db: Db, id: string, now: Date): Promise<void> {
  await db.update(generations).set({ polls: sql`${generations.polls} + 1`, updatedAt: now }).where(eq(generations.id, id));
}
