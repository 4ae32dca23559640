import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import type { FakeUpstream } from '../../../test/fakes/upstream.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type Buyer, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { costOf } from '../metering/cost.ts';
import { OPENAI_MODELS } from '../providers/openai/index.ts';

// The official `openai` SDK, pointed at Tollgate with a Tollgate key, against a fake OpenAI upstream: code written
// for api.openai.com works unchanged, and every request is charged exactly once.

const priceOf = (model: string) => OPENAI_MODELS.find((m) => m.id === model)?.price as NonNullable<(typeof OPENAI_MODELS)[number]['price']>;

describe.each(DB_TIERS)('the openai SDK through the gateway on $name', (tier) => {
  let g: GatewayHarness;
  let fake: FakeUpstream;
  let buyer: Buyer;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    g = await startGateway(tier);
    await g.addChannel({ endpoint: fake.url });
    buyer = await g.buyer(1000);
  });
  afterAll(async () => {
    await g?.close();
    await fake?.close();
  });

  it('answers a chat completion and charges its exact cost once', async () => {
    const before = await g.walletMicros(buyer.id);
    const res = await buyer.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'say hello to the gateway' }] });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.choices[0]?.message.content?.split(' ')).toHaveLength(12);
    expect(res.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 12 });
    const cost = costOf(priceOf('gpt-4o-mini'), { promptTokens: 5, completionTokens: 12 });
    expect(before - (await g.walletMicros(buyer.id))).toBe(cost);
    const rows = (await g.usageRows()).filter((r) => r.apiKeyId === buyer.keyId && r.status === 'success');
    expect(rows.at(-1)).toMatchObject({ model: 'gpt-4o-mini', operation: 'chat', tokensIn: 5, tokensOut: 12, costMicros: cost, upstreamKind: 'channel', usageEstimated: false, attempts: 1 });
    // The upstream saw its own key, never ours.
    expect(JSON.stringify(fake.requests.at(-1)?.headers)).not.toContain(buyer.key);
  });

  it('streams chunks as they are generated, not buffered, and strips the usage chunk it injected', async () => {
    const stream = await buyer.openai.chat.completions.create({
      model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'stream slowly please [[pace:40]]' }],
    });
    const arrivals: number[] = [];
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      arrivals.push(Date.now());
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text.split(' ')).toHaveLength(12);
    expect(sawUsage).toBe(false);
    // 12 words 40 ms apart: the first chunk must arrive well before the last.
    expect((arrivals.at(-1) as number) - (arrivals[0] as number)).toBeGreaterThan(250);
    // The gateway asked the upstream for usage even though the client did not.
    expect((fake.requests.at(-1)?.body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
  });

  it('keeps the usage chunk when the client asks for it, and bills it', async () => {
    const before = await g.walletMicros(buyer.id);
    const stream = await buyer.openai.chat.completions.create({
      model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count my tokens' }],
    });
    let usage: unknown;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 12 });
    expect(before - (await g.walletMicros(buyer.id))).toBe(costOf(priceOf('gpt-4o-mini'), { promptTokens: 3, completionTokens: 12 }));
  });

  it('passes tools through and returns the tool call', async () => {
    const res = await buyer.openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather? [[tool]]' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      response_format: { type: 'text' },
    });
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const sent = fake.requests.at(-1)?.body as { tools?: unknown[]; response_format?: unknown };
    expect(sent.tools).toHaveLength(1);
    expect(sent.response_format).toEqual({ type: 'text' });
  });

  it('passes vision content parts through untouched', async () => {
    const parts = [{ type: 'text' as const, text: 'what is this?' }, { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }];
    await buyer.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: parts }] });
    expect((fake.requests.at(-1)?.body as { messages: { content: unknown }[] }).messages[0]?.content).toEqual(parts);
  });

  it('creates embeddings (the SDK asks for base64 and decodes it)', async () => {
    const res = await buyer.openai.embeddings.create({ model: 'text-embedding-3-small', input: ['one two', 'three'] });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding[0]).toBeCloseTo(0.1, 5);
    expect(res.usage.prompt_tokens).toBe(3);
  });

  it('generates images, charged per image', async () => {
    const before = await g.walletMicros(buyer.id);
    const res = await buyer.openai.images.generate({ model: 'dall-e-3', prompt: 'a tollgate at dawn', n: 2 });
    expect(res.data).toHaveLength(2);
    expect(before - (await g.walletMicros(buyer.id))).toBe(2n * 288_000n);
  });

  it('makes text completions', async () => {
    const res = await buyer.openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'once upon a time' });
    expect(res.choices[0]?.text.split(' ')).toHaveLength(12);
  });

  it('lists the models the key may use, and only those', async () => {
    const all = await buyer.openai.models.list();
    const ids = all.data.map((m) => m.id);
    expect(ids).toContain('gpt-4o-mini');
    expect(ids).toContain('dall-e-3');
    const res = await g.t.request({ method: 'POST', url: '/api/v1/keys', headers: buyer.auth, payload: { name: 'narrow', allowed_models: ['gpt-4o'] } });
    const narrow = new (buyer.openai.constructor as typeof import('openai').default)({ apiKey: res.json().data.key, baseURL: `${g.url}/v1`, maxRetries: 0 });
    expect((await narrow.models.list()).data.map((m) => m.id)).toEqual(['gpt-4o']);
    expect((await narrow.models.retrieve('gpt-4o')).id).toBe('gpt-4o');
  });
});
