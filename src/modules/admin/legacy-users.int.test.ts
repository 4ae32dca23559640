import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { users } from '../identity/identity.tables.ts';

// Happy paths and input errors of the legacy users endpoints: init, me, list, create, delete, reset.

const LEGACY_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/;
const FULL_TOKEN = /^sk-[A-Za-z0-9]{48}$/;

describe.each(DB_TIERS)('legacy /1 users on $name', (tier) => {
  let t: TestApp;
  let root: { id: number; token: string; name: string; createdAt: string; updatedAt: string };

  const as = (token: string) => bearer(token);
  const listUsers = async () => (await t.request({ method: 'GET', url: '/1/users', headers: as(root.token) })).json();
  const createUser = (name: string) =>
    t.request({ method: 'POST', url: '/1/users', headers: as(root.token), payload: { name } });

  beforeAll(async () => {
    t = await startTestApp(tier);
    const res = await t.request({ method: 'POST', url: '/1/users/init' });
    expect(res.statusCode).toBe(200);
    root = res.json();
  });
  afterAll(() => t?.close());

  describe('POST /1/users/init', () => {
    it('creates the root operator and shows its token once', async () => {
      // The legacy fields, plus our `setup_url`: the one-time link that gives root a console password.
      expect(Object.keys(root).sort()).toEqual(['createdAt', 'id', 'name', 'setup_url', 'token', 'updatedAt']);
      expect(root.name).toBe('root');
      expect(root.token).toMatch(FULL_TOKEN);
      const [row] = await t.database.db.select().from(users).where(eq(users.id, root.id));
      expect(row).toMatchObject({ username: 'root', role: 'admin', billingMode: 'postpaid', deletedAt: null });
    });

    it('formats times as UTC+8 with milliseconds, matching the stored instant', async () => {
      expect(root.createdAt).toMatch(LEGACY_TIME);
      expect(root.updatedAt).toMatch(LEGACY_TIME);
      const [row] = await t.database.db.select().from(users).where(eq(users.id, root.id));
      expect(Date.parse(root.createdAt)).toBe(row?.createdAt.getTime());
      const beijing = new Date((row?.createdAt.getTime() ?? 0) + 8 * 3600_000).toISOString().slice(0, 23);
      expect(root.createdAt).toBe(`${beijing}+08:00`);
    });

    it('answers 403 to a second init', async () => {
      const res = await t.request({ method: 'POST', url: '/1/users/init' });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: 'Already initialised' });
    });
  });

  describe('GET /1/me', () => {
    it('echoes the token the caller authenticated with', async () => {
      const res = await t.request({ method: 'GET', url: '/1/me', headers: as(root.token) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        id: root.id,
        name: 'root',
        token: root.token,
        createdAt: root.createdAt,
        updatedAt: expect.stringMatching(LEGACY_TIME),
      });
    });

    it('works for a non-admin user too', async () => {
      const u1 = (await createUser('me-user')).json();
      const res = await t.request({ method: 'GET', url: '/1/me', headers: as(u1.token) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ id: u1.id, name: 'me-user', token: u1.token, createdAt: u1.createdAt, updatedAt: u1.updatedAt });
    });
  });

  describe('POST /1/users', () => {
    it('creates a postpaid user and returns its token in full', async () => {
      const res = await createUser('u1');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        id: expect.any(Number),
        name: 'u1',
        token: expect.stringMatching(FULL_TOKEN),
        createdAt: expect.stringMatching(LEGACY_TIME),
        updatedAt: expect.stringMatching(LEGACY_TIME),
        IsDelete: false,
      });
      const [row] = await t.database.db.select().from(users).where(eq(users.id, body.id));
      expect(row).toMatchObject({ username: 'u1', role: 'user', billingMode: 'postpaid' });
    });

    it('answers 409 to a duplicate name, whatever its case, and writes nothing', async () => {
      const before = await listUsers();
      for (const name of ['u1', 'U1']) {
        const res = await createUser(name);
        expect(res.statusCode).toBe(409);
        expect(res.json()).toEqual({ error: 'Username is already taken' });
      }
      expect(await listUsers()).toEqual(before);
    });

    it('lets exactly one of 5 concurrent creates of one name succeed', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => createUser('racer')));
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409, 409]);
      expect((await listUsers()).filter((u: { name: string }) => u.name === 'racer')).toHaveLength(1);
    });

    it('answers 400 to an over-long, empty or ill-formed name, and writes nothing', async () => {
      const before = await listUsers();
      for (const name of ['x'.repeat(65), '', '   ', 'a b', 'a/b']) {
        const res = await createUser(name);
        expect(res.statusCode, name).toBe(400);
        expect(res.json().error, name).toMatch(/^Invalid request: body\.name: /);
      }
      expect((await createUser('y'.repeat(64))).statusCode).toBe(200);
      expect((await listUsers()).length).toBe(before.length + 1);
    });

    it('answers 400 to an unknown field, a wrong type, a missing name and malformed JSON', async () => {
      const post = (payload: string) =>
        t.request({ method: 'POST', url: '/1/users', headers: { ...as(root.token), 'content-type': 'application/json' }, payload });
      const unknown = await post('{"name":"u9","role":"admin"}');
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json()).toEqual({ error: expect.stringMatching(/^Invalid request: body: .*role/) });
      expect((await post('{"name":42}')).statusCode).toBe(400);
      expect((await post('{}')).statusCode).toBe(400);
      const malformed = await post('{"name":');
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toEqual({ error: 'Request body is not valid JSON' });
      expect((await listUsers()).map((u: { name: string }) => u.name)).not.toContain('u9');
    });
  });

  describe('GET /1/users', () => {
    it('lists live users with masked tokens and IsDelete false', async () => {
      const u2 = (await createUser('list-me')).json();
      const list = await listUsers();
      expect(list[0]).toEqual({
        id: root.id,
        name: 'root',
        token: `sk-…${root.token.slice(-4)}`,
        createdAt: root.createdAt,
        updatedAt: expect.stringMatching(LEGACY_TIME),
        IsDelete: false,
      });
      expect(list).toContainEqual({ ...u2, token: `sk-…${u2.token.slice(-4)}` });
      expect(list.map((u: { id: number }) => u.id)).toEqual([...list.map((u: { id: number }) => u.id)].sort((a, b) => a - b));
      for (const u of list) expect(u.IsDelete).toBe(false);
    });

    it('shows an empty token for a self-registered user, who has no legacy token', async () => {
      const reg = await registerUser(t);
      const entry = (await listUsers()).find((u: { id: number }) => u.id === reg.id);
      expect(entry).toMatchObject({ name: reg.username, token: '', IsDelete: false });
    });
  });

  describe('DELETE /1/users/:id', () => {
    it('deletes a user, answers {"message":"ok"}, and its token stops working at once', async () => {
      const victim = (await createUser('doomed')).json();
      expect((await t.request({ method: 'GET', url: '/1/me', headers: as(victim.token) })).statusCode).toBe(200);
      const res = await t.request({ method: 'DELETE', url: `/1/users/${victim.id}`, headers: as(root.token) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ message: 'ok' });
      const me = await t.request({ method: 'GET', url: '/1/me', headers: as(victim.token) });
      expect(me.statusCode).toBe(401);
      expect(me.json()).toEqual({ error: 'Invalid API key' });
      expect((await listUsers()).map((u: { id: number }) => u.id)).not.toContain(victim.id);
    });

    it('lets the name of a deleted user be taken again', async () => {
      const first = (await createUser('phoenix')).json();
      await t.request({ method: 'DELETE', url: `/1/users/${first.id}`, headers: as(root.token) });
      const again = await createUser('phoenix');
      expect(again.statusCode).toBe(200);
      expect(again.json().id).not.toBe(first.id);
    });

    it('answers 404 to an unknown or already deleted user', async () => {
      const gone = (await createUser('gone-twice')).json();
      await t.request({ method: 'DELETE', url: `/1/users/${gone.id}`, headers: as(root.token) });
      for (const id of [gone.id, 999_999]) {
        const res = await t.request({ method: 'DELETE', url: `/1/users/${id}`, headers: as(root.token) });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ error: 'User not found' });
      }
    });

    it('answers 400 to deleting yourself', async () => {
      const res = await t.request({ method: 'DELETE', url: `/1/users/${root.id}`, headers: as(root.token) });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'You cannot delete yourself' });
      expect((await t.request({ method: 'GET', url: '/1/me', headers: as(root.token) })).statusCode).toBe(200);
    });
  });

  describe('POST /1/users/:id/reset', () => {
    it('returns a new full token; the old one stops working at once and the new one works', async () => {
      const u = (await createUser('resettable')).json();
      const res = await t.request({ method: 'POST', url: `/1/users/${u.id}/reset`, headers: as(root.token) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        id: u.id,
        name: 'resettable',
        token: expect.stringMatching(FULL_TOKEN),
        createdAt: u.createdAt,
        updatedAt: expect.stringMatching(LEGACY_TIME),
        IsDelete: false,
      });
      expect(body.token).not.toBe(u.token);
      expect(Date.parse(body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(u.updatedAt));
      const old = await t.request({ method: 'GET', url: '/1/me', headers: as(u.token) });
      expect(old.statusCode).toBe(401);
      const fresh = await t.request({ method: 'GET', url: '/1/me', headers: as(body.token) });
      expect(fresh.statusCode).toBe(200);
      expect(fresh.json().token).toBe(body.token);
      const listed = (await listUsers()).find((x: { id: number }) => x.id === u.id);
      expect(listed.token).toBe(`sk-…${body.token.slice(-4)}`);
    });

    it('answers 404 to an unknown or deleted user', async () => {
      const gone = (await createUser('reset-gone')).json();
      await t.request({ method: 'DELETE', url: `/1/users/${gone.id}`, headers: as(root.token) });
      for (const id of [gone.id, 999_999]) {
        const res = await t.request({ method: 'POST', url: `/1/users/${id}/reset`, headers: as(root.token) });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ error: 'User not found' });
      }
    });
  });

  describe('ids in the path', () => {
    const badIds = ['-1', '0', 'abc', '1.5', '1e3', '0x10', '+5', '007', '99999999999999999999'];

    it.each(badIds)('answers 400 to id %s on delete and reset', async (id) => {
      for (const [method, url] of [['DELETE', `/1/users/${id}`], ['POST', `/1/users/${id}/reset`]] as const) {
        const res = await t.request({ method, url, headers: as(root.token) });
        expect(res.statusCode, `${method} ${url}`).toBe(400);
        expect(res.json()).toEqual({ error: expect.stringMatching(/^Invalid request: params\.id: /) });
      }
    });
  });
});

describe.each(DB_TIERS)('legacy /1 init race on $name', (tier) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(tier);
  });
  afterAll(() => t?.close());

  it('lets exactly one of 5 concurrent inits succeed', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => t.request({ method: 'POST', url: '/1/users/init' })));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 403, 403, 403, 403]);
    const admins = await t.database.db.select().from(users).where(eq(users.role, 'admin'));
    expect(admins).toHaveLength(1);
    const winner = results.find((r) => r.statusCode === 200)?.json();
    expect((await t.request({ method: 'GET', url: '/1/me', headers: bearer(winner.token) })).json().id).toBe(admins[0]?.id);
    await expect(initRoot(t)).rejects.toThrow(/init failed: 403/);
  });
});
