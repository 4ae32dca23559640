import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { formatCny } from '../../platform/money.ts';
import type { NoticeHandler, NoticeOutcome } from './payment-notices.service.ts';
import type { OrderService } from './orders.service.ts';
import { orderDescription } from './orders.service.ts';
import { signSandbox } from './payments/sandbox.ts';
import type { PaymentRouter } from './payments/router.ts';

// Provider callbacks need the exact bytes the provider signed, so this plugin parses bodies as raw buffers.

const SANDBOX_ANSWERS: Record<NoticeOutcome, { status: number; code: number; message: string }> = {
  paid: { status: 200, code: 200, message: 'success' },
  duplicate: { status: 200, code: 200, message: 'success' },
  ignored: { status: 200, code: 200, message: 'success' },
  failed: { status: 200, code: 200, message: 'success' },
  rejected: { status: 401, code: 401, message: 'Invalid signature' },
  unknown_order: { status: 400, code: 40004, message: '订单不存在' },
  amount_mismatch: { status: 400, code: 40005, message: '支付金额与订单不符' },
  paid_twice: { status: 400, code: 40005, message: '订单已由另一笔交易支付' },
  txn_reused: { status: 400, code: 40005, message: '该交易已用于支付另一订单' },
};

const OrderNoParams = z.strictObject({ orderNo: z.string().regex(/^[RM]\d{20}$/) });

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function paymentRoutes(
  app: FastifyInstance,
  deps: { handleNotice: NoticeHandler; payments: PaymentRouter; orders: OrderService; sandboxSecret: string; sandboxPageEnabled: boolean },
) {
  const { handleNotice, payments, orders } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
  const raw = (req: FastifyRequest) => ({ rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), headers: req.headers });

  // The studio seed's callback: accepted only as a correctly signed sandbox callback.
  // Provider notices are not limited by the studio table: they come from a few shared provider addresses.
  const notice = { config: { studioRateLimit: false as const } };

  app.post('/api/v1/credit/payment/callback', { ...notice, schema: { tags: ['credits'] } }, async (req, reply) => {
    if (!payments.has('sandbox')) throw new AppError('NOT_FOUND', 'The sandbox payment provider is not enabled');
    const result = await handleNotice('sandbox', raw(req));
    const a = SANDBOX_ANSWERS[result.outcome];
    return reply.status(a.status).send({
      code: a.code,
      message: a.message,
      data: a.status === 200 && result.order ? { order_id: result.order.orderNo, status: result.order.status } : null,
    });
  });

  for (const name of ['alipay', 'wechat']) {
    if (!payments.has(name)) continue;
    app.post(payments.notifyPath(name), { ...notice, schema: { tags: ['payments'] } }, async (req, reply: FastifyReply) => {
      const provider = payments.byName(name);
      const result = await handleNotice(name, raw(req));
      const ok = ['paid', 'duplicate', 'ignored', 'failed', 'unknown_order'].includes(result.outcome);
      const answer = ok ? provider.ack() : provider.nack(result.outcome);
      return reply.status(answer.status).type(answer.contentType).send(answer.body);
    });
  }

  if (!payments.has('sandbox') || !deps.sandboxPageEnabled) return;

  // A page of ours that stands in for the provider's checkout in development: it completes the payment by
  // sending the same signed callback a client holding the secret would send.
  app.get('/pay/sandbox/:orderNo', { schema: { hide: true, params: OrderNoParams } }, async (req, reply) => {
    const { orderNo } = req.params as z.infer<typeof OrderNoParams>;
    const order = await orders.findByNo(orderNo);
    if (!order || order.provider !== 'sandbox') throw new AppError('NOT_FOUND', 'Order not found');
    const action = order.status === 'pending'
      ? `<form method="post"><button name="status" value="success">支付 ¥${formatCny(order.payAmount)}</button> <button name="status" value="failed">模拟失败</button></form>`
      : `<p>状态：${escapeHtml(order.status)}</p><p><a href="/billing">返回控制台 / Back to the console</a></p>`;
    return reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><meta charset="utf-8"><title>Tollgate sandbox payment</title><h1>沙箱支付</h1><p>${escapeHtml(order.orderNo)} · ${escapeHtml(orderDescription(order))}</p>${action}`);
  });

  app.post('/pay/sandbox/:orderNo', { schema: { hide: true, params: OrderNoParams } }, async (req, reply) => {
    const { orderNo } = req.params as z.infer<typeof OrderNoParams>;
    const order = await orders.findByNo(orderNo);
    if (!order || order.provider !== 'sandbox') throw new AppError('NOT_FOUND', 'Order not found');
    const status = new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '').get('status') === 'failed' ? 'failed' : 'success';
    const body = Buffer.from(
      JSON.stringify({ order_id: order.orderNo, payment_method: order.paymentMethod, transaction_id: `sandbox-${order.orderNo}`, status }),
    );
    await handleNotice('sandbox', { rawBody: body, headers: { 'x-signature': signSandbox(deps.sandboxSecret, body) } });
    return reply.redirect(`/pay/sandbox/${order.orderNo}`, 303);
  });
}
