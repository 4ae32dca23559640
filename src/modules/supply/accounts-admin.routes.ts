import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { supplyOk } from '../../platform/envelopes.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import { accountStatusView, accountView } from './accounts.routes.ts';
import { AccountList, AccountParams, AccountStatusResponse, AdminAccountListQuery, ReviewBody } from './accounts.schema.ts';
import type { AccountService } from './accounts.service.ts';
import type { SupplyAuth } from './supply.auth.ts';
import { supplyList, supplyWindow } from './supply.schema.ts';

// Operators' side of supply accounts: list every supplier's accounts, review the ones verification flagged, disable
// and re-enable. Each decision names its reason, which the audit log keeps.

export async function accountAdminRoutes(root: FastifyInstance, deps: { accounts: AccountService; supplyAuth: SupplyAuth }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { accounts, supplyAuth } = deps;
  const tags = ['supply operators'];

  app.get(
    '/api/v1/supply/admin/accounts',
    { ...supplyAuth.operator, schema: { tags, summary: 'Every supplier\'s supply accounts', querystring: AdminAccountListQuery, response: { 200: AccountList } } },
    async (req) => {
      const q = req.query;
      const { rows, total } = await accounts.list({ owner: q.supplier_user_id, status: q.status, reviewStatus: q.review_status }, supplyWindow(q));
      return supplyList(req, q, total, rows.map((a) => ({ ...accountView(a), supplier_user_id: a.supplierUserId })));
    },
  );

  const summaries = { approve: 'Approve a supply account', reject: 'Reject a supply account', disable: 'Disable a supply account', enable: 'Enable a disabled supply account' } as const;
  const decisions = {
    approve: 'Approves an account whose verification asked for review; its supplier can then activate it.',
    reject: 'Rejects an account under review: it becomes `disabled`.',
    disable: 'Disables an account (from any state); only an operator can enable it again.',
    enable: 'Brings a disabled account back as `suspended`.',
  } as const;
  for (const [action, description] of Object.entries(decisions) as [keyof typeof decisions, string][]) {
    app.post(
      `/api/v1/supply/admin/accounts/:accountId/${action}`,
      { ...supplyAuth.operator, schema: { tags, summary: summaries[action], description, params: AccountParams, body: ReviewBody, response: { 200: AccountStatusResponse } } },
      async (req) => {
        const row = await accounts[action]({ userId: principalOf(req).userId, requestId: req.id }, req.params.accountId, req.body.reason);
        return supplyOk(req.id, accountStatusView(row));
      },
    );
  }
}
