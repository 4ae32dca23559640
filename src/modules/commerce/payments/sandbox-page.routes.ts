import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { studioOk } from '../../../platform/envelopes.ts';
import { unauthenticated } from '../../../platform/errors.ts';
import type { Clock } from '../../../platform/time.ts';
import { principalOf, type AuthHooks } from '../../identity/auth.hooks.ts';
import { orderView } from '../credit.routes.ts';
import type { NoticeHandler } from '../payment-notices.service.ts';
import type { OrderService } from '../orders.service.ts';
import { CheckoutBody, CheckoutPaidResponse, CheckoutResponse, OrderNoParams, PayLinkQuery } from './sandbox-page.schema.ts';
import { createSandboxCheckout, type CheckoutState } from './sandbox-page.service.ts';

// The API of the sandbox checkout page (/pay/sandbox/{order}, a console page: web/src/pages/checkout). The caller is
// the order's owner through the payment_url signed for them when the order was created — the console navigates
// there, so a Bearer header cannot come along, and the page passes the link's parameters on — or through their
// session's Bearer token. No credential → 401; another user's order → 404; a link altered or past its order's
// payment window → 401.

const PATH = '/api/v1/payments/sandbox/:orderNo';

const checkoutView = ({ order, status }: CheckoutState) => {
  // The payment link is the caller's credential: it is not echoed.
  const { payment_url: _link, created_at: _created, ...fields } = orderView(order);
  return { ...fields, kind: order.kind, status, payment_method: order.paymentMethod as 'alipay' | 'wechat' };
};

export async function sandboxPageRoutes(
  root: FastifyInstance,
  deps: { orders: OrderService; handleNotice: NoticeHandler; sandboxSecret: string; auth: AuthHooks; clock: Clock },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const checkout = createSandboxCheckout({ orders: deps.orders, handleNotice: deps.handleNotice, secret: deps.sandboxSecret, clock: deps.clock });
  const tags = ['payments'];

  /** The user the caller acts for: the signed link's owner when it carries a link, else the session's user. */
  async function payer(req: FastifyRequest, reply: FastifyReply): Promise<number> {
    const { orderNo } = req.params as z.infer<typeof OrderNoParams>;
    const link = req.query as z.infer<typeof PayLinkQuery>;
    if (link.signature !== undefined) return checkout.payerOfLink(orderNo, link);
    if (req.headers.authorization === undefined) throw unauthenticated('Open this page through its payment link, or sign in');
    await deps.auth.session.call(root, req, reply);
    return principalOf(req).userId;
  }

  app.get(PATH, {
    schema: {
      tags, summary: 'The sandbox checkout of one order (development only)', params: OrderNoParams, querystring: PayLinkQuery,
      response: { 200: CheckoutResponse },
    },
  }, async (req, reply) => studioOk(checkoutView(await checkout.view(req.params.orderNo, await payer(req, reply)))));

  app.post(PATH, {
    schema: {
      tags, summary: 'Complete or fail a sandbox payment (development only)', params: OrderNoParams, querystring: PayLinkQuery, body: CheckoutBody,
      response: { 200: CheckoutPaidResponse },
    },
  }, async (req, reply) => {
    const done = await checkout.complete(req.params.orderNo, await payer(req, reply), req.body.status);
    return studioOk({ ...checkoutView(done), outcome: done.outcome });
  });
}
