import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageEnvelope, pageOf, PageQuery, pageWindow, studioEnvelope, studioOk } from '../../platform/envelopes.ts';
import { normalizeMainlandPhone, type SandboxSms } from '../../platform/sms.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';

// What the sandbox SMS provider "sent" (development and tests read verification codes here). Registered only when
// SMS_PROVIDER=sandbox: with a real provider the route does not exist (404).

const OutboxQuery = PageQuery.extend({ phone: z.string().max(32).optional().describe('Only messages to this number') });

const OutboxMessage = z.object({ id: z.number().int(), phone: z.string(), template: z.string(), content: z.string(), created_at: z.string() });

export async function smsOutboxRoutes(root: FastifyInstance, deps: { sms: SandboxSms; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/v1/admin/sms-outbox',
    {
      onRequest: deps.auth.sessionWithRole('admin'),
      schema: { tags: ['operators'], summary: 'Messages the sandbox SMS provider sent, newest first', querystring: OutboxQuery, response: { 200: studioEnvelope(pageEnvelope(OutboxMessage)) } },
    },
    async (req) => {
      const q = req.query;
      // An unparseable number simply matches nothing.
      const phone = q.phone === undefined ? undefined : (normalizeMainlandPhone(q.phone) ?? q.phone);
      const { rows, total } = await deps.sms.outbox({ phone, ...pageWindow(q) });
      return studioOk(pageOf(q, total, rows.map((m) => ({ id: m.id, phone: m.phone, template: m.template, content: m.content, created_at: m.createdAt.toISOString() }))));
    },
  );
}
