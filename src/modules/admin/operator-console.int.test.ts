import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startGateway, type GatewayHarness } from '../../../test/helpers/gateway.ts';
import { createRecharge, rechargeAndPay, SANDBOX_ENV } from '../../../test/helpers/payments.ts';
import { auditEvents } from './audit.tables.ts';
import { deadUpstreamUrl as deadUrl } from '../../../test/fakes/upstream.ts';

// The operators' console endpoints: GET /api/v1/admin/users, PUT /api/v1/admin/users/{id}/role,
// GET /api/v1/admin/orders, GET /api/v1/admin/channels and GET /api/v1/admin/circuits.

type User = Awaited<ReturnType<typeof registerUser>>;
const json = { 'content-type': 'application/json' };

describe.each(DB_TIERS)('operator console on $name', (tier) => {
  let g: GatewayHarness;
  let adminId: number;
  const get = (url: string, headers: Record<string, string> = g.operator) => g.t.request({ method: 'GET', url, headers });
  const setRole = (id: number, payload: unknown, headers: Record<string, string> = g.operator) =>
    g.t.request({ method: 'PUT', url: `/api/v1/admin/users/${id}/role`, headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  const roleAudits = (userId: number) =>
    g.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'user'), eq(auditEvents.objectId, String(userId))));

  beforeAll(async () => {
    g = await startGateway(tier, { env: { ...SANDBOX_ENV, CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_COOLDOWN_MS: '600000' } });
    adminId = (await get('/api/v1/auth/me')).json().data.id;
  });
  afterAll(() => g?.close());

  describe('users', () => {
    let alice: User;
    let bob: User;
    beforeAll(async () => {
      const tag = Date.now().toString(36);
      alice = await registerUser(g.t, `Alice_${tag}`);
      bob = await registerUser(g.t, `bob_${tag}`);
    });

    it('finds users by a part of the username or email, case-insensitively, newest first', async () => {
      const byName = (await get(`/api/v1/admin/users?q=${encodeURIComponent(alice.username.toUpperCase())}`)).json();
      expect(byName).toMatchObject({ code: 200, data: { total: 1, page: 1, page_size: 20, items: [{ id: alice.id, username: alice.username, email: `${alice.username}@example.com`, role: 'user', status: 'active', billing_mode: 'prepaid' }] } });
      const byEmail = (await get(`/api/v1/admin/users?q=${encodeURIComponent(`${bob.username}@EXAMPLE`)}`)).json();
      expect(byEmail.data.items.map((u: { id: number }) => u.id)).toEqual([bob.id]);
      const all = (await get('/api/v1/admin/users?page_size=100')).json().data;
      expect(all.items.map((u: { id: number }) => u.id)).toEqual(expect.arrayContaining([adminId, alice.id, bob.id]));
      expect(all.items[0].id).toBeGreaterThan(all.items.at(-1).id);
      expect(JSON.stringify(all)).not.toMatch(/password/i);
    });

    it('treats % and _ in a search as themselves', async () => {
      expect((await get('/api/v1/admin/users?q=%25')).json().data).toMatchObject({ total: 0, items: [] });
      const underscored = (await get('/api/v1/admin/users?q=_')).json().data.items.map((u: { id: number }) => u.id);
      expect(underscored).toEqual(expect.arrayContaining([alice.id, bob.id]));
      expect(underscored).not.toContain(adminId);
    });

    it('filters by role and pages', async () => {
      const admins = (await get('/api/v1/admin/users?role=admin')).json().data;
      expect(admins.items.map((u: { id: number }) => u.id)).toEqual([adminId]);
      const page = (await get('/api/v1/admin/users?page=2&page_size=1')).json().data;
      expect(page).toMatchObject({ page: 2, page_size: 1 });
      expect(page.items).toHaveLength(1);
      expect(page.total).toBeGreaterThanOrEqual(3);
    });

    it('changes a role, audits it, and the new role applies to the user’s next request', async () => {
      const res = await setRole(bob.id, { role: 'admin' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ code: 200, message: '角色已更新', data: { id: bob.id, role: 'admin' } });
      expect((await get('/api/v1/admin/users', bob.auth)).statusCode).toBe(200);
      expect((await setRole(bob.id, { role: 'supplier' })).json().data.role).toBe('supplier');
      expect((await get('/api/v1/admin/users', bob.auth)).statusCode).toBe(403);
      expect(await roleAudits(bob.id)).toEqual([
        expect.objectContaining({ actorUserId: adminId, tenantUserId: bob.id, action: 'user.role', before: { role: 'user' }, after: { role: 'admin' }, requestId: res.headers['x-request-id'] }),
        expect.objectContaining({ action: 'user.role', before: { role: 'admin' }, after: { role: 'supplier' } }),
      ]);
    });

    it('changes nothing and records nothing when the role is the same', async () => {
      const res = await setRole(alice.id, { role: 'user' });
      expect(res.json().data).toMatchObject({ id: alice.id, role: 'user' });
      expect(await roleAudits(alice.id)).toEqual([]);
    });

    it('refuses to let an operator remove their own operator role (409)', async () => {
      const res = await setRole(adminId, { role: 'user' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ code: 409, message: expect.stringMatching(/own operator role/), data: null });
      expect((await get('/api/v1/admin/users?role=admin')).json().data.items.map((u: { id: number }) => u.id)).toContain(adminId);
      expect(await roleAudits(adminId)).toEqual([]);
    });

    it.each([
      ['an unknown role', { role: 'root' }],
      ['a missing role', {}],
      ['an unknown field', { role: 'user', status: 'disabled' }],
    ])('refuses %s (400)', async (_what, payload) => {
      const res = await setRole(alice.id, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });

    it('refuses a malformed id or query (400) and an unknown user (404)', async () => {
      expect((await setRole(0, { role: 'user' })).statusCode).toBe(400);
      expect((await g.t.request({ method: 'PUT', url: '/api/v1/admin/users/1e3/role', headers: g.operator, payload: { role: 'user' } })).statusCode).toBe(400);
      expect((await setRole(99_999_999, { role: 'supplier' })).statusCode).toBe(404);
      expect((await get('/api/v1/admin/users?role=root')).statusCode).toBe(400);
      expect((await get('/api/v1/admin/users?page_size=101')).statusCode).toBe(400);
    });
  });

  describe('orders', () => {
    let carol: User;
    let dave: User;
    let paid: string;
    let pending: string;
    beforeAll(async () => {
      carol = await registerUser(g.t);
      dave = await registerUser(g.t);
      paid = (await rechargeAndPay(g.t, carol.auth, 10)).order_id;
      pending = (await createRecharge(g.t, dave.auth, 20)).order_id;
    });

    it('lists every user’s orders, newest first, with who placed them', async () => {
      const res = await get('/api/v1/admin/orders');
      expect(res.statusCode).toBe(200);
      const items = res.json().data.items as { order_id: string }[];
      expect(items.map((o) => o.order_id).slice(0, 2)).toEqual([pending, paid]);
      expect(items[1]).toMatchObject({
        order_id: paid, kind: 'recharge', status: 'paid', user_id: carol.id, username: carol.username, amount: 10, credits: 100, refunded_at: null, failure_reason: null,
      });
      expect(items[0]).toMatchObject({ order_id: pending, status: 'pending', user_id: dave.id, username: dave.username, paid_at: null });
    });

    it('filters by status, kind and user', async () => {
      const ids = async (query: string) => ((await get(`/api/v1/admin/orders?${query}`)).json().data.items as { order_id: string }[]).map((o) => o.order_id);
      expect(await ids('status=paid')).toContain(paid);
      expect(await ids('status=paid')).not.toContain(pending);
      expect(await ids('kind=membership')).toEqual([]);
      expect(await ids(`user_id=${dave.id}`)).toEqual([pending]);
      expect((await get(`/api/v1/admin/orders?user_id=${carol.id}&page_size=1`)).json().data).toMatchObject({ total: 1, page_size: 1 });
    });

    it('shows a refunded order as refunded', async () => {
      const refund = await g.t.request({ method: 'POST', url: `/api/v1/admin/orders/${paid}/refund`, headers: g.operator, payload: { reason: 'customer request' } });
      expect(refund.statusCode).toBe(200);
      const [order] = (await get(`/api/v1/admin/orders?user_id=${carol.id}`)).json().data.items;
      expect(order).toMatchObject({ status: 'refunded', refunded_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    });

    it.each(['status=done', 'kind=gift', 'user_id=abc', 'page=0'])('refuses the query %s (400)', async (query) => {
      expect((await get(`/api/v1/admin/orders?${query}`)).statusCode).toBe(400);
    });
  });

  describe('channels and circuits', () => {
    const secretKey = `sk-upstream-never-shown-${Date.now()}`;
    let channelId: number;
    beforeAll(async () => {
      channelId = await g.addChannel({ name: 'dead-upstream', key: secretKey, endpoint: await deadUrl() });
    });

    it('lists a fresh channel with a closed circuit and only its key hint', async () => {
      const res = await get('/api/v1/admin/channels');
      expect(res.statusCode).toBe(200);
      const channel = res.json().data.find((c: { id: number }) => c.id === channelId);
      expect(channel).toMatchObject({
        id: channelId, name: 'dead-upstream', provider: 'openai', enabled: true, weight: 1, models: null, key_hint: expect.stringMatching(/^fp_/),
        circuit: { key: `channel:${channelId}`, state: 'closed', consecutive_failures: 0, error_rate: 0 },
      });
    });

    it('shows the circuit open after the channel failed, and lists it among the circuits', async () => {
      const buyer = await g.buyer(100);
      for (let i = 0; i < 2; i++) {
        const res = await g.t.request({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` }, payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } });
        expect(res.statusCode).toBeGreaterThanOrEqual(500);
      }
      const channel = (await get('/api/v1/admin/channels')).json().data.find((c: { id: number }) => c.id === channelId);
      expect(channel.circuit).toMatchObject({ state: 'open', consecutive_failures: 2, error_rate: 1 });
      const circuits = (await get('/api/v1/admin/circuits')).json();
      expect(circuits).toMatchObject({ code: 200, data: expect.arrayContaining([{ key: `channel:${channelId}`, state: 'open', consecutive_failures: 2, error_rate: 1 }]) });
    });

    it('never answers any part of the upstream key', async () => {
      const body = (await get('/api/v1/admin/channels')).body;
      expect(body).not.toContain(secretKey.slice(-12));
      expect(body).not.toContain('sk-upstream');
    });
  });

  describe('who may call', () => {
    const routes: [string, string][] = [
      ['GET', '/api/v1/admin/users'],
      ['PUT', '/api/v1/admin/users/1/role'],
      ['GET', '/api/v1/admin/orders'],
      ['GET', '/api/v1/admin/channels'],
      ['GET', '/api/v1/admin/circuits'],
    ];
    it.each(routes)('%s %s answers 401 without a token and 403 to a non-operator', async (method, url) => {
      const user = await registerUser(g.t);
      const payload = method === 'PUT' ? { role: 'admin' } : undefined;
      const anonymous = await g.t.request({ method: method as 'GET', url, payload });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ code: 401, data: null });
      const forbidden = await g.t.request({ method: method as 'GET', url, headers: user.auth, payload });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toMatchObject({ code: 403, data: null });
      // A supplier is not an operator either, and cannot promote themselves.
      expect((await setRole(user.id, { role: 'supplier' })).statusCode).toBe(200);
      expect((await g.t.request({ method: method as 'GET', url: url.replace('/users/1/', `/users/${user.id}/`), headers: user.auth, payload })).statusCode).toBe(403);
    });
  });

  it('never shows the operator password or the master key in a response or a log line', () => {
    const seen = [...g.t.logs, ...g.t.responses].join('\n');
    for (const secret of ['operator pass 1', g.t.config.masterKey as string]) expect(seen).not.toContain(secret);
  });
});
