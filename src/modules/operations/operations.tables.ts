import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.tables.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** The studio spec's activity types (活动类型). */
export const ACTIVITY_TYPES = ['credit_gift', 'membership_discount', 'referral_bonus', 'first_purchase'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/**
 * What an activity gives, as the operator wrote it (credits are whole credits, `amount` is CNY):
 * credit_gift `{credits, on: 'participate' | 'register'}`; membership_discount `{percent}` or `{amount}`;
 * referral_bonus `{credits}`; first_purchase `{percent}` or `{credits}`.
 */
export interface ActivityConfig {
  credits?: number;
  on?: 'participate' | 'register';
  percent?: number;
  amount?: number;
}

/** An operator's promotion, live from `starts_at` to `ends_at` (both inclusive). */
export const activities = pgTable(
  'activities',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    name: text('name').notNull(),
    type: text('type', { enum: ACTIVITY_TYPES }).notNull(),
    description: text('description').notNull().default(''),
    config: jsonb('config').$type<ActivityConfig>().notNull(),
    startsAt: at('starts_at').notNull(),
    endsAt: at('ends_at').notNull(),
    createdBy: bigint('created_by', { mode: 'number' }).references(() => users.id),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('activities_type_window_idx').on(t.type, t.startsAt, t.endsAt), check('activities_window_ck', sql`${t.endsAt} > ${t.startsAt}`)],
);

/**
 * reserved  — a first-purchase offer held by a pending order (`order_no`), not yet paid
 * completed — the user took part: a gift paid, a first purchase paid, or a first membership order paid with a discount
 */
export const PARTICIPATION_STATUSES = ['reserved', 'completed'] as const;
export type ParticipationStatus = (typeof PARTICIPATION_STATUSES)[number];

/**
 * A user's part in an activity: once per user, however many requests arrive at once (the unique index). What a gift or a
 * first-purchase offer gives, it gives once. A membership discount differs (issue 17: it "applies to membership orders
 * in its window"): it prices every one of them, so its row records only that the user took part, and each discounted
 * order carries `orders.activity_id`.
 */
export const activityParticipations = pgTable(
  'activity_participations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    activityId: bigint('activity_id', { mode: 'number' }).notNull().references(() => activities.id),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    status: text('status', { enum: PARTICIPATION_STATUSES }).notNull(),
    /** The order a first-purchase offer went to; for a membership discount, the first membership order paid with it. */
    orderNo: text('order_no'),
    /** Credits given, µ¥ (a gift; a first purchase's bonus rides on its order). */
    reward: bigint('reward', { mode: 'bigint' }).notNull().default(sql`0`),
    createdAt: at('created_at').notNull().defaultNow(),
    completedAt: at('completed_at'),
  },
  (t) => [uniqueIndex('activity_participations_once_uq').on(t.activityId, t.userId), index('activity_participations_user_idx').on(t.userId)],
);

/**
 * pending      — registered with the referrer's code; waiting for the first order paid with money
 * completed    — that order paid the referrer `reward` (the studio spec's word for a paid referral)
 * not_rewarded — that order came when no reward could be paid (`reason`, e.g. the referrer's daily limit)
 * clawed_back  — that order was refunded, and the reward taken back
 */
export const REFERRAL_STATUSES = ['pending', 'completed', 'not_rewarded', 'clawed_back'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** Who brought whom: one row per referred user, written when they register with a code. */
export const referrals = pgTable(
  'referrals',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    referrerId: bigint('referrer_id', { mode: 'number' }).notNull().references(() => users.id),
    referredId: bigint('referred_id', { mode: 'number' }).notNull().references(() => users.id),
    status: text('status', { enum: REFERRAL_STATUSES }).notNull().default('pending'),
    /** µ¥ paid to the referrer (kept after a claw-back, to show what was taken back). */
    reward: bigint('reward', { mode: 'bigint' }).notNull().default(sql`0`),
    /** The referral_bonus activity that set the reward, when one was active. */
    activityId: bigint('activity_id', { mode: 'number' }).references(() => activities.id),
    /** The referred user's first order paid with money: the one that decided the reward. */
    orderNo: text('order_no'),
    reason: text('reason'),
    createdAt: at('created_at').notNull().defaultNow(),
    rewardedAt: at('rewarded_at'),
    clawedBackAt: at('clawed_back_at'),
  },
  (t) => [
    uniqueIndex('referrals_referred_uq').on(t.referredId),
    index('referrals_referrer_idx').on(t.referrerId, t.id),
    check('referrals_not_self_ck', sql`${t.referrerId} <> ${t.referredId}`),
    // The words the API answers with, and no other: migration 0015 converted the rows 0014 stored under an older name.
    check('referrals_status_ck', sql`${t.status} IN (${sql.raw(REFERRAL_STATUSES.map((s) => `'${s}'`).join(', '))})`),
  ],
);

/** Rewards paid per referrer per Beijing day: the guarded counter that holds the daily limit under concurrency. */
export const referralRewardDays = pgTable(
  'referral_reward_days',
  {
    referrerId: bigint('referrer_id', { mode: 'number' }).notNull().references(() => users.id),
    /** `YYYY-MM-DD` in UTC+8. */
    day: text('day').notNull(),
    rewards: integer('rewards').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.referrerId, t.day] })],
);

export type ActivityRow = typeof activities.$inferSelect;
export type ParticipationRow = typeof activityParticipations.$inferSelect;
export type ReferralRow = typeof referrals.$inferSelect;
