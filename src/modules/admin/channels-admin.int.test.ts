import crypto from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { auditEvents } from './audit.tables.ts';

// The console's platform channels, `/api/v1/admin/channels`: the round trip, the rules (and the field each refusal
// names), the shared service with the legacy `/1/keys`, who may call, and that no key ever comes back.
// Routing through channels and the test request: channels-admin.routing.int.test.ts.

const upstreamKey = () => `sk-console-${crypto.randomBytes(24).toString('base64url')}`;
const BASE = '/api/v1/admin/channels';

describe.each(DB_TIERS)('console channels on $name', (tier) => {
  let g: GatewayHarness;
  const keys: string[] = [];
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers = g.operator) =>
    g.t.request({ method, url, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, payload: payload === undefined ? undefined : JSON.stringify(payload) });
  const create = (body: Record<string, unknown>) => {
    const key = upstreamKey();
    keys.push(key);
    return call('POST', BASE, { name: 'main', provider: 'openai', key, ...body });
  };
  const audits = (id: number) =>
    g.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'channel'), eq(auditEvents.objectId, String(id)))).orderBy(asc(auditEvents.id));

  beforeAll(async () => {
    g = await startGateway(tier);
  });
  afterAll(() => g?.close());

  it('creates, reads, changes and deletes a channel, auditing every write', async () => {
    const created = await create({ name: 'OpenAI main', endpoint: 'http://127.0.0.1:9/v1/', models: ['gpt-4o-mini', 'gpt-4o', 'gpt-4o-mini'], weight: 3, priority: 5, rpm_limit: 60, max_concurrent: 4 });
    expect(created.statusCode).toBe(200);
    const channel = created.json().data;
    expect(created.json()).toMatchObject({ code: 200, message: '渠道已创建' });
    expect(channel).toMatchObject({
      name: 'OpenAI main', provider: 'openai', base_url: 'http://127.0.0.1:9', models: ['gpt-4o-mini', 'gpt-4o'], weight: 3, priority: 5,
      rpm_limit: 60, max_concurrent: 4, enabled: true, key_hint: expect.stringMatching(/^fp_[0-9a-f]{12}$/),
      circuit: { key: `channel:${channel.id}`, state: 'closed' },
    });
    expect((await call('GET', `${BASE}/${channel.id}`)).json().data).toEqual(channel);
    expect((await call('GET', BASE)).json().data).toContainEqual(channel);

    const changed = await call('PATCH', `${BASE}/${channel.id}`, { name: 'renamed', weight: 1, priority: -2, rpm_limit: null, models: [], enabled: false });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().data).toMatchObject({ name: 'renamed', weight: 1, priority: -2, rpm_limit: null, max_concurrent: 4, models: null, enabled: false, key_hint: channel.key_hint, base_url: channel.base_url });

    const rekeyed = await call('PATCH', `${BASE}/${channel.id}`, { key: upstreamKey() });
    expect(rekeyed.json().data.key_hint).not.toBe(channel.key_hint);

    expect((await call('DELETE', `${BASE}/${channel.id}`)).json()).toEqual({ code: 200, message: '渠道已删除', data: null });
    expect((await call('GET', `${BASE}/${channel.id}`)).json()).toMatchObject({ code: 404, message: 'Channel not found', data: null });
    expect((await call('PATCH', `${BASE}/${channel.id}`, { name: 'x' })).statusCode).toBe(404);
    expect((await call('DELETE', `${BASE}/${channel.id}`)).statusCode).toBe(404);

    const events = await audits(channel.id);
    expect(events.map((e) => e.action)).toEqual(['channel.create', 'channel.update', 'channel.update', 'channel.delete']);
    const me = (await call('GET', '/api/v1/auth/me')).json().data.id;
    expect(events.every((e) => e.actorUserId === me && e.requestId)).toBe(true);
    expect(events[1]).toMatchObject({ before: { name: 'OpenAI main', priority: 5 }, after: { name: 'renamed', priority: -2 } });
    expect(JSON.stringify(events)).not.toMatch(/credential|sk-console/);
  });

  it('moves a key to a new endpoint or provider only when the key is given again', async () => {
    const { id } = (await create({ endpoint: 'http://127.0.0.1:9' })).json().data;
    for (const change of [{ endpoint: 'http://127.0.0.1:10' }, { provider: 'qwen' }]) {
      const refused = await call('PATCH', `${BASE}/${id}`, change);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().message).toMatch(/^body\.key: Changing (endpoint|provider) needs key again/);
    }
    const moved = await call('PATCH', `${BASE}/${id}`, { endpoint: 'http://127.0.0.1:10', key: upstreamKey() });
    expect(moved.json().data.base_url).toBe('http://127.0.0.1:10');
    const azure = await call('PATCH', `${BASE}/${id}`, { provider: 'azure_openai', endpoint: '', key: upstreamKey() });
    expect(azure.json()).toEqual({ code: 400, message: 'body.endpoint: endpoint is required for provider azure_openai', data: null });
  });

  it('refuses a model that is not on the price list, naming it and where to price it', async () => {
    const res = await create({ models: ['gpt-4o-mini', 'my-private-model'] });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(
      'body.models: "my-private-model" is not on the price list; set a price first under Channels → Model prices in the console (PUT /api/v1/admin/model-prices/my-private-model)',
    );
    await g.setPrice('my-private-model', { provider: 'openai', input_price: 1, output_price: 2 });
    expect((await create({ models: ['my-private-model'] })).json().data.models).toEqual(['my-private-model']);
  });

  it('answers 409 naming the key when the same key is already configured', async () => {
    const key = upstreamKey();
    keys.push(key);
    expect((await call('POST', BASE, { name: 'one', provider: 'openai', key })).statusCode).toBe(200);
    const again = await call('POST', BASE, { name: 'two', provider: 'openai', key });
    expect(again.json()).toEqual({ code: 409, message: 'body.key: This key is already configured', data: null });
  });

  it.each([
    ['a negative weight', { weight: -1 }, 'body.weight'],
    ['a weight of 0 (use enabled)', { weight: 0 }, 'body.weight'],
    ['a fractional weight', { weight: 1.5 }, 'body.weight'],
    ['a weight as text', { weight: '3' }, 'body.weight'],
    ['an rpm limit of 0', { rpm_limit: 0 }, 'body.rpm_limit'],
    ['a negative concurrency cap', { max_concurrent: -3 }, 'body.max_concurrent'],
    ['a priority out of range', { priority: 1_000_000 }, 'body.priority'],
    ['an empty name', { name: '  ' }, 'body.name'],
    ['a huge name', { name: 'n'.repeat(65) }, 'body.name'],
    ['a key with a space', { key: 'sk-abc def' }, 'body.key'],
    ['a huge key', { key: 'k'.repeat(4097) }, 'body.key'],
    ['a key as a number', { key: 12345 }, 'body.key'],
    ['an unknown provider', { provider: 'claude2api' }, 'body.provider'],
    ['a model with a line break', { models: ['gpt-4o\nmini'] }, 'body.models'],
    ['models as text', { models: 'gpt-4o' }, 'body.models'],
    ['too many models', { models: Array.from({ length: 201 }, (_, i) => `m${i}`) }, 'body.models'],
    ['an endpoint that is not a URL', { endpoint: 'api.openai.com' }, 'body.endpoint'],
    ['an ftp endpoint', { endpoint: 'ftp://example.com' }, 'body.endpoint'],
    ['a huge endpoint', { endpoint: `https://example.com/${'a'.repeat(2048)}` }, 'body.endpoint'],
    ['an unknown field', { api_key: 'x' }, 'body'],
  ])('refuses %s with 400 naming %s, storing nothing', async (_name, body, field) => {
    const before = (await call('GET', BASE)).json().data.length;
    const res = await create(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 400, data: null });
    expect(res.json().message).toContain(field);
    expect((await call('GET', BASE)).json().data).toHaveLength(before);
  });

  it('refuses a NUL in a string, an empty change and malformed JSON with 400', async () => {
    const nul = await g.t.request({ method: 'POST', url: BASE, headers: { ...g.operator, 'content-type': 'application/json' }, payload: '{"name":"a\\u0000b","provider":"openai","key":"sk-nul-test"}' });
    expect(nul.json()).toMatchObject({ code: 400, message: expect.stringContaining('Control characters'), data: null });
    const { id } = (await create({})).json().data;
    expect((await call('PATCH', `${BASE}/${id}`, {})).json()).toMatchObject({ code: 400, message: expect.stringContaining('give at least one field') });
    const broken = await g.t.request({ method: 'PATCH', url: `${BASE}/${id}`, headers: { ...g.operator, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(broken.statusCode).toBe(400);
    for (const bad of ['0', 'abc', '1e3', '99999999999999999']) expect((await call('GET', `${BASE}/${bad}`)).statusCode).toBe(400);
  });

  it('is one set of channels with /1/keys, both ways, each keeping its own shape', async () => {
    const root = bearer(g.rootToken);
    const made = (await create({ name: 'from-console', priority: 3, rpm_limit: 10 })).json().data;
    const legacyList = (await g.t.request({ method: 'GET', url: '/1/keys', headers: root })).json();
    expect(legacyList).toContainEqual(expect.objectContaining({ id: made.id, key: '****', key_hint: made.key_hint, name: 'from-console', ApiType: 'openai', endpoint: '' }));
    expect(Object.keys(legacyList[0]).sort()).toEqual(['ApiType', 'createdAt', 'endpoint', 'id', 'key', 'key_hint', 'name', 'updatedAt']);

    const legacyId = await g.addChannel({ name: 'from-legacy', endpoint: 'http://127.0.0.1:9' });
    expect((await call('GET', `${BASE}/${legacyId}`)).json().data).toMatchObject({
      id: legacyId, name: 'from-legacy', base_url: 'http://127.0.0.1:9', weight: 1, priority: 0, rpm_limit: null, max_concurrent: null, models: null, enabled: true,
    });
    // A legacy rename keeps the routing settings only the console has.
    await g.t.request({ method: 'PATCH', url: `/1/keys/${made.id}`, headers: root, payload: { name: 'renamed-by-legacy' } });
    expect((await call('GET', `${BASE}/${made.id}`)).json().data).toMatchObject({ name: 'renamed-by-legacy', priority: 3, rpm_limit: 10 });
    expect((await audits(made.id)).map((e) => e.action)).toEqual(['channel.create', 'channel.update']);
    // Legacy errors keep their words.
    const moved = await g.t.request({ method: 'PATCH', url: `/1/keys/${made.id}`, headers: root, payload: { api_type: 'qwen' } });
    expect(moved.json()).toEqual({ error: 'Changing api_type needs key again in the same request: a stored key is never sent to a new destination without it' });
    expect((await g.t.request({ method: 'DELETE', url: `/1/keys/${legacyId}`, headers: root })).statusCode).toBe(200);
    expect((await call('GET', `${BASE}/${legacyId}`)).statusCode).toBe(404);
  });

  it.each([
    ['GET', BASE], ['GET', `${BASE}/1`], ['POST', BASE], ['PATCH', `${BASE}/1`], ['DELETE', `${BASE}/1`], ['POST', `${BASE}/1/test`],
  ] as const)('%s %s answers 401 without a session and 403 to a non-operator', async (method, url) => {
    const user = await registerUser(g.t);
    const payload = method === 'POST' || method === 'PATCH' ? { name: 'x' } : undefined;
    expect((await call(method, url, payload, {})).json()).toMatchObject({ code: 401, data: null });
    expect((await call(method, url, payload, user.auth)).json()).toMatchObject({ code: 403, data: null });
    // An operator's `/1` token is not a console session.
    expect((await call(method, url, payload, bearer(g.rootToken))).statusCode).toBe(401);
  });

  it('never answers or logs any part of a key', () => {
    const seen = [...g.t.responses, ...g.t.logs].join('\n');
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) {
      expect(seen).not.toContain(key);
      expect(seen).not.toContain(key.slice(-10));
    }
  });
});

describe.each(DB_TIERS)('console channels without ALLOW_PRIVATE_UPSTREAMS on $name', (tier) => {
  let g: GatewayHarness;
  beforeAll(async () => {
    g = await startGateway(tier, { env: { ALLOW_PRIVATE_UPSTREAMS: 'false' } });
  });
  afterAll(() => g?.close());

  it.each([
    ['http://127.0.0.1:9000', 'body.endpoint must use https; to allow http:// and private addresses for local development set ALLOW_PRIVATE_UPSTREAMS=true'],
    ['https://127.0.0.1:9000', 'body.endpoint must resolve to a public address; to allow http:// and private addresses for local development set ALLOW_PRIVATE_UPSTREAMS=true'],
  ])('refuses the local endpoint %s, naming the setting that allows it', async (endpoint, message) => {
    const res = await g.t.request({ method: 'POST', url: BASE, headers: g.operator, payload: { name: 'local', provider: 'openai', key: upstreamKey(), endpoint } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message, data: null });
  });
});
