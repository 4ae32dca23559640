import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { formatStudioTime } from '../../platform/time.ts';

// Who may call what: key validity, the key's model and IP allow-lists, expiry, rate limit, unknown models and
// malformed bodies — every refusal in OpenAI's error format with the status SDKs expect.

describe.each(DB_TIERS)('gateway access rules on $name', (tier) => {
  let g: GatewayHarness;
  let fake: FakeUpstream;
  let buyer: Buyer;
  const clock = fakeClock(new Date());

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    g = await startGateway(tier, { clock });
    await g.addChannel({ endpoint: fake.url });
    buyer = await g.buyer(100);
  });
  afterAll(async () => {
    await g?.close();
    await fake?.close();
  });

  const chat = (key: string | undefined, payload: unknown = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, headers: Record<string, string> = {}) =>
    g.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers }, payload: payload as object });

  async function keyWith(body: Record<string, unknown>) {
    const res = await g.t.request({ method: 'POST', url: '/api/v1/keys', headers: buyer.auth, payload: { name: 'rules', ...body } });
    if (res.statusCode !== 200) throw new Error(res.body);
    return { key: res.json().data.key as string, id: res.json().data.id as number };
  }

  it('answers 401 invalid_api_key for a missing, malformed or unknown key', async () => {
    for (const key of [undefined, 'not-a-key', `sk-${'a'.repeat(48)}`]) {
      const res = await chat(key);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { type: 'authentication_error' } });
    }
    expect((await chat(`sk-${'b'.repeat(48)}`)).json().error.code).toBe('invalid_api_key');
  });

  it('answers 401 for a revoked or disabled key, at once', async () => {
    const { key, id } = await keyWith({});
    expect((await chat(key)).statusCode).toBe(200);
    await g.t.request({ method: 'PATCH', url: `/api/v1/keys/${id}`, headers: buyer.auth, payload: { enabled: false } });
    expect((await chat(key)).statusCode).toBe(401);
    await g.t.request({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: buyer.auth });
    expect((await chat(key)).statusCode).toBe(401);
  });

  it('refuses a key after its expiry', async () => {
    const { key } = await keyWith({ expires_at: formatStudioTime(new Date(clock.now().getTime() + 3_600_000)) });
    expect((await chat(key)).statusCode).toBe(200);
    clock.advance(3_600_001 + 6_000);
    const res = await chat(key);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/expired/);
  });

  it('answers 403 model_not_allowed outside the key allow-list', async () => {
    const { key } = await keyWith({ allowed_models: ['gpt-4o'] });
    const res = await chat(key);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'model_not_allowed', type: 'permission_error', param: 'model' } });
    expect((await chat(key, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).statusCode).toBe(200);
  });

  it('answers 403 to a key used from an address outside its IP allow-list', async () => {
    const { key } = await keyWith({ allowed_ips: ['10.9.8.0/24'] });
    const res = await chat(key);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('ip_not_allowed');
  });

  it('answers 404 model_not_found for a model nobody serves', async () => {
    const res = await chat(buyer.key, { model: 'gpt-99-imaginary', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'model_not_found', type: 'invalid_request_error', param: 'model' } });
  });

  it('answers 400 in OpenAI format to malformed bodies, and calls no upstream', async () => {
    const calls = fake.requests.length;
    const broken = await g.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}`, 'content-type': 'application/json' }, payload: '{"model": "gpt-4o-mini", "messages": [' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.type).toBe('invalid_request_error');
    for (const payload of [{ model: 'gpt-4o-mini' }, { messages: [{ role: 'user', content: 'x' }] }, { model: 'gpt-4o-mini', messages: [] }, { model: 'gpt-4o-mini', messages: [{ role: 'wizard', content: 'x' }] }, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: -1 }]) {
      const res = await chat(buyer.key, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error' });
    }
    expect(fake.requests.length).toBe(calls);
  });

  it('passes an upstream 400 back to the client as a 400 without failing over', async () => {
    const res = await chat(buyer.key, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'bad [[status:400]]' }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('fake upstream answered 400');
  });

  it('limits a key to its rate_limit_rpm with 429 and Retry-After', async () => {
    const { key } = await keyWith({ rate_limit_rpm: 3 });
    const codes = [];
    for (let i = 0; i < 4; i += 1) codes.push((await chat(key)).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const res = await chat(key);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json().error.type).toBe('rate_limit_error');
  });

  it('answers unknown /v1 routes with 404 in OpenAI format', async () => {
    const res = await g.t.request({ method: 'POST', url: '/v1/nothing-here', headers: { authorization: `Bearer ${buyer.key}` } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBeDefined();
  });
});
