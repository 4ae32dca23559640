import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Database, Db } from '../../platform/db.ts';
import { AppError, badRequest, notFound } from '../../platform/errors.ts';
import { NO_RECORD, type ResponseRecord } from '../../platform/idempotency.ts';
import type { Principal } from '../../platform/principal.ts';
import { addMs, type Clock } from '../../platform/time.ts';
import { InsufficientFunds, type Ledger } from '../ledger/ledger.service.ts';
import type { MembershipType, OrderKind, OrderRow, OrderStatus, PaymentMethod } from './commerce.tables.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import type { CouponService } from './coupons.service.ts';
import type { MembershipService } from './membership.service.ts';
import { createFulfilment, orderDescription } from './order-payment.ts';
import * as repo from './orders.repo.ts';
import type { PaymentRouter } from './payments/router.ts';
import { MEMBERSHIP_PLANS } from './pricing.ts';
import { NO_PROMOTIONS, type OrderPromotions } from './promotions.ts';
import type { WalletService } from './wallet.service.ts';

export const ORDER_TTL_MS = 30 * 60 * 1000;

export interface OrderDeps {
  database: Database;
  clock: Clock;
  ledger: Ledger;
  coupons: CouponService;
  membership: MembershipService;
  wallet: Pick<WalletService, 'creditTarget'>;
  payments: PaymentRouter;
  audit: AuditLog;
  publicBaseUrl: string;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Activities and referrals (operations): offers on new orders, rewards on payment, claw-backs on refund. */
  promotions?: OrderPromotions;
}

/** `R20260122100000123456`: kind letter, UTC+8 wall time, 6 random digits. */
export function newOrderNo(kind: OrderKind, now: Date): string {
  const stamp = new Date(now.getTime() + 8 * 3600 * 1000).toISOString().replace(/\D/g, '').slice(0, 14);
  return `${kind === 'recharge' ? 'R' : 'M'}${stamp}${crypto.randomInt(0, 1_000_000).toString().padStart(6, '0')}`;
}

