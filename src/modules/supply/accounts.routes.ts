import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { supplyOk } from '../../platform/envelopes.ts';
import { AppError } from '../../platform/errors.ts';
import { HOURS, recordAs, type Idempotency, type ResponseRecord } from '../../platform/idempotency.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import type { AuditLog } from '../admin/audit.service.ts';
import {
  AccountList, AccountListQuery, AccountParams, AccountResponse, AccountStatusResponse, AuditLogList, CreateBody, VerifyBody, VerifyResponse,
} from './accounts.schema.ts';
import type { AccountService } from './accounts.service.ts';
import type { SupplyAuth } from './supply.auth.ts';
import { isoTime, supplyList, supplyWindow } from './supply.schema.ts';
import type { SupplyAccountRow } from './supply.tables.ts';

// The supplier's side of supply accounts: verify, mount, activate, suspend, delete, audit log, list, detail.

export function accountView(a: SupplyAccountRow) {
  return {
    account_id: a.id,
    provider: a.provider,
    account_type: a.accountType,
    ...(a.alias === null ? {} : { account_alias: a.alias }),
    status: a.status,
    ...(a.availableQuota === null ? {} : { available_quota: a.availableQuota }),
    risk_score: a.riskScore,
    created_at: isoTime(a.createdAt),
    verify_status: a.verifyStatus,
    review_status: a.reviewStatus,
    check_items: a.checkItems,
    models: a.models,
    updated_at: isoTime(a.updatedAt),
  };
}

/**
 * createSupplyAccount declares no 409: the Idempotency-Key guard's conflicts (the key used with another body, or its
 * first request still running) answer 422 SUP_ACC_4222. The account service itself raises no CONFLICT.
 */
function asIdempotencyRefusal(err: unknown): never {
  if (err instanceof AppError && err.code === 'CONFLICT') throw new AppError('SUP_ACC_4222', err.message, { field: 'headers.idempotency-key' });
  throw err;
}

export const accountStatusView = (a: SupplyAccountRow) => ({ account_id: a.id, status: a.status, updated_at: isoTime(a.updatedAt) });

