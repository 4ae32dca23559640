import { describe, expect, it } from 'vitest';
import type { TranslateContext } from '../types.ts';
import { anthropicAdapter } from './index.ts';

const ctx: TranslateContext = { clientModel: 'claude-sonnet', responseId: 'chatcmpl-abc', created: 1_760_000_000, clientWantsUsage: false };

const message = (over: Record<string, unknown> = {}) => ({
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'Hello there.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  ...over,
});

describe('anthropic adapter: message → chat.completion', () => {
  it('answers with the client model, the gateway id and the text', () => {
    const { body, usage } = anthropicAdapter.parseResponse('chat', message(), ctx);
    expect(body).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1_760_000_000,
      model: 'claude-sonnet',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there.' }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
    });
    expect(usage).toEqual({ promptTokens: 12, completionTokens: 4 });
  });

  it('turns tool_use blocks into tool_calls with JSON-string arguments', () => {
    const content = [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
    ];
    const { body } = anthropicAdapter.parseResponse('chat', message({ content, stop_reason: 'tool_use' }), ctx);
    expect((body as { choices: unknown[] }).choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  it('gives null content when the model only calls tools, and ignores thinking blocks', () => {
    const content = [
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'tool_use', id: 'toolu_1', name: 'now', input: {} },
    ];
    const { body } = anthropicAdapter.parseResponse('chat', message({ content, stop_reason: 'tool_use' }), ctx);
    const msg = (body as { choices: Array<{ message: Record<string, unknown> }> }).choices[0]?.message;
    expect(msg?.content).toBeNull();
    expect(msg?.tool_calls).toEqual([{ id: 'toolu_1', type: 'function', function: { name: 'now', arguments: '{}' } }]);
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['something_new', 'stop'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finishReason) => {
    const { body } = anthropicAdapter.parseResponse('chat', message({ stop_reason: stopReason }), ctx);
    expect((body as { choices: Array<{ finish_reason: string }> }).choices[0]?.finish_reason).toBe(finishReason);
  });

  it('counts cache writes and reads as prompt tokens and reports the cached part', () => {
    const usage = { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 7 };
    const parsed = anthropicAdapter.parseResponse('chat', message({ usage }), ctx);
    expect(parsed.usage).toEqual({ promptTokens: 1110, completionTokens: 7 });
    expect((parsed.body as { usage: unknown }).usage).toEqual({
      prompt_tokens: 1110,
      completion_tokens: 7,
      total_tokens: 1117,
      prompt_tokens_details: { cached_tokens: 1000 },
    });
  });

  it('reports no usage when Anthropic sent none', () => {
    const parsed = anthropicAdapter.parseResponse('chat', message({ usage: undefined }), ctx);
    expect(parsed.usage).toBeUndefined();
    expect(parsed.body).not.toHaveProperty('usage');
  });

  it('returns a native Messages body unchanged, with its usage', () => {
    const body = message({ usage: { input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 2 } });
    const parsed = anthropicAdapter.parseResponse('messages', body, ctx);
    expect(parsed.body).toBe(body);
    expect(parsed.usage).toEqual({ promptTokens: 8, completionTokens: 2 });
  });
});

describe('anthropic adapter: error bodies → failures', () => {
  const errorBody = (type: string, msg: string) => JSON.stringify({ type: 'error', error: { type, message: msg }, request_id: 'req_1' });

  it.each([
    [400, 'invalid_request_error', 'invalid_request_error'],
    [401, 'authentication_error', 'authentication_error'],
    [402, 'billing_error', 'insufficient_quota'],
    [403, 'permission_error', 'permission_error'],
    [404, 'not_found_error', 'invalid_request_error'],
    [413, 'request_too_large', 'invalid_request_error'],
    [429, 'rate_limit_error', 'rate_limit_error'],
    [500, 'api_error', 'server_error'],
    [529, 'overloaded_error', 'server_error'],
  ])('keeps status %i and maps %s to the OpenAI type %s', (status, anthropicType, openAiType) => {
    expect(anthropicAdapter.parseError(status, errorBody(anthropicType, 'details'))).toEqual({
      status,
      message: 'details',
      type: openAiType,
      code: anthropicType,
    });
  });

  it('falls back to the HTTP status for an unknown error type', () => {
    expect(anthropicAdapter.parseError(503, errorBody('brand_new_error', 'later'))).toEqual({
      status: 503,
      message: 'later',
      type: 'server_error',
      code: 'brand_new_error',
    });
  });

  it('keeps a bounded piece of a non-JSON body as the message', () => {
    const html = `<html>${'x'.repeat(2000)}</html>`;
    const failure = anthropicAdapter.parseError(502, html);
    expect(failure).toMatchObject({ status: 502, type: 'server_error' });
    expect(failure.message.length).toBe(500);
    expect(failure).not.toHaveProperty('code');
  });

  it('says which status came back when the body is empty', () => {
    expect(anthropicAdapter.parseError(429, '')).toEqual({ status: 429, message: 'Anthropic answered HTTP 429', type: 'rate_limit_error' });
  });
});

describe('anthropic adapter: catalogue', () => {
  it('prices models in µ¥ per million tokens at 7.2 CNY per USD', () => {
    const sonnet = anthropicAdapter.models.find((m) => m.id === 'claude-sonnet-4-5');
    expect(sonnet?.price).toEqual({ input: 21_600_000n, output: 108_000_000n });
    const haiku = anthropicAdapter.models.find((m) => m.id === 'claude-3-5-haiku-latest');
    expect(haiku?.price).toEqual({ input: 5_760_000n, output: 28_800_000n });
    expect(anthropicAdapter.operations).toEqual(new Set(['chat', 'messages']));
  });
});
