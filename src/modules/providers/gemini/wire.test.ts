import { createParser } from 'eventsource-parser';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDING_DIMENSIONS, FUNCTION_CALL_TOKENS, startFakeGemini, THOUGHT_TOKENS, vectorOf } from '../../../../test/fakes/gemini-upstream.ts';
import { type FakeUpstream, replyWords } from '../../../../test/fakes/upstream.ts';
import type { Operation, SseEvent, TranslateContext } from '../types.ts';
import { geminiAdapter } from './index.ts';

// The adapter against the fake Gemini over real HTTP: requests built by the adapter, bytes as the fake sends them,
// translated back by the adapter. What the relay does, minus routing and billing.

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(() => fake.close());

const KEY = 'AIzaSy-wire-test-key';
const ctx: TranslateContext = { clientModel: 'gemini-flash', responseId: 'chatcmpl-wire1', created: 1_700_000_000, clientWantsUsage: true };
const targetFor = (model: string) => ({ baseUrl: fake.url, credential: KEY, model });

async function send(op: Operation, body: Record<string, unknown>, model: string, stream = false) {
  const built = geminiAdapter.buildRequest(op, { ...body, model }, targetFor(model), stream);
  const res = await request(built.url, { method: 'POST', headers: built.headers, body: built.body });
  return { status: res.statusCode, res };
}

async function call(op: Operation, body: Record<string, unknown>, model = 'gemini-2.5-flash') {
  const { status, res } = await send(op, body, model);
  const text = await res.body.text();
  expect(status, text).toBe(200);
  return geminiAdapter.parseResponse(op, JSON.parse(text), ctx);
}

async function stream(body: Record<string, unknown>, model = 'gemini-2.0-flash') {
  const { status, res } = await send('chat', body, model, true);
  expect(status).toBe(200);
  expect(res.headers['content-type']).toContain('text/event-stream');
  const translator = geminiAdapter.streamTranslator('chat', ctx);
  const out: SseEvent[] = [];
  const parser = createParser({ onEvent: (e) => out.push(...translator.push({ event: e.event, data: e.data })) });
  for await (const chunk of res.body) parser.feed(chunk.toString('utf8'));
  out.push(...translator.end());
  return { translator, chunks: out.map((e) => JSON.parse(e.data) as Record<string, unknown>) };
}

const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
};

