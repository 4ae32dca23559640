import { and, count, desc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { creations } from '../studio/studio.tables.ts';
import type { Platform } from './adapter.ts';
import {
  ACTIVE_STATES,
  publishBindings,
  publishJobs,
  publishRequests,
  type BindingRow,
  type JobRow,
  type PublishRequestRow,
} from './publishing.tables.ts';

// Publishing SQL. Reads name the owner, so another user's request or job is not there (404). Claiming a job is one
// conditional UPDATE: whoever gets the row owns the run until its lease ends; everyone else leaves it alone.

/** Automatic retries of a retryable failure; after them, only the user's retry runs it again. */
export const AUTO_ATTEMPTS = 5;

export async function liveBinding(db: Db, userId: number, platform: Platform): Promise<BindingRow | undefined> {
  const [row] = await db
    .select()
    .from(publishBindings)
    .where(and(eq(publishBindings.userId, userId), eq(publishBindings.platform, platform), isNull(publishBindings.deletedAt)));
  return row;
}

export const liveBindings = (db: Db, userId: number) =>
  db.select().from(publishBindings).where(and(eq(publishBindings.userId, userId), isNull(publishBindings.deletedAt)));

export async function bindingById(db: Db, id: number): Promise<BindingRow | undefined> {
  const [row] = await db.select().from(publishBindings).where(eq(publishBindings.id, id));
  return row;
}

/** Replaces the live binding of the platform (the old one is kept, unbound, for the jobs that used it). */
export async function replaceBinding(db: Db, row: Omit<typeof publishBindings.$inferInsert, 'id'>): Promise<BindingRow> {
  return db.transaction(async (tx) => {
    await unbind(tx, row.userId, row.platform, row.createdAt as Date);
    const [inserted] = await tx.insert(publishBindings).values(row).returning();
    return inserted as BindingRow;
  });
}

export async function unbind(db: Db, userId: number, platform: Platform, now: Date): Promise<boolean> {
  const rows = await db
    .update(publishBindings)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(publishBindings.userId, userId), eq(publishBindings.platform, platform), isNull(publishBindings.deletedAt)))
    .returning({ id: publishBindings.id });
  return rows.length > 0;
}

export async function requestByKey(db: Db, userId: number, key: string): Promise<PublishRequestRow | undefined> {
  const [row] = await db.select().from(publishRequests).where(and(eq(publishRequests.userId, userId), eq(publishRequests.idempotencyKey, key)));
  return row;
}

export async function requestById(db: Db, userId: number, id: number): Promise<PublishRequestRow | undefined> {
  const [row] = await db.select().from(publishRequests).where(and(eq(publishRequests.userId, userId), eq(publishRequests.id, id)));
  return row;
}

export async function insertRequest(
  db: Db,
  request: Omit<typeof publishRequests.$inferInsert, 'id'>,
  jobs: Omit<typeof publishJobs.$inferInsert, 'id' | 'requestId'>[],
): Promise<{ request: PublishRequestRow; jobs: JobRow[] }> {
  return db.transaction(async (tx) => {
    const [inserted] = await tx.insert(publishRequests).values(request).returning();
    const req = inserted as PublishRequestRow;
    const rows = await tx.insert(publishJobs).values(jobs.map((j) => ({ ...j, requestId: req.id }))).returning();
    return { request: req, jobs: rows };
  });
}

/** A job that is live or out for this creation on this account: publishing it again would post twice. */
export async function blockingJob(db: Db, creationId: number, platform: Platform, bindingId: number): Promise<JobRow | undefined> {
  const [row] = await db
    .select()
    .from(publishJobs)
    .where(
      and(
        eq(publishJobs.creationId, creationId),
        eq(publishJobs.platform, platform),
        eq(publishJobs.bindingId, bindingId),
        or(inArray(publishJobs.state, [...ACTIVE_STATES, 'published']), and(eq(publishJobs.state, 'failed'), eq(publishJobs.retryable, true))),
      ),
    )
    .limit(1);
  return row;
}

export const jobsOf = (db: Db, requestIds: number[]) =>
  requestIds.length === 0
    ? Promise.resolve([] as JobRow[])
    : db.select().from(publishJobs).where(inArray(publishJobs.requestId, requestIds)).orderBy(publishJobs.id);

export async function jobById(db: Db, id: number): Promise<JobRow | undefined> {
  const [row] = await db.select().from(publishJobs).where(eq(publishJobs.id, id));
  return row;
}

