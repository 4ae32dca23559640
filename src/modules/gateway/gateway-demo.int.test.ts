import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { deadUpstreamUrl as deadUrl } from '../../../test/fakes/upstream.ts';

// Something to call without an upstream account: the built-in demo upstream (`tollgate-demo`, on outside production)
// answers a brand-new user with ¥0 through the real pipeline — the openai SDK, router, adapter, meter, billing at price
// 0, usage log. And when nothing at all serves a priced model, the error says so and how to fix it, instead of
// "retry later", which stays for upstreams that exist but are down.

const DEMO = 'tollgate-demo';
const LABEL = "This is Tollgate's built-in demo upstream (model tollgate-demo, free).";
const WEATHER = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1 } }, required: ['city'] } },
};

async function usageLog(g: GatewayHarness, buyer: Buyer) {
  const res = await g.t.request({ method: 'GET', url: '/api/v1/usage?page_size=100', headers: buyer.auth });
  expect(res.statusCode).toBe(200);
  return res.json().data.items as Record<string, unknown>[];
}

describe.each(DB_TIERS)('the demo upstream on $name', (tier) => {
  let g: GatewayHarness;
  let buyer: Buyer;

  beforeAll(async () => {
    // No channel, no package: a fresh install. One failure opens a circuit (for the "retry later" case below).
    g = await startGateway(tier, { env: { CIRCUIT_FAILURE_THRESHOLD: '1', CIRCUIT_COOLDOWN_MS: '60000' } });
    buyer = await g.buyer(0);
  });
  afterAll(() => g?.close());

  it('lists tollgate-demo in /v1/models as Tollgate’s own, free', async () => {
    const models = await buyer.openai.models.list();
    expect(models.data.find((m) => m.id === DEMO)).toEqual({
      id: DEMO, object: 'model', created: expect.any(Number), owned_by: 'tollgate-demo',
      pricing: { currency: 'CNY', input_per_1m_tokens: 0, output_per_1m_tokens: 0 },
    });
    expect((await buyer.openai.models.retrieve(DEMO)).owned_by).toBe('tollgate-demo');
  });

  it('answers a brand-new user with ¥0 through the openai SDK, and records the usage at cost 0 without touching the ledger', async () => {
    expect(await g.walletMicros(buyer.id)).toBe(0n);
    const res = await buyer.openai.chat.completions.create({ model: DEMO, messages: [{ role: 'user', content: 'hello from a newcomer' }] });
    expect(res.model).toBe(DEMO);
    expect(res.choices[0]?.message.content).toBe(`${LABEL} You said: “hello from a newcomer”. Add a real upstream in the console under Operator → Channels.`);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage?.completion_tokens).toBeGreaterThan(20);

    const row = (await g.usageRows()).find((r) => r.apiKeyId === buyer.keyId && r.status === 'success');
    expect(row).toMatchObject({
      model: DEMO, operation: 'chat', upstreamKind: 'channel', upstreamId: 0, costMicros: 0n, usageEstimated: false, attempts: 1, chargeRef: null,
      tokensIn: res.usage?.prompt_tokens, tokensOut: res.usage?.completion_tokens,
    });
    const logged = (await usageLog(g, buyer)).find((r) => r.request_id === row?.requestId);
    expect(logged).toMatchObject({ model: DEMO, upstream: 'channel:0', cost: 0, status: 'success', prompt_tokens: row?.tokensIn, completion_tokens: row?.tokensOut });
    expect(await g.walletMicros(buyer.id)).toBe(0n);
  });

  it('streams with usage when the client asks for it', async () => {
    const stream = await buyer.openai.chat.completions.create({
      model: DEMO, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream please' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(10);
    expect(text).toContain('You said: “stream please”');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const rows = (await g.usageRows()).filter((r) => r.apiKeyId === buyer.keyId && r.status === 'success');
    expect(rows.at(-1)).toMatchObject({ model: DEMO, tokensIn: usage?.prompt_tokens, tokensOut: usage?.completion_tokens, costMicros: 0n, usageEstimated: false });
    expect(await g.walletMicros(buyer.id)).toBe(0n);
  });

  it('completes a tool-call round trip: a call built from the tool’s schema, then an answer that uses the result', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await buyer.openai.chat.completions.create({ model: DEMO, messages, tools: [WEATHER] });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'demo city' });

    messages.push(choice?.message as OpenAI.ChatCompletionMessageParam, { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21 °C' });
    const second = await buyer.openai.chat.completions.create({ model: DEMO, messages, tools: [WEATHER] });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('The tool `get_weather` returned: “Sunny, 21 °C”');
    expect(await g.walletMicros(buyer.id)).toBe(0n);
  });

  it('answers /v1/messages too, translated from the Anthropic format', async () => {
    const res = await g.t.request({
      method: 'POST', url: '/v1/messages', headers: { 'x-api-key': buyer.key },
      payload: { model: DEMO, max_tokens: 200, messages: [{ role: 'user', content: 'hi in anthropic' }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ type: 'message', model: DEMO, content: [{ type: 'text', text: expect.stringContaining('You said: “hi in anthropic”') }] });
  });

  it('serves only chat: an embedding request is refused as unsupported, not sent anywhere', async () => {
    const res = await g.t.request({ method: 'POST', url: '/v1/embeddings', headers: { authorization: `Bearer ${buyer.key}` }, payload: { model: DEMO, input: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'unsupported_operation' });
  });

  it('is always free: the operator price list shows it at 0 and refuses to price it', async () => {
    const list = await g.t.request({ method: 'GET', url: '/api/v1/admin/model-prices', headers: g.operator });
    expect(list.json().data.find((p: { model: string }) => p.model === DEMO)).toMatchObject({ provider: 'tollgate-demo', input_price: 0, output_price: 0, price_source: 'default' });
    const put = await g.t.request({ method: 'PUT', url: `/api/v1/admin/model-prices/${DEMO}`, headers: g.operator, payload: { provider: 'openai', input_price: 5, output_price: 5 } });
    expect(put.statusCode).toBe(400);
    expect(put.json()).toEqual({ code: 400, message: expect.stringContaining('always free'), data: null });
    const res = await buyer.openai.chat.completions.create({ model: DEMO, messages: [{ role: 'user', content: 'still free?' }] });
    expect(res.choices[0]?.message.content).toContain(LABEL);
    expect(await g.walletMicros(buyer.id)).toBe(0n);
  });

  describe('when nothing serves a priced model', () => {
    const NO_UPSTREAM = (model: string) =>
      `No upstream is configured for \`${model}\`. An operator can add one in the console (Operator → Channels) or with POST /1/keys.`;

    it('says no upstream is configured and how to add one, without Retry-After', async () => {
      const res = await g.t.request({
        method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` },
        payload: { model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.json()).toEqual({ error: { message: NO_UPSTREAM('qwen-plus'), type: 'server_error', code: 'no_upstream_configured', param: null } });
    });

    it('says the same on /v1/messages in Anthropic’s envelope', async () => {
      const res = await g.t.request({
        method: 'POST', url: '/v1/messages', headers: { 'x-api-key': buyer.key },
        payload: { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.json()).toEqual({ type: 'error', error: { type: 'api_error', message: NO_UPSTREAM('claude-sonnet-4-5') } });
    });

    it('keeps "retry later" for a model whose only channel is configured but has its circuit open', async () => {
      const funded = await g.buyer(10);
      const channel = await g.addChannel({ endpoint: await deadUrl() });
      try {
        const ask = () => g.t.request({
          method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${funded.key}` },
          payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
        });
        const failed = await ask();
        expect(failed.statusCode).toBe(503);
        expect(failed.json().error.code).toBe('upstream_unavailable');
        // The refused connection opened the channel's circuit: it is configured, just not available now.
        const skipped = await ask();
        expect(skipped.statusCode).toBe(503);
        expect(skipped.json().error).toEqual({
          message: 'No upstream is available for `gpt-4o-mini` right now; retry later.', type: 'server_error', code: 'upstream_unavailable', param: null,
        });
      } finally {
        await g.removeChannel(channel);
      }
    });
  });
});

describe.each(DB_TIERS)('DEMO_UPSTREAM=false on $name', (tier) => {
  let g: GatewayHarness;
  let buyer: Buyer;

  beforeAll(async () => {
    g = await startGateway(tier, { env: { DEMO_UPSTREAM: 'false' } });
    buyer = await g.buyer(0);
  });
  afterAll(() => g?.close());

  it('lists no demo model and answers a call for it with 404 model_not_found', async () => {
    expect((await buyer.openai.models.list()).data.map((m) => m.id)).not.toContain(DEMO);
    const res = await g.t.request({
      method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` },
      payload: { model: DEMO, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'model_not_found' });
    const list = await g.t.request({ method: 'GET', url: '/api/v1/admin/model-prices', headers: g.operator });
    expect(list.json().data.map((p: { model: string }) => p.model)).not.toContain(DEMO);
  });

  it('still refuses an operator price for the reserved name', async () => {
    const put = await g.t.request({ method: 'PUT', url: `/api/v1/admin/model-prices/${DEMO}`, headers: g.operator, payload: { provider: 'openai', input_price: 0, output_price: 0 } });
    expect(put.statusCode).toBe(400);
  });
});
