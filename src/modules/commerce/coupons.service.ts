import type { Database, Db } from '../../platform/db.ts';
import { isUniqueViolation } from '../../platform/db.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import type { Clock } from '../../platform/time.ts';
import type { CouponClaimRow, CouponRow, CouponType } from './commerce.tables.ts';
import * as repo from './coupons.repo.ts';
import { couponEffect, type CouponEffect } from './pricing.ts';

const invalid = (message: string) => new AppError('COUPON_INVALID', message);

export interface NewCouponInput {
  code: string;
  name: string;
  type: CouponType;
  value: bigint;
  minAmount: bigint;
  maxUsage: number;
  validFrom: Date;
  validUntil: Date;
}

export function createCouponService(deps: { database: Database; clock: Clock }) {
  const { database, clock } = deps;

  return {
    async create(actor: Principal, input: NewCouponInput): Promise<CouponRow> {
      if (input.validUntil <= input.validFrom) throw badRequest('valid_until must be after valid_from', { field: 'body.valid_until' });
      try {
        return await repo.insertCoupon(database.db, { ...input, createdBy: actor.userId });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict('A coupon with this code already exists', { field: 'body.code' });
        throw err;
      }
    },

    /** Operators see every coupon (optionally filtered by status); users see only the ones they can claim now. */
    page: (actor: Principal, filter: repo.CouponFilter | undefined, limit: number, offset: number) =>
      actor.role === 'admin'
        ? repo.pageCoupons(database.db, filter, clock.now(), limit, offset)
        : repo.pageClaimable(database.db, actor.userId, clock.now(), limit, offset),

    /** One claim per user, and never more than `max_usage` claims, however many arrive at once. */
    async claim(actor: Principal, couponId: number): Promise<{ claim: CouponClaimRow; coupon: CouponRow }> {
      return database.transaction(async (tx) => {
        const coupon = await repo.findCoupon(tx, couponId);
        if (!coupon) throw notFound('Coupon');
        const now = clock.now();
        if (coupon.status !== 'active') throw invalid('Coupon is disabled');
        if (now < coupon.validFrom) throw invalid('Coupon is not valid yet');
        if (now > coupon.validUntil) throw invalid('Coupon has expired');
        const claim = await repo.insertClaim(tx, couponId, actor.userId, now);
        if (!claim) throw invalid('You have already claimed this coupon');
        if (!(await repo.takeClaimSlot(tx, couponId, now))) throw invalid('Coupon has been used up');
        return { claim, coupon: (await repo.findCoupon(tx, couponId)) as CouponRow };
      });
    },

    mine: (actor: Principal, status: repo.MyCouponStatus | undefined) => repo.claimsOf(database.db, actor.userId, status, clock.now()),

    /**
     * Reserves the user's claimed coupon for an order being created (inside its transaction) and says what it does.
     * Missing, not claimed, already used or reserved, expired or below the minimum → 40003.
     */
    async reserve(tx: Db, userId: number, code: string, listAmount: bigint): Promise<{ claimId: number; effect: CouponEffect }> {
      const found = await repo.lockClaimByCode(tx, userId, code);
      if (!found) throw invalid('Coupon not found or not claimed');
      if (found.claim.status === 'reserved') throw invalid('Coupon is reserved by another pending order');
      if (found.claim.status !== 'unused') throw invalid('Coupon has already been used');
      const effect = couponEffect(found.coupon, listAmount, clock.now());
      if (!(await repo.setClaimStatus(tx, found.claim.id, 'unused', 'reserved', null))) throw invalid('Coupon has already been used');
      return { claimId: found.claim.id, effect };
    },

    attachToOrder: async (tx: Db, claimId: number, orderId: number) => {
      await repo.setClaimStatus(tx, claimId, 'reserved', 'reserved', orderId);
    },

    /**
     * The order was paid: its claim becomes a use — once. A payment that arrives after its order expired (or failed)
     * finds the claim released, or reserved meanwhile by another pending order of the user: the money for this order
     * is real, so this order takes the use and the other order is `displaced` (its caller cancels it). A claim
     * already used by another order is `taken`: this order cannot have the coupon a second time.
     */
    async consume(tx: Db, claimId: number, orderId: number): Promise<{ use: 'used'; displacedOrderId?: number } | { use: 'taken'; byOrderId: number | null }> {
      const claim = await repo.lockClaim(tx, claimId);
      if (!claim) throw new Error(`coupon claim ${claimId} vanished`);
      if (claim.status === 'used') return claim.orderId === orderId ? { use: 'used' } : { use: 'taken', byOrderId: claim.orderId };
      await repo.markUsed(tx, claimId, orderId, clock.now());
      await repo.countUse(tx, claim.couponId);
      const displaced = claim.status === 'reserved' && claim.orderId !== null && claim.orderId !== orderId ? claim.orderId : undefined;
      return { use: 'used', displacedOrderId: displaced };
    },

    /** The order expired or failed: the coupon goes back to the user. */
    release: (tx: Db, claimId: number, orderId: number) => repo.releaseClaim(tx, claimId, orderId),
  };
}

export type CouponService = ReturnType<typeof createCouponService>;
