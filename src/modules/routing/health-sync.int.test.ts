import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startFakeServer, type FakeUpstream } from '../../../test/fakes/upstream.ts';
import { connectTestRedis, redisUrl } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';

// Two gateway nodes sharing Redis: when one opens a circuit (here one model's, through a candidate), the other skips it
// at once.

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

  const ask = (g: GatewayHarness, buyer: Buyer, model = 'gpt-4o-mini') =>
    g.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` }, payload: { model, messages: [{ role: 'user', content: 'hi' }] } });

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

  it('shares the circuit of one model only: node B still asks the candidate for its other models', async () => {
    const hits = down.requests.length;
    const other = await ask(b, buyerB, 'gpt-4o');
    expect(other.json().error.message).toMatch(/All upstreams failed/);
    expect(down.requests.length).toBe(hits + 1);
  });
});
