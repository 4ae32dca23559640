import { describe, expect, it } from 'vitest';
import { azureOpenaiAdapter } from '../azure_openai/index.ts';
import { baiduAdapter } from '../baidu/index.ts';
import { PROVIDERS } from '../catalog.ts';
import { qwenAdapter } from '../qwen/index.ts';
import { tencentAdapter } from '../tencent/index.ts';
import type { Operation, ProviderAdapter, TranslateContext } from '../types.ts';
import { xfyunAdapter } from '../xfyun/index.ts';
import { openAiError } from './adapter.ts';
import { openaiAdapter } from './index.ts';
import { passthroughStream } from './stream.ts';
import { usageOf } from './usage.ts';

const KEY = 'sk-adapter-test-0123456789';
const ctx: TranslateContext = { clientModel: 'gpt-4o', responseId: 'chatcmpl-test1', created: 1_700_000_000, clientWantsUsage: false };
const target = (baseUrl: string, model = 'gpt-4o') => ({ baseUrl, credential: KEY, model });
const urlOf = (adapter: ProviderAdapter, op: Operation, baseUrl: string, model?: string) =>
  adapter.buildRequest(op, { model: model ?? 'm' }, target(baseUrl, model), false).url;

describe('OpenAI-compatible adapters: the URL of each call', () => {
  it.each([
    ['chat', 'https://api.openai.com/v1/chat/completions'],
    ['completions', 'https://api.openai.com/v1/completions'],
    ['embeddings', 'https://api.openai.com/v1/embeddings'],
    ['images', 'https://api.openai.com/v1/images/generations'],
  ] as const)('OpenAI %s → %s', (op, url) => {
    expect(urlOf(openaiAdapter, op, PROVIDERS.openai.defaultBaseUrl)).toBe(url);
  });

  it('puts Qianfan calls under /v2', () => {
    expect(urlOf(baiduAdapter, 'chat', PROVIDERS.baidu.defaultBaseUrl)).toBe('https://qianfan.baidubce.com/v2/chat/completions');
    expect(urlOf(baiduAdapter, 'embeddings', PROVIDERS.baidu.defaultBaseUrl)).toBe('https://qianfan.baidubce.com/v2/embeddings');
  });

  it('puts DashScope calls under compatible-mode/v1', () => {
    expect(urlOf(qwenAdapter, 'chat', PROVIDERS.qwen.defaultBaseUrl)).toBe('https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions');
    expect(urlOf(qwenAdapter, 'embeddings', PROVIDERS.qwen.defaultBaseUrl)).toBe('https://dashscope.aliyuncs.com/compatible-mode/v1/embeddings');
  });

  it('puts Spark and Hunyuan calls under /v1', () => {
    expect(urlOf(xfyunAdapter, 'chat', PROVIDERS.xfyun.defaultBaseUrl)).toBe('https://spark-api-open.xf-yun.com/v1/chat/completions');
    expect(urlOf(tencentAdapter, 'chat', PROVIDERS.tencent.defaultBaseUrl)).toBe('https://api.hunyuan.cloud.tencent.com/v1/chat/completions');
  });

  it('calls an Azure deployment named after the upstream model, with the default api-version', () => {
    expect(urlOf(azureOpenaiAdapter, 'chat', 'https://acme.openai.azure.com', 'prod-gpt4o')).toBe(
      'https://acme.openai.azure.com/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21',
    );
    expect(urlOf(azureOpenaiAdapter, 'embeddings', 'https://acme.openai.azure.com/', 'emb')).toBe(
      'https://acme.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21',
    );
    expect(urlOf(azureOpenaiAdapter, 'images', 'https://acme.openai.azure.com', 'dalle')).toBe(
      'https://acme.openai.azure.com/openai/deployments/dalle/images/generations?api-version=2024-10-21',
    );
  });

  it('takes the Azure api-version from the base URL\'s query, keeping the base URL\'s path', () => {
    expect(urlOf(azureOpenaiAdapter, 'chat', 'https://gw.example.com/azure/?api-version=2025-01-01-preview', 'gpt 4o')).toBe(
      'https://gw.example.com/azure/openai/deployments/gpt%204o/chat/completions?api-version=2025-01-01-preview',
    );
  });

  it('declares what each adapter can carry', () => {
    expect([...openaiAdapter.operations]).toEqual(['chat', 'completions', 'embeddings', 'images']);
    expect([...azureOpenaiAdapter.operations]).toEqual(['chat', 'completions', 'embeddings', 'images']);
    // `images` carries the studio's Wanx tasks (qwen/tasks.ts), not compatible mode's (it has no images endpoint).
    expect([...qwenAdapter.operations]).toEqual(['chat', 'completions', 'embeddings', 'images']);
    expect([...baiduAdapter.operations]).toEqual(['chat', 'embeddings']);
    expect([...xfyunAdapter.operations]).toEqual(['chat']);
    expect([...tencentAdapter.operations]).toEqual(['chat', 'embeddings']);
  });
});

