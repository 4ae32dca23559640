import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { supplyOk } from '../../platform/envelopes.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import {
  AdminSettlementList, AdminSettlementResponse, adminSettlementView, CompleteBody, FailBody, ProcessBody, SettlementIdParams, SettlementListQuery,
} from './settlements.schema.ts';
import type { SettlementService } from './settlements.service.ts';
import type { SupplyAuth } from './supply.auth.ts';
import { supplyList, supplyWindow } from './supply.schema.ts';

// Operators pay withdrawals out: pending → processing (through a payout provider) → completed | failed.
// Every change is audited with the operator, the supplier, before/after and the request id.

const STATE_ERRORS = 'A settlement in another state answers 409 SUP_SET_4092; an unknown id 404.';

export async function settlementAdminRoutes(root: FastifyInstance, deps: { settlements: SettlementService; supplyAuth: SupplyAuth }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { settlements, supplyAuth } = deps;
  const tags = ['supply operators'];
  const operator = supplyAuth.operator;

  app.get(
    '/api/v1/supply/admin/settlements',
    { ...operator, schema: { tags, summary: 'All withdrawals, newest first', querystring: SettlementListQuery, response: { 200: AdminSettlementList } } },
    async (req) => {
      const { rows, total } = await settlements.listAll(req.query.status, supplyWindow(req.query));
      return supplyList(req, req.query, total, rows.map(adminSettlementView));
    },
  );

  app.post(
    '/api/v1/supply/admin/settlements/:settlementId/process',
    {
      ...operator,
      schema: {
        tags, summary: 'Start paying a pending withdrawal', description: `pending → processing. ${STATE_ERRORS}`,
        params: SettlementIdParams, body: ProcessBody, response: { 200: AdminSettlementResponse },
      },
    },
    async (req) => {
      const row = await settlements.process(principalOf(req).userId, req.params.settlementId, req.body.provider, req.id);
      return supplyOk(req.id, adminSettlementView(row));
    },
  );

  app.post(
    '/api/v1/supply/admin/settlements/:settlementId/complete',
    {
      ...operator,
      schema: {
        tags, summary: 'Record a withdrawal as paid', description: `processing → completed: the frozen amount becomes withdrawn (net) and fee income. ${STATE_ERRORS}`,
        params: SettlementIdParams, body: CompleteBody, response: { 200: AdminSettlementResponse },
      },
    },
    async (req) => {
      const row = await settlements.complete(principalOf(req).userId, req.params.settlementId, req.body.reference, req.id);
      return supplyOk(req.id, adminSettlementView(row));
    },
  );

  app.post(
    '/api/v1/supply/admin/settlements/:settlementId/fail',
    {
      ...operator,
      schema: {
        tags, summary: 'Record a withdrawal as failed', description: `pending or processing → failed: the funds return to available. ${STATE_ERRORS}`,
        params: SettlementIdParams, body: FailBody, response: { 200: AdminSettlementResponse },
      },
    },
    async (req) => {
      const row = await settlements.fail(principalOf(req).userId, req.params.settlementId, req.body.reason, req.id);
      return supplyOk(req.id, adminSettlementView(row));
    },
  );
}
