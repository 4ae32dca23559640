import { and, count, desc, eq, gt, gte, inArray, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { couponClaims, coupons, type CouponRow } from './commerce.tables.ts';

export type NewCoupon = Omit<typeof coupons.$inferInsert, 'id' | 'claimedCount' | 'usedCount' | 'createdAt'>;

export async function insertCoupon(db: Db, c: NewCoupon): Promise<CouponRow> {
  const [row] = await db.insert(coupons).values(c).returning();
  return row as CouponRow;
}

export async function findCoupon(db: Db, id: number): Promise<CouponRow | undefined> {
  const [row] = await db.select().from(coupons).where(eq(coupons.id, id));
  return row;
}

export const COUPON_FILTERS = ['active', 'used_up', 'upcoming', 'expired', 'disabled'] as const;
export type CouponFilter = (typeof COUPON_FILTERS)[number];

// Each filter selects exactly the coupons the list shows with that status (see couponStatus in coupons.routes.ts).
function filterWhere(filter: CouponFilter | undefined, now: Date): SQL | undefined {
  const enabled = eq(coupons.status, 'active');
  const inWindow = and(enabled, lte(coupons.validFrom, now), gte(coupons.validUntil, now));
  switch (filter) {
    case 'active':
      return and(inWindow, lt(coupons.claimedCount, coupons.maxUsage));
    case 'used_up':
      return and(inWindow, gte(coupons.claimedCount, coupons.maxUsage));
    case 'upcoming':
      return and(enabled, gt(coupons.validFrom, now));
    case 'expired':
      return and(enabled, lt(coupons.validUntil, now));
    case 'disabled':
      return eq(coupons.status, 'disabled');
    case undefined:
      return undefined;
  }
}

/** Coupons `userId` can claim now: enabled, in their window, with a slot left, and not claimed by them yet. */
function claimableBy(userId: number, now: Date): SQL | undefined {
  const claimedByUser = sql`EXISTS (SELECT 1 FROM ${couponClaims} WHERE ${couponClaims.couponId} = ${coupons.id} AND ${couponClaims.userId} = ${userId})`;
  return and(filterWhere('active', now), sql`NOT ${claimedByUser}`);
}

async function page(db: Db, where: SQL | undefined, limit: number, offset: number) {
  const [rows, [total]] = await Promise.all([
    db.select().from(coupons).where(where).orderBy(desc(coupons.id)).limit(limit).offset(offset),
    db.select({ n: count() }).from(coupons).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export const pageCoupons = (db: Db, filter: CouponFilter | undefined, now: Date, limit: number, offset: number) =>
  page(db, filterWhere(filter, now), limit, offset);

export const pageClaimable = (db: Db, userId: number, now: Date, limit: number, offset: number) =>
  page(db, claimableBy(userId, now), limit, offset);

/** Takes one of the coupon's `max_usage` slots; the guard makes concurrent claims unable to exceed it. */
export async function takeClaimSlot(db: Db, couponId: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(coupons)
    .set({ claimedCount: sql`${coupons.claimedCount} + 1` })
    .where(
      and(
        eq(coupons.id, couponId),
        eq(coupons.status, 'active'),
        lt(coupons.claimedCount, coupons.maxUsage),
        lte(coupons.validFrom, now),
        gte(coupons.validUntil, now),
      ),
    )
    .returning({ id: coupons.id });
  return rows.length > 0;
}

export async function insertClaim(db: Db, couponId: number, userId: number, at: Date) {
  const [row] = await db.insert(couponClaims).values({ couponId, userId, claimedAt: at }).onConflictDoNothing().returning();
  return row;
}

/** The user's claim of the coupon with this code, locked for the order that wants to use it. */
export async function lockClaimByCode(db: Db, userId: number, code: string) {
  const [row] = await db
    .select({ claim: couponClaims, coupon: coupons })
    .from(couponClaims)
    .innerJoin(coupons, eq(coupons.id, couponClaims.couponId))
    .where(and(eq(couponClaims.userId, userId), sql`upper(${coupons.code}) = upper(${code})`))
    .for('update', { of: couponClaims });
  return row;
}

export async function setClaimStatus(
  db: Db,
  claimId: number,
  from: 'unused' | 'reserved',
  to: 'unused' | 'reserved' | 'used',
  /** undefined keeps the current order. */
  orderId: number | null | undefined,
  at?: Date,
): Promise<boolean> {
  const rows = await db
    .update(couponClaims)
    .set({ status: to, ...(orderId === undefined ? {} : { orderId }), ...(to === 'used' ? { usedAt: at } : {}) })
    .where(and(eq(couponClaims.id, claimId), eq(couponClaims.status, from)))
    .returning({ id: couponClaims.id });
  return rows.length > 0;
}

/** Gives a reserved claim back, only if `orderId` is the order holding it. */
export async function releaseClaim(db: Db, claimId: number, orderId: number): Promise<void> {
  await db
    .update(couponClaims)
    .set({ status: 'unused', orderId: null })
    .where(and(eq(couponClaims.id, claimId), eq(couponClaims.status, 'reserved'), eq(couponClaims.orderId, orderId)));
}

/** A claim, locked while an order decides whether it uses it. */
export async function lockClaim(db: Db, claimId: number) {
  const [row] = await db.select().from(couponClaims).where(eq(couponClaims.id, claimId)).for('update');
  return row;
}

/** Marks a (locked, not yet used) claim used by `orderId`. */
export async function markUsed(db: Db, claimId: number, orderId: number, at: Date): Promise<void> {
  await db.update(couponClaims).set({ status: 'used', orderId, usedAt: at }).where(eq(couponClaims.id, claimId));
}

export async function countUse(db: Db, couponId: number): Promise<void> {
  await db.update(coupons).set({ usedCount: sql`${coupons.usedCount} + 1` }).where(eq(coupons.id, couponId));
}

export type MyCouponStatus = 'unused' | 'used' | 'expired';

export async function claimsOf(db: Db, userId: number, status: MyCouponStatus | undefined, now: Date) {
  const where =
    status === 'used'
      ? eq(couponClaims.status, 'used')
      : status === 'expired'
        ? and(inArray(couponClaims.status, ['unused', 'reserved']), lt(coupons.validUntil, now))
        : status === 'unused'
          ? and(inArray(couponClaims.status, ['unused', 'reserved']), gte(coupons.validUntil, now))
          : undefined;
  return db
    .select({ claim: couponClaims, coupon: coupons })
    .from(couponClaims)
    .innerJoin(coupons, eq(coupons.id, couponClaims.couponId))
    .where(and(eq(couponClaims.userId, userId), where))
    .orderBy(desc(couponClaims.id));
}
