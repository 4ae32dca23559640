import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { deadUpstreamUrl as deadUrl } from '../../../test/fakes/upstream.ts';

// Channels made in the console, as the gateway routes through them (priority, weight, RPM cap, enabled), and the
// console's "send one request" test of a channel.

const BASE = '/api/v1/admin/channels';
const MODEL = 'console-routed-model';

const chats = (fake: FakeUpstream) => fake.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

describe.each(DB_TIERS)('console channels in the gateway on $name', (tier) => {
  let g: GatewayHarness;
  let buyer: Buyer;
  let primary: FakeUpstream;
  let backup: FakeUpstream;
  const ids: Record<string, number> = {};
  const admin = (method: 'POST' | 'PATCH', url: string, payload: unknown) => g.t.request({ method, url, headers: g.operator, payload: payload as object });
  const complete = () =>
    g.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` }, payload: { model: MODEL, messages: [{ role: 'user', content: 'hello' }] } });
  /** Sends `n` requests one after another; answers how many each fake served. */
  async function send(n: number) {
    const before = [chats(primary), chats(backup)];
    const statuses: number[] = [];
    for (let i = 0; i < n; i += 1) statuses.push((await complete()).statusCode);
    return { statuses, primary: chats(primary) - (before[0] as number), backup: chats(backup) - (before[1] as number) };
  }

  beforeAll(async () => {
    [primary, backup] = await Promise.all([startFakeOpenAi(), startFakeOpenAi()]);
    g = await startGateway(tier);
    await g.setPrice(MODEL, { provider: 'openai', input_price: 1, output_price: 2 });
    buyer = await g.buyer(10_000);
    for (const [name, url, priority] of [['primary', primary.url, 10], ['backup', backup.url, 0]] as const) {
      const res = await admin('POST', BASE, { name, provider: 'openai', key: `sk-${name}-${Date.now()}`, endpoint: url, models: [MODEL], priority, weight: name === 'backup' ? 100 : 1 });
      ids[name] = res.json().data.id;
    }
  });
  afterAll(async () => {
    await g?.close();
    await Promise.all([primary?.close(), backup?.close()]);
  });

  it('sends every request to the higher priority, whatever the weights', async () => {
    expect(await send(6)).toEqual({ statuses: [200, 200, 200, 200, 200, 200], primary: 6, backup: 0 });
  });

  it('falls back to the lower priority once the higher one is at its RPM cap, and answers 429 when nothing is left', async () => {
    await admin('PATCH', `${BASE}/${ids.primary}`, { rpm_limit: 2 });
    expect(await send(4)).toEqual({ statuses: [200, 200, 200, 200], primary: 2, backup: 2 });
    await admin('PATCH', `${BASE}/${ids.backup}`, { enabled: false });
    const capped = await complete();
    expect(capped.statusCode).toBe(429);
    expect(chats(backup)).toBe(2);
    await admin('PATCH', `${BASE}/${ids.backup}`, { enabled: true });
    await admin('PATCH', `${BASE}/${ids.primary}`, { rpm_limit: null });
  });

  it('does not route to a disabled channel', async () => {
    await admin('PATCH', `${BASE}/${ids.primary}`, { enabled: false });
    expect(await send(3)).toEqual({ statuses: [200, 200, 200], primary: 0, backup: 3 });
    await admin('PATCH', `${BASE}/${ids.primary}`, { enabled: true });
  });

  it('splits one priority by weight', async () => {
    await admin('PATCH', `${BASE}/${ids.primary}`, { priority: 0, weight: 1 });
    await admin('PATCH', `${BASE}/${ids.backup}`, { weight: 9 });
    const split = await send(120);
    expect(split.primary + split.backup).toBe(120);
    // Expected 108 of 120 at weight 9 : 1 (σ ≈ 3.3); 95 is four σ below. None at all for the primary: 0.9^120 ≈ 3e-6.
    expect(split.backup).toBeGreaterThanOrEqual(95);
    expect(split.primary).toBeGreaterThanOrEqual(1);
  });

  describe('the test request', () => {
    const wrongKey = `sk-wrong-${Date.now()}-Zq8xW3vR`;
    let picky: FakeUpstream;
    beforeAll(async () => {
      picky = await startFakeOpenAi({ requireKey: 'right-key' });
    });
    afterAll(() => picky?.close());

    const test = (id: number, payload?: unknown) => g.t.request({ method: 'POST', url: `${BASE}/${id}/test`, headers: g.operator, ...(payload === undefined ? {} : { payload: payload as object }) });
    const channel = async (body: Record<string, unknown>) => (await admin('POST', BASE, { provider: 'openai', enabled: false, ...body })).json().data.id as number;

    it('sends one small chat completion through a channel, even a disabled one, and bills nobody', async () => {
      const id = await channel({ name: 'tested', key: 'sk-test-ok-key', endpoint: primary.url, models: ['gpt-4o-mini', MODEL] });
      const usageBefore = (await g.usageRows()).length;
      const res = await test(id);
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ ok: true, status: 200, model: 'gpt-4o-mini', latency_ms: expect.any(Number), message: expect.stringContaining('answered gpt-4o-mini') });
      const sent = primary.requests.at(-1);
      expect(sent).toMatchObject({ path: '/v1/chat/completions', headers: { authorization: 'Bearer sk-test-ok-key' }, body: { model: 'gpt-4o-mini', max_tokens: 5 } });
      expect((await test(id, { model: MODEL })).json().data).toMatchObject({ ok: true, model: MODEL });
      expect((await g.usageRows()).length).toBe(usageBefore);
    });

    it('reports an upstream refusal without any part of the key, and does not count it on the circuit', async () => {
      const id = await channel({ name: 'refused', key: wrongKey, endpoint: picky.url, models: [MODEL] });
      for (let i = 0; i < 6; i += 1) {
        const res = await test(id);
        expect(res.statusCode).toBe(200);
        const result = res.json().data;
        expect(result).toMatchObject({ ok: false, status: 401, model: MODEL, message: expect.stringMatching(/^The upstream answered HTTP 401 \(invalid_api_key\): /) });
        expect(res.body).not.toContain(wrongKey);
        expect(res.body).not.toContain(wrongKey.slice(-4));
      }
      // The fake really quoted the key back.
      expect(JSON.stringify(picky.requests.at(-1)?.headers)).toContain(wrongKey);
      const circuit = (await g.t.request({ method: 'GET', url: `${BASE}/${id}`, headers: g.operator })).json().data.circuit;
      expect(circuit).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    });

    it('reports an upstream that cannot be reached, without a status', async () => {
      const id = await channel({ name: 'dead', key: 'sk-test-dead-key', endpoint: await deadUrl(), models: [MODEL] });
      expect((await test(id, {})).json().data).toMatchObject({ ok: false, status: null, model: MODEL, message: expect.stringContaining('Could not connect to the upstream (ECONNREFUSED)') });
    });

    it('refuses a model the channel does not serve, naming body.model, and an unknown channel with 404', async () => {
      const id = await channel({ name: 'narrow', key: 'sk-test-narrow-key', endpoint: primary.url, models: [MODEL] });
      const res = await test(id, { model: 'gpt-4o' });
      expect(res.json()).toEqual({ code: 400, message: `body.model: this channel does not serve "gpt-4o" for chat; choose one of ${MODEL}`, data: null });
      const embeddings = await channel({ name: 'embeddings-only', key: 'sk-test-embed-key', endpoint: primary.url, models: ['text-embedding-3-small'] });
      expect((await test(embeddings)).json().message).toMatch(/^body\.model: this channel serves no priced chat model/);
      expect((await test(99_999_999)).statusCode).toBe(404);
      expect((await test(id, { model: 'x', extra: 1 })).statusCode).toBe(400);
    });

    it('never answers or logs the keys it used', () => {
      const seen = [...g.t.responses, ...g.t.logs].join('\n');
      for (const key of [wrongKey, 'sk-test-ok-key', 'sk-test-dead-key', 'sk-primary-', 'sk-backup-']) expect(seen).not.toContain(key);
      expect(seen).not.toContain(wrongKey.slice(-8));
    });
  });
});
