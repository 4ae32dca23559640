import { api, type StudioPage } from './client.ts';

// Activities, referrals and the operators' statistics. Types mirror the server's zod schemas:
// src/modules/operations/{activities,referral,referral-admin,statistics}.schema.ts. Times are studio times `YYYY-MM-DDTHH:mm:ss`
// meaning Beijing time (UTC+8), days `YYYY-MM-DD` (UTC+8); revenue and amounts in CNY, rewards in credits.

// ---- activities ---------------------------------------------------------------------------------

export const ACTIVITY_TYPES = ['credit_gift', 'membership_discount', 'referral_bonus', 'first_purchase'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];
export const ACTIVITY_STATUSES = ['active', 'upcoming', 'ended'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];
/** When a credit gift is given: when the user takes part (the default), or to every account registered in the window. */
export const GIFT_TRIGGERS = ['participate', 'register'] as const;
export type GiftTrigger = (typeof GIFT_TRIGGERS)[number];

/**
 * What an activity gives: credit_gift `{credits, on}`; membership_discount `{percent}` (1–99) or `{amount}` (CNY);
 * referral_bonus `{credits}`; first_purchase `{percent}` or `{credits}`. Credits are whole numbers.
 */
export interface ActivityConfig {
  credits?: number;
  on?: GiftTrigger;
  percent?: number;
  amount?: number;
}

export interface ActivityInput {
  name: string;
  type: ActivityType;
  description: string;
  config: ActivityConfig;
  /** `YYYY-MM-DDTHH:mm:ss`, UTC+8. */
  start_time: string;
  end_time: string;
}

export interface Activity extends ActivityInput {
  id: number;
  status: ActivityStatus;
  /** Whether the caller has taken part. */
  participated: boolean;
  created_at: string;
}

export interface Participation {
  activity_id: number;
  type: ActivityType;
  status: 'completed';
  reward_credits: number;
}

/** The studio code of a take-part outside the activity's window; its message says whether it has not started or has ended. */
export const ACTIVITY_CLOSED = 40010;

export const listActivities = (q: { status?: ActivityStatus; page: number; page_size: number }) =>
  api.get<StudioPage<Activity>>('/api/v1/operation/activities', q);
export const createActivity = (body: ActivityInput) => api.post<{ id: number; name: string; status: ActivityStatus }>('/api/v1/operation/activities', body);
/** Once per user: a second time answers 409. */
export const participate = (activityId: number) => api.post<Participation>(`/api/v1/operation/activities/${activityId}/participate`);

/** Only a credit gift given on taking part can be joined; every other activity applies by itself. */
export const isJoinable = (a: Pick<Activity, 'type' | 'config'>) => a.type === 'credit_gift' && (a.config.on ?? 'participate') === 'participate';

/** Which shape of its type's config an activity has: the words that describe it are chosen by this. */
export const OFFER_KINDS = ['gift_participate', 'gift_register', 'membership_percent', 'membership_amount', 'referral', 'first_percent', 'first_credits'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

export function offerKind(a: Pick<Activity, 'type' | 'config'>): OfferKind {
  switch (a.type) {
    case 'credit_gift':
      return a.config.on === 'register' ? 'gift_register' : 'gift_participate';
    case 'membership_discount':
      return a.config.amount !== undefined ? 'membership_amount' : 'membership_percent';
    case 'referral_bonus':
      return 'referral';
    case 'first_purchase':
      return a.config.credits !== undefined ? 'first_credits' : 'first_percent';
  }
}

// ---- referral -----------------------------------------------------------------------------------

/** `completed`: the friend's first order paid the reward (the studio spec's word; the console says "Rewarded"). */
export const REFERRAL_STATUSES = ['pending', 'completed', 'not_rewarded', 'clawed_back'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export interface ReferralLink {
  referral_code: string;
  /** `{public base}/register?ref={code}`. */
  referral_url: string;
}

export interface ReferralRecord {
  id: number;
  /** Masked (`us***3`). */
  referred_user: string;
  status: ReferralStatus;
  /** Credits the reward paid (or, once clawed back, took back); 0 while pending. */
  reward_amount: number;
  /** Why a reward was not paid, e.g. `daily_limit: …`. */
  reason: string | null;
  created_at: string;
  registered_at: string;
  rewarded_at: string | null;
}

export interface ReferralRecords extends StudioPage<ReferralRecord> {
  /** Credits of the rewards the referrer keeps (clawed-back ones excluded). */
  total_rewards: number;
}

/** The user's code and link: the same every time, so asking is safe on every visit. */
export const generateReferral = () => api.post<ReferralLink>('/api/v1/operation/referral/generate');
export const referralRecords = (page: number, pageSize: number) => api.get<ReferralRecords>('/api/v1/operation/referral/records', { page, page_size: pageSize });

/** One side of a referral, as operators see it (names in full). */
export interface ReferralParty {
  id: number;
  username: string;
  email: string | null;
}

/** A referral in the operators' list: src/modules/operations/referral-admin.schema.ts. */
export interface AdminReferral {
  id: number;
  referrer: ReferralParty;
  referred: ReferralParty;
  status: ReferralStatus;
  /** Credits the reward paid (or, once clawed back, took back); 0 while pending or when not rewarded. */
  reward_amount: number;
  /** Why no reward was paid, `code: detail` (e.g. `daily_limit: …`). */
  reason: string | null;
  /** The referred user's first order paid with money: the one that decided the reward. */
  order_no: string | null;
  /** When the referred user registered. */
  created_at: string;
  rewarded_at: string | null;
  clawed_back_at: string | null;
}

export interface AdminReferralPage extends StudioPage<AdminReferral> {
  /** Credits of the rewards paid and kept among the referrals the filters select. */
  total_rewards: number;
}

/** Operators: every referral, newest first; `q` is a part of either user's username or email. */
export const listReferrals = (q: { status?: ReferralStatus; q?: string; page: number; page_size: number }) =>
  api.get<AdminReferralPage>('/api/v1/admin/referrals', q);

// ---- statistics ---------------------------------------------------------------------------------

/** The server refuses a longer range. */
export const STATISTICS_MAX_DAYS = 366;

export interface DailyStatistics {
  date: string;
  new_users: number;
  /** CNY; a day with refunds can be negative. */
  revenue: number;
  credits_sold: number;
  paid_orders: number;
}

export interface Statistics {
  start_date: string;
  end_date: string;
  total_users: number;
  new_users: number;
  total_revenue: number;
  total_credits_sold: number;
  paid_orders: number;
  active_members: number;
  paying_users: number;
  /** Paying new users ÷ new users, a ratio with 4 decimals. */
  conversion_rate: number;
  /** One entry per day, oldest first, quiet days included. */
  daily: DailyStatistics[];
}

/** Both days inclusive, `YYYY-MM-DD` (UTC+8). */
export const getStatistics = (q: { start_date: string; end_date: string }) => api.get<Statistics>('/api/v1/operation/statistics', q);

// ---- Beijing time -------------------------------------------------------------------------------

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Beijing's wall clock now as `YYYY-MM-DDTHH:mm:ss`, whatever the browser's time zone. */
export const beijingNow = (now = Date.now()) => new Date(now + BEIJING_OFFSET_MS).toISOString().slice(0, 19);

/** The last `days` Beijing days, today included. */
export function lastBeijingDays(days: number, now = Date.now()): { start_date: string; end_date: string } {
  const today = beijingNow(now).slice(0, 10);
  const start = new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  return { start_date: start, end_date: today };
}
