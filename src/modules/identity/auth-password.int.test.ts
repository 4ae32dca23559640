import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { users } from './identity.tables.ts';

// PUT /api/v1/auth/password: checks the current password, and ends every other session of the user.

const json = { 'content-type': 'application/json' };

describe.each(DB_TIERS)('PUT /api/v1/auth/password on $name', (tier) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(tier);
  });
  afterAll(() => t?.close());

  const change = (token: string, payload: unknown) =>
    t.request({ method: 'PUT', url: '/api/v1/auth/password', headers: { ...json, ...bearer(token) }, payload: JSON.stringify(payload) });
  const login = (username: string, password: string) =>
    t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
  const refresh = (token: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', headers: bearer(token) });
  const storedHash = async (id: number) => (await t.database.db.select().from(users).where(eq(users.id, id)))[0]?.passwordHash;

  it('changes the password, ends the other sessions and keeps the current one', async () => {
    const u = await registerUser(t);
    const other = (await login(u.username, u.password)).json().data;
    const res = await change(u.accessToken, { old_password: u.password, new_password: 'brand new secret 2' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: 200, message: '密码已修改', data: null });

    expect((await me(other.access_token)).statusCode).toBe(401);
    expect((await refresh(other.refresh_token)).statusCode).toBe(401);
    expect((await me(u.accessToken)).statusCode).toBe(200);
    expect((await refresh(u.refreshToken)).statusCode).toBe(200);

    const oldLogin = await login(u.username, u.password);
    expect(oldLogin.statusCode).toBe(401);
    expect(oldLogin.json()).toEqual({ code: 401, message: 'Invalid username or password', data: null });
    expect((await login(u.username, 'brand new secret 2')).statusCode).toBe(200);
  });

  it('stores the new password as a new argon2id hash', async () => {
    const u = await registerUser(t);
    const before = await storedHash(u.id);
    await change(u.accessToken, { old_password: u.password, new_password: 'brand new secret 2' });
    const after = await storedHash(u.id);
    expect(after).toMatch(/^\$argon2id\$/);
    expect(after).not.toBe(before);
  });

  it('answers 400 to a wrong current password and changes nothing', async () => {
    const u = await registerUser(t);
    const other = (await login(u.username, u.password)).json().data;
    const before = await storedHash(u.id);
    const res = await change(u.accessToken, { old_password: 'not my password', new_password: 'brand new secret 2' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: 'Current password is wrong', data: null });
    expect(await storedHash(u.id)).toBe(before);
    expect((await me(other.access_token)).statusCode).toBe(200);
    expect((await login(u.username, u.password)).statusCode).toBe(200);
    expect((await login(u.username, 'brand new secret 2')).statusCode).toBe(401);
  });

  it.each([
    ['a new password of 7 characters', { new_password: 'short77' }, 'body.new_password'],
    ['a new password of 129 characters', { new_password: 'n'.repeat(129) }, 'body.new_password'],
    ['a missing new password', { new_password: undefined }, 'body.new_password'],
    ['a missing old password', { old_password: undefined }, 'body.old_password'],
    ['a numeric new password', { new_password: 123456789 }, 'body.new_password'],
    ['an unknown field', { confirm_password: 'brand new secret 2' }, 'confirm_password'],
  ])('answers 400 to %s and changes nothing', async (_what, override, field) => {
    const u = await registerUser(t);
    const before = await storedHash(u.id);
    const res = await change(u.accessToken, { old_password: u.password, new_password: 'brand new secret 2', ...override });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: expect.stringContaining(field), data: null });
    expect(await storedHash(u.id)).toBe(before);
    expect((await login(u.username, u.password)).statusCode).toBe(200);
  });

  it('answers 400 to malformed JSON', async () => {
    const u = await registerUser(t);
    const res = await t.request({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: { ...json, ...bearer(u.accessToken) },
      payload: '{"old_password":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: 'Request body is not valid JSON', data: null });
  });

  it('answers 401 without a token, or with a refresh token, and changes nothing', async () => {
    const u = await registerUser(t);
    const before = await storedHash(u.id);
    const anonymous = await t.request({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: json,
      payload: { old_password: u.password, new_password: 'brand new secret 2' },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({ code: 401, message: 'Missing bearer token', data: null });
    expect((await change(u.refreshToken, { old_password: u.password, new_password: 'brand new secret 2' })).statusCode).toBe(401);
    expect(await storedHash(u.id)).toBe(before);
  });

  it("cannot change another user's password", async () => {
    const a = await registerUser(t);
    const b = await registerUser(t);
    const before = await storedHash(b.id);
    const res = await change(a.accessToken, { old_password: b.password, new_password: 'brand new secret 2' });
    expect(res.statusCode).toBe(200);
    expect(await storedHash(b.id)).toBe(before);
    expect((await login(b.username, b.password)).statusCode).toBe(200);
  });
});
