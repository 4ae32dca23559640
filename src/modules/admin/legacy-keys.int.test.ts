import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { channels } from '../routing/channels.tables.ts';

// Upstream keys (platform channels) through the legacy /1/keys endpoints.

const LEGACY_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/;
const upstreamKey = () => `sk-${crypto.randomBytes(36).toString('base64url')}`;

describe.each(DB_TIERS)('legacy /1/keys on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;

  const addKey = (payload: Record<string, unknown>) => t.request({ method: 'POST', url: '/1/keys', headers: admin, payload });
  const listKeys = async () => (await t.request({ method: 'GET', url: '/1/keys', headers: admin })).json();

  beforeAll(async () => {
    t = await startTestApp(tier);
    admin = bearer((await initRoot(t)).token);
  });
  afterAll(() => t?.close());

  describe('POST /1/keys', () => {
    it('stores a key and answers with "****", our own key_hint and ApiType defaulting to openai', async () => {
      const key = upstreamKey();
      const res = await addKey({ key, name: 'key' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        id: expect.any(Number),
        key: '****',
        key_hint: expect.stringMatching(/^fp_[0-9a-f]{12}$/),
        name: 'key',
        ApiType: 'openai',
        endpoint: '',
        createdAt: expect.stringMatching(LEGACY_TIME),
        updatedAt: expect.stringMatching(LEGACY_TIME),
      });
      expect(res.body).not.toContain(key.slice(3, 11));
      const [row] = await t.database.db.select().from(channels).where(eq(channels.id, body.id));
      expect(row).toMatchObject({ name: 'key', provider: 'openai', baseUrl: null, enabled: true, deletedAt: null });
      expect(Date.parse(body.createdAt)).toBe(row?.createdAt.getTime());
    });

    it('accepts the spec request verbatim, with an empty endpoint', async () => {
      const res = await addKey({ key: upstreamKey(), name: 'spec', api_type: 'openai', endpoint: '' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ key: '****', name: 'spec', ApiType: 'openai', endpoint: '' });
    });

    it.each([
      ['https://my-resource.openai.azure.com/v1', 'https://my-resource.openai.azure.com'],
      ['https://my-resource2.openai.azure.com/v1/', 'https://my-resource2.openai.azure.com'],
      ['https://proxy.example.com/openai/v1', 'https://proxy.example.com/openai'],
      ['https://proxy.example.com/', 'https://proxy.example.com'],
      ['http://127.0.0.1:9999/v1', 'http://127.0.0.1:9999'],
    ])('normalises endpoint %s to %s', async (endpoint, expected) => {
      const res = await addKey({ key: upstreamKey(), name: 'azure', api_type: 'azure_openai', endpoint });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ ApiType: 'azure_openai', endpoint: expected });
      const [row] = await t.database.db.select().from(channels).where(eq(channels.id, res.json().id));
      expect(row?.baseUrl).toBe(expected);
    });

    it('accepts the other providers as api_type', async () => {
      for (const apiType of ['anthropic', 'gemini', 'qwen', 'baidu', 'xfyun', 'tencent']) {
        const res = await addKey({ key: upstreamKey(), name: apiType, api_type: apiType });
        expect(res.statusCode, apiType).toBe(200);
        expect(res.json().ApiType).toBe(apiType);
      }
    });

    it('answers 409 when the same upstream key is added twice, and writes nothing', async () => {
      const key = upstreamKey();
      expect((await addKey({ key, name: 'first' })).statusCode).toBe(200);
      const before = await listKeys();
      const again = await addKey({ key: ` ${key} `, name: 'second', api_type: 'anthropic' });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toEqual({ error: 'This key is already configured' });
      expect(await listKeys()).toEqual(before);
    });

    it('lets exactly one of two concurrent adds of the same key succeed', async () => {
      const key = upstreamKey();
      const results = await Promise.all([addKey({ key, name: 'race-a' }), addKey({ key, name: 'race-b' })]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    });

    it('answers 400 to azure_openai without an endpoint', async () => {
      for (const payload of [{ api_type: 'azure_openai' }, { api_type: 'azure_openai', endpoint: '' }]) {
        const res = await addKey({ key: upstreamKey(), name: 'az', ...payload });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ error: 'endpoint is required for api_type azure_openai' });
      }
    });

    it('answers 400 to an unknown api_type', async () => {
      const res = await addKey({ key: upstreamKey(), name: 'x', api_type: 'claude2api' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: expect.stringMatching(/^Invalid request: body\.api_type: /) });
    });

    it('answers 400 to an endpoint that is not an absolute URL, or carries credentials or a query', async () => {
      const cases: [string, string][] = [
        ['api.openai.com', 'body.endpoint must be an absolute URL'],
        ['https://user:pass@api.example.com', 'body.endpoint must not contain credentials'],
        ['https://api.example.com/?api-version=2024', 'body.endpoint must not have a query or fragment'],
        ['ftp://api.example.com', 'body.endpoint must use https or http'],
      ];
      for (const [endpoint, error] of cases) {
        const res = await addKey({ key: upstreamKey(), name: 'bad', endpoint });
        expect(res.statusCode, endpoint).toBe(400);
        expect(res.json()).toEqual({ error });
      }
    });

    it('answers 400 to missing, empty, over-long and unknown fields, and to malformed JSON', async () => {
      const before = await listKeys();
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ name: 'no-key' }, /^Invalid request: body\.key: /],
        [{ key: '', name: 'empty' }, /^Invalid request: body\.key: /],
        [{ key: upstreamKey() }, /^Invalid request: body\.name: /],
        [{ key: upstreamKey(), name: 'n'.repeat(65) }, /^Invalid request: body\.name: /],
        [{ key: 'k'.repeat(4097), name: 'long' }, /^Invalid request: body\.key: /],
        [{ key: upstreamKey(), name: 'extra', weight: 5 }, /^Invalid request: body: .*weight/],
        [{ key: 123, name: 'number' }, /^Invalid request: body\.key: /],
      ];
      for (const [payload, error] of cases) {
        const res = await addKey(payload);
        expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
        expect(res.json()).toEqual({ error: expect.stringMatching(error) });
      }
      const malformed = await t.request({
        method: 'POST',
        url: '/1/keys',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: '{"key": "sk-abc", "name": ',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toEqual({ error: 'Request body is not valid JSON' });
      expect(await listKeys()).toEqual(before);
    });
  });

  describe('keys and names that reach upstreams', () => {
    it('answers 400 to a key or name that is not printable ASCII without spaces, and stores nothing', async () => {
      const before = await listKeys();
      const cases: [Record<string, unknown>, string][] = [
        [{ key: 'sk-abc def', name: 'spaced' }, 'body.key'],
        [{ key: 'sk-abc\u00a0def', name: 'nbsp' }, 'body.key'],
        [{ key: 'sk-abcdéf', name: 'accent' }, 'body.key'],
        [{ key: 'sk-abc\u2028def', name: 'separator' }, 'body.key'],
        [{ key: upstreamKey(), name: 'my key' }, 'body.name'],
        [{ key: upstreamKey(), name: '主账号' }, 'body.name'],
      ];
      for (const [payload, field] of cases) {
        const res = await addKey(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json()).toEqual({ error: `Invalid request: ${field}: must be printable ASCII without spaces` });
      }
      expect(await listKeys()).toEqual(before);
    });
  });

  describe('GET /1/keys', () => {
    it('lists live keys in id order, each masked with its key_hint', async () => {
      const list = await listKeys();
      expect(list.length).toBeGreaterThan(0);
      const ids = list.map((k: { id: number }) => k.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      for (const k of list) {
        expect(Object.keys(k).sort()).toEqual(['ApiType', 'createdAt', 'endpoint', 'id', 'key', 'key_hint', 'name', 'updatedAt']);
        expect(k.key).toBe('****');
        expect(k.key_hint).toMatch(/^fp_[0-9a-f]{12}$/);
      }
      expect(new Set(list.map((k: { key_hint: string }) => k.key_hint)).size).toBe(list.length);
    });

    it('shows the same key_hint as the create response', async () => {
      const created = (await addKey({ key: upstreamKey(), name: 'hinted' })).json();
      expect((await listKeys()).find((k: { id: number }) => k.id === created.id)).toEqual(created);
    });
  });

  describe('DELETE /1/keys/:id', () => {
    it('deletes a key: {"message":"ok"}, gone from the list, and the same key may be added again', async () => {
      const key = upstreamKey();
      const created = (await addKey({ key, name: 'to-delete' })).json();
      const res = await t.request({ method: 'DELETE', url: `/1/keys/${created.id}`, headers: admin });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ message: 'ok' });
      expect((await listKeys()).map((k: { id: number }) => k.id)).not.toContain(created.id);
      const [row] = await t.database.db.select().from(channels).where(eq(channels.id, created.id));
      expect(row?.deletedAt).toBeInstanceOf(Date);
      expect(row?.enabled).toBe(false);
      const again = await addKey({ key, name: 'back' });
      expect(again.statusCode).toBe(200);
      expect(again.json().key_hint).toBe(created.key_hint);
    });

    it('answers 404 to an unknown or already deleted key', async () => {
      const created = (await addKey({ key: upstreamKey(), name: 'twice' })).json();
      await t.request({ method: 'DELETE', url: `/1/keys/${created.id}`, headers: admin });
      for (const id of [created.id, 999_999]) {
        const res = await t.request({ method: 'DELETE', url: `/1/keys/${id}`, headers: admin });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ error: 'Key not found' });
      }
    });

    it.each(['-1', '0', 'abc', '2.5', '0x1'])('answers 400 to id %s', async (id) => {
      const res = await t.request({ method: 'DELETE', url: `/1/keys/${id}`, headers: admin });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: expect.stringMatching(/^Invalid request: params\.id: /) });
    });
  });
});

