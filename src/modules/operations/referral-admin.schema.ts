import { z } from 'zod';
import { pageEnvelope, PageQuery, studioEnvelope } from '../../platform/envelopes.ts';
import { REFERRAL_STATUSES } from './operations.tables.ts';

// The operators' view of referrals (`GET /api/v1/admin/referrals`, studio envelope): every referrer's, with both
// users named in full — unlike a referrer's own records (referral.schema.ts), which mask the friend's name.

export const AdminReferralQuery = PageQuery.extend({
  status: z.enum(REFERRAL_STATUSES).optional(),
  q: z.string().trim().min(1).max(100).optional().describe('A part of the referrer’s or the referred user’s username or email, case-insensitive'),
});

const ReferralParty = z.object({ id: z.number().int(), username: z.string(), email: z.string().nullable() });

export const AdminReferral = z.object({
  id: z.number().int(),
  referrer: ReferralParty,
  referred: ReferralParty,
  /** As in a referrer's records: pending, completed (the reward paid), not_rewarded (see `reason`), clawed_back. */
  status: z.enum(REFERRAL_STATUSES),
  /** Credits the reward paid (or, once clawed back, took back); 0 while pending or when not rewarded. */
  reward_amount: z.number(),
  reason: z.string().nullable(),
  /** The referred user's first order paid with money: the one that decided the reward. */
  order_no: z.string().nullable(),
  /** When the referred user registered. */
  created_at: z.string(),
  rewarded_at: z.string().nullable(),
  clawed_back_at: z.string().nullable(),
});

export const AdminReferralPage = studioEnvelope(
  pageEnvelope(AdminReferral).extend({
    /** Credits of the rewards paid and kept among the referrals the filters select (clawed-back ones excluded). */
    total_rewards: z.number(),
  }),
);
