import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { supplyOk } from '../../platform/envelopes.ts';
import { badRequest } from '../../platform/errors.ts';
import { HOURS, type Idempotency } from '../../platform/idempotency.ts';
import { cnyNumber } from '../../platform/money.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import {
  BatchPriceBody, BatchPriceResponse, DraftBody, PackageList, PackageListQuery, PackageParams, PackageResponse, PackageStatusResponse,
} from './packages.schema.ts';
import { unitPrice, type PackageService } from './packages.service.ts';
import type { SupplyAuth } from './supply.auth.ts';
import { isoTime, supplyList, supplyWindow } from './supply.schema.ts';
import type { SupplyPackageRow } from './supply.tables.ts';

// The supplier's token packages: draft, publish, pause, unlist, clone, batch prices, list and detail.

export function packageView(p: SupplyPackageRow) {
  return {
    package_id: p.id,
    supply_account_id: p.supplyAccountId,
    model: p.model,
    total_quota: p.totalQuota,
    available_quota: p.availableQuota,
    price_per_1m_input: cnyNumber(p.priceInputMicros, 4),
    price_per_1m_output: cnyNumber(p.priceOutputMicros, 4),
    valid_days: p.validDays,
    status: p.status,
    created_at: isoTime(p.createdAt),
    max_concurrent: p.maxConcurrent,
    rate_limit_rpm: p.rateLimitRpm,
    published_at: p.publishedAt ? isoTime(p.publishedAt) : null,
    expires_at: p.expiresAt ? isoTime(p.expiresAt) : null,
    cloned_from: p.clonedFrom,
    updated_at: isoTime(p.updatedAt),
  };
}

const statusView = (p: SupplyPackageRow) => ({ package_id: p.id, status: p.status, updated_at: isoTime(p.updatedAt) });

export async function packageRoutes(root: FastifyInstance, deps: { packages: PackageService; supplyAuth: SupplyAuth; idempotency: Idempotency }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { packages, supplyAuth } = deps;
  const tags = ['supply packages'];
  const actorOf = (req: { id: string; principal?: unknown }) => ({ userId: principalOf(req as never).userId, requestId: req.id });

  app.post(
    '/api/v1/supply/packages/draft',
    {
      ...supplyAuth.supplier,
      schema: {
        tags, summary: '保存套餐草稿', body: DraftBody, response: { 201: PackageResponse },
        description: 'Saves a package as `draft`. Quotas are tokens; prices are CNY per 1M tokens (≤ 4 decimals). The account must be yours, active, and serve the model.',
      },
    },
    async (req, reply) => {
      const b = req.body;
      const priceInput = unitPrice(b.price_per_1m_input);
      const priceOutput = unitPrice(b.price_per_1m_output);
      if (priceInput === undefined) throw badRequest('price_per_1m_input must have at most 4 decimals', { field: 'body.price_per_1m_input' });
      if (priceOutput === undefined) throw badRequest('price_per_1m_output must have at most 4 decimals', { field: 'body.price_per_1m_output' });
      const row = await packages.draft(actorOf(req), {
        accountId: b.supply_account_id, model: b.model, totalQuota: b.total_quota, priceInput, priceOutput,
        validDays: b.valid_days, maxConcurrent: b.max_concurrent, rateLimitRpm: b.rate_limit_rpm,
      });
      return reply.status(201).send(supplyOk(req.id, packageView(row)));
    },
  );

  const summaries = { publish: '发布套餐上架', pause: '暂停售卖套餐', unlist: '下架套餐' } as const;
  const actions = {
    publish: 'Puts a draft (or paused) package on sale: the gateway starts routing its model to it. `valid_days` count from the first publication.',
    pause: 'Stops sales for a while; publish resumes them.',
    unlist: 'Ends sales for good (`expired`).',
  } as const;
  for (const [action, description] of Object.entries(actions) as [keyof typeof actions, string][]) {
    app.post(
      `/api/v1/supply/packages/:packageId/${action}`,
      { ...supplyAuth.supplier, schema: { tags, summary: summaries[action], description, params: PackageParams, response: { 200: PackageStatusResponse } } },
      async (req) => supplyOk(req.id, statusView(await packages[action](actorOf(req), req.params.packageId))),
    );
  }

  app.post(
    '/api/v1/supply/packages/:packageId/clone',
    { ...supplyAuth.supplier, schema: { tags, summary: '复制套餐', params: PackageParams, response: { 201: PackageResponse }, description: 'A new draft from an expired package (409 SUP_PKG_4092 otherwise).' } },
    async (req, reply) => reply.status(201).send(supplyOk(req.id, packageView(await packages.clone(actorOf(req), req.params.packageId)))),
  );

  app.post(
    '/api/v1/supply/packages/batch-price',
    {
      ...supplyAuth.supplier,
      schema: {
        tags, summary: '批量调价', body: BatchPriceBody, response: { 200: BatchPriceResponse },
        description: 'Up to 200 price changes; each item succeeds or fails on its own (`SUP_PKG_4004` invalid price, `SUP_PKG_4093` sold out or expired, `SUP_PKG_4041` not found). An optional `Idempotency-Key` (24 h) makes a retry safe.',
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      return deps.idempotency.run(req, reply, { scope: `user:${actor.userId}:supply.package.batch-price`, ttlMs: 24 * HOURS }, async () =>
        supplyOk(req.id, await packages.batchPrice(actor, req.body.items)),
      );
    },
  );

  app.get('/api/v1/supply/packages', { ...supplyAuth.supplier, schema: { tags, summary: 'Your packages', querystring: PackageListQuery, response: { 200: PackageList } } }, async (req) => {
    const q = req.query;
    const { rows, total } = await packages.list(principalOf(req).userId, { status: q.status, accountId: q.supply_account_id }, supplyWindow(q));
    return supplyList(req, q, total, rows.map(packageView));
  });

  app.get('/api/v1/supply/packages/:packageId', { ...supplyAuth.supplier, schema: { tags, summary: 'One of your packages', params: PackageParams, response: { 200: PackageResponse } } }, async (req) =>
    supplyOk(req.id, packageView(await packages.get(req.params.packageId, principalOf(req).userId))),
  );
}
