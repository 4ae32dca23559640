import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.tables.ts';

export const ORDER_KINDS = ['recharge', 'membership'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];
export const ORDER_STATUSES = ['pending', 'paid', 'failed', 'expired', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
/** What the client asked for (studio spec "支付方式"). */
export const PAYMENT_METHODS = ['alipay', 'wechat', 'balance'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const MEMBERSHIP_TYPES = ['monthly', 'quarterly', 'yearly'] as const;
export type MembershipType = (typeof MEMBERSHIP_TYPES)[number];

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const orders = pgTable(
  'orders',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `R…` recharge, `M…` membership: the id clients and providers see. */
    orderNo: text('order_no').notNull(),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    kind: text('kind', { enum: ORDER_KINDS }).notNull(),
    status: text('status', { enum: ORDER_STATUSES }).notNull().default('pending'),
    paymentMethod: text('payment_method', { enum: PAYMENT_METHODS }).notNull(),
    /** The provider that serves the method: `alipay`, `wechat`, `sandbox` (when the real one is not configured) or `balance`. */
    provider: text('provider').notNull(),
    /** List price before coupons, µ¥. */
    listAmount: bigint('list_amount', { mode: 'bigint' }).notNull(),
    discount: bigint('discount', { mode: 'bigint' }).notNull().default(sql`0`),
    /** What the user pays, µ¥ (list − discount). */
    payAmount: bigint('pay_amount', { mode: 'bigint' }).notNull(),
    /** Wallet credit on payment, µ¥ (recharge: the list amount; 1 credit = ¥0.1). */
    credits: bigint('credits', { mode: 'bigint' }).notNull().default(sql`0`),
    bonusCredits: bigint('bonus_credits', { mode: 'bigint' }).notNull().default(sql`0`),
    membershipType: text('membership_type', { enum: MEMBERSHIP_TYPES }),
    couponClaimId: bigint('coupon_claim_id', { mode: 'number' }),
    /** The operations activity that priced it (a membership discount, a first-purchase offer): see promotions.ts. */
    activityId: bigint('activity_id', { mode: 'number' }),
    paymentUrl: text('payment_url'),
    providerTxnId: text('provider_txn_id'),
    failureReason: text('failure_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    paidAt: ts('paid_at'),
    refundedAt: ts('refunded_at'),
  },
  (t) => [
    uniqueIndex('orders_order_no_uq').on(t.orderNo),
    // A provider transaction pays one order, once.
    uniqueIndex('orders_provider_txn_uq').on(t.provider, t.providerTxnId),
    index('orders_user_kind_idx').on(t.userId, t.kind, t.id),
    index('orders_pending_expiry_idx').on(t.status, t.expiresAt),
  ],
);

export const memberships = pgTable('memberships', {
  userId: bigint('user_id', { mode: 'number' }).primaryKey().references(() => users.id),
  type: text('type', { enum: MEMBERSHIP_TYPES }).notNull(),
  startedAt: ts('started_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const COUPON_TYPES = ['discount', 'deduction', 'credit_bonus'] as const;
export type CouponType = (typeof COUPON_TYPES)[number];
export const COUPON_STATUSES = ['active', 'disabled'] as const;

export const coupons = pgTable(
  'coupons',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    type: text('type', { enum: COUPON_TYPES }).notNull(),
    /** discount: percent × 100 (10.5 % → 1050); deduction: µ¥ off; credit_bonus: µ¥ of extra credits. */
    value: bigint('value', { mode: 'bigint' }).notNull(),
    minAmount: bigint('min_amount', { mode: 'bigint' }).notNull().default(sql`0`),
    maxUsage: integer('max_usage').notNull(),
    claimedCount: integer('claimed_count').notNull().default(0),
    usedCount: integer('used_count').notNull().default(0),
    validFrom: ts('valid_from').notNull(),
    validUntil: ts('valid_until').notNull(),
    status: text('status', { enum: COUPON_STATUSES }).notNull().default('active'),
    createdBy: bigint('created_by', { mode: 'number' }).references(() => users.id),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('coupons_code_uq').on(sql`upper(${t.code})`)],
);

export const CLAIM_STATUSES = ['unused', 'reserved', 'used'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

export const couponClaims = pgTable(
  'coupon_claims',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    couponId: bigint('coupon_id', { mode: 'number' }).notNull().references(() => coupons.id),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    status: text('status', { enum: CLAIM_STATUSES }).notNull().default('unused'),
    /** The pending order holding it, while `reserved`; the paying order once `used`. */
    orderId: bigint('order_id', { mode: 'number' }),
    claimedAt: ts('claimed_at').notNull().defaultNow(),
    usedAt: ts('used_at'),
  },
  (t) => [uniqueIndex('coupon_claims_once_uq').on(t.couponId, t.userId), index('coupon_claims_user_idx').on(t.userId)],
);

export type OrderRow = typeof orders.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type CouponRow = typeof coupons.$inferSelect;
export type CouponClaimRow = typeof couponClaims.$inferSelect;
