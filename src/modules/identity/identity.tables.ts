import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const USER_ROLES = ['user', 'supplier', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const USER_STATUSES = ['active', 'disabled', 'deleted'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];
/** Self-registered users prepay; users created through the legacy `/1/users` are postpaid. */
export const BILLING_MODES = ['prepaid', 'postpaid'] as const;
export type BillingMode = (typeof BILLING_MODES)[number];

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const users = pgTable(
  'users',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    username: text('username').notNull(),
    email: text('email'),
    phone: text('phone'),
    passwordHash: text('password_hash'),
    role: text('role', { enum: USER_ROLES }).notNull().default('user'),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    billingMode: text('billing_mode', { enum: BILLING_MODES }).notNull().default('prepaid'),
    referralCode: text('referral_code').notNull(),
    /** Postpaid only: how much the user may owe (µ¥); null means no cap. */
    creditLimitMicros: bigint('credit_limit_micros', { mode: 'bigint' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // A deleted user's name and email can be taken again; live ones are unique regardless of case.
    uniqueIndex('users_username_live_uq').on(sql`lower(${t.username})`).where(sql`${t.deletedAt} IS NULL`),
    uniqueIndex('users_email_live_uq').on(sql`lower(${t.email})`).where(sql`${t.deletedAt} IS NULL`),
    uniqueIndex('users_referral_code_uq').on(t.referralCode),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    /** The refresh token id currently valid for this session (rotation replaces it). */
    refreshJti: text('refresh_jti').notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: createdAt(),
    lastRefreshedAt: timestamp('last_refreshed_at', { withTimezone: true, mode: 'date' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const API_KEY_KINDS = ['standard', 'legacy'] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

export const apiKeys = pgTable(
  'api_keys',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    name: text('name').notNull(),
    /** `legacy` keys are the one token per user that the `/1` admin API shows and resets. */
    kind: text('kind', { enum: API_KEY_KINDS }).notNull().default('standard'),
    keyHash: text('key_hash').notNull(),
    last4: text('last4').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    allowedModels: jsonb('allowed_models').$type<string[]>(),
    allowedIps: jsonb('allowed_ips').$type<string[]>(),
    spendLimitMicros: bigint('spend_limit_micros', { mode: 'bigint' }),
    spentMicros: bigint('spent_micros', { mode: 'bigint' }).notNull().default(sql`0`),
    /** Gateway requests per minute this key may make; null means only the platform's own limits apply. */
    rateLimitRpm: integer('rate_limit_rpm'),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('api_keys_hash_uq').on(t.keyHash), index('api_keys_user_idx').on(t.userId)],
);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/**
 * One-time links that set an operator's console password (`/setup?token=…`): printed by `/1/users/init`, by the
 * first boot without an operator, and by `npm run operator`. Only the token's SHA-256 is stored.
 */
export const operatorSetupTokens = pgTable(
  'operator_setup_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    /** The operator whose password the link sets; null: the link creates the first operator. */
    userId: bigint('user_id', { mode: 'number' }).references(() => users.id),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('operator_setup_tokens_user_idx').on(t.userId)],
);
