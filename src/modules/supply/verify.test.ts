import crypto from 'node:crypto';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_ANTHROPIC_MODELS, startFakeAnthropic } from '../../../test/fakes/anthropic-upstream.ts';
import { startFakeGemini } from '../../../test/fakes/gemini-upstream.ts';
import { FAKE_OPENAI_MODELS, startFakeOpenAi } from '../../../test/fakes/openai-upstream.ts';
import { CREDENTIAL_MARKERS, type FakeUpstream, type RecordedRequest, sendJson, startFakeServer } from '../../../test/fakes/upstream.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import type { SupplyProvider } from './supply.tables.ts';
import { createVerifier, type VerifierDeps, type VerifyInput, type VerifyResult } from './verify.ts';

// The verifier against the fake providers over real HTTP on 127.0.0.1: what it asks each provider (path, method, auth
// header), how every answer becomes check items, a verify status and a risk score, and that no character sequence of
// the credential ever comes back, even from a provider that quotes it.

const secrets = createSecretBox([crypto.randomBytes(32).toString('hex')]);
const SYMBOLS = '!#$%&*+=?^|~';
const ITEMS = ['reachability', 'authentication', 'model_access', 'quota', 'duplicate'];

/** A credential like the supply tests make: a marker, then symbols no check message contains. */
function credential(marker: keyof typeof CREDENTIAL_MARKERS | '' = ''): string {
  return `${marker ? CREDENTIAL_MARKERS[marker] : ''}${Array.from(crypto.randomBytes(40), (b) => SYMBOLS[b % SYMBOLS.length]).join('')}`;
}

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gemini: FakeUpstream;
let baseUrls: Record<string, string>;
const mounted = new Set<string>();
const verifiers: { close(): Promise<void> }[] = [];

function verifier(o: Partial<VerifierDeps> = {}) {
  const v = createVerifier({ secrets, providerBaseUrls: baseUrls, allowPrivateUpstreams: true, isMounted: async (f) => mounted.has(f), ...o });
  verifiers.push(v);
  return v;
}

beforeAll(async () => {
  [openai, anthropic, gemini] = await Promise.all([startFakeOpenAi(), startFakeAnthropic(), startFakeGemini()]);
  baseUrls = { openai: openai.url, anthropic: anthropic.url, gemini: gemini.url, baidu: openai.url, xfyun: openai.url, tencent: openai.url };
});
afterAll(async () => {
  await Promise.all(verifiers.map((v) => v.close()));
  await Promise.all([openai, anthropic, gemini].map((f) => f.close()));
});

/** Verifies, and checks what every result must satisfy: the five items in order, a score in range, no leak. */
async function verify(input: Partial<VerifyInput> & { credential: string }, o: Partial<VerifierDeps> = {}): Promise<VerifyResult> {
  const result = await verifier(o).verify({ provider: 'openai', accountType: 'api_key', ...input });
  expect(result.checkItems.map((c) => c.item)).toEqual(ITEMS);
  expect(result.riskScore).toBeGreaterThanOrEqual(0);
  expect(result.riskScore).toBeLessThanOrEqual(100);
  expect(result.fingerprint).toBe(secrets.fingerprint(input.credential));
  expectNoLeak(result, input.credential);
  return result;
}

function expectNoLeak(result: VerifyResult, secret: string) {
  const text = JSON.stringify(result);
  for (let i = 0; i + 4 <= secret.length; i += 1) expect(text).not.toContain(secret.slice(i, i + 4));
}

const item = (r: VerifyResult, name: string) => r.checkItems.find((c) => c.item === name) as VerifyResult['checkItems'][number];
const results = (r: VerifyResult) => Object.fromEntries(r.checkItems.map((c) => [c.item, c.result]));
const lastTo = (fake: FakeUpstream, path: string) => fake.requests.filter((q) => q.path === path).at(-1) as RecordedRequest;

