import { sql } from 'drizzle-orm';
import { bigint, bigserial, date, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.tables.ts';

// The supply side (DESIGN.md §6): suppliers, the upstream accounts they mount, the token packages they sell, what they
// earn and what they withdraw. Amounts are µ¥ (bigint); quotas are tokens.

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const userRef = (name: string) => bigint(name, { mode: 'number' }).notNull().references(() => users.id);

/** A user's supplier profile, created by their first supply call. */
export const suppliers = pgTable('suppliers', {
  userId: bigint('user_id', { mode: 'number' }).primaryKey().references(() => users.id),
  displayName: text('display_name'),
  /** Set only once verified by an SMS code; withdrawals need it. */
  phone: text('phone'),
  phoneVerifiedAt: timestamp('phone_verified_at', { withTimezone: true, mode: 'date' }),
  /** Wrong withdrawal SMS codes in a row; 5 lock withdrawals until `withdrawLockedUntil`. */
  smsFailures: integer('sms_failures').notNull().default(0),
  withdrawLockedUntil: timestamp('withdraw_locked_until', { withTimezone: true, mode: 'date' }),
  /** When a verified phone was last replaced by another; withdrawals wait 24 h after it. */
  phoneChangedAt: timestamp('phone_changed_at', { withTimezone: true, mode: 'date' }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const ACCOUNT_STATUSES = ['pending', 'active', 'suspended', 'disabled'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const SUPPLY_PROVIDERS = ['openai', 'anthropic', 'gemini', 'baidu', 'xfyun', 'tencent'] as const;
export type SupplyProvider = (typeof SUPPLY_PROVIDERS)[number];
export const ACCOUNT_TYPES = ['api_key', 'oauth'] as const;
export const VERIFY_STATUSES = ['pass', 'review_required', 'reject'] as const;
export type VerifyStatus = (typeof VERIFY_STATUSES)[number];
/** Operator review of an account whose verification asked for it. */
export const REVIEW_STATUSES = ['not_required', 'required', 'approved', 'rejected'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export interface CheckItem {
  item: string;
  result: 'pass' | 'fail' | 'warn';
  message: string;
}

export const supplyAccounts = pgTable(
  'supply_accounts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    supplierUserId: userRef('supplier_user_id'),
    provider: text('provider', { enum: SUPPLY_PROVIDERS }).notNull(),
    accountType: text('account_type', { enum: ACCOUNT_TYPES }).notNull(),
    alias: text('alias'),
    status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('pending'),
    verifyStatus: text('verify_status', { enum: VERIFY_STATUSES }).notNull(),
    reviewStatus: text('review_status', { enum: REVIEW_STATUSES }).notNull().default('not_required'),
    riskScore: integer('risk_score').notNull(),
    /** What the provider reported as the account's remaining quota at verification, when it reports one. */
    availableQuota: doublePrecision('available_quota'),
    checkItems: jsonb('check_items').$type<CheckItem[]>().notNull(),
    /** Models the provider listed for this credential at verification (null: it lists none). */
    models: jsonb('models').$type<string[]>(),
    /** The credential, envelope-encrypted (platform/crypto.ts); never returned, never logged. */
    credentialCiphertext: text('credential_ciphertext').notNull(),
    /** Keyed HMAC of the credential: one live mount per credential, across all suppliers. */
    credentialFingerprint: text('credential_fingerprint').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('supply_accounts_fingerprint_live_uq').on(t.credentialFingerprint).where(sql`${t.deletedAt} IS NULL`),
    index('supply_accounts_supplier_idx').on(t.supplierUserId),
    index('supply_accounts_status_idx').on(t.status),
  ],
);

export type SupplyAccountRow = typeof supplyAccounts.$inferSelect;

export const PACKAGE_STATUSES = ['draft', 'active', 'paused', 'sold_out', 'expired'] as const;
export type PackageStatus = (typeof PACKAGE_STATUSES)[number];

export const supplyPackages = pgTable(
  'supply_packages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    supplierUserId: userRef('supplier_user_id'),
    supplyAccountId: bigint('supply_account_id', { mode: 'number' }).notNull().references(() => supplyAccounts.id),
    model: text('model').notNull(),
    /** Tokens sold. */
    totalQuota: bigint('total_quota', { mode: 'number' }).notNull(),
    /** Tokens left; the gateway's charges decrease it, in the same statement as the charge. */
    availableQuota: bigint('available_quota', { mode: 'number' }).notNull(),
    /** µ¥ per 1M tokens. */
    priceInputMicros: bigint('price_input_micros', { mode: 'bigint' }).notNull(),
    priceOutputMicros: bigint('price_output_micros', { mode: 'bigint' }).notNull(),
    validDays: integer('valid_days').notNull(),
    maxConcurrent: integer('max_concurrent').notNull(),
    rateLimitRpm: integer('rate_limit_rpm').notNull(),
    status: text('status', { enum: PACKAGE_STATUSES }).notNull().default('draft'),
    clonedFrom: bigint('cloned_from', { mode: 'number' }),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
    /** First publication + `valid_days`. */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    /** Which billing flush sold the last tokens: the flip to `sold_out` happens exactly once and names its batch. */
    soldOutBy: text('sold_out_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('supply_packages_supplier_idx').on(t.supplierUserId), index('supply_packages_status_idx').on(t.status, t.model)],
);

export type SupplyPackageRow = typeof supplyPackages.$inferSelect;

export const EARNING_TYPES = ['usage', 'bonus', 'refund'] as const;
export type EarningType = (typeof EARNING_TYPES)[number];
export const EARNING_STATUSES = ['pending', 'available', 'frozen', 'withdrawn'] as const;
export type EarningStatus = (typeof EARNING_STATUSES)[number];

/**
 * Earnings records. Usage earnings are rolled up per package per day (UTC+8): each served request adds to the day's
 * `pending` record of its package; the record matures (`available`) EARNINGS_HOLD_HOURS after its day ends. Bonus and
 * refund records are operator adjustments (refunds are negative). A withdrawal freezes available records oldest first,
 * splitting the last one, so the records it holds sum to the amount withdrawn.
 */
export const supplyEarnings = pgTable(
  'supply_earnings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    supplierUserId: userRef('supplier_user_id'),
    packageId: bigint('package_id', { mode: 'number' }),
    earningsType: text('earnings_type', { enum: EARNING_TYPES }).notNull(),
    /** µ¥; negative for refunds. */
    amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
    status: text('status', { enum: EARNING_STATUSES }).notNull(),
    /** The UTC+8 day a usage record rolls up. */
    earnDay: date('earn_day', { mode: 'string' }).notNull(),
    requests: integer('requests').notNull().default(0),
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
    settlementId: bigint('settlement_id', { mode: 'number' }),
    description: text('description'),
    /** When a pending record becomes available. */
    maturesAt: timestamp('matures_at', { withTimezone: true, mode: 'date' }),
    earnedAt: timestamp('earned_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('supply_earnings_open_day_uq').on(t.packageId, t.earnDay).where(sql`${t.earningsType} = 'usage' AND ${t.status} = 'pending'`),
    index('supply_earnings_supplier_idx').on(t.supplierUserId, t.earnedAt),
    index('supply_earnings_maturing_idx').on(t.status, t.maturesAt),
    index('supply_earnings_settlement_idx').on(t.settlementId),
  ],
);

export type SupplyEarningRow = typeof supplyEarnings.$inferSelect;

export const SETTLEMENT_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];
export const PAYMENT_METHODS = ['bank', 'alipay', 'wechat'] as const;

export const supplySettlements = pgTable(
  'supply_settlements',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    settlementNo: text('settlement_no').notNull(),
    supplierUserId: userRef('supplier_user_id'),
    status: text('status', { enum: SETTLEMENT_STATUSES }).notNull().default('pending'),
    totalMicros: bigint('total_micros', { mode: 'bigint' }).notNull(),
    feeMicros: bigint('fee_micros', { mode: 'bigint' }).notNull(),
    netMicros: bigint('net_micros', { mode: 'bigint' }).notNull(),
    paymentMethod: text('payment_method', { enum: PAYMENT_METHODS }).notNull(),
    paymentAccount: text('payment_account').notNull(),
    payoutProvider: text('payout_provider'),
    payoutReference: text('payout_reference'),
    /** Why it failed, or `cancelled` when the supplier withdrew the request. */
    failureReason: text('failure_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('supply_settlements_no_uq').on(t.settlementNo),
    // One open withdrawal per supplier, whatever races: the database refuses the second.
    uniqueIndex('supply_settlements_open_uq').on(t.supplierUserId).where(sql`${t.status} IN ('pending', 'processing')`),
    index('supply_settlements_supplier_idx').on(t.supplierUserId, t.createdAt),
  ],
);

export type SupplySettlementRow = typeof supplySettlements.$inferSelect;

/** `phone`: proves a new phone; `phone_change`: sent to the current phone, approves replacing it; `withdraw`. */
export const SMS_PURPOSES = ['phone', 'phone_change', 'withdraw'] as const;
export type SmsPurpose = (typeof SMS_PURPOSES)[number];

/** One-time SMS codes (stored hashed). */
export const smsCodes = pgTable(
  'sms_codes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: userRef('user_id'),
    purpose: text('purpose', { enum: SMS_PURPOSES }).notNull(),
    phone: text('phone').notNull(),
    codeHash: text('code_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (t) => [index('sms_codes_user_idx').on(t.userId, t.purpose, t.createdAt)],
);
