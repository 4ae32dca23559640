import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { countTokens, promptText } from '../../metering/tokens.ts';
import { openaiAdapter } from '../openai/index.ts';
import type { SseEvent } from '../types.ts';
import { DEMO_MODEL_ID, DEMO_ORIGIN, createDemoUpstream } from './index.ts';

// The demo upstream on the wire, as the upstream client hands it a request: OpenAI's chat completions format (JSON and
// SSE), tool calls, usage by the project's tokenizer, OpenAI-format errors, and the abort signal.

const demo = createDemoUpstream({ now: () => 1_700_000_123_456, random: () => 'fixedid' });
const URL_ = `${DEMO_ORIGIN}/v1/chat/completions`;
const live = () => new AbortController().signal;

async function post(body: unknown, signal = live()) {
  const res = await demo.answer({ url: URL_, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }, signal);
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

async function events(body: Record<string, unknown>): Promise<string[]> {
  const res = await post({ ...body, stream: true });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
  const out: string[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e.data) });
  parser.feed(res.text);
  return out;
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: DEMO_MODEL_ID, messages: [{ role: 'user', content }], ...extra });
const WEATHER = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

describe('the demo upstream, non-streamed', () => {
  it('answers a chat.completion with a labelled reply and usage counted by the tokenizer', async () => {
    const body = chat('hello demo');
    const res = await post(body);
    expect(res.status).toBe(200);
    const json = JSON.parse(res.text);
    const content = "This is Tollgate's built-in demo upstream (model tollgate-demo, free). You said: “hello demo”. Add a real upstream in the console under Operator → Channels.";
    expect(json).toEqual({
      id: 'chatcmpl-demofixedid', object: 'chat.completion', created: 1_700_000_123, model: DEMO_MODEL_ID,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: await countTokens(promptText(body)), completion_tokens: await countTokens(content), total_tokens: expect.any(Number) },
    });
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
  });

  it('stops at max_tokens with finish_reason length, and answers n choices counted n times', async () => {
    const cut = JSON.parse((await post(chat('hi', { max_tokens: 5 }))).text);
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage.completion_tokens).toBeLessThanOrEqual(5);
    expect(await countTokens(cut.choices[0].message.content)).toBe(cut.usage.completion_tokens);
    const one = JSON.parse((await post(chat('hi'))).text);
    const three = JSON.parse((await post(chat('hi', { n: 3 }))).text);
    expect(three.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
    expect(three.usage.completion_tokens).toBe(3 * one.usage.completion_tokens);
  });

  it('answers a request with tools with one tool call and finish_reason tool_calls', async () => {
    const json = JSON.parse((await post(chat('weather?', { tools: [WEATHER] }))).text);
    expect(json.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call-demofixedid', type: 'function', function: { name: 'get_weather', arguments: '{"city":"demo city"}' } }] },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    expect(json.usage.completion_tokens).toBe((await countTokens('get_weather')) + (await countTokens('{"city":"demo city"}')));
  });
});

describe('the demo upstream, streamed', () => {
  it('streams chat.completion.chunk events that add up to the non-streamed reply, then [DONE]', async () => {
    const data = await events(chat('stream me'));
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    expect(chunks.at(-1).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.length).toBeGreaterThan(10);
    const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    expect(text).toBe(JSON.parse((await post(chat('stream me'))).text).choices[0].message.content);
    // Without include_usage OpenAI sends no usage field at all.
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('sends usage: null on every chunk and a final usage-only chunk when include_usage is asked', async () => {
    const data = await events(chat('count me', { stream_options: { include_usage: true } }));
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const last = chunks.at(-1);
    expect(last).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) } });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(last.usage).toEqual(JSON.parse((await post(chat('count me'))).text).usage);
  });

  it('streams a tool call as an id and name first, then argument fragments that join to the arguments', async () => {
    const data = await events(chat('weather?', { tools: [WEATHER] }));
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', tool_calls: [{ index: 0, id: 'call-demofixedid', type: 'function', function: { name: 'get_weather', arguments: '' } }] });
    const args = chunks.slice(1, -1).map((c) => c.choices[0].delta.tool_calls[0].function.arguments).join('');
    expect(JSON.parse(args)).toEqual({ city: 'demo city' });
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
  });
});