describe('gemini adapter against the fake upstream', () => {
  it('completes a chat: reply text, prompt tokens and thinking billed as output', async () => {
    const prompt = 'What does Tollgate do?';
    const { body, usage } = await call('chat', { messages: [{ role: 'system', content: 'Be short.' }, { role: 'user', content: prompt }] });
    const reply = replyWords(prompt);
    expect(body).toMatchObject({
      id: 'chatcmpl-wire1',
      object: 'chat.completion',
      model: 'gemini-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: reply.join(' ') }, finish_reason: 'stop' }],
    });
    expect(usage).toEqual({ promptTokens: 6, completionTokens: reply.length + THOUGHT_TOKENS });
    const sent = fake.requests.at(-1);
    expect(sent?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent?.headers['x-goog-api-key']).toBe(KEY);
    expect(sent?.body).toMatchObject({ systemInstruction: { parts: [{ text: 'Be short.' }] } });
  });

  it('streams a chat as chunks whose content adds up to the reply, then a usage chunk', async () => {
    const prompt = 'Stream it please';
    const { translator, chunks } = await stream({ messages: [{ role: 'user', content: prompt }], stream: true });
    const choices = chunks.flatMap((c) => c.choices as { delta: { content?: string }; finish_reason: string | null }[]);
    expect(choices.map((c) => c.delta.content ?? '').join('')).toBe(replyWords(prompt).join(' '));
    expect(choices.at(-1)?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 12, total_tokens: 15 } });
    expect(translator.usage()).toEqual({ promptTokens: 3, completionTokens: 12 });
    expect(translator.text()).toBe(replyWords(prompt).join(' '));
    expect(fake.requests.at(-1)?.query.get('alt')).toBe('sse');
  });

  it('calls the declared tool and then answers its result in words', async () => {
    const ask = { role: 'user', content: '[[tool]] Weather in Paris?' };
    const first = await call('chat', { messages: [ask], tools: [weatherTool], tool_choice: 'auto' }, 'gemini-2.0-flash');
    const message = (first.body as { choices: { message: { tool_calls: { id: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[] }).choices[0];
    expect(message?.finish_reason).toBe('tool_calls');
    const toolCall = message?.message.tool_calls[0];
    expect(toolCall?.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(first.usage).toEqual({ promptTokens: 4, completionTokens: FUNCTION_CALL_TOKENS });
    expect(fake.requests.at(-1)?.body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    });

    const messages = [ask, { role: 'assistant', content: null, tool_calls: [toolCall] }, { role: 'tool', tool_call_id: toolCall?.id, content: '{"temp":21}' }];
    const second = await call('chat', { messages, tools: [weatherTool] }, 'gemini-2.0-flash');
    expect(second.body).toMatchObject({ choices: [{ finish_reason: 'stop', message: { content: replyWords(ask.content).join(' ') } }] });
    expect((fake.requests.at(-1)?.body as { contents: unknown[] }).contents.at(-1)).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }],
    });
  });

  it('streams a tool call as a complete tool_calls delta', async () => {
    const { chunks } = await stream({ messages: [{ role: 'user', content: '[[tool]] Weather?' }], tools: [weatherTool] });
    const deltas = chunks.flatMap((c) => c.choices as { delta: { tool_calls?: unknown[] }; finish_reason: string | null }[]);
    expect(deltas.flatMap((d) => d.delta.tool_calls ?? [])).toEqual([
      { index: 0, id: 'call_wire1_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(deltas.at(-1)?.finish_reason).toBe('tool_calls');
  });

  it('leaves usage to the tokenizer when the upstream streams none', async () => {
    const { translator, chunks } = await stream({ messages: [{ role: 'user', content: '[[no-usage]] quiet' }] });
    expect(translator.usage()).toBeUndefined();
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(translator.text()).toBe(replyWords('[[no-usage]] quiet').join(' '));
  });

  it('stalls after the first fragment when told to, keeping the socket open', async () => {
    const { res } = await send('chat', { messages: [{ role: 'user', content: '[[stall]]' }] }, 'gemini-2.0-flash', true);
    const iterator = res.body[Symbol.asyncIterator]();
    expect(String((await iterator.next()).value)).toContain('"candidates"');
    const next = await Promise.race([iterator.next(), new Promise((r) => setTimeout(() => r('silent'), 200))]);
    expect(next).toBe('silent');
    res.body.destroy();
  });

  it('embeds a batch of inputs in order, leaving usage to the tokenizer', async () => {
    const { body, usage } = await call('embeddings', { input: ['first text', 'second text'] }, 'text-embedding-004');
    const data = (body as { data: { index: number; embedding: number[] }[] }).data;
    expect(data.map((d) => d.index)).toEqual([0, 1]);
    expect(data[0]?.embedding).toEqual(vectorOf('first text'));
    expect(data[1]?.embedding).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(usage).toBeUndefined();
    expect(fake.requests.at(-1)?.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
  });

  it('parses a status directive into a typed failure', async () => {
    const { status, res } = await send('chat', { messages: [{ role: 'user', content: '[[status:429]]' }] }, 'gemini-2.5-pro');
    expect(geminiAdapter.parseError(status, await res.body.text())).toEqual({
      status: 429,
      message: 'fake upstream answered 429',
      type: 'rate_limit_error',
      code: 'RESOURCE_EXHAUSTED',
    });
  });

  it('parses an upstream that echoes the key into an authentication failure (redaction is the relay’s)', async () => {
    const { status, res } = await send('chat', { messages: [{ role: 'user', content: '[[echo-key]]' }] }, 'gemini-2.5-pro');
    const failure = geminiAdapter.parseError(status, await res.body.text());
    expect(failure).toMatchObject({ status: 401, type: 'authentication_error', code: 'UNAUTHENTICATED' });
    expect(failure.message).toContain(KEY);
  });

  it('is refused by the fake without a key, in Gemini’s error format', async () => {
    const res = await request(`${fake.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', body: '{}' });
    expect(geminiAdapter.parseError(res.statusCode, await res.body.text())).toMatchObject({ status: 403, type: 'authentication_error', code: 'PERMISSION_DENIED' });
  });

  it('lists models in Gemini’s format', async () => {
    const res = await request(`${fake.url}/v1beta/models`, { headers: { 'x-goog-api-key': KEY } });
    const list = (await res.body.json()) as { models: { name: string; supportedGenerationMethods: string[] }[] };
    expect(list.models.map((m) => m.name)).toContain('models/gemini-2.5-flash');
    expect(list.models.find((m) => m.name === 'models/text-embedding-004')?.supportedGenerationMethods).toContain('batchEmbedContents');
  });
});
