import { z } from 'zod';
import { studioEnvelope } from '../../platform/envelopes.ts';
import { REFERRAL_STATUSES } from './operations.tables.ts';

export const ReferralLink = studioEnvelope(z.object({ referral_code: z.string(), referral_url: z.string() }));

export const ReferralRecord = z.object({
  id: z.number().int(),
  /** The referred user's name, masked (`us***3`). */
  referred_user: z.string(),
  /**
   * pending: waiting for the friend's first order paid with money; completed: that order paid the reward (the spec's
   * example); not_rewarded (see `reason`, e.g. the daily limit); clawed_back: that order was refunded and the reward
   * taken back.
   */
  status: z.enum(REFERRAL_STATUSES),
  /** Credits the reward paid (or, once clawed back, took back); 0 while pending. */
  reward_amount: z.number(),
  reason: z.string().nullable(),
  /** When the friend registered (the spec's `created_at`). */
  created_at: z.string(),
  registered_at: z.string(),
  rewarded_at: z.string().nullable(),
});

export const ReferralRecords = studioEnvelope(
  z.object({
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
    /** Credits of the rewards the referrer keeps (clawed-back ones excluded). */
    total_rewards: z.number(),
    items: z.array(ReferralRecord),
  }),
);
