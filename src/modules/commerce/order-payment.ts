import type { Logger } from 'pino';
import type { Db } from '../../platform/db.ts';
import type { Clock } from '../../platform/time.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import type { CreditTarget, Ledger, Posting } from '../ledger/ledger.service.ts';
import type { MembershipType, OrderRow } from './commerce.tables.ts';
import type { CouponService } from './coupons.service.ts';
import type { MembershipService } from './membership.service.ts';
import * as repo from './orders.repo.ts';
import { yuanText } from './payments/provider.ts';
import { creditsOf, MEMBERSHIP_PLANS } from './pricing.ts';
import type { OrderPromotions } from './promotions.ts';
import type { WalletService } from './wallet.service.ts';

// Paying an order: the ledger postings, and `fulfil`, which marks a locked order paid — its coupon used once, its
// money posted in one transfer, its membership extended.

/**
 * The ledger postings that pay an order: who receives what, and what the platform gives away. Credits for the user
 * go to `walletTarget` (the wallet, a prepaid user's debt first: see WalletService.creditTarget).
 */
export function paymentPostings(order: OrderRow, walletTarget: CreditTarget = { account: ACCOUNTS.userWallet(order.userId) }): Posting[] {
  const payer = order.provider === 'balance' ? ACCOUNTS.userWallet(order.userId) : ACCOUNTS.paymentClearing(order.provider);
  const postings: Posting[] = [{ account: payer, amount: -order.payAmount }];
  const promo = order.discount + order.bonusCredits;
  if (promo > 0n) postings.push({ account: ACCOUNTS.promoExpense, amount: -promo });
  if (order.kind === 'recharge') {
    postings.push({ ...walletTarget, amount: order.credits + order.bonusCredits });
  } else {
    postings.push({ account: ACCOUNTS.platformRevenue, amount: order.listAmount });
    if (order.bonusCredits > 0n) postings.push({ ...walletTarget, amount: order.bonusCredits });
  }
  return postings.filter((p) => p.amount !== 0n);
}

export function orderDescription(order: OrderRow): string {
  const bonus = order.bonusCredits > 0n ? `（赠送${creditsOf(order.bonusCredits)}积分）` : '';
  if (order.kind === 'recharge') return `充值${yuanText(order.listAmount)}元${bonus}`;
  return `购买${MEMBERSHIP_PLANS[order.membershipType as MembershipType].label}${bonus}`;
}

/** A recharge priced as if it had no coupon (nor activity): what was paid buys credits at the list rate, nothing more. */
const withoutCoupon = (order: OrderRow): Partial<OrderRow> => ({
  listAmount: order.payAmount, discount: 0n, credits: order.payAmount, bonusCredits: 0n, couponClaimId: null, activityId: null,
});

export type Fulfilment =
  /** Paid: credited, membership extended. */
  | { outcome: 'paid'; order: OrderRow }
  /** A membership paid at a coupon's price after that coupon was used by another order: not granted, refund due. */
  | { outcome: 'coupon_used'; order: OrderRow };

export function createFulfilment(deps: {
  clock: Clock;
  ledger: Ledger;
  coupons: CouponService;
  membership: MembershipService;
  wallet: Pick<WalletService, 'creditTarget'>;
  promotions: OrderPromotions;
  log: Pick<Logger, 'warn'>;
}) {
  const { clock, ledger, coupons, membership, wallet, promotions, log } = deps;

  /** The order's coupon, used once: the order as it is to be paid, or `refundDue` when it cannot be paid as priced. */
  async function useCoupon(tx: Db, order: OrderRow): Promise<{ order: OrderRow; refundDue?: true }> {
    if (!order.couponClaimId) return { order };
    const claim = await coupons.consume(tx, order.couponClaimId, order.id);
    const now = clock.now();
    if (claim.use === 'used') {
      if (claim.displacedOrderId !== undefined) {
        const cancelled = await repo.closePendingUnlessLocked(tx, claim.displacedOrderId, 'failed', {
          failureReason: `The coupon went to order ${order.orderNo}, whose payment arrived first; this order was cancelled (优惠券已用于订单 ${order.orderNo}，本订单已取消)`,
          updatedAt: now,
        });
        log.warn({ orderNo: order.orderNo, displacedOrderId: claim.displacedOrderId, cancelled: Boolean(cancelled) }, 'late payment took its coupon back from a newer order');
      }
      return { order };
    }
    log.warn({ orderNo: order.orderNo, usedByOrderId: claim.byOrderId }, 'late payment: its coupon was used by another order meanwhile');
    if (order.kind === 'recharge') return { order: await repo.update(tx, order.id, { ...withoutCoupon(order), updatedAt: now }) };
    const marked = await repo.update(tx, order.id, {
      failureReason: 'Paid after its coupon was used by another order: the payment is to be refunded (优惠券已被其他订单使用，款项待退回)',
      updatedAt: now,
    });
    return { order: marked, refundDue: true };
  }

  /** Marks a locked order paid: its coupon, one ledger transfer, the membership, then its activity and referral effects. */
  return async function fulfil(tx: Db, order: OrderRow, providerTxnId: string): Promise<Fulfilment> {
    const { order: payable, refundDue } = await useCoupon(tx, order);
    if (refundDue) return { outcome: 'coupon_used', order: payable };
    await ledger.transfer(
      {
        idempotencyKey: `order:${payable.orderNo}:paid`, kind: payable.kind, reference: payable.orderNo, description: orderDescription(payable),
        postings: paymentPostings(payable, await wallet.creditTarget(payable.userId, tx)),
      },
      tx,
    );
    if (payable.kind === 'membership') await membership.extend(tx, payable.userId, payable.membershipType as MembershipType);
    const now = clock.now();
    const paid = await repo.update(tx, payable.id, { status: 'paid', paidAt: now, updatedAt: now, providerTxnId });
    await promotions.paid(tx, paid);
    return { outcome: 'paid', order: paid };
  };
}

export type Fulfil = ReturnType<typeof createFulfilment>;
