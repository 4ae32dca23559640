import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { rechargeAndPay, SANDBOX_ENV } from '../../../test/helpers/payments.ts';
import { systemClock } from '../../platform/time.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger } from '../ledger/ledger.service.ts';

// What the gateway's cached balances must never hide: a credit is spendable by the very next request (not seconds
// later), and a prepaid user who owes for an earlier overshoot is refused with the amount until a credit pays it.
// The app's clock stands still, so only an invalidation — never the cache's age — can make it re-read a balance.

const PRICE = { provider: 'openai', input_price: 0, output_price: 1000 }; // 12 output tokens = 12 000 µ¥

describe.each(DB_TIERS)('payer balances the gateway sees on $name', (tier) => {
  let g: GatewayHarness;
  let fake: FakeUpstream;
  const clock = fakeClock();

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    g = await startGateway(tier, { clock, env: SANDBOX_ENV });
    await g.addChannel({ endpoint: fake.url });
    await g.setPrice('gpt-4o-mini', PRICE);
  });
  afterAll(async () => {
    await g?.close();
    await fake?.close();
  });

  const chat = (key: string) =>
    g.t.request({
      method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` },
      payload: { model: 'gpt-4o-mini', max_tokens: 12, messages: [{ role: 'user', content: 'x' }] },
    });

  it('serves the request right after a recharge paid through the payment callback', async () => {
    const buyer = await g.buyer(0);
    expect((await chat(buyer.key)).statusCode).toBe(402);
    await rechargeAndPay(g.t, buyer.auth, 10);
    expect((await chat(buyer.key)).statusCode).toBe(200);
  });

  it('serves the request right after an operator gift', async () => {
    const buyer = await g.buyer(0);
    expect((await chat(buyer.key)).statusCode).toBe(402);
    await g.fund(buyer.id, 1);
    expect((await chat(buyer.key)).statusCode).toBe(200);
  });

  it('refuses a prepaid user who owes with 402 naming the debt, and serves them once a credit paid it', async () => {
    const buyer = await g.buyer(10);
    // An earlier overshoot the wallet could not cover (billing posts it to the receivable).
    const ledger = createLedger({ database: g.t.database, clock: systemClock });
    await ledger.transfer({
      idempotencyKey: `overshoot:${buyer.id}`, kind: 'api_usage',
      postings: [{ account: ACCOUNTS.userReceivable(buyer.id), amount: -12_345n }, { account: ACCOUNTS.platformRevenue, amount: 12_345n }],
    });
    clock.advance(3_000); // the app learns of it when its copy of the balances is old
    const refused = await chat(buyer.key);
    expect(refused.statusCode).toBe(402);
    expect(refused.json().error).toMatchObject({ code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(refused.json().error.message).toMatch(/owes ¥0\.02 /);
    // A gift pays the debt first; the next request is served.
    await g.fund(buyer.id, 1);
    expect(await ledger.balance(ACCOUNTS.userReceivable(buyer.id))).toBe(0n);
    expect((await chat(buyer.key)).statusCode).toBe(200);
  });
});