describe('OpenAI-compatible adapters: headers and body', () => {
  it.each([openaiAdapter, qwenAdapter, baiduAdapter, xfyunAdapter, tencentAdapter])('$name sends the key as a bearer token', (adapter) => {
    const req = adapter.buildRequest('chat', { model: 'm' }, target('https://up.example.com'), false);
    expect(req.headers).toEqual({ 'content-type': 'application/json', authorization: `Bearer ${KEY}` });
  });

  it('sends an Azure key in api-key, not in authorization', () => {
    const req = azureOpenaiAdapter.buildRequest('chat', { model: 'm' }, target('https://acme.openai.azure.com'), false);
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'api-key': KEY });
  });

  it('sends the body as given, and the key nowhere but its header', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } };
    const req = openaiAdapter.buildRequest('chat', body, target('https://api.openai.com'), true);
    expect(JSON.parse(req.body)).toEqual(body);
    expect(req.body).not.toContain(KEY);
    expect(req.url).not.toContain(KEY);
  });
});

describe('parseResponse', () => {
  it('shows the client the model name it asked for, and reads chat usage', () => {
    const upstream = {
      id: 'chatcmpl-up', object: 'chat.completion', model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
    };
    const { body, usage } = openaiAdapter.parseResponse('chat', upstream, ctx);
    expect(body).toMatchObject({ id: 'chatcmpl-up', model: 'gpt-4o', choices: [{ message: { content: 'Hi' } }] });
    expect(usage).toEqual({ promptTokens: 11, completionTokens: 3 });
  });

  it('reads embeddings usage (prompt tokens only)', () => {
    const upstream = { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } };
    const { body, usage } = azureOpenaiAdapter.parseResponse('embeddings', upstream, { ...ctx, clientModel: 'text-embedding-3-small' });
    expect(body).toMatchObject({ model: 'text-embedding-3-small' });
    expect(usage).toEqual({ promptTokens: 8, completionTokens: 0 });
  });

  it('reads image usage reported as input and output tokens, and adds no model the upstream did not send', () => {
    const upstream = { created: 1, data: [{ b64_json: 'AAAA' }], usage: { input_tokens: 50, output_tokens: 4_160, total_tokens: 4_210 } };
    const { body, usage } = openaiAdapter.parseResponse('images', upstream, { ...ctx, clientModel: 'gpt-image-1' });
    expect(body).not.toHaveProperty('model');
    expect(usage).toEqual({ promptTokens: 50, completionTokens: 4_160 });
  });

  it('reports no usage when the upstream sent none', () => {
    const { usage } = openaiAdapter.parseResponse('images', { created: 1, data: [{ url: 'https://x.invalid/1.png' }] }, ctx);
    expect(usage).toBeUndefined();
    expect(openaiAdapter.parseResponse('chat', null, ctx).usage).toBeUndefined();
  });
});

describe('usageOf', () => {
  it.each([
    [{ prompt_tokens: 3, completion_tokens: 4 }, { promptTokens: 3, completionTokens: 4 }],
    [{ input_tokens: 3, output_tokens: 4 }, { promptTokens: 3, completionTokens: 4 }],
    [{ prompt_tokens: 3 }, { promptTokens: 3, completionTokens: 0 }],
    [{ total_tokens: 9 }, { promptTokens: 9, completionTokens: 0 }],
    [{ prompt_tokens: 2.7, completion_tokens: -1 }, { promptTokens: 2, completionTokens: 0 }],
  ])('reads %j as %j', (raw, expected) => {
    expect(usageOf(raw)).toEqual(expected);
  });

  it.each([null, undefined, 'usage', {}, { prompt_tokens: 'many' }])('reads %j as no usage', (raw) => {
    expect(usageOf(raw)).toBeUndefined();
  });
});

