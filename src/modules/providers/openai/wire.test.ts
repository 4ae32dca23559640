import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../../../../test/fakes/openai-upstream.ts';
import { type FakeUpstream, replyWords } from '../../../../test/fakes/upstream.ts';
import { countTokens } from '../../metering/tokens.ts';
import { azureOpenaiAdapter } from '../azure_openai/index.ts';
import { baiduAdapter } from '../baidu/index.ts';
import { qwenAdapter } from '../qwen/index.ts';
import type { Operation, ProviderAdapter, SseEvent, TranslateContext } from '../types.ts';
import { openaiAdapter } from './index.ts';

// The OpenAI-compatible adapters against the fake OpenAI upstream over real HTTP: requests built by the adapter, bytes
// as the fake sends them, parsed and passed through by the adapter. What the relay does, minus routing and billing.

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeOpenAi({ requireKey: KEY });
});
afterAll(() => fake.close());

const KEY = 'sk-wire-test-0123456789abcdef';
const ctxFor = (clientWantsUsage = false): TranslateContext => ({ clientModel: 'gpt-4o', responseId: 'chatcmpl-wire1', created: 1_700_000_000, clientWantsUsage });

interface Call {
  adapter?: ProviderAdapter;
  op?: Operation;
  body: Record<string, unknown>;
  model?: string;
  baseUrl?: string;
}

async function send({ adapter = openaiAdapter, op = 'chat', body, model = 'gpt-4o-2024-08-06', baseUrl = fake.url }: Call, stream = false) {
  const built = adapter.buildRequest(op, { ...body, model }, { baseUrl, credential: KEY, model }, stream);
  return request(built.url, { method: 'POST', headers: built.headers, body: built.body });
}

async function call(c: Call) {
  const res = await send(c);
  const text = await res.body.text();
  expect(res.statusCode, text).toBe(200);
  return (c.adapter ?? openaiAdapter).parseResponse(c.op ?? 'chat', JSON.parse(text), ctxFor());
}

/** Streams a chat; returns the upstream's own data strings and what the translator made of them. */
async function stream(body: Record<string, unknown>, clientWantsUsage = false) {
  const res = await send({ body: { ...body, stream: true, stream_options: { include_usage: true } } }, true);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/event-stream');
  const translator = openaiAdapter.streamTranslator('chat', ctxFor(clientWantsUsage));
  const upstream: string[] = [];
  const out: SseEvent[] = [];
  const parser = createParser({
    onEvent: (e) => {
      upstream.push(e.data);
      out.push(...translator.push({ event: e.event, data: e.data }));
    },
  });
  for await (const chunk of res.body) parser.feed(chunk.toString('utf8'));
  out.push(...translator.end());
  return { translator, upstream, out };
}

const userSays = (content: string) => ({ messages: [{ role: 'user', content }] });