/** Newest first; `platform` keeps requests with a job on it. */
export async function pageRequests(db: Db, userId: number, o: { platform?: Platform; limit: number; offset: number }) {
  const where = and(
    eq(publishRequests.userId, userId),
    o.platform
      ? sql`EXISTS (SELECT 1 FROM ${publishJobs} WHERE ${publishJobs.requestId} = ${publishRequests.id} AND ${publishJobs.platform} = ${o.platform})`
      : undefined,
  );
  const [rows, [total]] = await Promise.all([
    db.select().from(publishRequests).where(where).orderBy(desc(publishRequests.id)).limit(o.limit).offset(o.offset),
    db.select({ n: count() }).from(publishRequests).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

const runnable = or(
  inArray(publishJobs.state, [...ACTIVE_STATES]),
  and(eq(publishJobs.state, 'failed'), eq(publishJobs.retryable, true), lt(publishJobs.attempts, AUTO_ATTEMPTS)),
);
const unleased = (now: Date) => or(isNull(publishJobs.leaseUntil), lt(publishJobs.leaseUntil, now));

/** Jobs whose time has come and that nobody is running, oldest due first. */
export async function dueJobIds(db: Db, now: Date, limit: number): Promise<number[]> {
  const rows = await db
    .select({ id: publishJobs.id })
    .from(publishJobs)
    .where(and(runnable, lte(publishJobs.dueAt, now), unleased(now)))
    .orderBy(publishJobs.dueAt)
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Takes the job for one run if it is due, runnable and not leased; counts the attempt. */
export async function claim(db: Db, id: number, now: Date, leaseUntil: Date): Promise<JobRow | undefined> {
  const [row] = await db
    .update(publishJobs)
    .set({ leaseUntil, attempts: sql`${publishJobs.attempts} + 1`, updatedAt: now })
    .where(and(eq(publishJobs.id, id), runnable, lte(publishJobs.dueAt, now), unleased(now)))
    .returning();
  return row;
}

/** Changes a job this run holds; `progress` merges into the stored ids (jsonb `||`). Answers false if the lease was lost. */
export async function updateHeld(
  db: Db,
  id: number,
  leaseUntil: Date,
  patch: Partial<Omit<JobRow, 'id' | 'progress'>> & { progress?: Record<string, unknown> },
): Promise<boolean> {
  const { progress, ...rest } = patch;
  const rows = await db
    .update(publishJobs)
    .set({ ...rest, ...(progress ? { progress: sql`${publishJobs.progress} || ${JSON.stringify(progress)}::jsonb` } : {}) })
    .where(and(eq(publishJobs.id, id), eq(publishJobs.leaseUntil, leaseUntil)))
    .returning({ id: publishJobs.id });
  return rows.length > 0;
}

/** The user's own change to a job that is not running (retry, confirm): only from the states `from`. */
export async function updateIdle(db: Db, id: number, from: readonly JobRow['state'][], now: Date, patch: Partial<JobRow>): Promise<JobRow | undefined> {
  const [row] = await db
    .update(publishJobs)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(publishJobs.id, id), inArray(publishJobs.state, [...from]), unleased(now)))
    .returning();
  return row;
}

/** Titles of the user's creations, deleted ones included: history still says what was published. */
export async function creationTitles(db: Db, userId: number, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: creations.id, title: creations.title })
    .from(creations)
    .where(and(eq(creations.userId, userId), inArray(creations.id, ids)));
  return new Map(rows.map((r) => [r.id, r.title]));
}

/** What a platform said about an account when it published (e.g. WeChat 48001: drafts only). */
export async function setCapability(db: Db, bindingId: number, capability: BindingRow['capability'], note: string, now: Date): Promise<void> {
  await db.update(publishBindings).set({ capability, note, updatedAt: now }).where(eq(publishBindings.id, bindingId));
}

/**
 * A publish by API went through on a binding marked drafts-only (WeChat: the account was verified since its 48001):
 * it publishes by API again. A binding without the mark is left as it is.
 */
export async function clearDraftOnly(db: Db, bindingId: number, note: string, now: Date): Promise<void> {
  await db
    .update(publishBindings)
    .set({ capability: 'api_publish', note, updatedAt: now })
    .where(and(eq(publishBindings.id, bindingId), eq(publishBindings.capability, 'draft_only')));
}

export async function setCredentials(db: Db, bindingId: number, sealed: string, now: Date): Promise<void> {
  await db.update(publishBindings).set({ credentials: sealed, updatedAt: now }).where(eq(publishBindings.id, bindingId));
}
