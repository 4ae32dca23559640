import { and, count, desc, eq, gt, gte, inArray, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import type { ActivityStatus } from './activity-effects.ts';
import { activities, activityParticipations, type ActivityRow, type ActivityType, type ParticipationRow } from './operations.tables.ts';

export type NewActivity = Omit<typeof activities.$inferInsert, 'id'>;

export async function insertActivity(db: Db, a: NewActivity): Promise<ActivityRow> {
  const [row] = await db.insert(activities).values(a).returning();
  return row as ActivityRow;
}

export async function findActivity(db: Db, id: number): Promise<ActivityRow | undefined> {
  const [row] = await db.select().from(activities).where(eq(activities.id, id));
  return row;
}

// Each filter selects exactly the activities the list shows with that status (see activityStatus).
function statusWhere(status: ActivityStatus | undefined, now: Date): SQL | undefined {
  switch (status) {
    case 'upcoming':
      return gt(activities.startsAt, now);
    case 'active':
      return and(lte(activities.startsAt, now), gte(activities.endsAt, now));
    case 'ended':
      return lt(activities.endsAt, now);
    case undefined:
      return undefined;
  }
}

/** A page of activities, newest first, each with whether `userId` has taken part. */
export async function pageActivities(db: Db, status: ActivityStatus | undefined, now: Date, userId: number, limit: number, offset: number) {
  const where = statusWhere(status, now);
  // Spelled out: in a select list Drizzle writes columns without their table, and `id` would be the subquery's own.
  const joined = sql<boolean>`EXISTS (SELECT 1 FROM activity_participations p WHERE p.activity_id = activities.id AND p.user_id = ${userId} AND p.status = 'completed')`;
  const [rows, [total]] = await Promise.all([
    db.select({ activity: activities, participated: joined }).from(activities).where(where).orderBy(desc(activities.id)).limit(limit).offset(offset),
    db.select({ n: count() }).from(activities).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** Activities of these types live at `now`, oldest first. */
export async function activeOfTypes(db: Db, types: ActivityType[], now: Date): Promise<ActivityRow[]> {
  return db
    .select()
    .from(activities)
    .where(and(inArray(activities.type, types), lte(activities.startsAt, now), gte(activities.endsAt, now)))
    .orderBy(activities.id);
}

export type NewParticipation = Omit<typeof activityParticipations.$inferInsert, 'id'>;

/** The user's part in an activity, unless they already have one (then undefined: once per user). */
export async function insertParticipation(db: Db, p: NewParticipation): Promise<ParticipationRow | undefined> {
  const [row] = await db.insert(activityParticipations).values(p).onConflictDoNothing().returning();
  return row;
}

/** The user's first-purchase participations (any such activity): whether an offer is used or held. */
export async function firstPurchaseParts(db: Db, userId: number): Promise<ParticipationRow[]> {
  return db
    .select({ part: activityParticipations })
    .from(activityParticipations)
    .innerJoin(activities, eq(activities.id, activityParticipations.activityId))
    .where(and(eq(activityParticipations.userId, userId), eq(activities.type, 'first_purchase')))
    .then((rows) => rows.map((r) => r.part));
}

/**
 * Moves a reservation held by `fromOrderNo` (an order that can no longer be paid as priced) to the order being
 * opened. Of two takers at once, the row lock lets one through; the other finds `order_no` changed.
 */
export async function takeOverReservation(db: Db, id: number, fromOrderNo: string): Promise<boolean> {
  const rows = await db
    .update(activityParticipations)
    .set({ orderNo: null })
    .where(and(eq(activityParticipations.id, id), eq(activityParticipations.status, 'reserved'), eq(activityParticipations.orderNo, fromOrderNo)))
    .returning({ id: activityParticipations.id });
  return rows.length > 0;
}

/** Binds the user's fresh reservation (no order yet, made in this transaction) to the order that took it. */
export async function attachReservation(db: Db, activityId: number, userId: number, orderNo: string): Promise<void> {
  await db
    .update(activityParticipations)
    .set({ orderNo })
    .where(and(
      eq(activityParticipations.activityId, activityId), eq(activityParticipations.userId, userId),
      eq(activityParticipations.status, 'reserved'), isNull(activityParticipations.orderNo),
    ));
}

/** The order holding the reservation was paid: the user's part is done. False when another order holds it now. */
export async function completeReservation(db: Db, activityId: number, userId: number, orderNo: string, reward: bigint, at: Date): Promise<boolean> {
  const rows = await db
    .update(activityParticipations)
    .set({ status: 'completed', reward, completedAt: at })
    .where(and(
      eq(activityParticipations.activityId, activityId), eq(activityParticipations.userId, userId),
      eq(activityParticipations.status, 'reserved'), eq(activityParticipations.orderNo, orderNo),
    ))
    .returning({ id: activityParticipations.id });
  return rows.length > 0;
}
