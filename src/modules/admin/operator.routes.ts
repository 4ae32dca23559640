import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RowId, studioEnvelope, studioOk } from '../../platform/envelopes.ts';
import { HOURS, recordAs, type Idempotency, type ResponseRecord } from '../../platform/idempotency.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import type { UserService } from '../identity/users.service.ts';
import type { ApiKeyService } from '../identity/api-keys.service.ts';
import { badRequest } from '../../platform/errors.ts';
import { cnyNumber, parseCny } from '../../platform/money.ts';
import { orderView } from '../commerce/credit.routes.ts';
import type { OrderRow } from '../commerce/commerce.tables.ts';
import { OrderItem } from '../commerce/credit.schema.ts';
import type { OrderService } from '../commerce/orders.service.ts';
import { creditsOf, creditsToMicros } from '../commerce/pricing.ts';
import type { WalletService } from '../commerce/wallet.service.ts';

// Operator endpoints of our own (studio envelope, admin role) that compose other modules.

// Digits only: z.coerce.number() would also read '1e3', '0x10' and ' 5' as user ids.
const UserIdParams = z.strictObject({
  id: RowId,
});
const OrderNoParams = z.strictObject({ id: z.string().regex(/^[RM]\d{20}$/, 'must be an order id such as R20260122100000123456') });
const Reason = z.string().trim().min(2).max(500);

const AdjustBody = z.strictObject({
  /** Whole credits; negative takes credits away. */
  credits: z.number().int().min(-10_000_000).max(10_000_000).refine((n) => n !== 0, 'must not be 0'),
  reason: Reason,
});
const RefundBody = z.strictObject({ reason: Reason });
const CreditLimitBody = z.strictObject({
  /** CNY a postpaid user may owe for gateway use; null removes the cap. */
  credit_limit: z.number().min(0).max(100_000_000).nullable(),
});
const IdempotencyHeaders = z.object({ 'idempotency-key': z.string().min(8).max(128).optional() });

export async function operatorRoutes(
  root: FastifyInstance,
  deps: { users: UserService; wallet: WalletService; orders: OrderService; auth: AuthHooks; idempotency: Idempotency; apiKeys: ApiKeyService },
) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { users, wallet, orders, auth, idempotency } = deps;
  const admin = { onRequest: auth.sessionWithRole('admin') };
  const tags = ['operators'];
  const refunded = (o: OrderRow) => studioOk(orderView(o), '退款成功');

  app.post(
    '/api/v1/admin/users/:id/credits',
    {
      ...admin,
      schema: {
        tags, summary: 'Grant or deduct a user\'s credits', params: UserIdParams, body: AdjustBody, headers: IdempotencyHeaders,
        response: { 200: studioEnvelope(z.object({ user_id: z.number().int(), credit_balance: z.number(), replayed: z.boolean() })) },
      },
    },
    async (req) => {
      await users.getLive(req.params.id);
      const key = req.headers['idempotency-key'] ?? crypto.randomUUID();
      const result = await wallet.adjust(principalOf(req), req.params.id, creditsToMicros(req.body.credits), req.body.reason, key, req.id);
      return studioOk({ user_id: req.params.id, credit_balance: creditsOf(result.balance), replayed: result.replayed }, '积分已调整');
    },
  );

  app.put(
    '/api/v1/admin/users/:id/credit-limit',
    {
      ...admin,
      schema: { tags, summary: 'Set a user\'s credit limit', params: UserIdParams, body: CreditLimitBody, response: { 200: studioEnvelope(z.object({ user_id: z.number().int(), credit_limit: z.number().nullable() })) } },
    },
    async (req) => {
      const limit = req.body.credit_limit === null ? null : parseCny(req.body.credit_limit, 2);
      if (limit === undefined) throw badRequest('credit_limit must have at most 2 decimals', { field: 'body.credit_limit' });
      const user = await users.setCreditLimit(req.params.id, limit);
      // The gateway reads the limit with the key: drop the cached lookups so it applies to the next request.
      deps.apiKeys.forgetAll();
      return studioOk({ user_id: user.id, credit_limit: user.creditLimitMicros === null ? null : cnyNumber(user.creditLimitMicros) }, '信用额度已更新');
    },
  );

  app.post(
    '/api/v1/admin/orders/:id/refund',
    { ...admin, schema: { tags, summary: 'Refund a paid order', params: OrderNoParams, body: RefundBody, response: { 200: studioEnvelope(OrderItem) } } },
    async (req, reply) =>
      idempotency.run(
        req, reply, { scope: `operator:${principalOf(req).userId}:order.refund`, ttlMs: 24 * HOURS },
        async (record: ResponseRecord<ReturnType<typeof refunded>>) =>
          refunded(await orders.refund(principalOf(req), req.params.id, req.body.reason, req.id, recordAs(record, refunded))),
      ),
  );
}
