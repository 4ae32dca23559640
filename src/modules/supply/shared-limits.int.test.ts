import crypto from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, connectTestRedis, redisUrl } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { OPERATOR } from '../../../test/helpers/gateway.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { supplyPackages } from './supply.tables.ts';

// Two gateway nodes on one database, sharing a Redis: a package's quota and its caps are counted once for both, so
// together they sell no more than it holds (and it sells out exactly once), start no more requests a minute than its
// RPM and run no more at once than its concurrency. (Each node alone would only learn of the other's sales from the
// database, seconds later, and would never see the other's requests at all.)

const TOKENS_PER_REQUEST = 13;

describe.skipIf(!redisUrl).each(DB_TIERS)('package quotas and caps shared by two nodes on $name', (tier) => {
  let h: SupplyHarness;
  let nodeB: FastifyInstance;
  const redises: Redis[] = [];
  const namespace = `t${crypto.randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    // Both nodes must read the same credentials and sessions: one master key, one JWT secret.
    const env = { MASTER_KEY: crypto.randomBytes(32).toString('hex'), JWT_SECRET: crypto.randomBytes(32).toString('hex') };
    redises.push(connectTestRedis() as Redis, connectTestRedis() as Redis);
    h = await startSupply(tier, { env, redis: redises[0], namespace });
    // Packages sell at ¥2 / ¥4 per 1M tokens: the buyers' price for gpt-4o-mini must allow that (below it is ¥1.08).
    const priced = await h.t.request({ method: 'PUT', url: '/api/v1/admin/model-prices/gpt-4o-mini', headers: h.operator, payload: { provider: 'openai', input_price: 2, output_price: 4 } });
    expect(priced.statusCode, priced.body).toBe(200);
    nodeB = (await buildTestApp(h.t.database, { env: { ...env, ...OPERATOR, PROVIDER_BASE_URL_OPENAI: h.provider.url }, redis: redises[1], namespace })).app;
    await nodeB.ready();
  });
  afterAll(async () => {
    await nodeB?.close();
    await h?.close();
    for (const r of redises) r.disconnect();
  });

  /** Publishes a package of its own model (each test its own), returns its id and a chat against a node. */
  async function published(model: string, extra: Record<string, unknown>) {
    const supplier = await h.supplier();
    const account = await h.activeAccount(supplier);
    const draft = await h.call(supplier, 'POST', '/api/v1/supply/packages/draft', {
      payload: { supply_account_id: account, model, total_quota: 1_000_000, price_per_1m_input: 2, price_per_1m_output: 4, valid_days: 30, ...extra },
    });
    const id = draft.body.data.package_id as number;
    expect((await h.call(supplier, 'POST', `/api/v1/supply/packages/${id}/publish`)).status).toBe(200);
    const buyer = await h.buyer(100);
    const chat = (node: FastifyInstance, content = 'hi') =>
      node.inject({
        method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` },
        payload: { model, max_tokens: 12, messages: [{ role: 'user', content }] },
      });
    // Node B hears of the new package through Redis: wait until it routes the model.
    for (let i = 0; i < 40; i += 1) {
      const models = await nodeB.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${buyer.key}` } });
      if ((models.json().data as { id: string }[]).some((m) => m.id === model)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { id, chat };
  }

  it('sells a package with quota for 10 requests exactly 10 times across both nodes, and sells out once', async () => {
    const { id, chat } = await published('gpt-4o-mini', { total_quota: 10 * TOKENS_PER_REQUEST });

    // Rounds go on after the package sold out: a node that counted only its own sales would keep selling.
    let served = 0;
    let roundsAfterSoldOut = 0;
    for (let round = 0; round < 20 && roundsAfterSoldOut < 2; round += 1) {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(i % 2 === 0 ? h.t.app : nodeB)));
      served += results.filter((r) => r.statusCode === 200).length;
      for (const r of results) expect([200, 429, 503]).toContain(r.statusCode);
      const [row] = await h.t.database.db.select().from(supplyPackages).where(eq(supplyPackages.id, id));
      if (row?.status === 'sold_out') roundsAfterSoldOut += 1;
    }
    const [after] = await h.t.database.db.select().from(supplyPackages).where(eq(supplyPackages.id, id));
    expect(after).toMatchObject({ status: 'sold_out', availableQuota: 0 });
    expect(served).toBe(10);
    const rows = (await h.usageRows()).filter((r) => r.upstreamKind === 'package' && r.upstreamId === id && r.status === 'success');
    expect(rows.reduce((sum, r) => sum + r.tokensIn + r.tokensOut, 0)).toBe(10 * TOKENS_PER_REQUEST);
    const flips = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, String(id)), eq(auditEvents.action, 'sold_out')));
    expect(flips).toHaveLength(1);
  });

  it("holds the package's RPM across both nodes", async () => {
    const { chat } = await published('gpt-4o', { rate_limit_rpm: 2 });
    expect((await chat(h.t.app)).statusCode).toBe(200);
    expect((await chat(nodeB)).statusCode).toBe(200);
    expect((await chat(h.t.app)).statusCode).toBe(429);
    expect((await chat(nodeB)).statusCode).toBe(429);
  });

  it("holds the package's concurrency across both nodes", async () => {
    // gpt-4o-mini's first package has sold out: this one is the only candidate.
    const { chat } = await published('gpt-4o-mini', { max_concurrent: 1 });
    // The first request is slow on the upstream: while it runs, the other node must not start a second one.
    const slow = chat(h.t.app, 'hi [[slow:800]]');
    await new Promise((r) => setTimeout(r, 300));
    expect((await chat(nodeB)).statusCode).toBe(429);
    expect((await slow).statusCode).toBe(200);
    expect((await chat(nodeB)).statusCode).toBe(200);
  });
});
