import { and, count, desc, eq, lt, or, sql, type AnyColumn } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../platform/db.ts';
import { users } from '../identity/identity.tables.ts';
import { referralRewardDays, referrals, type ReferralRow, type ReferralStatus } from './operations.tables.ts';

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

/** Credits (µ¥) of the rewards paid and kept (a clawed-back reward is not). */
const keptRewards = sql<string>`COALESCE(SUM(${referrals.reward}) FILTER (WHERE ${referrals.status} = 'completed'), 0)`;

/** The referrer's referrals, newest first, and the credits (µ¥) their rewards paid and kept. */
export async function pageOfReferrer(db: Db, referrerId: number, limit: number, offset: number) {
  const mine = eq(referrals.referrerId, referrerId);
  const [rows, [summary]] = await Promise.all([
    db.select().from(referrals).where(mine).orderBy(desc(referrals.id)).limit(limit).offset(offset),
    db
      .select({ n: count(), rewards: keptRewards })
      .from(referrals)
      .where(mine),
  ]);
  return { rows, total: Number(summary?.n ?? 0), totalRewards: BigInt(summary?.rewards ?? 0) };
}

export interface ReferralFilter {
  status?: ReferralStatus;
  /** A part of the referrer's or the referred user's username or email, case-insensitive. */
  q?: string;
}

// The operators' list names both users: a read-only join on identity's users (as statistics.repo.ts reads them),
// since a search by name must page in SQL. Deleted users keep their rows, so the joins never drop a referral.
const referrer = alias(users, 'referrer');
const referred = alias(users, 'referred');
const person = (u: typeof referrer | typeof referred) => ({ id: u.id, username: u.username, email: u.email });

/** strpos, not LIKE: `%`, `_` and `\` in what an operator types match themselves, with nothing to escape. */
const contains = (column: AnyColumn, needle: string) => sql`strpos(lower(${column}), lower(${needle})) > 0`;

/** Every referral, newest first, with both users, and the credits (µ¥) the rewards among them paid and kept. */
export async function pageAll(db: Db, f: ReferralFilter, limit: number, offset: number) {
  const where = and(
    f.status ? eq(referrals.status, f.status) : undefined,
    f.q ? or(...[referrer.username, referrer.email, referred.username, referred.email].map((c) => contains(c, f.q as string))) : undefined,
  );
  const joined = <T extends Parameters<Db['select']>[0]>(fields: NonNullable<T>) =>
    db
      .select(fields)
      .from(referrals)
      .innerJoin(referrer, eq(referrer.id, referrals.referrerId))
      .innerJoin(referred, eq(referred.id, referrals.referredId))
      .where(where);
  const [rows, [summary]] = await Promise.all([
    joined({ referral: referrals, referrer: person(referrer), referred: person(referred) }).orderBy(desc(referrals.id)).limit(limit).offset(offset),
    joined({ n: count(), rewards: keptRewards }),
  ]);
  return { rows, total: Number(summary?.n ?? 0), totalRewards: BigInt(summary?.rewards ?? 0) };
}
