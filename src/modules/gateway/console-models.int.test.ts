import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';

// GET /api/v1/gateway/models: the console's quick start signs in with a session, not an API key, and still shows
// which models a key may call and at what price.

describe.each(DB_TIERS)('the console’s model list on $name', (tier) => {
  let g: GatewayHarness;
  let fake: FakeUpstream;
  let buyer: Buyer;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    g = await startGateway(tier);
    await g.addChannel({ endpoint: fake.url });
    buyer = await g.buyer(0);
  });
  afterAll(async () => {
    await g?.close();
    await fake?.close();
  });

  const consoleList = (headers: Record<string, string>) => g.t.request({ method: 'GET', url: '/api/v1/gateway/models', headers });

  it('lists for a signed-in user exactly what /v1/models lists for a key without a model allow-list', async () => {
    const res = await consoleList(buyer.auth);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ code: 200, message: 'success' });
    const byKey = await g.t.request({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${buyer.key}` } });
    expect(body.data).toEqual(byKey.json().data);
    const mini = body.data.find((m: { id: string }) => m.id === 'gpt-4o-mini');
    expect(mini).toMatchObject({ object: 'model', pricing: { currency: 'CNY' } });
    expect(typeof mini.pricing.input_per_1m_tokens).toBe('number');
  });

  it('is not narrowed by the model allow-list of the user’s keys', async () => {
    const narrow = await g.t.request({ method: 'POST', url: '/api/v1/keys', headers: buyer.auth, payload: { name: 'narrow', allowed_models: ['gpt-4o'] } });
    expect(narrow.statusCode).toBe(200);
    const ids = (await consoleList(buyer.auth)).json().data.map((m: { id: string }) => m.id);
    expect(ids).toContain('gpt-4o-mini');
    expect(ids).toContain('gpt-4o');
  });

  it('answers 401 in the studio envelope without a session, and to an API key in place of one', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${buyer.key}` }];
    for (const headers of attempts) {
      const res = await consoleList(headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 401, data: null });
      expect(res.body).not.toContain(buyer.key);
    }
  });
});
