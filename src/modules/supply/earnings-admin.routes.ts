import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { supplyOk } from '../../platform/envelopes.ts';
import { HOURS, type Idempotency } from '../../platform/idempotency.ts';
import { cnyNumber } from '../../platform/money.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import { earningRecordView } from './earnings.routes.ts';
import { AdjustEarningsBody, AdjustEarningsHeaders, AdjustEarningsResponse } from './earnings.schema.ts';
import type { EarningsService } from './earnings.service.ts';
import type { SupplyAuth } from './supply.auth.ts';

// Operators' earnings adjustments (our addition to the supply console, same envelope).

const ADJUST_DESCRIPTION = `Operators only. Adds an \`available\` earnings record to a supplier, effective at once:

- \`bonus\`: paid by the platform's promotions account into the supplier's available earnings;
- \`refund\`: taken from the supplier's available earnings back to platform revenue, recorded with a negative amount.
  A refund larger than what is available answers 400 SUP_EARN_4001 with \`details.available\` (CNY).

\`amount\` is CNY, above 0 (at most 1 000 000) with at most 2 decimals; \`description\` is shown to the supplier and
kept in the audit log. The \`Idempotency-Key\` header is required (8–255 printable characters, kept 24 h): a retry with
the same key and body answers the first response; the same key with another body answers 409 SUP_EARN_4091.
An unknown supplier answers 404 SUP_EARN_4041; a caller without the operator role 403.`;

export async function earningsAdminRoutes(root: FastifyInstance, deps: { earnings: EarningsService; supplyAuth: SupplyAuth; idempotency: Idempotency }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { earnings, supplyAuth, idempotency } = deps;

  app.post(
    '/api/v1/supply/admin/earnings',
    {
      ...supplyAuth.operator,
      schema: {
        tags: ['supply operators'], summary: 'Adjust a supplier\'s earnings (bonus or refund)', description: ADJUST_DESCRIPTION,
        headers: AdjustEarningsHeaders, body: AdjustEarningsBody, response: { 201: AdjustEarningsResponse },
      },
    },
    async (req, reply) => {
      const actor = principalOf(req);
      return idempotency.run(req, reply, { scope: `operator:${actor.userId}:supply.earnings.adjust`, ttlMs: 24 * HOURS }, async () => {
        const b = req.body;
        const { record, available } = await earnings.adjust(
          actor,
          { supplierUserId: b.supplier_user_id, type: b.earnings_type, amountMicros: b.amount, description: b.description },
          req.headers['idempotency-key'],
          req.id,
        );
        reply.status(201);
        return supplyOk(req.id, { ...earningRecordView(record), available_balance: cnyNumber(available) });
      });
    },
  );
}