const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('openai adapter against the fake upstream', () => {
  it('completes a chat: reply, the client\'s model name and the usage', async () => {
    const prompt = 'What does Tollgate do?';
    const { body, usage } = await call({ body: { messages: [{ role: 'system', content: 'Be short.' }, { role: 'user', content: prompt }] } });
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: replyWords(prompt).join(' ') }, finish_reason: 'stop' }],
    });
    expect(usage).toEqual({ promptTokens: 6, completionTokens: 12 });
    const sent = fake.requests.at(-1);
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.body).toMatchObject({ model: 'gpt-4o-2024-08-06' });
  });

  it('streams a chat byte for byte, without the usage chunk the gateway asked for, and reads its usage', async () => {
    const prompt = 'Stream it please';
    const { translator, upstream, out } = await stream(userSays(prompt));
    expect(upstream.at(-1)).toBe('[DONE]');
    const usageOnly = upstream.at(-2) as string;
    expect(JSON.parse(usageOnly)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 12 } });
    expect(out.map((e) => e.data)).toEqual(upstream.slice(0, -2));
    expect(out.every((e) => e.event === undefined)).toBe(true);
    expect(translator.usage()).toEqual({ promptTokens: 3, completionTokens: 12 });
    expect(translator.error?.()).toBeUndefined();
    const content = out.flatMap((e) => (JSON.parse(e.data) as { choices: { delta: { content?: string } }[] }).choices.map((c) => c.delta.content ?? ''));
    expect(content.join('')).toBe(replyWords(prompt).join(' '));
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('keeps the usage chunk when the client asked for it', async () => {
    const { upstream, out } = await stream(userSays('Usage too please'), true);
    expect(out.map((e) => e.data)).toEqual(upstream.slice(0, -1));
    expect(JSON.parse(out.at(-1)?.data as string)).toMatchObject({ choices: [], usage: { completion_tokens: 12 } });
  });

  it('collects the streamed text so an upstream without usage can be counted by the tokenizer', async () => {
    const prompt = 'Count me yourself [[no-usage]]';
    const { translator, out } = await stream(userSays(prompt));
    expect(translator.usage()).toBeUndefined();
    expect(translator.text()).toBe(replyWords(prompt).join(' '));
    expect(await countTokens(translator.text())).toBeGreaterThan(0);
    expect(out.length).toBeGreaterThan(0);
  });

  it('returns a tool call with its usage', async () => {
    const { body, usage } = await call({ body: { ...userSays('Weather in Paris? [[tool]]'), tools: [weatherTool] } });
    expect(body).toMatchObject({
      choices: [{ message: { tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
    });
    expect(usage).toMatchObject({ completionTokens: 5 });
    expect(fake.requests.at(-1)?.body).toMatchObject({ tools: [weatherTool] });
  });

  it('streams a tool call, its arguments collected as text', async () => {
    const { translator, out } = await stream({ ...userSays('Weather in Paris? [[tool]] [[no-usage]]'), tools: [weatherTool] });
    const args = out.flatMap((e) =>
      (JSON.parse(e.data) as { choices: { delta: { tool_calls?: { function?: { arguments?: string } }[] } }[] }).choices.flatMap(
        (c) => c.delta.tool_calls?.map((t) => t.function?.arguments ?? '') ?? [],
      ),
    );
    expect(args.join('')).toBe('{"city":"Paris"}');
    expect(translator.text()).toBe('{"city":"Paris"}');
  });

  it('returns a completion with its usage', async () => {
    const prompt = 'Say this is a test';
    const { body, usage } = await call({ op: 'completions', body: { prompt }, model: 'gpt-3.5-turbo-instruct' });
    expect(body).toMatchObject({ object: 'text_completion', model: 'gpt-4o', choices: [{ text: replyWords(prompt).join(' ') }] });
    expect(usage).toEqual({ promptTokens: 5, completionTokens: 12 });
    expect(fake.requests.at(-1)?.path).toBe('/v1/completions');
  });

  it('returns embeddings with prompt tokens only', async () => {
    const { body, usage } = await call({ op: 'embeddings', body: { input: ['one two', 'three'] }, model: 'text-embedding-3-small' });
    expect(body).toMatchObject({ object: 'list', data: [{ index: 0 }, { index: 1 }] });
    expect(usage).toEqual({ promptTokens: 3, completionTokens: 0 });
  });

  it('returns images without usage (priced per image)', async () => {
    const { body, usage } = await call({ op: 'images', body: { prompt: 'a lighthouse', n: 2 }, model: 'dall-e-3' });
    expect((body as { data: unknown[] }).data).toHaveLength(2);
    expect(usage).toBeUndefined();
    expect(fake.requests.at(-1)?.path).toBe('/v1/images/generations');
  });

  it('parses an upstream 429 into a rate-limit failure', async () => {
    const res = await send({ body: userSays('too many [[status:429]]') });
    expect(res.statusCode).toBe(429);
    expect(openaiAdapter.parseError(res.statusCode, await res.body.text())).toEqual({
      status: 429, message: 'fake upstream answered 429', type: 'rate_limit_error', code: undefined,
    });
  });

  it('parses a refused key into an authentication failure (redaction is the relay\'s)', async () => {
    const res = await send({ body: userSays('[[echo-key]]') });
    const failure = openaiAdapter.parseError(res.statusCode, await res.body.text());
    expect(failure).toMatchObject({ status: 401, type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(failure.message).toContain('Incorrect API key provided');
  });
});

describe('OpenAI-compatible providers against the fake upstream', () => {
  it('calls an Azure deployment with api-key and api-version', async () => {
    const { body, usage } = await call({ adapter: azureOpenaiAdapter, body: userSays('Hello Azure'), model: 'prod-gpt4o', baseUrl: `${fake.url}?api-version=2025-01-01-preview` });
    expect(body).toMatchObject({ model: 'gpt-4o' });
    expect(usage).toEqual({ promptTokens: 2, completionTokens: 12 });
    const sent = fake.requests.at(-1);
    expect(sent?.path).toBe('/openai/deployments/prod-gpt4o/chat/completions');
    expect(sent?.query.get('api-version')).toBe('2025-01-01-preview');
    expect(sent?.headers['api-key']).toBe(KEY);
    expect(sent?.headers.authorization).toBeUndefined();
  });

  it('calls Qianfan under /v2', async () => {
    const { usage } = await call({ adapter: baiduAdapter, op: 'embeddings', body: { input: 'embed this' }, model: 'embedding-v1' });
    expect(usage).toEqual({ promptTokens: 2, completionTokens: 0 });
    expect(fake.requests.at(-1)?.path).toBe('/v2/embeddings');
  });

  it('calls DashScope under compatible-mode/v1', async () => {
    const { usage } = await call({ adapter: qwenAdapter, body: userSays('Hello Qwen'), model: 'qwen-max', baseUrl: `${fake.url}/compatible-mode` });
    expect(usage).toEqual({ promptTokens: 2, completionTokens: 12 });
    expect(fake.requests.at(-1)?.path).toBe('/compatible-mode/v1/chat/completions');
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
  });
});
