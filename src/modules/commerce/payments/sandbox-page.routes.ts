import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, unauthenticated } from '../../../platform/errors.ts';
import { formatCny } from '../../../platform/money.ts';
import type { Clock } from '../../../platform/time.ts';
import { principalOf, type AuthHooks } from '../../identity/auth.hooks.ts';
import type { OrderRow } from '../commerce.tables.ts';
import { orderDescription } from '../order-payment.ts';
import type { NoticeHandler } from '../payment-notices.service.ts';
import type { OrderService } from '../orders.service.ts';
import { signSandbox, verifySandboxPayLink } from './sandbox.ts';

// A page of ours that stands in for the provider's checkout in development: it completes the payment by sending the
// same signed callback a client holding the secret would send. It gives credits without money, so it serves only the
// order's owner: the signed payment_url minted for them when the order was created (the console navigates there, so
// a Bearer header cannot come along), or their session's Bearer token. No credential → 401; another user's order → 404.

const OrderNoParams = z.strictObject({ orderNo: z.string().regex(/^[RM]\d{20}$/) });
const PayLinkQuery = z.object({ payer: z.string().max(20).optional(), expires: z.string().max(20).optional(), signature: z.string().max(128).optional() });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function sandboxPageRoutes(
  app: FastifyInstance,
  deps: { orders: OrderService; handleNotice: NoticeHandler; sandboxSecret: string; auth: AuthHooks; clock: Clock },
) {
  const { orders, handleNotice, sandboxSecret } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
  const schema = { hide: true, params: OrderNoParams, querystring: PayLinkQuery };

  /** The owner's pending-or-not sandbox order, for a caller holding the owner's link or session. */
  async function ownedOrder(req: FastifyRequest, reply: FastifyReply): Promise<OrderRow> {
    const { orderNo } = req.params as z.infer<typeof OrderNoParams>;
    const link = req.query as z.infer<typeof PayLinkQuery>;
    let userId: number;
    if (link.signature !== undefined) {
      const payer = verifySandboxPayLink(sandboxSecret, orderNo, link, deps.clock.now());
      if (payer === undefined) throw unauthenticated('This payment link is not valid or has expired');
      userId = payer;
    } else {
      if (req.headers.authorization === undefined) throw unauthenticated('Open this page from the console, or sign in');
      await deps.auth.session.call(app, req, reply);
      userId = principalOf(req).userId;
    }
    const order = await orders.findByNo(orderNo);
    // Another user's order is simply not there for this caller.
    if (!order || order.provider !== 'sandbox' || order.userId !== userId) throw new AppError('NOT_FOUND', 'Order not found');
    return order;
  }

  app.get('/pay/sandbox/:orderNo', { schema }, async (req, reply) => {
    const order = await ownedOrder(req, reply);
    const action = order.status === 'pending'
      ? `<form method="post"><button name="status" value="success">支付 ¥${formatCny(order.payAmount)}</button> <button name="status" value="failed">模拟失败</button></form>`
      : `<p>状态：${escapeHtml(order.status)}</p><p><a href="/billing">返回控制台 / Back to the console</a></p>`;
    return reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><meta charset="utf-8"><title>Tollgate sandbox payment</title><h1>沙箱支付</h1><p>${escapeHtml(order.orderNo)} · ${escapeHtml(orderDescription(order))}</p>${action}`);
  });

  app.post('/pay/sandbox/:orderNo', { schema }, async (req, reply) => {
    const order = await ownedOrder(req, reply);
    const status = new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '').get('status') === 'failed' ? 'failed' : 'success';
    const body = Buffer.from(
      JSON.stringify({ order_id: order.orderNo, payment_method: order.paymentMethod, transaction_id: `sandbox-${order.orderNo}`, status }),
    );
    await handleNotice('sandbox', { rawBody: body, headers: { 'x-signature': signSandbox(sandboxSecret, body) } });
    // Back to the page, with the link that opened it.
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    return reply.redirect(`/pay/sandbox/${order.orderNo}${query}`, 303);
  });
}
