import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startFakeServer, type FakeUpstream } from '../../../test/fakes/upstream.ts';
import { connectTestRedis, redisUrl } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';

// Two gateway nodes sharing Redis: when one opens a candidate's circuit, the other skips that candidate at once.

describe.skipIf(!redisUrl)('router health shared through Redis', () => {
  const tier = DB_TIERS[0] as (typeof DB_TIERS)[number];
  const namespace = `t${crypto.randomBytes(6).toString('hex')}`;
  const env = { CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_COOLDOWN_MS: '60000' };
  let redisA: Redis;
  let redisB: Redis;
  let a: GatewayHarness;
  let b: GatewayHarness;
  let down: FakeUpstream;
  let buyerA: Buyer;
  let buyerB: Buyer;

  beforeAll(async () => {
    down = await startFakeServer((_req, res) => sendJson(res, 500, { error: { message: 'down' } }));
    redisA = connectTestRedis() as Redis;
    redisB = connectTestRedis() as Redis;
    a = await startGateway(tier, { redis: redisA, namespace, env });
    b = await startGateway(tier, { redis: redisB, namespace, env });
    // Each node's database numbers its first channel 1: the same candidate key, as nodes sharing one database would have.
    await a.addChannel({ endpoint: down.url });
    await b.addChannel({ endpoint: down.url });
    [buyerA, buyerB] = await Promise.all([a.buyer(10), b.buyer(10)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await Promise.all([redisA?.quit(), redisB?.quit(), down?.close()]);
  });

  const ask = (g: GatewayHarness, buyer: Buyer) =>
    g.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` }, payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } });

  it('skips on node B a candidate whose circuit node A opened', async () => {
    expect((await ask(a, buyerA)).statusCode).toBe(503);
    expect((await ask(a, buyerA)).statusCode).toBe(503);
    const hits = down.requests.length;
    expect(hits).toBe(2);
    // The news travels by pub/sub: give it a moment.
    await new Promise((r) => setTimeout(r, 1_000));
    const res = await ask(b, buyerB);
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toMatch(/No upstream is available/);
    expect(down.requests.length).toBe(hits);
  });
});
