import type { Logger } from 'pino';
import { isUniqueViolation, type Database } from '../../platform/db.ts';
import type { Clock } from '../../platform/time.ts';
import type { OrderRow } from './commerce.tables.ts';
import type { CouponService } from './coupons.service.ts';
import type { OrderService } from './orders.service.ts';
import * as repo from './orders.repo.ts';
import { NotifyRejected, type NotifyRequest } from './payments/provider.ts';
import type { PaymentRouter } from './payments/router.ts';

export type NoticeOutcome =
  /** The order is now paid. */
  | 'paid'
  /** The same provider transaction again: nothing changed. */
  | 'duplicate'
  /** A valid notice that needs nothing (still waiting for the payer, or a failure for an order no longer pending). */
  | 'ignored'
  /** The provider says the payment failed: the pending order failed and its coupon went back. */
  | 'failed'
  /** Signature or shape wrong: forged or corrupted. */
  | 'rejected'
  | 'unknown_order'
  | 'amount_mismatch'
  /** Paid already by another transaction: a second payment for one order, for an operator to refund. */
  | 'paid_twice'
  /** The provider transaction already paid a different order: a replay aimed at this one. */
  | 'txn_reused'
  /** A late payment at a coupon's price whose coupon another order has used meanwhile: for an operator to refund. */
  | 'coupon_used';

export interface NoticeResult {
  outcome: NoticeOutcome;
  order?: OrderRow;
}

/** Every callback, from every provider, goes through here: verified, idempotent by provider transaction id. */
export function createNoticeHandler(deps: {
  database: Database;
  clock: Clock;
  orders: OrderService;
  coupons: CouponService;
  payments: PaymentRouter;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}) {
  const { database, clock, orders, coupons, payments, log } = deps;

  return async function handleNotice(providerName: string, req: NotifyRequest): Promise<NoticeResult> {
    const provider = payments.byName(providerName);
    let notice;
    try {
      notice = await provider.verifyNotify(req);
    } catch (err) {
      if (!(err instanceof NotifyRejected)) throw err;
      log.warn({ provider: providerName, reason: err.message }, 'payment notice rejected');
      return { outcome: 'rejected' };
    }
    let result: NoticeResult;
    try {
      result = await database.transaction(async (tx): Promise<NoticeResult> => {
        const order = await repo.lockByNo(tx, notice.orderNo);
        if (!order || order.provider !== provider.name) return { outcome: 'unknown_order' };
        if (notice.amount !== undefined && notice.amount !== order.payAmount) return { outcome: 'amount_mismatch', order };
        if (order.status === 'paid' || order.status === 'refunded') {
          if (order.providerTxnId === notice.providerTxnId) return { outcome: 'duplicate', order };
          // A failed or abandoned attempt reported after another attempt paid: nothing to do.
          return { outcome: notice.outcome === 'paid' ? 'paid_twice' : 'ignored', order };
        }
        if (notice.outcome === 'pending') return { outcome: 'ignored', order };
        if (notice.outcome === 'failed') {
          const failed = await repo.closePending(tx, order.id, 'failed', { failureReason: 'provider reported failure', updatedAt: clock.now() });
          if (failed?.couponClaimId) await coupons.release(tx, failed.couponClaimId, failed.id);
          return { outcome: failed ? 'failed' : 'ignored', order: failed ?? order };
        }
        const other = await repo.findByProviderTxn(tx, provider.name, notice.providerTxnId);
        if (other) return { outcome: 'txn_reused', order };
        // Pending, or expired/failed meanwhile: the payer's money arrived, so the order is honoured (its coupon once).
        return orders.fulfil(tx, order, notice.providerTxnId);
      });
    } catch (err) {
      // Two orders paid at once by one transaction id: the unique index lets one through and rolls the other back.
      if (!isUniqueViolation(err)) throw err;
      result = { outcome: 'txn_reused' };
    }
    const context = { provider: providerName, orderNo: notice.orderNo, providerTxnId: notice.providerTxnId, outcome: result.outcome };
    if (result.outcome === 'paid' || result.outcome === 'duplicate' || result.outcome === 'ignored' || result.outcome === 'failed') {
      log.info(context, 'payment notice handled');
    } else {
      log.error({ ...context, noticeAmount: notice.amount?.toString(), orderAmount: result.order?.payAmount.toString() }, 'payment notice refused');
    }
    return result;
  };
}

export type NoticeHandler = ReturnType<typeof createNoticeHandler>;
