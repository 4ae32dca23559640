import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_ANTHROPIC_MODELS, FAKE_TOOL_INPUT, startFakeAnthropic } from '../../../../test/fakes/anthropic-upstream.ts';
import { type FakeUpstream, replyWords, sendJson, startFakeServer, startSse, writeSse } from '../../../../test/fakes/upstream.ts';
import { chatStreamToMessages, chatToMessage } from './inbound.ts';

// The official SDK as the judge of wire format: it must accept the fake's answers (so the fake speaks Anthropic) and
// the inbound translators' output (so Anthropic clients of the gateway get what they expect). The model is one the SDK
// does not list as deprecated: for those it prints a warning on every call.

const weatherTool = { name: 'weather', description: 'Current weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } };

describe('the fake Anthropic, as seen by the official SDK', () => {
  let fake: FakeUpstream;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = new Anthropic({ apiKey: 'sk-ant-sdk', baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.close());

  it('creates a message', async () => {
    const message = await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: 'hello sdk' }] });
    expect(message.content).toEqual([{ type: 'text', text: replyWords('hello sdk').join(' ') }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 2, output_tokens: 12 });
    // The SDK pins its own, newer anthropic-version; the fake only insists that one is sent.
    expect(fake.requests.at(-1)?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('streams a message with a tool call that the SDK accumulates into the final message', async () => {
    const stream = client.messages.stream({
      model: 'claude-opus-4-1',
      max_tokens: 64,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'weather? [[tool]]' }],
    });
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toMatchObject({ type: 'text', text: replyWords('weather? [[tool]]', 4).join(' ') });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'weather', input: FAKE_TOOL_INPUT });
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('raises the SDK\'s typed errors for Anthropic error bodies', async () => {
    const ask = (content: string) => client.messages.create({ model: 'claude-opus-4-1', max_tokens: 8, messages: [{ role: 'user', content }] });
    await expect(ask('[[status:429]]')).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    await expect(ask('[[echo-key]]')).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    await expect(ask('[[status:529]]')).rejects.toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error' } } });
  });

  it('raises an in-stream error event as an SDK error', async () => {
    const stream = client.messages.stream({ model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: '[[stream-error]]' }] });
    await expect(stream.finalMessage()).rejects.toMatchObject({ error: { error: { type: 'overloaded_error' } } });
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(FAKE_ANTHROPIC_MODELS);
  });
});

describe('inbound translation output, as seen by the official SDK', () => {
  const completion = {
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'On it.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 },
  };
  const chunks = [
    { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { content: 'On ' }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { content: 'it.' }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"ci' } }] }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Oslo"}' } }] }, finish_reason: null }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
    { choices: [], usage: { prompt_tokens: 30, completion_tokens: 9, total_tokens: 39 } },
  ];

  let gateway: FakeUpstream;
  let client: Anthropic;
  beforeAll(async () => {
    // Stands in for the gateway's /v1/messages route in front of an OpenAI-format upstream.
    gateway = await startFakeServer((req, res) => {
      if (!(req.body as { stream?: boolean }).stream) return sendJson(res, 200, chatToMessage(completion, 'claude-opus-4-1', 'msg_gw'));
      startSse(res);
      const translator = chatStreamToMessages({ clientModel: 'claude-opus-4-1', responseId: 'msg_gw', estimatedInputTokens: 28 });
      for (const e of [...chunks.flatMap((c) => translator.push(c)), ...translator.end()]) writeSse(res, e.data, e.event);
      res.end();
    });
    client = new Anthropic({ apiKey: 'sk-gw', baseURL: gateway.url, maxRetries: 0 });
  });
  afterAll(() => gateway.close());

  const expected = {
    id: 'msg_gw',
    model: 'claude-opus-4-1',
    content: [
      { type: 'text', text: 'On it.' },
      { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } },
    ],
    stop_reason: 'tool_use',
    usage: { input_tokens: 30, output_tokens: 9 },
  };

  it('reads a translated message', async () => {
    const message = await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: 'x' }] });
    expect(message).toMatchObject(expected);
  });

  it('accumulates a translated stream into the same message', async () => {
    const stream = client.messages.stream({ model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: 'x' }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    expect(await stream.finalMessage()).toMatchObject(expected);
    expect(texts.join('')).toBe('On it.');
  });
});
