import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HOURS, recordAs, type Idempotency, type ResponseRecord } from '../../platform/idempotency.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { PageQuery, pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import type { Db } from '../../platform/db.ts';
import { cnyNumber } from '../../platform/money.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import type { MembershipType, OrderRow } from './commerce.tables.ts';
import {
  BalanceResponse, MembershipBody, MembershipCreated, OrdersResponse, RechargeBody, RechargeCreated, TransactionsResponse,
} from './credit.schema.ts';
import type { MembershipService } from './membership.service.ts';
import type { OrderService } from './orders.service.ts';
import { creditsOf } from './pricing.ts';
import type { WalletService } from './wallet.service.ts';

export function orderView(o: OrderRow) {
  return {
    order_id: o.orderNo,
    status: o.status,
    payment_method: o.paymentMethod,
    amount: cnyNumber(o.payAmount),
    original_amount: cnyNumber(o.listAmount),
    discount: cnyNumber(o.discount),
    credits: creditsOf(o.credits + o.bonusCredits),
    bonus_credits: creditsOf(o.bonusCredits),
    membership_type: o.membershipType,
    payment_url: o.status === 'pending' ? o.paymentUrl : null,
    created_at: formatStudioTime(o.createdAt),
    expires_at: formatStudioTime(o.expiresAt),
    paid_at: o.paidAt ? formatStudioTime(o.paidAt) : null,
  };
}

export async function creditRoutes(
  root: FastifyInstance,
  deps: { orders: OrderService; membership: MembershipService; wallet: WalletService; auth: AuthHooks; idempotency: Idempotency },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { orders, membership, wallet, auth, idempotency } = deps;
  // A retried or double-clicked purchase with the same Idempotency-Key gets the first order back (DESIGN.md §3). The
  // services save the response in the transaction that writes the order, through `record`.
  const once = <T>(req: FastifyRequest, reply: FastifyReply, operation: string, work: (record: ResponseRecord<T>) => Promise<T>) =>
    idempotency.run(req, reply, { scope: `user:${principalOf(req).userId}:${operation}`, ttlMs: 24 * HOURS }, work);

  const rechargeCreated = (order: OrderRow) => {
    const v = orderView(order);
    const { order_id, amount, original_amount, discount, credits, bonus_credits, payment_url, expires_at } = v;
    return studioOk({ order_id, amount, original_amount, discount, credits, bonus_credits, payment_url, expires_at }, '订单创建成功');
  };
  const membershipCreated = async (order: OrderRow, db?: Db) =>
    studioOk(
      {
        order_id: order.orderNo,
        membership_type: order.membershipType as MembershipType,
        amount: cnyNumber(order.payAmount),
        original_amount: cnyNumber(order.listAmount),
        discount: cnyNumber(order.discount),
        status: order.status,
        payment_url: order.status === 'pending' ? order.paymentUrl : null,
        membership_end_date: order.status === 'paid' ? await membership.endDate(order.userId, db) : null,
      },
      order.status === 'paid' ? '会员开通成功' : '会员订单创建成功',
    );
  const base = { onRequest: auth.session };
  const tags = ['credits'];

  app.post('/api/v1/credit/recharge', { ...base, schema: { tags, summary: 'Buy credits (creates a recharge order)', body: RechargeBody, response: { 200: RechargeCreated } } }, async (req, reply) =>
    once(req, reply, 'credit.recharge', async (record: ResponseRecord<ReturnType<typeof rechargeCreated>>) => {
      const order = await orders.createRecharge(
        principalOf(req),
        { amount: req.body.amount, paymentMethod: req.body.payment_method, couponCode: req.body.coupon_code },
        req.ip,
        recordAs(record, rechargeCreated),
      );
      return rechargeCreated(order);
    }),
  );

  app.post('/api/v1/credit/membership', { ...base, schema: { tags, summary: 'Buy or renew a membership (creates an order)', body: MembershipBody, response: { 200: MembershipCreated } } }, async (req, reply) =>
    once(req, reply, 'credit.membership', async (record: ResponseRecord<Awaited<ReturnType<typeof membershipCreated>>>) => {
      const order = await orders.createMembership(
        principalOf(req),
        { type: req.body.membership_type, paymentMethod: req.body.payment_method, couponCode: req.body.coupon_code },
        req.ip,
        recordAs(record, membershipCreated),
      );
      return membershipCreated(order);
    }),
  );

  app.get('/api/v1/credit/balance', { ...base, schema: { tags, summary: 'Credit balance and membership', response: { 200: BalanceResponse } } }, async (req) => {
    const userId = principalOf(req).userId;
    const [standing, debt] = await Promise.all([membership.standing(userId), wallet.debt(userId)]);
    return studioOk({ ...standing, owed_amount: cnyNumber(debt.owed, 6), billing_mode: debt.billingMode });
  });

  app.get('/api/v1/credit/transactions', { ...base, schema: { tags, summary: 'Credit movements', querystring: PageQuery, response: { 200: TransactionsResponse } } }, async (req) => {
    const { rows, total } = await wallet.transactions(principalOf(req).userId, pageWindow(req.query));
    return studioOk(pageOf(req.query, total, rows));
  });

  for (const kind of ['recharge', 'membership'] as const) {
    app.get(`/api/v1/credit/${kind}/orders`, { ...base, schema: { tags, summary: `Your ${kind} orders, newest first`, querystring: PageQuery, response: { 200: OrdersResponse } } }, async (req) => {
      const q = req.query;
      const { limit, offset } = pageWindow(q);
      const { rows, total } = await orders.page(principalOf(req), kind, limit, offset);
      return studioOk(pageOf(q, total, rows.map(orderView)));
    });
  }
}
