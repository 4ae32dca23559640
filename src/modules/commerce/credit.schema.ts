import { z } from 'zod';
import { pageEnvelope, studioEnvelope } from '../../platform/envelopes.ts';
import { parseCny } from '../../platform/money.ts';
import { MEMBERSHIP_TYPES, PAYMENT_METHODS } from './commerce.tables.ts';
import { MAX_RECHARGE } from './pricing.ts';

export const RechargeAmount = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const micros = parseCny(v, 2);
  if (micros === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a CNY amount with at most 2 decimals' });
    return z.NEVER;
  }
  if (micros <= 0n || micros > MAX_RECHARGE) {
    ctx.addIssue({ code: 'custom', message: 'must be more than 0 and at most 50000' });
    return z.NEVER;
  }
  return micros;
});

const CouponCode = z.string().trim().min(1).max(64);

export const RechargeBody = z.strictObject({
  amount: RechargeAmount,
  payment_method: z.enum(PAYMENT_METHODS),
  coupon_code: CouponCode.optional(),
});

export const MembershipBody = z.strictObject({
  membership_type: z.enum(MEMBERSHIP_TYPES),
  payment_method: z.enum(PAYMENT_METHODS),
  coupon_code: CouponCode.optional(),
});

export const RechargeCreated = studioEnvelope(
  z.object({
    order_id: z.string(),
    amount: z.number(),
    original_amount: z.number(),
    discount: z.number(),
    credits: z.number(),
    bonus_credits: z.number(),
    payment_url: z.string().nullable(),
    expires_at: z.string(),
  }),
);

export const MembershipCreated = studioEnvelope(
  z.object({
    order_id: z.string(),
    membership_type: z.enum(MEMBERSHIP_TYPES),
    amount: z.number(),
    original_amount: z.number(),
    discount: z.number(),
    status: z.string(),
    payment_url: z.string().nullable(),
    membership_end_date: z.string().nullable(),
  }),
);

export const BalanceResponse = studioEnvelope(
  z.object({
    credit_balance: z.number(),
    is_member: z.boolean(),
    membership_type: z.string().nullable(),
    membership_end_date: z.string().nullable(),
    // Ours, beside the spec's fields (added, none changed).
    owed_amount: z
      .number()
      .describe('CNY the user owes, exact to 0.000001; 0 when nothing. Prepaid: a debt the next credit pays first. Postpaid: the running bill'),
    billing_mode: z.enum(['prepaid', 'postpaid']),
  }),
);

export const TransactionItem = z.object({
  id: z.number().int(),
  type: z.string(),
  amount: z.number(),
  balance_after: z.number(),
  description: z.string(),
  reference: z.string().nullable(),
  created_at: z.string(),
});
export const TransactionsResponse = studioEnvelope(pageEnvelope(TransactionItem));

export const OrderItem = z.object({
  order_id: z.string(),
  status: z.string(),
  payment_method: z.string(),
  amount: z.number(),
  original_amount: z.number(),
  discount: z.number(),
  credits: z.number(),
  bonus_credits: z.number(),
  membership_type: z.string().nullable(),
  payment_url: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  paid_at: z.string().nullable(),
});
export const OrdersResponse = studioEnvelope(pageEnvelope(OrderItem));