describe('verify: an OpenAI key', () => {
  it('passes a working key, with its models and its balance', async () => {
    const key = credential();
    const r = await verify({ credential: key });
    expect(r).toMatchObject({ verifyStatus: 'pass', riskScore: 0, availableQuota: 120.5, models: FAKE_OPENAI_MODELS });
    expect(results(r)).toEqual({ reachability: 'pass', authentication: 'pass', model_access: 'pass', quota: 'pass', duplicate: 'pass' });
    expect(item(r, 'quota').message).toBe('OpenAI reports 120.5 USD remaining.');
    expect(item(r, 'model_access').message).toBe('2 models available to this credential.');
  });

  it('asks GET /v1/models and the legacy credit grants with a bearer key, without a body', async () => {
    const key = credential();
    await verify({ credential: key });
    for (const path of ['/v1/models', '/dashboard/billing/credit_grants']) {
      const req = lastTo(openai, path);
      expect(req).toMatchObject({ method: 'GET', body: undefined });
      expect(req.headers.authorization).toBe(`Bearer ${key}`);
      expect(req.headers['content-length']).toBeUndefined();
    }
  });

  it('passes a balance at or above the minimum quota threshold', async () => {
    const r = await verify({ credential: credential(), minQuotaThreshold: 100 });
    expect(r.verifyStatus).toBe('pass');
    expect(item(r, 'quota')).toEqual({ item: 'quota', result: 'pass', message: 'OpenAI reports 120.5 USD remaining (your minimum: 100).' });
  });

  it('asks for review when the balance is below the minimum quota threshold', async () => {
    const r = await verify({ credential: credential('lowBalance'), minQuotaThreshold: 10 });
    expect(r).toMatchObject({ verifyStatus: 'review_required', riskScore: 40, availableQuota: 1.25 });
    expect(item(r, 'quota')).toEqual({ item: 'quota', result: 'fail', message: 'OpenAI reports 1.25 USD remaining, below your minimum of 10.' });
  });

  it('rejects a key the provider refuses (401), though the provider quotes the key back', async () => {
    const r = await verify({ credential: credential('refused') });
    expect(r).toMatchObject({ verifyStatus: 'reject', riskScore: 100, models: null });
    expect(r.availableQuota).toBeUndefined();
    expect(results(r)).toEqual({ reachability: 'pass', authentication: 'fail', model_access: 'warn', quota: 'warn', duplicate: 'pass' });
    expect(item(r, 'authentication').message).toMatch(/^OpenAI refused the credential \(HTTP 401\)/);
  });

  it('asks for review when the key may use no model', async () => {
    const r = await verify({ credential: credential('noModels') });
    expect(r).toMatchObject({ verifyStatus: 'review_required', riskScore: 40, models: [] });
    expect(item(r, 'model_access')).toMatchObject({ result: 'warn', message: expect.stringContaining('lists no models') });
  });

  it('asks for review when the model list is rate-limited (429), still reporting the balance', async () => {
    const r = await verify({ credential: credential('throttled') });
    expect(r).toMatchObject({ verifyStatus: 'review_required', riskScore: 50, models: null, availableQuota: 120.5 });
    expect(results(r)).toEqual({ reachability: 'pass', authentication: 'warn', model_access: 'warn', quota: 'pass', duplicate: 'pass' });
    expect(item(r, 'authentication').message).toContain('rate-limiting this credential (HTTP 429)');
  });

  it('rejects a credential already mounted, without calling the provider', async () => {
    const key = credential();
    mounted.add(secrets.fingerprint(key));
    const before = openai.requests.length;
    const r = await verify({ credential: key });
    expect(openai.requests.length).toBe(before);
    expect(r).toMatchObject({ verifyStatus: 'reject', riskScore: 100, models: null });
    expect(item(r, 'duplicate')).toEqual({ item: 'duplicate', result: 'fail', message: expect.stringContaining('already mounted') });
    expect(results(r)).toMatchObject({ reachability: 'warn', authentication: 'warn', model_access: 'warn', quota: 'warn' });
  });

  it('asks for review of an OAuth account, which it cannot probe like a key, and says so', async () => {
    const before = openai.requests.length;
    const r = await verify({ credential: credential(), accountType: 'oauth' });
    expect(openai.requests.length).toBe(before);
    expect(r).toMatchObject({ verifyStatus: 'review_required', riskScore: 50, models: null });
    expect(item(r, 'reachability').message).toContain('OAuth grants cannot be verified');
    expect(results(r).duplicate).toBe('pass');
  });

  it('rejects a credential no header can carry, without calling the provider', async () => {
    const before = openai.requests.length;
    const r = await verify({ credential: `${credential()} ${credential()}` });
    expect(openai.requests.length).toBe(before);
    expect(r.verifyStatus).toBe('reject');
    expect(item(r, 'authentication').result).toBe('fail');
  });
});

