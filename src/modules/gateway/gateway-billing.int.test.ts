import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger } from '../ledger/ledger.service.ts';
import { systemClock } from '../../platform/time.ts';

// Money on the hot path: holds that cap concurrent spending, exact charges, a client that walks away mid-stream, and
// the books still balancing afterwards.

const PRICE = { provider: 'openai', input_price: 0, output_price: 1000 }; // ¥1000 per 1M output tokens = 1000 µ¥ a token

describe.each(DB_TIERS)('gateway billing on $name', (tier) => {
  let g: GatewayHarness;
  let fake: FakeUpstream;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    g = await startGateway(tier);
    await g.addChannel({ endpoint: fake.url });
    await g.setPrice('gpt-4o-mini', PRICE);
  });
  afterAll(async () => {
    await g?.close();
    await fake?.close();
  });

  const chat = (key: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    g.t.request({
      method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${key}`, ...headers },
      payload: { model: 'gpt-4o-mini', max_tokens: 12, messages: [{ role: 'user', content: 'x' }], ...extra },
    });

  it('serves at most what the balance covers when 200 requests arrive at once, never below zero, charges exact', async () => {
    // Each answer is 12 output tokens = 12 000 µ¥; the hold is the same (input is free, max_tokens 12).
    // 12 credits = 1 200 000 µ¥ = exactly 100 requests.
    const buyer = await g.buyer(0);
    await g.fund(buyer.id, 12);
    const before = await g.walletMicros(buyer.id);
    expect(before).toBe(1_200_000n);
    const results = await Promise.all(Array.from({ length: 200 }, () => chat(buyer.key)));
    const served = results.filter((r) => r.statusCode === 200).length;
    const refused = results.filter((r) => r.statusCode === 402);
    expect(served).toBe(100);
    expect(refused).toHaveLength(100);
    expect(refused[0]?.json()).toMatchObject({ error: { code: 'insufficient_quota', type: 'insufficient_quota' } });
    expect(await g.walletMicros(buyer.id)).toBe(0n);
    const rows = (await g.usageRows()).filter((r) => r.userId === buyer.id && r.status === 'success');
    expect(rows).toHaveLength(100);
    expect(rows.reduce((s, r) => s + r.costMicros, 0n)).toBe(before);
    expect(await createLedger({ database: g.t.database, clock: systemClock }).check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('charges a client that disconnects mid-stream for what was generated, and records it as aborted', async () => {
    const buyer = await g.buyer(100);
    const before = await g.walletMicros(buyer.id);
    const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'go slowly [[pace:60]]' }] });
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${g.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' } }, (res) => {
        let chunks = 0;
        res.on('data', () => {
          chunks += 1;
          if (chunks === 4) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => resolve());
      req.end(body);
      setTimeout(() => reject(new Error('no chunks')), 5_000);
    });
    // The charge lands shortly after the disconnect.
    let row;
    for (let i = 0; i < 50 && !row; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      row = (await g.usageRows()).find((r) => r.userId === buyer.id);
    }
    expect(row).toMatchObject({ status: 'aborted', usageEstimated: true });
    expect(row?.tokensOut).toBeGreaterThan(0);
    expect(row?.tokensOut).toBeLessThan(12);
    expect(before - (await g.walletMicros(buyer.id))).toBe(row?.costMicros);
    expect(row?.costMicros).toBe(BigInt(row?.tokensOut ?? 0) * 1000n);
    // The upstream request was cancelled too.
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.aborted).toBeGreaterThan(0);
  });

  it('charges every request even when a client repeats its X-Request-Id', async () => {
    const buyer = await g.buyer(10);
    const before = await g.walletMicros(buyer.id);
    for (let i = 0; i < 3; i += 1) {
      const res = await chat(buyer.key, {}, { 'x-request-id': 'my-fixed-request-id' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-request-id']).toBe('my-fixed-request-id');
    }
    expect(before - (await g.walletMicros(buyer.id))).toBe(3n * 12_000n);
    const rows = (await g.usageRows()).filter((r) => r.userId === buyer.id);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.requestId.startsWith('my-fixed-request-id~'))).toBe(true);
  });

  it('answers 402 insufficient_quota to an empty wallet, and lets it through once recharged', async () => {
    const buyer = await g.buyer(0);
    const refused = await chat(buyer.key);
    expect(refused.statusCode).toBe(402);
    await g.fund(buyer.id, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await chat(buyer.key)).statusCode).toBe(200);
  });

  it('enforces a key spend limit across requests', async () => {
    const buyer = await g.buyer(100);
    const res = await g.t.request({ method: 'POST', url: '/api/v1/keys', headers: buyer.auth, payload: { name: 'capped', spend_limit: 0.05 } });
    const key = res.json().data.key;
    // ¥0.05 = 50 000 µ¥ = four 12 000 µ¥ requests.
    const codes = [];
    for (let i = 0; i < 6; i += 1) codes.push((await chat(key)).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 402, 402]);
    const listed = await g.t.request({ method: 'GET', url: `/api/v1/keys/${res.json().data.id}`, headers: buyer.auth });
    expect(listed.json().data.spent).toBe(0.048);
  });

  it('charges postpaid users to their receivable, up to an operator-set credit limit', async () => {
    const created = await g.t.request({ method: 'POST', url: '/1/users', headers: { authorization: `Bearer ${g.rootToken}` }, payload: { name: 'postpaid-co' } });
    const { id, token } = created.json();
    const apiKey = token as string;
    expect((await chat(apiKey)).statusCode).toBe(200);
    const ledger = createLedger({ database: g.t.database, clock: systemClock });
    expect(await ledger.balance(ACCOUNTS.userReceivable(id))).toBe(-12_000n);
    const limit = await g.t.request({ method: 'PUT', url: `/api/v1/admin/users/${id}/credit-limit`, headers: g.operator, payload: { credit_limit: 0.03 } });
    expect(limit.statusCode).toBe(200);
    // Owes ¥0.012 of ¥0.03: one more request fits (¥0.024), the next would pass the limit.
    expect((await chat(apiKey)).statusCode).toBe(200);
    expect((await chat(apiKey)).statusCode).toBe(402);
  });
});