describe('the demo upstream through the openai adapter', () => {
  it('is read by the adapter as any OpenAI upstream: model renamed, usage reported, stream passed through', async () => {
    const target = { baseUrl: DEMO_ORIGIN, credential: 'unused', model: DEMO_MODEL_ID };
    const ctx = { clientModel: DEMO_MODEL_ID, responseId: 'chatcmpl-x', created: 1, clientWantsUsage: false };
    const built = openaiAdapter.buildRequest('chat', chat('adapter check', { max_tokens: 50 }), target, false);
    const res = await demo.answer(built, live());
    const parsed = openaiAdapter.parseResponse('chat', JSON.parse(await res.body.text()), ctx);
    expect(parsed.usage).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number) });

    const streamed = await demo.answer(openaiAdapter.buildRequest('chat', chat('adapter check', { stream: true, stream_options: { include_usage: true } }), target, true), live());
    const translator = openaiAdapter.streamTranslator('chat', ctx);
    const forwarded: SseEvent[] = [];
    const parser = createParser({ onEvent: (e) => forwarded.push(...translator.push({ event: e.event, data: e.data })) });
    for await (const chunk of streamed.body) parser.feed(Buffer.from(chunk as Buffer).toString('utf8'));
    expect(translator.usage()).toEqual(parsed.usage);
    // The usage-only chunk the gateway asked for is dropped for a client that did not ask.
    expect(forwarded.some((e) => e.data.includes('"choices":[]'))).toBe(false);
  });
});

describe('the demo upstream refusing what OpenAI refuses', () => {
  const error = (text: string) => JSON.parse(text).error;

  it.each([
    ['a body that is not JSON', '{"model": ', null],
    ['a body that is not an object', '[1,2]', null],
    ['no messages', { model: DEMO_MODEL_ID, messages: [] }, 'messages'],
    ['a message without a known role', { model: DEMO_MODEL_ID, messages: [{ role: 'robot', content: 'x' }] }, 'messages.[0].role'],
    ['a tool message without tool_call_id', { model: DEMO_MODEL_ID, messages: [{ role: 'tool', content: 'x' }] }, 'messages.[0].tool_call_id'],
    ['a max_tokens of 0', chat('x', { max_tokens: 0 }), 'max_tokens'],
    ['an n of 129', chat('x', { n: 129 }), 'n'],
    ['a tool without a valid name', chat('x', { tools: [{ type: 'function', function: { name: 'has space' } }] }), 'tools.[0].function.name'],
    ['no model', { messages: [{ role: 'user', content: 'x' }] }, 'model'],
  ])('answers 400 invalid_request_error to %s', async (_name, body, param) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(error(res.text)).toEqual({ message: expect.any(String), type: 'invalid_request_error', param, code: null });
  });

  it('answers 404 model_not_found for another model, and 404 for another path or method', async () => {
    const other = await post({ ...chat('x'), model: 'gpt-4o' });
    expect(other.status).toBe(404);
    expect(error(other.text)).toMatchObject({ code: 'model_not_found', param: 'model' });
    const path = await demo.answer({ url: `${DEMO_ORIGIN}/v1/embeddings`, headers: {}, body: '{}' }, live());
    expect(path.statusCode).toBe(404);
    expect(error(await path.body.text())).toMatchObject({ message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error' });
    expect((await demo.answer({ method: 'GET', url: `${DEMO_ORIGIN}/v1/chat/completions`, headers: {} }, live())).statusCode).toBe(404);
  });
});

describe('the demo upstream and the abort signal', () => {
  it('refuses a request whose signal is already aborted with an AbortError', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(demo.answer({ url: URL_, headers: {}, body: JSON.stringify(chat('x')) }, ctl.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('ends a body being read with an AbortError when the signal aborts', async () => {
    const ctl = new AbortController();
    const res = await demo.answer({ url: URL_, headers: {}, body: JSON.stringify(chat('a long stream', { stream: true })) }, ctl.signal);
    const read = (async () => {
      let chunks = 0;
      for await (const _chunk of res.body) {
        chunks += 1;
        if (chunks === 1) ctl.abort();
      }
      return chunks;
    })();
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
  });
});