describe('passthroughStream', () => {
  const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta, finish_reason: null }], ...extra });
  const usageChunk = JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } });

  it('forwards each data string byte for byte, without re-serialising it', () => {
    const t = passthroughStream(ctx);
    const odd = '{"id":"x",  "choices":[{"index":0,"delta":{"content":"caf\\u00e9"}}], "model":"upstream-name"}';
    const out = t.push({ data: odd });
    expect(out).toEqual([{ data: odd }]);
    expect(out[0]?.data).toBe(odd);
    const withNullUsage = chunk({ content: 'a' }, { usage: null });
    expect(t.push({ data: withNullUsage })).toEqual([{ data: withNullUsage }]);
  });

  it('reads usage and errors written with spaces around the colon, as some compatible upstreams write them', () => {
    const t = passthroughStream(ctx);
    expect(t.push({ data: chunk({ content: 'a' }, { usage: null }).replace('"usage":null', '"usage" : null') })).toHaveLength(1);
    expect(t.push({ data: '{"id":"x","choices":[], "usage" : {"prompt_tokens": 4, "completion_tokens": 1}}' })).toEqual([]);
    expect(t.usage()).toEqual({ promptTokens: 4, completionTokens: 1 });
    const failing = passthroughStream(ctx);
    expect(failing.push({ data: '{"error" : {"message":"bad key sk-live-123"}}' })).toEqual([]);
    expect(failing.error?.()).toMatchObject({ message: 'bad key sk-live-123' });
  });

  it('drops [DONE]: the relay writes its own', () => {
    const t = passthroughStream(ctx);
    expect(t.push({ data: '[DONE]' })).toEqual([]);
    expect(t.end()).toEqual([]);
  });

  it('strips the usage-only chunk the gateway asked for, but keeps its usage', () => {
    const t = passthroughStream(ctx);
    t.push({ data: chunk({ content: 'Hi' }) });
    expect(t.push({ data: usageChunk })).toEqual([]);
    expect(t.usage()).toEqual({ promptTokens: 7, completionTokens: 2 });
  });

  it('keeps the usage-only chunk when the client asked for usage itself', () => {
    const t = passthroughStream({ ...ctx, clientWantsUsage: true });
    expect(t.push({ data: usageChunk })).toEqual([{ data: usageChunk }]);
    expect(t.usage()).toEqual({ promptTokens: 7, completionTokens: 2 });
  });

  it('forwards a content chunk that also carries usage, and reads it', () => {
    const t = passthroughStream(ctx);
    const last = chunk({ content: '!' }, { usage: { prompt_tokens: 5, completion_tokens: 6 } });
    expect(t.push({ data: last })).toEqual([{ data: last }]);
    expect(t.usage()).toEqual({ promptTokens: 5, completionTokens: 6 });
  });

  it('reports no usage when the upstream sent none', () => {
    const t = passthroughStream(ctx);
    t.push({ data: chunk({ content: 'Hi' }) });
    t.push({ data: '[DONE]' });
    expect(t.usage()).toBeUndefined();
  });

  it('turns an error chunk into error() and sends nothing of it', () => {
    const t = passthroughStream(ctx);
    t.push({ data: chunk({ content: 'Hal' }) });
    const out = t.push({ data: JSON.stringify({ error: { message: 'The server had an error', type: 'server_error', code: 'overloaded' } }) });
    expect(out).toEqual([]);
    expect(t.error?.()).toEqual({ status: 502, message: 'The server had an error', type: 'server_error', code: 'overloaded' });
  });

  it('fills in an error chunk\'s missing message and type', () => {
    const t = passthroughStream(ctx);
    t.push({ data: '{"error":{}}' });
    expect(t.error?.()).toMatchObject({ status: 502, message: 'upstream stream error', type: 'upstream_error' });
  });

  it('treats an event named `error` as an error whatever its data holds, and sends nothing of it', () => {
    const t = passthroughStream(ctx);
    expect(t.push({ event: 'error', data: '{"message":"key sk-abc was refused","code":"invalid_api_key"}' })).toEqual([]);
    expect(t.error?.()).toEqual({ status: 502, message: 'key sk-abc was refused', type: 'upstream_error', code: 'invalid_api_key' });
    const u = passthroughStream(ctx);
    expect(u.push({ event: 'error', data: 'not json at all' })).toEqual([]);
    expect(u.error?.()).toMatchObject({ message: 'upstream stream error' });
  });

  it('drops an unreadable chunk that names an error instead of relaying it', () => {
    const t = passthroughStream(ctx);
    expect(t.push({ data: '{"error": {"message": "sk-abc' })).toEqual([]);
    expect(t.error?.()).toMatchObject({ status: 502, message: 'upstream stream error' });
  });

  it('has no error for a healthy stream, and forwards a chunk that is not JSON', () => {
    const t = passthroughStream(ctx);
    expect(t.push({ data: 'not json "usage"' })).toEqual([{ data: 'not json "usage"' }]);
    expect(t.error?.()).toBeUndefined();
  });

  it('collects the generated text for the tokenizer fallback: content, completion text and tool arguments', () => {
    const t = passthroughStream(ctx);
    t.push({ data: chunk({ role: 'assistant', content: '' }) });
    t.push({ data: chunk({ content: 'Hello' }) });
    t.push({ data: chunk({ content: ' world' }) });
    t.push({ data: JSON.stringify({ id: 'cmpl', object: 'text_completion', choices: [{ index: 0, text: ', again' }] }) });
    t.push({ data: chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }) });
    expect(t.text()).toBe('Hello world, again{"city":"Paris"}');
  });

  it('collects the text as text, not as its JSON escapes', () => {
    const t = passthroughStream(ctx);
    t.push({ data: '{"choices":[{"index":0,"delta":{"content":"\\u4f60\\u597d"}}]}' });
    t.push({ data: chunk({ content: 'line\nbreak "quoted"' }) });
    expect(t.text()).toBe('你好line\nbreak "quoted"');
  });

  it('keeps the whole text of a long stream without usage, read in parts as the kept chunks grow, and asked for twice', () => {
    const t = passthroughStream(ctx);
    const word = 'toll'.repeat(500);
    for (let i = 0; i < 400; i += 1) t.push({ data: chunk({ content: `${word}${i} ` }) });
    const expected = Array.from({ length: 400 }, (_, i) => `${word}${i} `).join('');
    expect(t.text()).toBe(expected);
    t.push({ data: chunk({ content: 'end' }) });
    expect(t.text()).toBe(`${expected}end`);
  });

  it('collects text from upstreams that put a space after the colon', () => {
    const t = passthroughStream(ctx);
    t.push({ data: '{"choices": [{"index": 0, "delta": {"content": "spaced out"}}]}' });
    expect(t.text()).toBe('spaced out');
  });
});

