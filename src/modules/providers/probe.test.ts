import { describe, expect, it } from 'vitest';
import { PROVIDERS, type ProviderName } from './catalog.ts';
import { ADAPTERS } from './registry.ts';

// Every adapter's probe (ProviderProbe in types.ts): the read-only requests supply verification sends, and how their
// answers are read. The verifier's own tests (supply/verify.test.ts) run them against the fake providers.

const KEY = 'sk-probe-0123456789abcdef';
const AZURE = 'https://tollgate-test.openai.azure.com';
const baseOf = (name: ProviderName) => PROVIDERS[name].defaultBaseUrl ?? AZURE;
const names = Object.keys(ADAPTERS) as ProviderName[];

describe('probe requests', () => {
  it.each([
    ['openai', 'https://api.openai.com/v1/models'],
    ['azure_openai', `${AZURE}/openai/models?api-version=2024-10-21`],
    ['anthropic', 'https://api.anthropic.com/v1/models?limit=1000'],
    ['gemini', 'https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000'],
    ['qwen', 'https://dashscope.aliyuncs.com/compatible-mode/v1/models'],
    ['baidu', 'https://qianfan.baidubce.com/v2/models'],
    ['xfyun', 'https://spark-api-open.xf-yun.com/v1/models'],
    ['tencent', 'https://api.hunyuan.cloud.tencent.com/v1/models'],
  ] as [ProviderName, string][])('%s lists its models with GET %s, no body', (name, url) => {
    const req = ADAPTERS[name].probe.models({ baseUrl: baseOf(name), credential: KEY });
    expect(req).toMatchObject({ method: 'GET', url });
    expect(req.body).toBeUndefined();
  });

  it.each(names)('%s authenticates its probe as it authenticates chat calls', (name) => {
    const target = { baseUrl: baseOf(name), credential: KEY };
    const chat = ADAPTERS[name].buildRequest('chat', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { ...target, model: 'm' }, false);
    const { 'content-type': _json, ...auth } = chat.headers;
    expect(ADAPTERS[name].probe.models(target).headers).toMatchObject(auth);
    expect(Object.values(auth)).toContainEqual(expect.stringContaining(KEY));
  });

  it('keeps an Azure endpoint’s own api-version', () => {
    const req = ADAPTERS.azure_openai.probe.models({ baseUrl: `${AZURE}/?api-version=2025-04-01-preview`, credential: KEY });
    expect(req.url).toBe(`${AZURE}/openai/models?api-version=2025-04-01-preview`);
    expect(req.headers['api-key']).toBe(KEY);
  });

  it('asks only OpenAI for a balance: the legacy credit grants, in US$', () => {
    expect(names.filter((n) => ADAPTERS[n].probe.balance)).toEqual(['openai']);
    const { probe } = ADAPTERS.openai;
    expect(probe.balance?.({ baseUrl: 'https://api.openai.com', credential: KEY })).toMatchObject({
      method: 'GET',
      url: 'https://api.openai.com/dashboard/billing/credit_grants',
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(probe.balanceCurrency).toBe('USD');
  });
});

describe('reading the answers', () => {
  const list = (body: unknown, status = 200) => (name: ProviderName) => ADAPTERS[name].probe.parseModels(status, JSON.stringify(body));

  it.each(['openai', 'baidu', 'anthropic'] as ProviderName[])('%s: the ids of `data`', (name) => {
    expect(list({ object: 'list', data: [{ id: 'a' }, { id: 'b' }, { name: 'no id' }], has_more: false })(name)).toEqual({ ok: true, models: ['a', 'b'] });
    expect(list({ object: 'list', data: [] })(name)).toEqual({ ok: true, models: [] });
  });

  it('gemini: the names of `models`, without their models/ prefix; `{}` is an empty list', () => {
    expect(list({ models: [{ name: 'models/gemini-2.5-pro' }, { name: 'models/text-embedding-004' }] })('gemini')).toEqual({ ok: true, models: ['gemini-2.5-pro', 'text-embedding-004'] });
    expect(list({})('gemini')).toEqual({ ok: true, models: [] });
  });

  it.each(names)('%s: a 2xx that is not a model list is a failure, not an empty list', (name) => {
    expect(ADAPTERS[name].probe.parseModels(200, '<html>proxy</html>')).toMatchObject({ status: 200, type: 'invalid_response' });
    expect(ADAPTERS[name].probe.parseModels(200, '[1, 2]')).toMatchObject({ type: 'invalid_response' });
  });

  it('reads a refusal the provider’s way', () => {
    const openai = ADAPTERS.openai.probe.parseModels(401, JSON.stringify({ error: { message: 'Incorrect API key', type: 'invalid_request_error', code: 'invalid_api_key' } }));
    expect(openai).toMatchObject({ status: 401, code: 'invalid_api_key' });
    const anthropic = ADAPTERS.anthropic.probe.parseModels(401, JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }));
    expect(anthropic).toMatchObject({ status: 401, type: 'authentication_error' });
    // Gemini answers a wrong key with a 400 whose details name the reason.
    const badKey = { error: { code: 400, message: 'API key not valid.', status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } };
    expect(ADAPTERS.gemini.probe.parseModels(400, JSON.stringify(badKey))).toMatchObject({ status: 400, type: 'authentication_error' });
  });

  it('reads OpenAI’s balance from `total_available` of a 2xx only', () => {
    const { probe } = ADAPTERS.openai;
    expect(probe.parseBalance?.(200, JSON.stringify({ object: 'credit_summary', total_granted: 18, total_used: 2.5, total_available: 15.5 }))).toBe(15.5);
    expect(probe.parseBalance?.(200, JSON.stringify({ total_available: '15.5' }))).toBeUndefined();
    expect(probe.parseBalance?.(200, 'not json')).toBeUndefined();
    expect(probe.parseBalance?.(403, JSON.stringify({ total_available: 15.5 }))).toBeUndefined();
  });
});
