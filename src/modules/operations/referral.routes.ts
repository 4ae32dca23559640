import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { PageQuery, pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { creditsOf } from '../commerce/pricing.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { ReferralLink, ReferralRecords } from './referral.schema.ts';
import type { ReferralService } from './referral.service.ts';

export async function referralRoutes(root: FastifyInstance, deps: { referral: ReferralService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { referral, auth } = deps;
  const tags = ['referral'];

  app.post(
    '/api/v1/operation/referral/generate',
    { onRequest: auth.session, schema: { tags, summary: 'Your referral code and link (the same every time)', response: { 200: ReferralLink } } },
    async (req) => {
      const { code, url } = await referral.link(principalOf(req));
      return studioOk({ referral_code: code, referral_url: url }, '推荐码已生成');
    },
  );

  app.get(
    '/api/v1/operation/referral/records',
    { onRequest: auth.session, schema: { tags, summary: 'The users you referred and their rewards', querystring: PageQuery, response: { 200: ReferralRecords } } },
    async (req) => {
      const q = req.query;
      const { rows, total, totalRewards } = await referral.records(principalOf(req), pageWindow(q));
      const items = rows.map((r) => ({
        id: r.id,
        referred_user: r.referredName,
        status: r.status,
        reward_amount: creditsOf(r.reward),
        reason: r.reason,
        created_at: formatStudioTime(r.createdAt),
        registered_at: formatStudioTime(r.createdAt),
        rewarded_at: r.rewardedAt ? formatStudioTime(r.rewardedAt) : null,
      }));
      return studioOk({ ...pageOf(q, total, items), total_rewards: creditsOf(totalRewards) });
    },
  );
}
