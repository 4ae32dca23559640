import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import { apiKeys } from './identity.tables.ts';

// /api/v1/keys: create (full key shown once), list, get, delete; tenancy and authentication.

const json = { 'content-type': 'application/json' };
const FULL_KEY = /^sk-[A-Za-z0-9]{48}$/;
const STUDIO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
type User = Awaited<ReturnType<typeof registerUser>>;

describe.each(DB_TIERS)('/api/v1/keys on $name', (tier) => {
  let t: TestApp;
  let alice: User;
  let bob: User;

  beforeAll(async () => {
    t = await startTestApp(tier);
    alice = await registerUser(t);
    bob = await registerUser(t);
  });
  afterAll(() => t?.close());

  const create = (u: User, payload: unknown) =>
    t.request({ method: 'POST', url: '/api/v1/keys', headers: { ...json, ...u.auth }, payload: JSON.stringify(payload) });
  const get = (u: User, id: number | string) => t.request({ method: 'GET', url: `/api/v1/keys/${id}`, headers: u.auth });
  const list = (u: User, query = '') => t.request({ method: 'GET', url: `/api/v1/keys${query}`, headers: u.auth });
  const del = (u: User, id: number | string) => t.request({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: u.auth });
  const probe = (key: string) => t.request({ method: 'GET', url: '/1/me', headers: bearer(key) });

  describe('POST /api/v1/keys', () => {
    it('returns the full key once, with its mask and neutral restrictions', async () => {
      const res = await create(alice, { name: 'laptop' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        code: 200,
        message: 'API Key 已创建，请立即保存，它不会再次显示',
        data: {
          id: expect.any(Number),
          name: 'laptop',
          key: expect.stringMatching(FULL_KEY),
          key_mask: `sk-…${body.data.key.slice(-4)}`,
          enabled: true,
          expires_at: null,
          allowed_models: null,
          allowed_ips: null,
          spend_limit: null,
          spent: 0,
          rate_limit_rpm: null,
          last_used_at: null,
          created_at: expect.stringMatching(STUDIO_TIME),
        },
      });
      expect((await probe(body.data.key)).statusCode).toBe(200);
    });

    it('stores only the SHA-256 of the key and its last 4 characters', async () => {
      const { data } = (await create(alice, { name: 'hash check' })).json();
      const [row] = await t.database.db.select().from(apiKeys).where(eq(apiKeys.id, data.id));
      expect(row).toMatchObject({ userId: alice.id, kind: 'standard', keyHash: sha256Hex(data.key), last4: data.key.slice(-4) });
      expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(data.key);
    });

    it('mints a different key every time', async () => {
      const keys = await Promise.all([1, 2, 3].map((i) => create(alice, { name: `k${i}` })));
      expect(new Set(keys.map((r) => r.json().data.key)).size).toBe(3);
    });

    it('accepts every restriction and shows times in UTC+8', async () => {
      const res = await create(alice, {
        name: '  restricted  ',
        expires_at: '2099-01-01T00:00:00Z',
        allowed_models: ['gpt-4o-mini', 'qwen-plus'],
        allowed_ips: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'],
        spend_limit: '12.50',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({
        name: 'restricted',
        expires_at: '2099-01-01T08:00:00',
        allowed_models: ['gpt-4o-mini', 'qwen-plus'],
        allowed_ips: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'],
        spend_limit: 12.5,
      });
    });

    it('reads an expiry without an offset as UTC+8 and a numeric spend limit exactly', async () => {
      const { data } = (await create(alice, { name: 'local time', expires_at: '2099-06-01T10:30:00', spend_limit: 0.01 })).json();
      expect(data).toMatchObject({ expires_at: '2099-06-01T10:30:00', spend_limit: 0.01 });
      const [row] = await t.database.db.select().from(apiKeys).where(eq(apiKeys.id, data.id));
      expect(row?.expiresAt?.toISOString()).toBe('2099-06-01T02:30:00.000Z');
      expect(row?.spendLimitMicros).toBe(10_000n);
    });

    it.each([
      ['a missing name', {}],
      ['an empty name', { name: '   ' }],
      ['a name of 65 characters', { name: 'n'.repeat(65) }],
      ['an expiry in the past', { name: 'x', expires_at: '2020-01-01T00:00:00Z' }],
      ['an expiry that is not a date', { name: 'x', expires_at: 'tomorrow' }],
      ['a bad CIDR', { name: 'x', allowed_ips: ['10.0.0.0/33'] }],
      ['a host name as IP rule', { name: 'x', allowed_ips: ['example.com'] }],
      ['a spend limit with 3 decimals', { name: 'x', spend_limit: '1.234' }],
      ['a spend limit of 0', { name: 'x', spend_limit: 0 }],
      ['a negative spend limit', { name: 'x', spend_limit: -5 }],
      ['an empty model name', { name: 'x', allowed_models: [''] }],
      ['an unknown field', { name: 'x', key: 'sk-chosen-by-me' }],
      ['a wrong type', { name: 42 }],
    ])('answers 400 to %s and creates nothing', async (_what, payload) => {
      const before = (await list(alice)).json().data.total;
      const res = await create(alice, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.any(String), data: null });
      expect((await list(alice)).json().data.total).toBe(before);
    });

    it('refuses a 101st live key with 409, and allows one again after a delete', async () => {
      const hoarder = await registerUser(t);
      const ids: number[] = [];
      for (let i = 0; i < 100; i++) ids.push((await create(hoarder, { name: `k${i}` })).json().data.id);
      const refused = await create(hoarder, { name: 'one too many' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toEqual({ code: 409, message: 'At most 100 API keys per user; delete one first', data: null });
      await del(hoarder, ids[0] as number);
      expect((await create(hoarder, { name: 'fits again' })).statusCode).toBe(200);
    });

    it('answers 400 to malformed JSON', async () => {
      const res = await t.request({ method: 'POST', url: '/api/v1/keys', headers: { ...json, ...alice.auth }, payload: '{"name":' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: 'Request body is not valid JSON', data: null });
    });
  });

  describe('GET /api/v1/keys', () => {
    let carol: User;
    const made: { id: number; key: string }[] = [];
    beforeAll(async () => {
      carol = await registerUser(t);
      for (let i = 0; i < 23; i++) made.push((await create(carol, { name: `key ${i}` })).json().data);
    });

    it('pages 20 at a time by default, newest first, with the total', async () => {
      const res = await list(carol);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ code: 200, message: 'success', data: { total: 23, page: 1, page_size: 20 } });
      expect(body.data.items.map((k: { id: number }) => k.id)).toEqual(made.slice(3).map((k) => k.id).reverse());
      const second = (await list(carol, '?page=2')).json().data;
      expect(second).toMatchObject({ total: 23, page: 2, page_size: 20 });
      expect(second.items.map((k: { id: number }) => k.id)).toEqual(made.slice(0, 3).map((k) => k.id).reverse());
    });

    it('honours page_size up to 100', async () => {
      expect((await list(carol, '?page_size=100')).json().data.items).toHaveLength(23);
      const last = (await list(carol, '?page_size=5&page=5')).json().data;
      expect(last).toMatchObject({ total: 23, page: 5, page_size: 5 });
      expect(last.items.map((k: { id: number }) => k.id)).toEqual(made.slice(0, 3).map((k) => k.id).reverse());
      expect((await list(carol, '?page=9')).json().data).toMatchObject({ total: 23, items: [] });
    });

    it.each(['?page_size=101', '?page_size=0', '?page=0', '?page=-1', '?page_size=abc'])('answers 400 to %s', async (query) => {
      const res = await list(carol, query);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.stringContaining('query.'), data: null });
    });

    it('never contains a full key, only masks', async () => {
      const res = await list(carol, '?page_size=100');
      for (const { key } of made) expect(res.body).not.toContain(key);
      for (const item of res.json().data.items) {
        expect(item).not.toHaveProperty('key');
        expect(item.key_mask).toBe(`sk-…${made.find((m) => m.id === item.id)?.key.slice(-4)}`);
      }
    });

    it("shows only the caller's own keys", async () => {
      const res = (await list(bob, '?page_size=100')).json().data;
      expect(res.items.filter((k: { id: number }) => made.some((m) => m.id === k.id))).toEqual([]);
    });
  });

  describe('GET /api/v1/keys/:id', () => {
    it('shows the key without its secret', async () => {
      const created = (await create(alice, { name: 'detail', allowed_models: ['m1'] })).json().data;
      const res = await get(alice, created.id);
      expect(res.statusCode).toBe(200);
      const { key, ...view } = created;
      expect(res.json()).toEqual({ code: 200, message: 'success', data: view });
      expect(res.body).not.toContain(key);
    });

    it('answers 404 to an unknown id', async () => {
      const res = await get(alice, 987654);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 404, message: 'API key not found', data: null });
    });

    it.each(['0', '-1', 'abc', '1.5', '0x10', '1e3', '99999999999999999999'])('answers 400 to the id %s', async (id) => {
      const res = await get(alice, id);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.stringContaining('params.id'), data: null });
    });
  });

  describe('DELETE /api/v1/keys/:id', () => {
    it('deletes the key: 404 afterwards, gone from the list, and it stops authenticating', async () => {
      const created = (await create(alice, { name: 'doomed' })).json().data;
      expect((await probe(created.key)).statusCode).toBe(200);
      const res = await del(alice, created.id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ code: 200, message: 'API Key 已删除', data: null });
      expect((await get(alice, created.id)).statusCode).toBe(404);
      expect((await del(alice, created.id)).statusCode).toBe(404);
      const items = (await list(alice, '?page_size=100')).json().data.items;
      expect(items.map((k: { id: number }) => k.id)).not.toContain(created.id);
      const after = await probe(created.key);
      expect(after.statusCode).toBe(401);
      expect(after.json()).toEqual({ error: 'Invalid API key' });
    });
  });

  describe('tenancy', () => {
    it("answers 404 to another user's key id on GET, PATCH and DELETE, and leaves the key alone", async () => {
      const created = (await create(alice, { name: 'mine' })).json().data;
      const peek = await get(bob, created.id);
      expect(peek.statusCode).toBe(404);
      expect(peek.json()).toEqual({ code: 404, message: 'API key not found', data: null });
      const patch = await t.request({
        method: 'PATCH',
        url: `/api/v1/keys/${created.id}`,
        headers: { ...json, ...bob.auth },
        payload: { enabled: false, name: 'stolen' },
      });
      expect(patch.statusCode).toBe(404);
      expect((await del(bob, created.id)).statusCode).toBe(404);
      const { key, ...view } = created;
      expect((await get(alice, created.id)).json().data).toEqual(view);
      expect((await probe(key)).statusCode).toBe(200);
    });
  });

  describe('authentication', () => {
    const routes: [string, string][] = [
      ['POST', '/api/v1/keys'],
      ['GET', '/api/v1/keys'],
      ['GET', '/api/v1/keys/1'],
      ['PATCH', '/api/v1/keys/1'],
      ['DELETE', '/api/v1/keys/1'],
    ];

    it.each(routes)('%s %s answers 401 without a token', async (method, url) => {
      const res = await t.request({ method: method as 'GET', url, headers: json, payload: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 401, message: 'Missing bearer token', data: null });
    });

    it('refuses an API key in place of a session token', async () => {
      const { key } = (await create(alice, { name: 'not a session' })).json().data;
      const res = await t.request({ method: 'GET', url: '/api/v1/keys', headers: bearer(key) });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 401, data: null });
    });

    it('refuses a refresh token', async () => {
      expect((await t.request({ method: 'GET', url: '/api/v1/keys', headers: bearer(alice.refreshToken) })).statusCode).toBe(401);
    });
  });
});
