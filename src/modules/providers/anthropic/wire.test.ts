import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TOOL_INPUT, startFakeAnthropic } from '../../../../test/fakes/anthropic-upstream.ts';
import { type FakeUpstream, replyWords } from '../../../../test/fakes/upstream.ts';
import type { Operation, SseEvent, TranslateContext } from '../types.ts';
import { anthropicAdapter } from './index.ts';

// The adapter against the fake over real HTTP: requests built by the adapter, bytes parsed as the relay will.

const ctx: TranslateContext = { clientModel: 'claude-sonnet', responseId: 'chatcmpl-w1', created: 1_760_000_000, clientWantsUsage: true };
const weatherTool = {
  type: 'function',
  function: { name: 'weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(() => fake.close());

async function call(op: Operation, body: Record<string, unknown>, stream: boolean, credential = 'sk-ant-wire-key') {
  const target = { baseUrl: fake.url, credential, model: 'claude-sonnet-4-5-20250929' };
  const upstream = anthropicAdapter.buildRequest(op, body, target, stream);
  return request(upstream.url, { method: 'POST', headers: upstream.headers, body: upstream.body });
}

async function sseEventsOf(body: AsyncIterable<Buffer>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e.event ? { event: e.event, data: e.data } : { data: e.data }) });
  const decoder = new TextDecoder();
  for await (const bytes of body) parser.feed(decoder.decode(bytes, { stream: true }));
  return events;
}

async function chatStream(body: Record<string, unknown>) {
  const res = await call('chat', body, true);
  expect(res.statusCode).toBe(200);
  const translator = anthropicAdapter.streamTranslator('chat', ctx);
  const upstreamEvents = await sseEventsOf(res.body);
  const out = [...upstreamEvents.flatMap((e) => translator.push(e)), ...translator.end()];
  type Chunk = { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown };
  return { translator, chunks: out.map((e) => JSON.parse(e.data) as Chunk) };
}

const userSays = (text: string) => ({ messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: text }] });

