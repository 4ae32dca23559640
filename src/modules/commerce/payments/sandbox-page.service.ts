import { AppError, unauthenticated } from '../../../platform/errors.ts';
import type { Clock } from '../../../platform/time.ts';
import type { OrderRow, OrderStatus } from '../commerce.tables.ts';
import type { NoticeHandler, NoticeOutcome } from '../payment-notices.service.ts';
import type { OrderService } from '../orders.service.ts';
import type { CheckoutOutcome } from './sandbox-page.schema.ts';
import { signSandbox, verifySandboxPayLink } from './sandbox.ts';

// The rules of our sandbox checkout, which stands in for a provider's in development: it completes a payment by
// sending the same signed callback a provider would. It gives credits without money, so it serves only the order's
// owner (another user's order is simply not found), and it pays only an order that can still be paid — a real
// provider refuses a checkout past the order's payment window, and so does this one.

export interface CheckoutState {
  order: OrderRow;
  /** The status the checkout shows: a pending order past its deadline is expired, whether or not the job has run. */
  status: OrderStatus;
}

/** Notice outcomes that leave the order as the checkout found it, or as a concurrent attempt left it. */
const UNCHANGED: NoticeOutcome[] = ['duplicate', 'ignored'];

export function createSandboxCheckout(deps: { orders: Pick<OrderService, 'findByNo'>; handleNotice: NoticeHandler; secret: string; clock: Clock }) {
  const { orders, handleNotice, secret, clock } = deps;

  const stateOf = (order: OrderRow): CheckoutState => ({
    order,
    status: order.status === 'pending' && order.expiresAt <= clock.now() ? 'expired' : order.status,
  });

  async function ownedOrder(orderNo: string, userId: number): Promise<OrderRow> {
    const order = await orders.findByNo(orderNo);
    if (!order || order.provider !== 'sandbox' || order.userId !== userId) throw new AppError('NOT_FOUND', 'Order not found');
    return order;
  }

  return {
    /** The owner a signed payment_url names; 401 when it is not ours, was altered, or has expired. */
    payerOfLink(orderNo: string, link: { payer?: string; expires?: string; signature?: string }): number {
      const payer = verifySandboxPayLink(secret, orderNo, link, clock.now());
      if (payer === undefined) throw unauthenticated('This payment link is not valid or has expired');
      return payer;
    },

    view: async (orderNo: string, userId: number): Promise<CheckoutState> => stateOf(await ownedOrder(orderNo, userId)),

    /** Reports the sandbox payment of a payable order as `success` or `failed`; any other order is left as it is. */
    async complete(orderNo: string, userId: number, status: 'success' | 'failed'): Promise<CheckoutState & { outcome: CheckoutOutcome }> {
      const before = stateOf(await ownedOrder(orderNo, userId));
      if (before.status !== 'pending') return { ...before, outcome: 'unchanged' };
      const order = before.order;
      const body = Buffer.from(
        JSON.stringify({ order_id: order.orderNo, payment_method: order.paymentMethod, transaction_id: `sandbox-${order.orderNo}`, status }),
      );
      const result = await handleNotice('sandbox', { rawBody: body, headers: { 'x-signature': signSandbox(secret, body) } });
      if (result.outcome === 'paid' || result.outcome === 'failed') return { ...stateOf(result.order ?? order), outcome: result.outcome };
      if (UNCHANGED.includes(result.outcome)) return { ...stateOf((await orders.findByNo(orderNo)) ?? order), outcome: 'unchanged' };
      // A refusal the notice handler has logged (e.g. a membership whose coupon another order used meanwhile).
      throw new AppError('PAYMENT_FAILED', `The payment was not accepted (${result.outcome})`);
    },
  };
}

export type SandboxCheckout = ReturnType<typeof createSandboxCheckout>;
