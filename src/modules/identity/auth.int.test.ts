import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';

const json = { 'content-type': 'application/json' };

describe.each(DB_TIERS)('auth on $name', (tier) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(tier);
  });
  afterAll(() => t?.close());

  it('registers a user with the spec shape and neutral standing', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: { username: 'testuser', email: 'test@example.com', password: 'password123' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ code: 200, message: '注册成功' });
    expect(body.data).toEqual({
      id: expect.any(Number),
      username: 'testuser',
      email: 'test@example.com',
      credit_balance: 0,
      is_member: false,
      referral_code: expect.stringMatching(/^[A-Z0-9]{8}$/),
    });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('logs in with the email in the username field and reads /auth/me', async () => {
    const login = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { username: 'TEST@example.com', password: 'password123' },
    });
    expect(login.statusCode).toBe(200);
    const data = login.json().data;
    expect(data.token_type).toBe('bearer');
    expect(data.user).toMatchObject({ username: 'testuser', credit_balance: 0, is_member: false, membership_type: null });
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(data.access_token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().data).toMatchObject({ username: 'testuser', membership_end_date: null, role: 'user' });
  });

  it('refuses a refresh token used as an access token, and an access token used to refresh', async () => {
    const u = await registerUser(t);
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(u.refreshToken) });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({ code: 401, data: null });
    const refresh = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', headers: bearer(u.accessToken) });
    expect(refresh.statusCode).toBe(401);
  });
});
