import { describe, expect, it } from 'vitest';
import { geminiAdapter } from './index.ts';

const ctx = { clientModel: 'my-gemini', responseId: 'chatcmpl-abc123', created: 1_700_000_000, clientWantsUsage: false };

const answer = (parts: unknown[], finishReason = 'STOP', usageMetadata: unknown = { promptTokenCount: 10, candidatesTokenCount: 7, totalTokenCount: 17 }) => ({
  candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
  usageMetadata,
  modelVersion: 'gemini-2.5-flash',
});

describe('gemini chat response', () => {
  it('becomes a chat.completion under the client model name, id and time', () => {
    const { body, usage } = geminiAdapter.parseResponse('chat', answer([{ text: 'Hello ' }, { text: 'world' }]), ctx);
    expect(body).toEqual({
      id: 'chatcmpl-abc123',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'my-gemini',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 10, completion_tokens: 7, total_tokens: 17 },
    });
    expect(usage).toEqual({ promptTokens: 10, completionTokens: 7 });
  });

  it('bills thinking tokens as completion tokens and reports them as reasoning tokens', () => {
    const meta = { promptTokenCount: 10, candidatesTokenCount: 7, thoughtsTokenCount: 30, totalTokenCount: 47 };
    const { body, usage } = geminiAdapter.parseResponse('chat', answer([{ text: 'ok' }], 'STOP', meta), ctx);
    expect(usage).toEqual({ promptTokens: 10, completionTokens: 37 });
    expect((body as { usage: unknown }).usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 37,
      total_tokens: 47,
      completion_tokens_details: { reasoning_tokens: 30 },
    });
  });

  it('leaves thought summaries out of the answer text', () => {
    const { body } = geminiAdapter.parseResponse('chat', answer([{ text: 'Let me think…', thought: true }, { text: '42' }]), ctx);
    expect((body as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('42');
  });

  it('turns function calls into tool_calls with generated ids and JSON-string arguments', () => {
    const parts = [
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
      { functionCall: { name: 'get_time', args: {} } },
    ];
    const { body } = geminiAdapter.parseResponse('chat', answer(parts), ctx);
    expect((body as { choices: unknown[] }).choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: 'call_abc123_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_abc123_1', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['OTHER', 'stop'],
  ])('maps finishReason %s to %s', (reason, expected) => {
    const { body } = geminiAdapter.parseResponse('chat', answer([{ text: 'x' }], reason), ctx);
    expect((body as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason).toBe(expected);
  });

  it('answers a blocked prompt (no candidates) with an empty content_filter choice', () => {
    const blocked = { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } };
    const { body, usage } = geminiAdapter.parseResponse('chat', blocked, ctx);
    expect((body as { choices: unknown[] }).choices).toEqual([
      { index: 0, message: { role: 'assistant', content: '', refusal: null }, finish_reason: 'content_filter', logprobs: null },
    ]);
    expect(usage).toEqual({ promptTokens: 5, completionTokens: 0 });
  });

  it('reports no usage when Gemini sent none, so the gateway counts with its tokenizer', () => {
    const { usageMetadata: _omitted, ...bare } = answer([{ text: 'x' }]);
    const { body, usage } = geminiAdapter.parseResponse('chat', bare, ctx);
    expect(usage).toBeUndefined();
    expect(body).not.toHaveProperty('usage');
  });
});

describe('gemini embeddings response', () => {
  it('becomes an OpenAI embedding list without usage', () => {
    const { body, usage } = geminiAdapter.parseResponse('embeddings', { embeddings: [{ values: [0.1, 0.2] }, { values: [0.3, 0.4] }] }, ctx);
    expect(body).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
        { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
      ],
      model: 'my-gemini',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
    expect(usage).toBeUndefined();
  });
});

describe('gemini errors', () => {
  const body = (code: number, status: string, message = 'nope') => JSON.stringify({ error: { code, message, status } });

  it.each([
    [400, 'INVALID_ARGUMENT', 'invalid_request_error'],
    [403, 'PERMISSION_DENIED', 'authentication_error'],
    [401, 'UNAUTHENTICATED', 'authentication_error'],
    [429, 'RESOURCE_EXHAUSTED', 'rate_limit_error'],
    [500, 'INTERNAL', 'upstream_error'],
    [503, 'UNAVAILABLE', 'upstream_error'],
  ])('maps %i %s to %s', (status, name, type) => {
    expect(geminiAdapter.parseError(status, body(status, name))).toEqual({ status, message: 'nope', type, code: name });
  });

  it('treats a 400 API_KEY_INVALID as the credential failing, not the request', () => {
    const text = JSON.stringify({
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      },
    });
    expect(geminiAdapter.parseError(400, text)).toMatchObject({ status: 400, type: 'authentication_error', code: 'INVALID_ARGUMENT' });
  });

  it('reads errors wrapped in an array', () => {
    expect(geminiAdapter.parseError(429, `[${body(429, 'RESOURCE_EXHAUSTED', 'quota')}]`)).toMatchObject({ message: 'quota', type: 'rate_limit_error' });
  });

  it('keeps a short excerpt of a non-JSON body and types it by HTTP status', () => {
    const failure = geminiAdapter.parseError(502, `<html>${'x'.repeat(1000)}</html>`);
    expect(failure.type).toBe('upstream_error');
    expect(failure.message.startsWith('Gemini answered 502: <html>')).toBe(true);
    expect(failure.message.length).toBeLessThan(250);
    expect(geminiAdapter.parseError(429, '')).toEqual({ status: 429, message: 'Gemini answered 429', type: 'rate_limit_error' });
  });
});