describe('verify: each provider probed its own way', () => {
  it('anthropic: GET /v1/models?limit=1000 with x-api-key and anthropic-version; no balance reported', async () => {
    const key = credential();
    const r = await verify({ provider: 'anthropic', credential: key, minQuotaThreshold: 5 });
    const req = lastTo(anthropic, '/v1/models');
    expect(req.method).toBe('GET');
    expect(req.query.get('limit')).toBe('1000');
    expect(req.headers['x-api-key']).toBe(key);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers.authorization).toBeUndefined();
    expect(r).toMatchObject({ verifyStatus: 'pass', riskScore: 10, models: FAKE_ANTHROPIC_MODELS });
    expect(r.availableQuota).toBeUndefined();
    expect(item(r, 'quota')).toEqual({
      item: 'quota', result: 'warn',
      message: "Anthropic does not report a balance; watch the account's quota in Anthropic's console. Your minimum of 5 could not be checked.",
    });
  });

  it('gemini: GET /v1beta/models?pageSize=1000 with x-goog-api-key, ids without their models/ prefix', async () => {
    const key = credential();
    const r = await verify({ provider: 'gemini', credential: key });
    const req = lastTo(gemini, '/v1beta/models');
    expect(req.method).toBe('GET');
    expect(req.query.get('pageSize')).toBe('1000');
    expect(req.query.get('key')).toBeNull();
    expect(req.headers['x-goog-api-key']).toBe(key);
    expect(r).toMatchObject({ verifyStatus: 'pass', riskScore: 10, models: ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.0-flash', 'text-embedding-004'] });
  });

  it.each([
    ['baidu', '/v2/models'],
    ['xfyun', '/v1/models'],
    ['tencent', '/v1/models'],
  ] as [SupplyProvider, string][])('%s: GET %s with a bearer key, no balance asked', async (provider, path) => {
    const key = credential();
    const before = openai.requests.length;
    const r = await verify({ provider, credential: key });
    const asked = openai.requests.slice(before);
    expect(asked.map((q) => `${q.method} ${q.path}`)).toEqual([`GET ${path}`]);
    expect(asked[0]?.headers.authorization).toBe(`Bearer ${key}`);
    expect(r).toMatchObject({ verifyStatus: 'pass', riskScore: 10, models: FAKE_OPENAI_MODELS });
    expect(item(r, 'quota').result).toBe('warn');
  });

  it.each([
    ['anthropic', 'refused', 'reject', 401],
    ['gemini', 'refused', 'reject', 400],
    ['anthropic', 'throttled', 'review_required', 429],
    ['gemini', 'throttled', 'review_required', 429],
    ['baidu', 'refused', 'reject', 401],
  ] as const)('%s: a %s credential is a %s (HTTP %i)', async (provider, marker, status, http) => {
    const r = await verify({ provider, credential: credential(marker) });
    expect(r.verifyStatus).toBe(status);
    expect(r.models).toBeNull();
    expect(item(r, 'authentication').message).toContain(`HTTP ${http}`);
  });

  it.each(['anthropic', 'gemini'] as const)('%s: a credential that may use no model is reviewed', async (provider) => {
    // Gemini answers `{}` here: Google's JSON leaves the empty list out.
    const r = await verify({ provider, credential: credential('noModels') });
    expect(r).toMatchObject({ verifyStatus: 'review_required', models: [] });
    expect(item(r, 'model_access').result).toBe('warn');
  });
});

/** A provider answering every request with `answer`. */
async function provider(answer: (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>): Promise<FakeUpstream> {
  const fake = await startFakeServer(answer);
  onClose.push(fake);
  return fake;
}
const onClose: FakeUpstream[] = [];
afterAll(() => Promise.all(onClose.map((f) => f.close())));

describe('verify: transport and odd answers', () => {
  it('rejects a provider that never answers, within the deadline', async () => {
    const silent = await provider(() => undefined);
    const started = Date.now();
    const r = await verify({ credential: credential() }, { timeoutMs: 300, providerBaseUrls: { openai: silent.url } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r).toMatchObject({ verifyStatus: 'reject', riskScore: 90, models: null });
    expect(item(r, 'reachability')).toEqual({ item: 'reachability', result: 'fail', message: 'OpenAI did not answer within 0.3 s. Try again in a few minutes.' });
    expect(results(r)).toMatchObject({ authentication: 'warn', model_access: 'warn', quota: 'warn' });
  });

  it('rejects a provider that stalls in the middle of its answer', async () => {
    const stalling = await provider((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"object":"list","data":[');
    });
    const r = await verify({ credential: credential() }, { timeoutMs: 300, providerBaseUrls: { openai: stalling.url } });
    expect(r.verifyStatus).toBe('reject');
    expect(item(r, 'reachability').message).toContain('did not answer within');
  });

  it('rejects an endpoint nobody listens on', async () => {
    const gone = await startFakeServer(() => undefined);
    await gone.close();
    const r = await verify({ credential: credential() }, { providerBaseUrls: { openai: gone.url } });
    expect(r).toMatchObject({ verifyStatus: 'reject', riskScore: 90 });
    expect(item(r, 'reachability').message).toContain('Could not connect to OpenAI');
  });

  it('does not call an endpoint that resolves to a private address unless allowed', async () => {
    const before = openai.requests.length;
    const r = await verify({ credential: credential() }, { allowPrivateUpstreams: false, providerBaseUrls: { openai: openai.url.replace('127.0.0.1', 'localhost') } });
    expect(openai.requests.length).toBe(before);
    expect(r.verifyStatus).toBe('reject');
    expect(item(r, 'reachability').message).toContain('private network address');
    expect(item(r, 'reachability').message).toContain('ALLOW_PRIVATE_UPSTREAMS=true');
  });

  it.each([
    [503, 'had a server error (HTTP 503)'],
    [404, 'answered HTTP 404 to its model list'],
  ])('asks for review when the model list answers %i', async (status, says) => {
    const failing = await provider((_req, res) => sendJson(res, status, { error: { message: 'nope', type: 'server_error' } }));
    const r = await verify({ provider: 'tencent', credential: credential() }, { providerBaseUrls: { tencent: failing.url } });
    expect(r).toMatchObject({ verifyStatus: 'review_required', riskScore: 60 });
    expect(item(r, 'authentication')).toEqual({ item: 'authentication', result: 'warn', message: expect.stringContaining(`Not confirmed: Tencent Hunyuan ${says}.`) });
  });

  it('asks for review when a 200 is not a model list (a proxy page)', async () => {
    const proxy = await provider((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Welcome</html>');
    });
    const r = await verify({ provider: 'xfyun', credential: credential() }, { providerBaseUrls: { xfyun: proxy.url } });
    expect(r.verifyStatus).toBe('review_required');
    expect(item(r, 'authentication').message).toBe('Not confirmed: iFlytek Spark answered, but not with a model list.');
  });

  it('never repeats a credential the provider quotes, in an error or in its model list', async () => {
    const quoting = await provider((req, res) => {
      const key = String(req.headers.authorization).replace('Bearer ', '');
      if (req.path === '/dashboard/billing/credit_grants') return sendJson(res, 429, { error: { message: `Too many requests for ${key}`, type: key } });
      sendJson(res, 200, { object: 'list', data: [{ id: 'gpt-4o' }, { id: `ft:gpt-4o:${key.slice(3, 12)}` }, { id: key }] });
    });
    const key = credential();
    const r = await verify({ credential: key }, { providerBaseUrls: { openai: quoting.url } });
    expect(r.models).toEqual(['gpt-4o']);
    expect(r.verifyStatus).toBe('pass');
    expect(item(r, 'quota').message).toContain('did not report a balance');

    const refusing = await provider((req, res) =>
      sendJson(res, 403, { error: { message: `Key ${String(req.headers.authorization)} is disabled`, type: String(req.headers.authorization), code: 'key' } }),
    );
    const refused = await verify({ provider: 'baidu', credential: key }, { providerBaseUrls: { baidu: refusing.url } });
    expect(refused.verifyStatus).toBe('reject');
    expect(item(refused, 'authentication').message).toContain('HTTP 403');
  });
});
