import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from '../../../test/fakes/anthropic-upstream.ts';
import { startFakeGemini } from '../../../test/fakes/gemini-upstream.ts';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';

// The same OpenAI client code through every kind of upstream, and Anthropic's Messages API through both an Anthropic
// upstream (passed through) and an OpenAI-format one (translated). Providers' base URLs come from
// PROVIDER_BASE_URL_<NAME>, as an operator would point them at a proxy.

describe.each(DB_TIERS)('every provider through the gateway on $name', (tier) => {
  let g: GatewayHarness;
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let gemini: FakeUpstream;
  let buyer: Buyer;

  beforeAll(async () => {
    [openai, anthropic, gemini] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), startFakeGemini()]);
    g = await startGateway(tier, {
      env: {
        PROVIDER_BASE_URL_ANTHROPIC: anthropic.url,
        PROVIDER_BASE_URL_GEMINI: gemini.url,
        PROVIDER_BASE_URL_QWEN: `${openai.url}/compatible-mode`,
        PROVIDER_BASE_URL_BAIDU: openai.url,
        PROVIDER_BASE_URL_XFYUN: openai.url,
        PROVIDER_BASE_URL_TENCENT: openai.url,
      },
    });
    for (const provider of ['anthropic', 'gemini', 'qwen', 'baidu', 'xfyun', 'tencent']) {
      await g.addChannel({ provider, endpoint: '', key: `${provider}-upstream-key-0001` });
    }
    await g.addChannel({ provider: 'azure_openai', endpoint: openai.url, key: 'azure-upstream-key-0001' });
    buyer = await g.buyer(1000);
  });
  afterAll(async () => {
    await g?.close();
    await Promise.all([openai, anthropic, gemini].map((f) => f?.close()));
  });

  it.each([
    ['claude-sonnet-4-5', () => anthropic, '/v1/messages', 'x-api-key', 'anthropic-upstream-key-0001'],
    ['gemini-2.5-flash', () => gemini, '/v1beta/models/gemini-2.5-flash:generateContent', 'x-goog-api-key', 'gemini-upstream-key-0001'],
    ['qwen-plus', () => openai, '/compatible-mode/v1/chat/completions', 'authorization', 'Bearer qwen-upstream-key-0001'],
    ['ernie-4.5-turbo-128k', () => openai, '/v2/chat/completions', 'authorization', 'Bearer baidu-upstream-key-0001'],
    ['generalv3.5', () => openai, '/v1/chat/completions', 'authorization', 'Bearer xfyun-upstream-key-0001'],
    ['hunyuan-turbos-latest', () => openai, '/v1/chat/completions', 'authorization', 'Bearer tencent-upstream-key-0001'],
    ['gpt-4o', () => openai, '/openai/deployments/gpt-4o/chat/completions', 'api-key', 'azure-upstream-key-0001'],
  ])('serves %s with its own path and auth, metered', async (model, fake, path, header, credential) => {
    const res = await buyer.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello provider' }] });
    expect(res.model).toBe(model);
    expect(res.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
    const seen = fake().requests.at(-1);
    expect(seen?.path).toBe(path);
    expect(seen?.headers[header]).toBe(credential);
    if (model === 'gpt-4o') expect(seen?.query.get('api-version')).toBe('2024-10-21');
    const row = (await g.usageRows()).at(-1);
    expect(row).toMatchObject({ model, status: 'success', tokensOut: res.usage?.completion_tokens });
    expect(row?.costMicros).toBeGreaterThan(0n);
  });

  it.each(['claude-sonnet-4-5', 'gemini-2.5-flash', 'qwen-plus'])('streams %s as OpenAI chunks with usage', async (model) => {
    const stream = await buyer.openai.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream it' }] });
    let text = '';
    let usage: { completion_tokens: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect((await g.usageRows()).at(-1)).toMatchObject({ model, status: 'success', tokensOut: usage?.completion_tokens, usageEstimated: false });
  });

  it('translates tool calls from Anthropic and Gemini into OpenAI tool_calls', async () => {
    for (const model of ['claude-sonnet-4-5', 'gemini-2.5-flash']) {
      const res = await buyer.openai.chat.completions.create({
        model, messages: [{ role: 'user', content: 'weather please [[tool]]' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      });
      expect(res.choices[0]?.finish_reason).toBe('tool_calls');
      const call = res.choices[0]?.message.tool_calls?.[0];
      if (call?.type !== 'function') throw new Error(`expected a function call, got ${JSON.stringify(call)}`);
      expect(call.function.name).toBe('get_weather');
      expect(JSON.parse(call.function.arguments).city).toBe('Paris');
    }
  });

  it('passes /v1/messages through to Anthropic for the Anthropic SDK, with x-api-key auth', async () => {
    const client = new Anthropic({ apiKey: buyer.key, baseURL: g.url, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 100, messages: [{ role: 'user', content: 'hi claude' }] });
    expect(msg.type).toBe('message');
    expect(msg.content[0]?.type).toBe('text');
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    const stream = client.messages.stream({ model: 'claude-opus-4-1', max_tokens: 100, messages: [{ role: 'user', content: 'stream claude' }] });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect((await g.usageRows()).at(-1)).toMatchObject({ model: 'claude-opus-4-1', operation: 'messages', status: 'success', tokensOut: final.usage.output_tokens });
  });

  it('translates /v1/messages for an OpenAI-format upstream, stream and not', async () => {
    const client = new Anthropic({ apiKey: buyer.key, baseURL: g.url, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'qwen-plus', max_tokens: 100, system: 'be brief', messages: [{ role: 'user', content: 'hi qwen' }] });
    expect(msg.role).toBe('assistant');
    expect(msg.content[0]).toMatchObject({ type: 'text' });
    expect(msg.usage.output_tokens).toBe(12);
    const sent = openai.requests.at(-1)?.body as { messages: { role: string }[] };
    expect(sent.messages[0]).toMatchObject({ role: 'system' });
    const stream = client.messages.stream({ model: 'qwen-plus', max_tokens: 100, messages: [{ role: 'user', content: 'stream qwen' }] });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text' });
    expect(final.usage.output_tokens).toBe(12);
  });

  it('embeds through Gemini for the OpenAI SDK (base64 asked, base64 answered)', async () => {
    const res = await buyer.openai.embeddings.create({ model: 'text-embedding-004', input: 'embed me please' });
    expect(res.data[0]?.embedding.length).toBe(8);
    const row = (await g.usageRows()).at(-1);
    expect(row).toMatchObject({ model: 'text-embedding-004', usageEstimated: true });
    expect(row?.tokensIn).toBeGreaterThan(0);
  });
});