describe('openAiError', () => {
  it('reads OpenAI\'s {error:{message,type,code}}', () => {
    const body = JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null } });
    expect(openAiError(429, body)).toEqual({ status: 429, message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it('fills in what an OpenAI-shaped error leaves out', () => {
    expect(openAiError(500, JSON.stringify({ error: { code: null } }))).toEqual({ status: 500, message: 'upstream answered 500', type: 'upstream_error', code: undefined });
  });

  it('reads an error given as a string', () => {
    expect(openAiError(404, '{"error":"model not found"}')).toEqual({ status: 404, message: 'model not found', type: 'upstream_error' });
  });

  it('reads a bare {message}', () => {
    expect(openAiError(400, '{"message":"bad request: messages is empty","code":"InvalidParameter"}')).toEqual({
      status: 400, message: 'bad request: messages is empty', type: 'upstream_error',
    });
  });

  it('keeps a short excerpt of an HTML page', () => {
    const html = `<html><head><title>502 Bad Gateway</title></head><body>${'x'.repeat(500)}</body></html>`;
    const failure = openAiError(502, html);
    expect(failure).toMatchObject({ status: 502, type: 'upstream_error' });
    expect(failure.message).toBe(`upstream answered 502: ${html.slice(0, 200)}`);
  });

  it.each(['', 'null', '42', '[]'])('keeps an excerpt of a body with no error in it: %j', (text) => {
    expect(openAiError(503, text)).toEqual({ status: 503, message: `upstream answered 503: ${text}`, type: 'upstream_error' });
  });
});
