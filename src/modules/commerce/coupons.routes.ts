import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import { cnyNumber } from '../../platform/money.ts';
import { formatStudioTime, type Clock } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import type { CouponClaimRow, CouponRow } from './commerce.tables.ts';
import {
  ClaimResponse, CouponCreated, CouponIdParams, CouponListQuery, CouponPage, CreateCouponBody, MyCouponsQuery, MyCouponsResponse,
} from './coupons.schema.ts';
import type { CouponService } from './coupons.service.ts';
import { creditsOf } from './pricing.ts';

function couponValue(c: CouponRow): number {
  if (c.type === 'discount') return Number(c.value) / 100;
  return c.type === 'deduction' ? cnyNumber(c.value) : creditsOf(c.value);
}

function couponStatus(c: CouponRow, now: Date): string {
  if (c.status === 'disabled') return 'disabled';
  if (now > c.validUntil) return 'expired';
  if (now < c.validFrom) return 'upcoming';
  return c.claimedCount >= c.maxUsage ? 'used_up' : 'active';
}

const common = (c: CouponRow) => ({
  code: c.code,
  name: c.name,
  type: c.type,
  value: couponValue(c),
  min_amount: cnyNumber(c.minAmount),
  valid_from: formatStudioTime(c.validFrom),
  valid_until: formatStudioTime(c.validUntil),
});

function claimStatus(claim: CouponClaimRow, coupon: CouponRow, now: Date): 'unused' | 'used' | 'expired' {
  if (claim.status === 'used') return 'used';
  return now > coupon.validUntil ? 'expired' : 'unused';
}

export async function couponRoutes(root: FastifyInstance, deps: { coupons: CouponService; auth: AuthHooks; clock: Clock }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { coupons, auth, clock } = deps;
  const tags = ['coupons'];

  app.post(
    '/api/v1/operation/coupons',
    { onRequest: auth.sessionWithRole('admin'), schema: { tags, summary: 'Create a coupon (operators)', body: CreateCouponBody, response: { 200: CouponCreated } } },
    async (req) => {
      const b = req.body;
      const c = await coupons.create(principalOf(req), {
        code: b.code, name: b.name, type: b.type, value: b.value, minAmount: b.min_amount, maxUsage: b.max_usage,
        validFrom: b.valid_from, validUntil: b.valid_until,
      });
      // The spec answers the stored status (`active`); the list shows where the coupon stands in its window.
      return studioOk({ id: c.id, code: c.code, status: c.status }, '优惠券创建成功');
    },
  );

  app.get('/api/v1/operation/coupons', { onRequest: auth.session, schema: { tags, summary: 'List coupons', querystring: CouponListQuery, response: { 200: CouponPage } } }, async (req) => {
    const q = req.query;
    const { limit, offset } = pageWindow(q);
    const { rows, total } = await coupons.page(principalOf(req), q.status, limit, offset);
    const now = clock.now();
    return studioOk(
      pageOf(q, total, rows.map((c) => ({ id: c.id, ...common(c), max_usage: c.maxUsage, claimed_count: c.claimedCount, used_count: c.usedCount, status: couponStatus(c, now) }))),
    );
  });

  app.post('/api/v1/operation/coupons/:coupon_id/claim', { onRequest: auth.session, schema: { tags, summary: 'Claim a coupon', params: CouponIdParams, response: { 200: ClaimResponse } } }, async (req) => {
    const { claim, coupon } = await coupons.claim(principalOf(req), req.params.coupon_id);
    return studioOk({ claim_id: claim.id, coupon_id: coupon.id, code: coupon.code, status: 'unused' }, '领取成功');
  });

  app.get('/api/v1/operation/my-coupons', { onRequest: auth.session, schema: { tags, summary: 'Your coupons', querystring: MyCouponsQuery, response: { 200: MyCouponsResponse } } }, async (req) => {
    const rows = await coupons.mine(principalOf(req), req.query.status);
    const now = clock.now();
    const items = rows.map(({ claim, coupon }) => ({
      claim_id: claim.id, coupon_id: coupon.id, ...common(coupon), status: claimStatus(claim, coupon, now),
      claimed_at: formatStudioTime(claim.claimedAt), used_at: claim.usedAt ? formatStudioTime(claim.usedAt) : null,
    }));
    return studioOk({ total: items.length, items });
  });
}
