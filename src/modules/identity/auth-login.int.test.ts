import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';

// POST /api/v1/auth/login: the username field takes the username or the email in any case; every miss
// answers the same 401.

const json = { 'content-type': 'application/json' };
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const INVALID = { code: 401, message: 'Invalid username or password', data: null };

describe.each(DB_TIERS)('POST /api/v1/auth/login on $name', (tier) => {
  let t: TestApp;
  let userId: number;

  const login = (payload: unknown) =>
    t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: JSON.stringify(payload) });

  beforeAll(async () => {
    t = await startTestApp(tier);
    const reg = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: { username: 'Marta', email: 'Marta.Lopez@Example.com', password: 'correct horse 1' },
    });
    userId = reg.json().data.id;
  });
  afterAll(() => t?.close());

  it('answers with exactly the spec shape', async () => {
    const res = await login({ username: 'Marta', password: 'correct horse 1' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      code: 200,
      message: '登录成功',
      data: {
        access_token: expect.stringMatching(JWT),
        refresh_token: expect.stringMatching(JWT),
        token_type: 'bearer',
        user: {
          id: userId,
          username: 'Marta',
          email: 'Marta.Lopez@Example.com',
          credit_balance: 0,
          is_member: false,
          membership_type: null,
        },
      },
    });
    expect(body.data.access_token).not.toBe(body.data.refresh_token);
  });

  it.each(['Marta', 'marta', 'MARTA', '  marta  ', 'Marta.Lopez@Example.com', 'marta.lopez@example.com', 'MARTA.LOPEZ@EXAMPLE.COM'])(
    'accepts %j in the username field',
    async (name) => {
      const res = await login({ username: name, password: 'correct horse 1' });
      expect(res.statusCode).toBe(200);
      expect(res.json().data.user.id).toBe(userId);
      const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(res.json().data.access_token) });
      expect(me.json().data.id).toBe(userId);
    },
  );

  it('opens a separate session on every login', async () => {
    const a = (await login({ username: 'marta', password: 'correct horse 1' })).json().data;
    const b = (await login({ username: 'marta', password: 'correct horse 1' })).json().data;
    expect(a.refresh_token).not.toBe(b.refresh_token);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(a.access_token) })).statusCode).toBe(200);
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(b.access_token) });
    expect(me.statusCode).toBe(200);
  });

  it('answers the same 401 to a wrong password and to an unknown user', async () => {
    const wrong = await login({ username: 'marta', password: 'wrong horse 1' });
    const unknown = await login({ username: 'nobody', password: 'correct horse 1' });
    const unknownEmail = await login({ username: 'nobody@example.com', password: 'correct horse 1' });
    for (const res of [wrong, unknown, unknownEmail]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(INVALID);
    }
  });

  it('compares passwords exactly (case and surrounding spaces matter)', async () => {
    for (const password of ['CORRECT HORSE 1', ' correct horse 1', 'correct horse 1 ', 'correct horse']) {
      const res = await login({ username: 'marta', password });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(INVALID);
    }
  });

  it('does not treat SQL wildcards in the login as patterns', async () => {
    for (const name of ['%', 'mar%', 'mart_', '%@example.com']) {
      const res = await login({ username: name, password: 'correct horse 1' });
      expect(res.statusCode).toBe(401);
    }
  });

  it.each([
    ['a missing password', { username: 'marta' }],
    ['a missing username', { password: 'correct horse 1' }],
    ['an empty username', { username: '', password: 'correct horse 1' }],
    ['an empty password', { username: 'marta', password: '' }],
    ['a numeric password', { username: 'marta', password: 12345678 }],
    ['an unknown field', { username: 'marta', password: 'correct horse 1', remember: true }],
    ['a password over 128 characters', { username: 'marta', password: 'p'.repeat(129) }],
  ])('answers 400 to %s', async (_what, payload) => {
    const res = await login(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: expect.stringMatching(/^Invalid request: /), data: null });
  });

  it('answers 400 to malformed JSON', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: '{"username":' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: 'Request body is not valid JSON', data: null });
  });

  describe('accounts that cannot log in', () => {
    let root: { token: string };
    beforeAll(async () => {
      root = await initRoot(t);
    });

    it('refuses the root operator (it has no password) with the same 401', async () => {
      const res = await login({ username: 'root', password: 'anything at all' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(INVALID);
    });

    it('refuses a user created through /1/users (no password) with the same 401', async () => {
      const created = await t.request({ method: 'POST', url: '/1/users', headers: bearer(root.token), payload: { name: 'postpaid1' } });
      expect(created.statusCode).toBe(200);
      const res = await login({ username: 'postpaid1', password: 'anything at all' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(INVALID);
    });

    it('refuses a deleted user with the same 401, and frees the name for a new registration', async () => {
      const reg = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: json,
        payload: { username: 'leaver', email: 'leaver@example.com', password: 'correct horse 1' },
      });
      const id = reg.json().data.id;
      expect((await t.request({ method: 'DELETE', url: `/1/users/${id}`, headers: bearer(root.token) })).statusCode).toBe(200);
      const res = await login({ username: 'leaver', password: 'correct horse 1' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(INVALID);
      const again = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: json,
        payload: { username: 'leaver', email: 'leaver@example.com', password: 'another horse 2' },
      });
      expect(again.statusCode).toBe(200);
      expect(again.json().data.id).not.toBe(id);
      expect((await login({ username: 'leaver', password: 'another horse 2' })).json().data.user.id).toBe(again.json().data.id);
    });
  });
});