export async function accountRoutes(root: FastifyInstance, deps: { accounts: AccountService; audit: AuditLog; supplyAuth: SupplyAuth; idempotency: Idempotency }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { accounts, supplyAuth } = deps;
  const tags = ['supply accounts'];
  const actorOf = (req: { id: string }, userId: number) => ({ userId, requestId: req.id });

  app.post(
    '/api/v1/supply/accounts/verify',
    {
      ...supplyAuth.supplier,
      schema: {
        tags, summary: '验证供应账号凭证可用性', body: VerifyBody, response: { 200: VerifyResponse },
        description: 'Calls the provider with the credential (its model list, and its balance where it reports one) and scores the result. Nothing is stored.',
      },
    },
    async (req) => {
      const b = req.body;
      const r = await accounts.verify({ provider: b.provider, accountType: b.account_type, credential: b.credential_input, minQuotaThreshold: b.min_quota_threshold });
      return supplyOk(req.id, {
        verify_status: r.verifyStatus,
        ...(r.availableQuota === undefined ? {} : { available_quota: r.availableQuota }),
        risk_score: r.riskScore,
        check_items: r.checkItems,
      });
    },
  );

  app.post(
    '/api/v1/supply/accounts',
    {
      ...supplyAuth.supplier,
      schema: {
        tags, summary: '创建供应账号', body: CreateBody, response: { 201: AccountResponse },
        description: `Verifies and mounts an upstream account (\`pending\`). Needs an \`Idempotency-Key\` header (kept 24 h): a retry
gets the same answer. Refusals are 422, as the contract declares: \`SUP_ACC_4221\` the credential is already mounted,
\`SUP_ACC_4222\` the key was used with another body (or its first request is still running), \`SUP_ACC_4223\` the
credential failed verification.`,
      },
    },
    async (req, reply) => {
      const userId = principalOf(req).userId;
      const once = { scope: `user:${userId}:supply.account.create`, ttlMs: 24 * HOURS, required: true, status: 201 };
      const created = (row: SupplyAccountRow) => supplyOk(req.id, accountView(row));
      const run = deps.idempotency.run(req, reply, once, async (record: ResponseRecord<ReturnType<typeof created>>) => {
        const b = req.body;
        const row = await accounts.create(actorOf(req, userId), {
          provider: b.provider, accountType: b.account_type, credential: b.credential_input, minQuotaThreshold: b.min_quota_threshold, alias: b.account_alias,
        }, recordAs(record, created));
        return created(row);
      });
      return run.catch(asIdempotencyRefusal);
    },
  );

  app.get('/api/v1/supply/accounts', { ...supplyAuth.supplier, schema: { tags, summary: 'Your supply accounts', querystring: AccountListQuery, response: { 200: AccountList } } }, async (req) => {
    const userId = principalOf(req).userId;
    const { rows, total } = await accounts.list({ owner: userId, status: req.query.status }, supplyWindow(req.query));
    return supplyList(req, req.query, total, rows.map((a) => ({ ...accountView(a), supplier_user_id: a.supplierUserId })));
  });

  app.get('/api/v1/supply/accounts/:accountId', { ...supplyAuth.supplier, schema: { tags, summary: 'One of your supply accounts', params: AccountParams, response: { 200: AccountResponse } } }, async (req) =>
    supplyOk(req.id, accountView(await accounts.get(req.params.accountId, principalOf(req).userId))),
  );

  const statusSummaries = { activate: '激活供应账号', suspend: '暂停供应账号' } as const;
  for (const action of ['activate', 'suspend'] as const) {
    app.post(
      `/api/v1/supply/accounts/:accountId/${action}`,
      { ...supplyAuth.supplier, schema: { tags, summary: statusSummaries[action], params: AccountParams, response: { 200: AccountStatusResponse } } },
      async (req) => {
        const userId = principalOf(req).userId;
        const row = await accounts[action](actorOf(req, userId), req.params.accountId);
        return supplyOk(req.id, accountStatusView(row));
      },
    );
  }

  app.delete(
    '/api/v1/supply/accounts/:accountId',
    { ...supplyAuth.supplier, schema: { tags, summary: '删除供应账号', params: AccountParams, description: 'Refused (409 SUP_ACC_4092) while the account is active.' } },
    async (req, reply) => {
      await accounts.remove(actorOf(req, principalOf(req).userId), req.params.accountId);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/supply/accounts/:accountId/audit-logs',
    { ...supplyAuth.supplier, schema: { tags, summary: '查询账号审计日志', params: AccountParams, querystring: AccountListQuery.pick({ page: true, page_size: true }), response: { 200: AuditLogList } } },
    async (req) => {
      const account = await accounts.get(req.params.accountId, principalOf(req).userId);
      const { rows, total } = await deps.audit.page({ type: 'supply_account', id: String(account.id) }, supplyWindow(req.query));
      return supplyList(req, req.query, total, rows.map(auditView));
    },
  );
}

const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export function auditView(e: { id: number; actorUserId: number | null; tenantUserId: number | null; objectType: string; objectId: string; action: string; before: unknown; after: unknown; requestId: string | null; reason: string | null; createdAt: Date }) {
  return {
    event_id: String(e.id),
    // 0 is the system (a job or the billing flush), not a user.
    operator_id: e.actorUserId ?? 0,
    tenant_id: e.tenantUserId ?? 0,
    object_type: e.objectType,
    object_id: e.objectId,
    action: e.action,
    before_state: asObject(e.before),
    after_state: asObject(e.after),
    request_id: e.requestId ?? '',
    created_at: isoTime(e.createdAt),
    ...(e.reason ? { reason: e.reason } : {}),
  };
}
