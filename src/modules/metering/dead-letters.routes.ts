import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageOf, pageWindow, studioOk } from '../../platform/envelopes.ts';
import { cnyNumber } from '../../platform/money.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from '../identity/auth.hooks.ts';
import { chargeOf } from './dead-letters.repo.ts';
import { DeadLetterListQuery, DeadLetterPageResponse, DeadLetterParams, DeadLetterResponse, ResolveBody, type DeadLetterItem } from './dead-letters.schema.ts';
import type { DeadLetterService } from './dead-letters.service.ts';
import type { DeadLetterRow } from './dead-letters.tables.ts';

// Operators' view of gateway charges billing gave up on (billing.ts): list them, charge one again, or write one off.

function itemView(r: DeadLetterRow): DeadLetterItem {
  return {
    id: r.id,
    request_id: r.requestId,
    user_id: r.userId,
    key_id: r.apiKeyId,
    cost: cnyNumber(r.costMicros, 6),
    model: chargeOf(r).charge.usage.model ?? null,
    status: r.status,
    error: r.error,
    attempts: r.attempts,
    handled_by: r.handledBy,
    note: r.note,
    created_at: formatStudioTime(r.createdAt),
    handled_at: r.handledAt ? formatStudioTime(r.handledAt) : null,
  };
}

export async function deadLetterRoutes(root: FastifyInstance, deps: { deadLetters: DeadLetterService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { deadLetters, auth } = deps;
  const admin = { onRequest: auth.sessionWithRole('admin') };
  const tags = ['operators'];

  app.get('/api/v1/admin/billing/dead-letters', { ...admin, schema: { tags, summary: 'Gateway charges that could not be posted', querystring: DeadLetterListQuery, response: { 200: DeadLetterPageResponse } } }, async (req) => {
    const { rows, total } = await deadLetters.page(req.query.status, pageWindow(req.query));
    return studioOk(pageOf(req.query, total, rows.map(itemView)));
  });

  app.post('/api/v1/admin/billing/dead-letters/:id/retry', { ...admin, schema: { tags, summary: 'Post a dead-lettered charge again', params: DeadLetterParams, response: { 200: DeadLetterResponse } } }, async (req) =>
    studioOk(itemView(await deadLetters.retry(principalOf(req), req.params.id, req.id)), '已重新扣费'),
  );

  app.post(
    '/api/v1/admin/billing/dead-letters/:id/resolve',
    { ...admin, schema: { tags, summary: 'Close a dead-lettered charge by hand', params: DeadLetterParams, body: ResolveBody, response: { 200: DeadLetterResponse } } },
    async (req) => studioOk(itemView(await deadLetters.resolve(principalOf(req), req.params.id, req.body.note, req.id)), '已处理'),
  );
}