describe.each(DB_TIERS)('legacy /1/keys SSRF guard on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;
  const addKey = (endpoint: string) =>
    t.request({ method: 'POST', url: '/1/keys', headers: admin, payload: { key: upstreamKey(), name: 'ssrf', api_type: 'azure_openai', endpoint } });

  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ALLOW_PRIVATE_UPSTREAMS: 'false' } });
    admin = bearer((await initRoot(t)).token);
  });
  afterAll(() => t?.close());

  // Each refusal names the setting that lifts it for local development.
  const hint = 'to allow http:// and private addresses for local development set ALLOW_PRIVATE_UPSTREAMS=true';
  const https = `body.endpoint must use https; ${hint}`;
  const publicAddress = `body.endpoint must resolve to a public address; ${hint}`;
  it.each([
    ['http://api.example.com', https],
    ['http://1.1.1.1/v1', https],
    ['http://127.0.0.1:9000', https],
    ['https://127.0.0.1', publicAddress],
    ['https://10.0.0.1/v1', publicAddress],
    ['https://192.168.1.10', publicAddress],
    ['https://169.254.169.254/latest', publicAddress],
    ['https://[::1]', publicAddress],
    ['https://[::ffff:127.0.0.1]', publicAddress],
    ['https://2130706433', publicAddress],
    ['https://localhost/v1', publicAddress],
  ])('refuses endpoint %s with 400 and stores nothing', async (endpoint, error) => {
    const res = await addKey(endpoint);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error });
    expect(await t.database.db.select().from(channels)).toEqual([]);
  });

  it('accepts a public https address', async () => {
    const res = await addKey('https://1.1.1.1/v1');
    expect({ status: res.statusCode, body: res.json() }).toMatchObject({ status: 200, body: { endpoint: 'https://1.1.1.1' } });
    expect(res.json().endpoint).toBe('https://1.1.1.1');
  });
});
