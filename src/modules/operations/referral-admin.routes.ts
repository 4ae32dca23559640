import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { creditsOf } from '../commerce/pricing.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import { AdminReferralPage, AdminReferralQuery } from './referral-admin.schema.ts';
import type { ReferralService } from './referral.service.ts';

type Row = Awaited<ReturnType<ReferralService['all']>>['rows'][number];

const at = (d: Date | null) => (d ? formatStudioTime(d) : null);

const referralView = ({ referral: r, referrer, referred }: Row) => ({
  id: r.id,
  referrer,
  referred,
  status: r.status,
  reward_amount: creditsOf(r.reward),
  reason: r.reason,
  order_no: r.orderNo,
  created_at: formatStudioTime(r.createdAt),
  rewarded_at: at(r.rewardedAt),
  clawed_back_at: at(r.clawedBackAt),
});

/** The operators' list of every referral (the console's Referrals page). */
export async function referralAdminRoutes(root: FastifyInstance, deps: { referral: ReferralService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { referral, auth } = deps;

  app.get(
    '/api/v1/admin/referrals',
    {
      onRequest: auth.sessionWithRole('admin'),
      schema: {
        tags: ['operators'],
        summary: 'Every referral, with both users and the rewards paid (operators)',
        description:
          'Newest first; filter by `status` and by `q`, a part of either user’s username or email. `total_rewards` is the credits ' +
          'the selected referrals’ rewards paid and kept (clawed-back ones excluded).',
        querystring: AdminReferralQuery,
        response: { 200: AdminReferralPage },
      },
    },
    async (req) => {
      const q = req.query;
      const { rows, total, totalRewards } = await referral.all({ status: q.status, q: q.q }, pageWindow(q));
      return studioOk({ ...pageOf(q, total, rows.map(referralView)), total_rewards: creditsOf(totalRewards) });
    },
  );
}
