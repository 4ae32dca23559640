import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.ts';
import type { NoticeHandler, NoticeOutcome } from './payment-notices.service.ts';
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
  coupon_used: { status: 400, code: 40005, message: '订单的优惠券已被其他订单使用，款项将退回' },
};

export async function paymentRoutes(
  app: FastifyInstance,
  deps: { handleNotice: NoticeHandler; payments: PaymentRouter },
) {
  const { handleNotice, payments } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
  const raw = (req: FastifyRequest) => ({ rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), headers: req.headers });

  // The studio seed's callback: accepted only as a correctly signed sandbox callback.
  // Provider notices are not limited by the studio table: they come from a few shared provider addresses.
  const notice = { config: { studioRateLimit: false as const } };

  app.post('/api/v1/credit/payment/callback', { ...notice, schema: { tags: ['credits'], summary: 'Sandbox payment callback (signed)' } }, async (req, reply) => {
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
    app.post(payments.notifyPath(name), { ...notice, schema: { tags: ['payments'], summary: `Payment notice from ${name}` } }, async (req, reply: FastifyReply) => {
      const provider = payments.byName(name);
      const result = await handleNotice(name, raw(req));
      const ok = ['paid', 'duplicate', 'ignored', 'failed', 'unknown_order'].includes(result.outcome);
      const answer = ok ? provider.ack() : provider.nack(result.outcome);
      return reply.status(answer.status).type(answer.contentType).send(answer.body);
    });
  }
}
