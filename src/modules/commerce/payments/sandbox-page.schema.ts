import { z } from 'zod';
import { studioEnvelope } from '../../../platform/envelopes.ts';
import { MEMBERSHIP_TYPES, ORDER_KINDS, ORDER_STATUSES } from '../commerce.tables.ts';
import { OrderItem } from '../credit.schema.ts';

// The sandbox checkout's API, which the console page /pay/sandbox/{order} calls (see sandbox-page.routes.ts).

export const OrderNoParams = z.strictObject({ orderNo: z.string().regex(/^[RM]\d{20}$/, 'must be an order number (R or M and 20 digits)') });

/**
 * The signed payment_url's parameters, passed on by the page. Other parameters (the page's `return_to`) are not
 * ours to judge here, so the object is not strict.
 */
export const PayLinkQuery = z.object({
  payer: z.string().max(20).optional(),
  expires: z.string().max(20).optional(),
  signature: z.string().max(128).optional(),
});

export const CheckoutBody = z.strictObject({
  status: z.enum(['success', 'failed']).describe('What the sandbox provider reports: the payment went through, or it failed'),
});

/** An order as the checkout shows it: the order list's fields, without the payment link (the caller holds it). */
export const CheckoutOrder = OrderItem.omit({ payment_url: true, created_at: true }).extend({
  kind: z.enum(ORDER_KINDS),
  status: z.enum(ORDER_STATUSES).describe('A pending order past its payment window shows as expired: it can no longer be paid'),
  payment_method: z.enum(['alipay', 'wechat']).describe('The provider the sandbox stands in for'),
  membership_type: z.enum(MEMBERSHIP_TYPES).nullable(),
});

export const CHECKOUT_OUTCOMES = ['paid', 'failed', 'unchanged'] as const;
export type CheckoutOutcome = (typeof CHECKOUT_OUTCOMES)[number];

export const CheckoutResponse = studioEnvelope(CheckoutOrder);
export const CheckoutPaidResponse = studioEnvelope(
  CheckoutOrder.extend({
    outcome: z.enum(CHECKOUT_OUTCOMES).describe('What this request did: paid the order, failed it, or nothing (it was no longer pending)'),
  }),
);
