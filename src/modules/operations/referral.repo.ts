import { count, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { referralRewardDays, referrals, type ReferralRow } from './operations.tables.ts';

/** Records who referred a new user; undefined when the user already has a referrer (one per referred user). */
export async function insertReferral(db: Db, r: { referrerId: number; referredId: number; createdAt: Date }): Promise<ReferralRow | undefined> {
  const [row] = await db.insert(referrals).values(r).onConflictDoNothing().returning();
  return row;
}

/** The referral of a referred user, locked: two first orders paid at once decide it one after the other. */
export async function lockByReferred(db: Db, referredId: number): Promise<ReferralRow | undefined> {
  const [row] = await db.select().from(referrals).where(eq(referrals.referredId, referredId)).for('update');
  return row;
}

export async function update(db: Db, id: number, patch: Partial<ReferralRow>): Promise<ReferralRow> {
  const [row] = await db.update(referrals).set(patch).where(eq(referrals.id, id)).returning();
  return row as ReferralRow;
}

/**
 * Counts one more reward for the referrer on `day`, unless `limit` are counted already (then false). The guarded
 * upsert holds the limit however many first orders of the referrer's friends are paid at once.
 */
export async function countReward(db: Db, referrerId: number, day: string, limit: number): Promise<boolean> {
  const rows = await db
    .insert(referralRewardDays)
    .values({ referrerId, day, rewards: 1 })
    .onConflictDoUpdate({
      target: [referralRewardDays.referrerId, referralRewardDays.day],
      set: { rewards: sql`${referralRewardDays.rewards} + 1` },
      setWhere: lt(referralRewardDays.rewards, limit),
    })
    .returning({ rewards: referralRewardDays.rewards });
  return rows.length > 0;
}

/** The referrer's referrals, newest first, and the credits (µ¥) their rewards paid and kept. */
export async function pageOfReferrer(db: Db, referrerId: number, limit: number, offset: number) {
  const mine = eq(referrals.referrerId, referrerId);
  const [rows, [summary]] = await Promise.all([
    db.select().from(referrals).where(mine).orderBy(desc(referrals.id)).limit(limit).offset(offset),
    db
      .select({ n: count(), rewards: sql<string>`COALESCE(SUM(${referrals.reward}) FILTER (WHERE ${referrals.status} = 'rewarded'), 0)` })
      .from(referrals)
      .where(mine),
  ]);
  return { rows, total: Number(summary?.n ?? 0), totalRewards: BigInt(summary?.rewards ?? 0) };
}
