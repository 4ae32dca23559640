import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { PageQuery, pageOf, StudioEmpty, studioOk } from '../../platform/envelopes.ts';
import { cnyNumber } from '../../platform/money.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { principalOf, type AuthHooks } from './auth.hooks.ts';
import { maskKey, type ApiKeyService, type KeyRestrictions } from './api-keys.service.ts';
import { CreateKeyBody, CreatedKeyResponse, KeyIdParams, KeyPageResponse, KeyResponse, UpdateKeyBody } from './api-keys.schema.ts';
import type { ApiKeyRow } from './identity.tables.ts';

export function keyView(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    key_mask: maskKey(row.last4),
    enabled: row.enabled,
    expires_at: row.expiresAt ? formatStudioTime(row.expiresAt) : null,
    allowed_models: row.allowedModels,
    allowed_ips: row.allowedIps,
    spend_limit: row.spendLimitMicros === null ? null : cnyNumber(row.spendLimitMicros),
    rate_limit_rpm: row.rateLimitRpm,
    spent: cnyNumber(row.spentMicros, 6),
    last_used_at: row.lastUsedAt ? formatStudioTime(row.lastUsedAt) : null,
    created_at: formatStudioTime(row.createdAt),
  };
}

type KeyBody = { name?: string; expires_at?: Date | null; allowed_models?: string[] | null; allowed_ips?: string[] | null; spend_limit?: bigint | null; rate_limit_rpm?: number | null; enabled?: boolean };

function restrictions(b: KeyBody): KeyRestrictions {
  const out: KeyRestrictions = {};
  if (b.name !== undefined) out.name = b.name;
  if (b.expires_at !== undefined) out.expiresAt = b.expires_at;
  if (b.allowed_models !== undefined) out.allowedModels = b.allowed_models;
  if (b.allowed_ips !== undefined) out.allowedIps = b.allowed_ips;
  if (b.spend_limit !== undefined) out.spendLimitMicros = b.spend_limit;
  if (b.rate_limit_rpm !== undefined) out.rateLimitRpm = b.rate_limit_rpm;
  if (b.enabled !== undefined) out.enabled = b.enabled;
  return out;
}

export async function apiKeyRoutes(root: FastifyInstance, deps: { apiKeys: ApiKeyService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { apiKeys, auth } = deps;
  const base = { onRequest: auth.session };
  const tags = ['api keys'];

  app.post('/api/v1/keys', { ...base, schema: { tags, summary: 'Create an API key (shown once)', body: CreateKeyBody, response: { 200: CreatedKeyResponse } } }, async (req) => {
    const { row, token } = await apiKeys.create(principalOf(req).userId, { ...restrictions(req.body), name: req.body.name });
    return studioOk({ ...keyView(row), key: token }, 'API Key 已创建，请立即保存，它不会再次显示');
  });

  app.get('/api/v1/keys', { ...base, schema: { tags, summary: 'Your API keys', querystring: PageQuery, response: { 200: KeyPageResponse } } }, async (req) => {
    const { rows, total } = await apiKeys.page(principalOf(req).userId, req.query);
    return studioOk(pageOf(req.query, total, rows.map(keyView)));
  });

  app.get('/api/v1/keys/:id', { ...base, schema: { tags, summary: 'One of your API keys', params: KeyIdParams, response: { 200: KeyResponse } } }, async (req) =>
    studioOk(keyView(await apiKeys.get(principalOf(req).userId, req.params.id))),
  );

  app.patch(
    '/api/v1/keys/:id',
    { ...base, schema: { tags, summary: 'Change an API key', params: KeyIdParams, body: UpdateKeyBody, response: { 200: KeyResponse } } },
    async (req) => studioOk(keyView(await apiKeys.update(principalOf(req).userId, req.params.id, restrictions(req.body)))),
  );

  app.delete('/api/v1/keys/:id', { ...base, schema: { tags, summary: 'Delete an API key', params: KeyIdParams, response: { 200: StudioEmpty } } }, async (req) => {
    await apiKeys.revoke(principalOf(req).userId, req.params.id);
    return studioOk(null, 'API Key 已删除');
  });
}