export function createOrderService(deps: OrderDeps) {
  const { database, clock, ledger, coupons, membership, payments } = deps;
  const promotions = deps.promotions ?? NO_PROMOTIONS;
  const fulfil = createFulfilment({ ...deps, promotions });

  /** Six random digits per second collide now and then under load: draw again. */
  async function insertWithNo(tx: Db, o: Omit<repo.NewOrder, 'orderNo'> & { createdAt: Date }): Promise<OrderRow> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const order = await repo.insertOrder(tx, { ...o, orderNo: newOrderNo(o.kind, o.createdAt) });
      if (order) return order;
    }
    throw new Error('could not draw a free order number');
  }

  /**
   * Creates a pending order (reserving its activity offer and its coupon) in one transaction, with its idempotent
   * response. An activity sets the price first; a coupon applies to that price.
   */
  async function openOrder(
    actor: Principal,
    o: { kind: OrderKind; method: PaymentMethod; provider: string; listAmount: bigint; credits: bigint; membershipType?: MembershipType; couponCode?: string },
    record: ResponseRecord<OrderRow>,
    then?: (tx: Db, order: OrderRow) => Promise<OrderRow>,
  ): Promise<OrderRow> {
    return database.transaction(async (tx) => {
      const firstOrder = !(await repo.hasPaidOrder(tx, actor.userId));
      const offer = await promotions.offer(tx, { userId: actor.userId, kind: o.kind, listAmount: o.listAmount, firstOrder });
      const offered = o.listAmount - (offer?.discount ?? 0n);
      const reserved = o.couponCode ? await coupons.reserve(tx, actor.userId, o.couponCode, offered) : undefined;
      const discount = (offer?.discount ?? 0n) + (reserved?.effect.discount ?? 0n);
      const now = clock.now();
      let order = await insertWithNo(tx, {
        userId: actor.userId,
        kind: o.kind,
        paymentMethod: o.method,
        provider: o.provider,
        listAmount: o.listAmount,
        discount,
        payAmount: o.listAmount - discount,
        credits: o.credits,
        bonusCredits: (offer?.bonusCredits ?? 0n) + (reserved?.effect.bonusCredits ?? 0n),
        membershipType: o.membershipType ?? null,
        couponClaimId: reserved?.claimId ?? null,
        activityId: offer?.activityId ?? null,
        createdAt: now,
        updatedAt: now,
        expiresAt: addMs(now, ORDER_TTL_MS),
      });
      if (reserved) await coupons.attachToOrder(tx, reserved.claimId, order.id);
      if (offer) await promotions.attach(tx, offer, order);
      if (then) order = await then(tx, order);
      // Saved now, with the order: a failure from here on cannot make a retry open a second one.
      await record.save(tx, order);
      return order;
    });
  }

  /**
   * Asks the provider where to pay, after the order is committed, and saves the response again with the payment URL.
   * A provider failure fails the order and forgets the response, so the client may retry the purchase.
   */
  async function startPayment(order: OrderRow, record: ResponseRecord<OrderRow>, clientIp?: string): Promise<OrderRow> {
    const provider = payments.byName(order.provider);
    let paymentUrl: string;
    try {
      ({ paymentUrl } = await provider.createPayment({
        orderNo: order.orderNo,
        payerUserId: order.userId,
        amount: order.payAmount,
        subject: orderDescription(order),
        expiresAt: order.expiresAt,
        notifyUrl: `${deps.publicBaseUrl}${payments.notifyPath(provider.name)}`,
        returnUrl: `${deps.publicBaseUrl}/`,
        clientIp,
      }));
    } catch (err) {
      deps.log.error({ orderNo: order.orderNo, provider: provider.name, err: (err as Error).message }, 'payment could not be started');
      await database.transaction(async (tx) => {
        const failed = await repo.closePending(tx, order.id, 'failed', { failureReason: 'payment provider unavailable', updatedAt: clock.now() });
        if (failed?.couponClaimId) await coupons.release(tx, failed.couponClaimId, failed.id);
        await record.forget(tx);
      });
      throw new AppError('PAYMENT_FAILED', 'The payment provider is unavailable; please retry');
    }
    return database.transaction(async (tx) => {
      const started = await repo.update(tx, order.id, { paymentUrl, updatedAt: clock.now() });
      await record.save(tx, started);
      return started;
    });
  }

  return {
    fulfil,

    /** `record` stores the request's idempotent response with the order (and again once the payment URL is known). */
    async createRecharge(
      actor: Principal,
      input: { amount: bigint; paymentMethod: PaymentMethod; couponCode?: string },
      clientIp?: string,
      record: ResponseRecord<OrderRow> = NO_RECORD,
    ) {
      if (input.paymentMethod === 'balance') throw badRequest('Credits cannot be bought with credits', { field: 'body.payment_method' });
      const provider = payments.forMethod(input.paymentMethod);
      const order = await openOrder(actor, {
        kind: 'recharge',
        method: input.paymentMethod,
        provider: provider.name,
        listAmount: input.amount,
        credits: input.amount,
        couponCode: input.couponCode,
      }, record);
      return startPayment(order, record, clientIp);
    },

    async createMembership(
      actor: Principal,
      input: { type: MembershipType; paymentMethod: PaymentMethod; couponCode?: string },
      clientIp?: string,
      record: ResponseRecord<OrderRow> = NO_RECORD,
    ) {
      const listAmount = MEMBERSHIP_PLANS[input.type].price;
      const base = { kind: 'membership' as const, method: input.paymentMethod, listAmount, credits: 0n, membershipType: input.type, couponCode: input.couponCode };
      if (input.paymentMethod === 'balance') {
        try {
          // Paid from credits in the same transaction that creates it: no pending state, no callback.
          return await openOrder(actor, { ...base, provider: 'balance' }, record, async (tx, order) => (await fulfil(tx, order, `balance:${order.orderNo}`)).order);
        } catch (err) {
          if (err instanceof InsufficientFunds) throw new AppError('INSUFFICIENT_CREDITS', '积分不足，请充值积分');
          throw err;
        }
      }
      const provider = payments.forMethod(input.paymentMethod);
      return startPayment(await openOrder(actor, { ...base, provider: provider.name }, record), record, clientIp);
    },

    page: (actor: Principal, kind: OrderKind, limit: number, offset: number) => repo.pageOwned(database.db, actor.userId, kind, limit, offset),

    /** Operators: every user's orders, newest first. */
    pageAll: (f: { status?: OrderStatus; kind?: OrderKind; userId?: number }, limit: number, offset: number) => repo.pageAll(database.db, f, limit, offset),

    async getOwned(actor: Principal, orderNo: string): Promise<OrderRow> {
      const order = await repo.findOwnedByNo(database.db, actor.userId, orderNo);
      if (!order) throw new AppError('ORDER_NOT_FOUND', '订单不存在');
      return order;
    },

    findByNo: (orderNo: string) => repo.findByNo(database.db, orderNo),

    /** Whether the order can still be paid as it was priced: pending, before its deadline (read in `db`). */
    async isOpen(orderNo: string, db: Db = database.db): Promise<boolean> {
      const order = await repo.findByNo(db, orderNo);
      return order?.status === 'pending' && order.expiresAt > clock.now();
    },

    /** Expires pending orders past their deadline and gives their coupons back. */
    async expireDue(limit = 500): Promise<number> {
      const due = await repo.duePending(database.db, clock.now(), limit);
      let expired = 0;
      for (const order of due) {
        await database.transaction(async (tx) => {
          const closed = await repo.closePending(tx, order.id, 'expired', { updatedAt: clock.now() });
          if (!closed) return;
          expired++;
          if (closed.couponClaimId) await coupons.release(tx, closed.couponClaimId, closed.id);
        });
      }
      return expired;
    },

    /**
     * Reverses a paid order while its credits are unspent; membership time is taken back too. Credits it returns
     * (a membership paid from the balance) pay a prepaid user's debt first.
     */
    async refund(actor: Principal, orderNo: string, reason: string, requestId: string, record: ResponseRecord<OrderRow> = NO_RECORD): Promise<OrderRow> {
      return database.transaction(async (tx) => {
        const order = await repo.lockByNo(tx, orderNo);
        if (!order) throw notFound('Order');
        if (order.status === 'refunded') throw new AppError('CONFLICT', 'Order has already been refunded');
        if (order.status !== 'paid') throw new AppError('CONFLICT', `Only paid orders can be refunded (this one is ${order.status})`);
        try {
          await ledger.reverse(
            {
              originalKey: `order:${order.orderNo}:paid`, idempotencyKey: `order:${order.orderNo}:refund`, kind: 'refund', reference: order.orderNo,
              description: `退款：${orderDescription(order)}（${reason}）`, creditTo: await deps.wallet.creditTarget(order.userId, tx),
            },
            tx,
          );
        } catch (err) {
          if (err instanceof InsufficientFunds) {
            throw new AppError('CONFLICT', 'The credits of this order have already been spent; it cannot be refunded');
          }
          throw err;
        }
        if (order.kind === 'membership') await membership.shorten(tx, order.userId, order.membershipType as MembershipType);
        const now = clock.now();
        const refunded = await repo.update(tx, order.id, { status: 'refunded', refundedAt: now, updatedAt: now });
        await promotions.refunded(tx, refunded);
        await deps.audit.record(tx, {
          actorUserId: actor.userId, tenantUserId: order.userId, action: 'order.refund', objectType: 'order', objectId: order.orderNo,
          before: { status: order.status }, after: { status: refunded.status }, reason, requestId,
        });
        await record.save(tx, refunded);
        return refunded;
      });
    },
  };
}

export type OrderService = ReturnType<typeof createOrderService>;
