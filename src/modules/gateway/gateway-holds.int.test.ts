import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../test/fakes/anthropic-upstream.ts';
import { startFakeGemini } from '../../../test/fakes/gemini-upstream.ts';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream, RecordedRequest } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { pngOf } from '../../../test/helpers/images.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger } from '../ledger/ledger.service.ts';
import { systemClock } from '../../platform/time.ts';

// A hold covers the worst case a request allows — every answer (`n`, `best_of`) at its limit, the default limit sent
// upstream when it names none, images by the provider's rules — so a buyer is refused (402) what its balance cannot
// cover, and one that is served is never charged more than its hold, even by an upstream that uses all it may.

const DEFAULT_LIMIT = 3000; // differs from the Anthropic translator's own fallback (4096) on purpose
const PER_TOKEN = { input_price: 0, output_price: 1000 }; // ¥1000 per 1M output tokens = 1000 µ¥ an output token
const CREDIT = 100_000n; // µ¥

describe.each(DB_TIERS)('holds that cover the worst case on $name', (tier) => {
  let g: GatewayHarness;
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let gemini: FakeUpstream;
  let rich: Buyer;

  const post = (key: string, url: string, payload: object) => g.t.request({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
  const completions = (key: string, extra: object) => post(key, '/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'go [[fill]]', ...extra });
  const chat = (key: string, extra: object, model = 'gpt-4o-mini') => post(key, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'go [[fill]]' }], ...extra });
  async function buyerWith(credits: number) {
    const buyer = await g.buyer(0);
    if (credits > 0) await g.fund(buyer.id, credits);
    return buyer;
  }
  /** What the upstream received for the request that `send` makes. */
  async function upstreamBody(fake: FakeUpstream, send: () => Promise<{ statusCode: number; body: string }>): Promise<Record<string, unknown>> {
    const before = fake.requests.length;
    const res = await send();
    expect(res.statusCode, res.body).toBe(200);
    return (fake.requests.slice(before).find((r: RecordedRequest) => r.method === 'POST')?.body ?? {}) as Record<string, unknown>;
  }
  /** Charged exactly `micros` in all, with nothing owed: the charges never went past the holds. */
  async function expectCharged(buyer: Buyer, micros: bigint) {
    const rows = (await g.usageRows()).filter((r) => r.userId === buyer.id && r.status === 'success');
    expect(rows.reduce((s, r) => s + r.costMicros, 0n)).toBe(micros);
    expect(await createLedger({ database: g.t.database, clock: systemClock }).balance(ACCOUNTS.userReceivable(buyer.id))).toBe(0n);
  }

  beforeAll(async () => {
    [openai, anthropic, gemini] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), startFakeGemini()]);
    g = await startGateway(tier, {
      env: { GATEWAY_DEFAULT_MAX_TOKENS: String(DEFAULT_LIMIT), PROVIDER_BASE_URL_ANTHROPIC: anthropic.url, PROVIDER_BASE_URL_GEMINI: gemini.url, PROVIDER_BASE_URL_BAIDU: openai.url },
    });
    await g.addChannel({ endpoint: openai.url });
    for (const provider of ['anthropic', 'gemini', 'baidu']) await g.addChannel({ provider, endpoint: '', key: `${provider}-upstream-key-0001` });
    for (const model of ['gpt-4o-mini', 'gpt-3.5-turbo-instruct']) {
      const res = await g.t.request({ method: 'PUT', url: `/api/v1/admin/model-prices/${model}`, headers: g.operator, payload: { provider: 'openai', ...PER_TOKEN } });
      expect(res.statusCode, res.body).toBe(200);
    }
    rich = await g.buyer(1000);
  });
  afterAll(async () => {
    await g?.close();
    await Promise.all([openai, anthropic, gemini].map((f) => f?.close()));
  });

  describe('n and best_of', () => {
    it('holds n × max_tokens on /v1/completions: n=20 is refused beyond the balance, and served exactly within it', async () => {
      const buyer = await buyerWith(1); // 100 000 µ¥ = 100 output tokens
      const before = openai.requests.length;
      const refused = await completions(buyer.key, { n: 20, max_tokens: 6 });
      expect(refused.statusCode).toBe(402);
      expect(refused.json().error.code).toBe('insufficient_quota');
      expect(openai.requests.length).toBe(before);

      const served = await completions(buyer.key, { n: 20, max_tokens: 5 });
      expect(served.statusCode, served.body).toBe(200);
      expect(served.json().usage.completion_tokens).toBe(100);
      expect(await g.walletMicros(buyer.id)).toBe(0n);
      await expectCharged(buyer, CREDIT);
    });

    it('holds best_of × max_tokens on /v1/completions (every candidate is generated and billed)', async () => {
      const buyer = await buyerWith(1);
      expect((await completions(buyer.key, { n: 1, best_of: 20, max_tokens: 6 })).statusCode).toBe(402);
      const served = await completions(buyer.key, { n: 1, best_of: 20, max_tokens: 5 });
      expect(served.statusCode, served.body).toBe(200);
      expect(served.json().choices).toHaveLength(1);
      expect(await g.walletMicros(buyer.id)).toBe(0n);
      await expectCharged(buyer, CREDIT);
    });

    it("holds n × 16 on /v1/completions without max_tokens, and sends the upstream that limit (OpenAI's default)", async () => {
      const poor = await buyerWith(1);
      expect((await completions(poor.key, { n: 20 })).statusCode).toBe(402);
      const buyer = await buyerWith(4); // 400 000 µ¥ ≥ 20 × 16 × 1000
      const sent = await upstreamBody(openai, () => completions(buyer.key, { n: 20 }));
      expect(sent).toMatchObject({ max_tokens: 16, n: 20 });
      expect(await g.walletMicros(buyer.id)).toBe(80_000n);
      await expectCharged(buyer, 320_000n);
    });

    it('holds n × max_tokens on /v1/chat/completions, n=20 included', async () => {
      const buyer = await buyerWith(1);
      expect((await chat(buyer.key, { n: 20, max_tokens: 6 })).statusCode).toBe(402);
      const served = await chat(buyer.key, { n: 20, max_tokens: 5 });
      expect(served.statusCode, served.body).toBe(200);
      expect(served.json().choices).toHaveLength(20);
      expect(await g.walletMicros(buyer.id)).toBe(0n);
      await expectCharged(buyer, CREDIT);
    });
  });

  describe('no max_tokens', () => {
    it('holds the default limit, refuses a balance below it, and sends that limit upstream to a buyer it serves', async () => {
      const poor = await buyerWith(29); // 2 900 000 µ¥ < 3000 tokens × 1000
      expect((await chat(poor.key, {})).statusCode).toBe(402);
      const buyer = await buyerWith(30);
      const sent = await upstreamBody(openai, () => chat(buyer.key, {}));
      expect(sent.max_tokens).toBe(DEFAULT_LIMIT);
      expect(await g.walletMicros(buyer.id)).toBe(0n);
      await expectCharged(buyer, 3_000_000n);
    });

    it.each([
      ['OpenAI gpt-4o', 'gpt-4o', () => openai, { max_tokens: DEFAULT_LIMIT }, ['max_completion_tokens']],
      ['OpenAI o4-mini', 'o4-mini', () => openai, { max_completion_tokens: DEFAULT_LIMIT }, ['max_tokens']],
      ['Qianfan ernie-4.0-8k (its maximum is lower)', 'ernie-4.0-8k', () => openai, { max_completion_tokens: 2048 }, ['max_tokens']],
      ['Anthropic', 'claude-sonnet-4-5', () => anthropic, { max_tokens: DEFAULT_LIMIT }, []],
    ])('sends %s the limit in the field it reads', async (_name, model, fake, expected, absent) => {
      const sent = await upstreamBody(fake(), () => post(rich.key, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }));
      expect(sent).toMatchObject(expected);
      for (const field of absent) expect(sent).not.toHaveProperty(field);
    });

    it('sends Gemini the limit as generationConfig.maxOutputTokens', async () => {
      const sent = await upstreamBody(gemini, () => post(rich.key, '/v1/chat/completions', { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }));
      expect(sent.generationConfig).toMatchObject({ maxOutputTokens: DEFAULT_LIMIT });
    });

    it("keeps a client's own limit, in the field each upstream reads", async () => {
      const ask = (model: string, extra: object) => post(rich.key, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], ...extra });
      expect(await upstreamBody(openai, () => ask('gpt-4o', { max_tokens: 7 }))).toMatchObject({ max_tokens: 7 });
      expect(await upstreamBody(openai, () => ask('o4-mini', { max_tokens: 7 }))).toMatchObject({ max_completion_tokens: 7 });
      expect(await upstreamBody(anthropic, () => ask('claude-sonnet-4-5', { max_completion_tokens: 7 }))).toMatchObject({ max_tokens: 7 });
      expect((await upstreamBody(gemini, () => ask('gemini-2.5-flash', { max_tokens: 7 }))).generationConfig).toMatchObject({ maxOutputTokens: 7 });
    });

    it("/v1/messages requires Anthropic's max_tokens and sends it as given", async () => {
      const messages = [{ role: 'user', content: 'hi' }];
      expect((await post(rich.key, '/v1/messages', { model: 'claude-sonnet-4-5', messages })).statusCode).toBe(400);
      expect(await upstreamBody(anthropic, () => post(rich.key, '/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 9, messages }))).toMatchObject({ max_tokens: 9 });
    });
  });

  describe('image inputs', () => {
    it('holds an image by its pixels, not by the bytes of its base64 payload', async () => {
      // gpt-4o at ¥1000 per 1M input tokens: the 1024² image is 765 tokens (¥0.765); its 600 KB of base64 would
      // have been held as 300 000 tokens (¥300).
      const res = await g.t.request({ method: 'PUT', url: '/api/v1/admin/model-prices/gpt-4o', headers: g.operator, payload: { provider: 'openai', input_price: 1000, output_price: 0 } });
      expect(res.statusCode).toBe(200);
      const buyer = await buyerWith(10);
      const url = `data:image/png;base64,${pngOf(1024, 1024, 450_000)}`;
      const served = await post(buyer.key, '/v1/chat/completions', {
        model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url } }] }],
      });
      expect(served.statusCode, served.body).toBe(200);
    });
  });
});
