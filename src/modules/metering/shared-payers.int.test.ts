import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { buildTestApp, connectTestRedis, fakeClock, redisUrl } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { OPERATOR, startGateway, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { rechargeAndPay, SANDBOX_ENV } from '../../../test/helpers/payments.ts';
import { systemClock } from '../../platform/time.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger } from '../ledger/ledger.service.ts';

// Two gateway nodes on one database, sharing a Redis: an API key's spend limit and a buyer's balance hold for both
// together (each node alone would let the whole limit through again), and a recharge taken by one node is spendable
// on the other by the very next request. Both apps' clocks stand still: no cached balance gets old enough to re-read.

const PRICE = { provider: 'openai', input_price: 0, output_price: 1000 }; // 12 output tokens = 12 000 µ¥ a request
const COST = 12_000n;

describe.skipIf(!redisUrl).each(DB_TIERS)('payer limits shared by two nodes on $name', (tier) => {
  let g: GatewayHarness;
  let nodeB: FastifyInstance;
  let fake: FakeUpstream;
  const redises: Redis[] = [];
  const namespace = `t${crypto.randomBytes(6).toString('hex')}`;
  const clock = fakeClock();

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    const env = { MASTER_KEY: crypto.randomBytes(32).toString('hex'), JWT_SECRET: crypto.randomBytes(32).toString('hex'), ...SANDBOX_ENV };
    redises.push(connectTestRedis() as Redis, connectTestRedis() as Redis);
    g = await startGateway(tier, { env, redis: redises[0], namespace, clock });
    await g.addChannel({ endpoint: fake.url });
    await g.setPrice('gpt-4o-mini', PRICE);
    nodeB = (await buildTestApp(g.t.database, { env: { ...env, ...OPERATOR }, redis: redises[1], namespace, clock })).app;
    await nodeB.ready();
  });
  afterAll(async () => {
    await nodeB?.close();
    await g?.close();
    await fake?.close();
    for (const r of redises) r.disconnect();
  });

  const chat = (node: FastifyInstance, key: string) =>
    node.inject({
      method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` },
      payload: { model: 'gpt-4o-mini', max_tokens: 12, messages: [{ role: 'user', content: 'x' }] },
    });

  /** 200 requests at once, half on each node; returns how many were served and one refusal. */
  async function burst(key: string) {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => chat(i % 2 === 0 ? g.t.app : nodeB, key)));
    for (const r of results) expect([200, 402]).toContain(r.statusCode);
    return { served: results.filter((r) => r.statusCode === 200).length, refusal: results.find((r) => r.statusCode === 402)?.json() };
  }

  it("holds an API key's spend limit across both nodes: 200 requests for a limit of 100, at most one over per node", async () => {
    const buyer = await g.buyer(1000);
    const created = await g.t.request({ method: 'POST', url: '/api/v1/keys', headers: buyer.auth, payload: { name: 'capped', spend_limit: 1.2 } });
    const key = created.json().data.key as string;
    const { served, refusal } = await burst(key);
    expect(served).toBeGreaterThanOrEqual(90);
    expect(served).toBeLessThanOrEqual(102);
    expect(refusal?.error.message).toMatch(/spend limit/);
    const listed = await g.t.request({ method: 'GET', url: `/api/v1/keys/${created.json().data.id}`, headers: buyer.auth });
    expect(BigInt(Math.round(listed.json().data.spent * 1e6))).toBeLessThanOrEqual(1_200_000n + 2n * COST);
  });

  it("holds a buyer's balance across both nodes: 200 requests for a balance of 100, at most one over per node", async () => {
    const buyer = await g.buyer(12); // ¥1.2
    const { served, refusal } = await burst(buyer.key);
    expect(served).toBeGreaterThanOrEqual(90);
    expect(served).toBeLessThanOrEqual(102);
    expect(refusal?.error).toMatchObject({ code: 'insufficient_quota' });
    const ledger = createLedger({ database: g.t.database, clock: systemClock });
    expect(await ledger.balance(ACCOUNTS.userWallet(buyer.id))).toBeGreaterThanOrEqual(0n);
    expect(await ledger.balance(ACCOUNTS.userReceivable(buyer.id))).toBeGreaterThanOrEqual(-2n * COST);
  });

  it('serves the request on the other node right after a recharge paid through this one', async () => {
    const buyer = await g.buyer(0);
    expect((await chat(nodeB, buyer.key)).statusCode).toBe(402);
    expect((await chat(g.t.app, buyer.key)).statusCode).toBe(402);
    await rechargeAndPay(g.t, buyer.auth, 10);
    expect((await chat(nodeB, buyer.key)).statusCode).toBe(200);
    expect((await chat(g.t.app, buyer.key)).statusCode).toBe(200);
  });
});