describe('anthropic adapter ↔ fake Anthropic over HTTP', () => {
  it('answers a chat request with the reply text and the usage the upstream counted', async () => {
    const prompt = 'Say something about tolls';
    const res = await call('chat', userSays(prompt), false);
    expect(res.statusCode).toBe(200);
    const parsed = anthropicAdapter.parseResponse('chat', await res.body.json(), ctx);
    expect(parsed.body).toMatchObject({
      object: 'chat.completion',
      model: 'claude-sonnet',
      choices: [{ message: { role: 'assistant', content: replyWords(prompt).join(' ') }, finish_reason: 'stop' }],
    });
    // The fake counts every word of the request: 3 of the system prompt, 4 of the user's.
    expect(parsed.usage).toEqual({ promptTokens: 7, completionTokens: 12 });
    const sent = fake.requests.at(-1);
    expect(sent?.headers['x-api-key']).toBe('sk-ant-wire-key');
    expect(sent?.body).toMatchObject({ system: 'You are terse.', max_tokens: 4096 });
  });

  it('streams a chat answer as chunks whose content is the reply, with a final usage chunk', async () => {
    const prompt = 'Stream me a sentence';
    const { translator, chunks } = await chatStream(userSays(prompt));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(replyWords(prompt).join(' '));
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 } });
    expect(translator.usage()).toEqual({ promptTokens: 7, completionTokens: 12 });
    expect(translator.text()).toBe(text);
  });

  it('carries a tool call and its result through a full round trip', async () => {
    const ask = { messages: [{ role: 'user', content: 'Weather in Paris? [[tool]]' }], tools: [weatherTool] };
    const first = anthropicAdapter.parseResponse('chat', await (await call('chat', ask, false)).body.json(), ctx);
    const choice = (first.body as { choices: Array<{ message: { tool_calls: Array<{ id: string; function: { arguments: string } }> }; finish_reason: string }> }).choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const toolCall = choice?.message.tool_calls[0];
    expect(JSON.parse(toolCall?.function.arguments ?? '')).toEqual(FAKE_TOOL_INPUT);

    const followUp = {
      tools: [weatherTool],
      messages: [...ask.messages, choice?.message, { role: 'tool', tool_call_id: toolCall?.id, content: '18°C and sunny' }],
    };
    const res = await call('chat', followUp, false);
    // The fake refuses a tool_result whose id the previous assistant turn did not issue, as Anthropic does.
    expect(res.statusCode).toBe(200);
    const second = anthropicAdapter.parseResponse('chat', await res.body.json(), ctx);
    expect(second.body).toMatchObject({ choices: [{ finish_reason: 'stop' }] });
  });

  it('streams a tool call whose arguments arrive in fragments that reassemble to the input', async () => {
    const { chunks } = await chatStream({ messages: [{ role: 'user', content: 'Paris weather [[tool]]' }], tools: [weatherTool] });
    const calls = chunks.flatMap((c) => (c.choices[0]?.delta.tool_calls ?? []) as Array<{ id?: string; function: { name?: string; arguments: string } }>);
    expect(calls[0]).toMatchObject({ id: expect.stringMatching(/^toolu_/), function: { name: 'weather', arguments: '' } });
    expect(calls.length).toBeGreaterThan(3);
    expect(JSON.parse(calls.map((c) => c.function.arguments).join(''))).toEqual(FAKE_TOOL_INPUT);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('reports max_tokens as length and a matched stop sequence as stop', async () => {
    const cut = await call('chat', { ...userSays('long please'), max_tokens: 3 }, false);
    expect(anthropicAdapter.parseResponse('chat', await cut.body.json(), ctx).body).toMatchObject({ choices: [{ finish_reason: 'length' }] });
    const words = replyWords('stop early');
    const stopped = await call('chat', { ...userSays('stop early'), stop: words[2] }, false);
    const parsed = anthropicAdapter.parseResponse('chat', await stopped.body.json(), ctx);
    expect(parsed.body).toMatchObject({ choices: [{ message: { content: `${words[0]} ${words[1]} ` }, finish_reason: 'stop' }] });
  });

  it('passes a native Messages stream through byte for byte, metering it on the way', async () => {
    const body = { model: 'claude-sonnet-4-5-20250929', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'native hello' }] };
    const res = await call('messages', body, true);
    const events = await sseEventsOf(res.body);
    const translator = anthropicAdapter.streamTranslator('messages', ctx);
    const out = events.flatMap((e) => translator.push(e));
    expect(out).toEqual(events);
    expect(out.map((e) => e.event)).toEqual(expect.arrayContaining(['message_start', 'ping', 'content_block_delta', 'message_stop']));
    expect(translator.usage()).toEqual({ promptTokens: 2, completionTokens: 12 });
    expect(translator.text()).toBe(replyWords('native hello').join(' '));
  });

  it('returns a native Messages answer unchanged', async () => {
    const body = { model: 'claude-sonnet-4-5-20250929', max_tokens: 100, messages: [{ role: 'user', content: 'native hello' }] };
    const upstreamBody = await (await call('messages', body, false)).body.json();
    const parsed = anthropicAdapter.parseResponse('messages', upstreamBody, ctx);
    expect(parsed.body).toBe(upstreamBody);
    expect(parsed.body).toMatchObject({ type: 'message', model: 'claude-sonnet-4-5-20250929' });
    expect(parsed.usage).toEqual({ promptTokens: 2, completionTokens: 12 });
  });

  it('parses an upstream 401 that echoes the key into a failure (redaction is the gateway\'s job)', async () => {
    const res = await call('chat', userSays('[[echo-key]]'), false, 'sk-ant-leaky');
    expect(res.statusCode).toBe(401);
    const failure = anthropicAdapter.parseError(res.statusCode, await res.body.text());
    expect(failure).toMatchObject({ status: 401, type: 'authentication_error', code: 'authentication_error' });
    expect(failure.message).toContain('sk-ant-leaky');
  });

  it('is refused by the fake without the key or the version header, in Anthropic\'s error format', async () => {
    const body = JSON.stringify({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    const noKey = await request(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body });
    expect(noKey.statusCode).toBe(401);
    expect(await noKey.body.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const noVersion = await request(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'k' }, body });
    expect(noVersion.statusCode).toBe(400);
    expect(anthropicAdapter.parseError(400, await noVersion.body.text())).toMatchObject({ type: 'invalid_request_error' });
  });

  it('parses an overloaded upstream into a retryable server failure', async () => {
    const res = await call('chat', userSays('[[status:529]]'), false);
    expect(anthropicAdapter.parseError(res.statusCode, await res.body.text())).toMatchObject({
      status: 529,
      type: 'server_error',
      code: 'overloaded_error',
    });
  });

  it('surfaces an error event in the middle of a stream as the translator\'s failure', async () => {
    const { translator, chunks } = await chatStream(userSays('[[stream-error]] go'));
    expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    expect(translator.error?.()).toMatchObject({ status: 529, code: 'overloaded_error' });
  });

  it('leaves usage to the tokenizer fallback when the upstream sends none', async () => {
    const { translator, chunks } = await chatStream(userSays('quiet [[no-usage]]'));
    expect(translator.usage()).toBeUndefined();
    expect(translator.text()).toBe(replyWords('quiet [[no-usage]]').join(' '));
    expect(chunks.some((c) => c.usage)).toBe(false);
  });
});
