import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';

// Console sessions: /auth/me, access (2 h) and refresh (7 d) tokens, the spec's refresh response, logout.

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe.each(DB_TIERS)('sessions on $name', (tier) => {
  let t: TestApp;
  const clock = fakeClock();

  beforeAll(async () => {
    t = await startTestApp(tier, { clock });
  });
  afterAll(() => t?.close());

  const me = (token?: string) =>
    t.request({ method: 'GET', url: '/api/v1/auth/me', headers: token === undefined ? {} : bearer(token) });
  const refresh = (token: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', headers: bearer(token) });
  const logout = (token: string) => t.request({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
  const unauthorised = (message: string) => ({ code: 401, message, data: null });

  describe('GET /api/v1/auth/me', () => {
    it('answers with the spec shape plus the role', async () => {
      const reg = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: { 'content-type': 'application/json' },
        payload: { username: 'meshape', email: 'meshape@example.com', password: 'correct horse 1' },
      });
      const login = await t.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: { username: 'meshape', password: 'correct horse 1' },
      });
      const res = await me(login.json().data.access_token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        code: 200,
        message: 'success',
        data: {
          id: reg.json().data.id,
          username: 'meshape',
          email: 'meshape@example.com',
          role: 'user',
          credit_balance: 0,
          is_member: false,
          membership_type: null,
          membership_end_date: null,
          referral_code: reg.json().data.referral_code,
        },
      });
    });

    it('answers 401 without a token', async () => {
      const res = await me();
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(unauthorised('Missing bearer token'));
    });

    it.each([
      ['a garbage token', 'Bearer not-a-jwt'],
      ['a JWT-shaped garbage token', 'Bearer aaa.bbb.ccc'],
      ['an empty bearer', 'Bearer '],
      ['another scheme', 'Basic bWFydGE6cGFzc3dvcmQ='],
    ])('answers 401 to %s', async (_what, authorization) => {
      const res = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 401, message: expect.any(String), data: null });
    });

    it('answers 401 to a well-formed access token signed with another secret', async () => {
      const u = await registerUser(t);
      const claims = JSON.parse(Buffer.from(u.accessToken.split('.')[1] as string, 'base64url').toString());
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(new TextEncoder().encode('x'.repeat(64)));
      const res = await me(forged);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(unauthorised('Not a valid access token'));
    });

    it('answers 401 to an unsigned (alg none) token carrying valid claims', async () => {
      const u = await registerUser(t);
      const [, payload] = u.accessToken.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      expect((await me(`${header}.${payload}.`)).statusCode).toBe(401);
    });

    it('answers 401 to a refresh token used as an access token', async () => {
      const u = await registerUser(t);
      const res = await me(u.refreshToken);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(unauthorised('Not a valid access token'));
    });
  });

  describe('access token lifetime', () => {
    it('works until 2 hours have passed, then answers 401 "Token has expired"', async () => {
      const u = await registerUser(t);
      clock.advance(2 * HOUR - 1000);
      expect((await me(u.accessToken)).statusCode).toBe(200);
      clock.advance(2000);
      const res = await me(u.accessToken);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(unauthorised('Token has expired'));
    });

    it('can be replaced through refresh after it expired', async () => {
      const u = await registerUser(t);
      clock.advance(3 * HOUR);
      const res = await refresh(u.refreshToken);
      expect(res.statusCode).toBe(200);
      expect((await me(res.json().data.access_token)).json().data.id).toBe(u.id);
    });
  });

  describe('POST /api/v1/auth/refresh (default, no rotation)', () => {
    it('answers with a new access token only, in the spec shape', async () => {
      const u = await registerUser(t);
      clock.advance(1000);
      const res = await refresh(u.refreshToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({ code: 200, message: 'Token刷新成功', data: { access_token: expect.any(String), token_type: 'bearer' } });
      expect(Object.keys(body.data)).not.toContain('refresh_token');
      expect(body.data.access_token).not.toBe(u.accessToken);
      expect((await me(body.data.access_token)).json().data.id).toBe(u.id);
    });

    it('keeps accepting the same refresh token (spec clients reuse it)', async () => {
      const u = await registerUser(t);
      for (let i = 0; i < 3; i++) {
        clock.advance(1000);
        expect((await refresh(u.refreshToken)).statusCode).toBe(200);
      }
      expect((await me(u.accessToken)).statusCode).toBe(200);
    });

    it('answers 401 to an access token used as a refresh token', async () => {
      const u = await registerUser(t);
      const res = await refresh(u.accessToken);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(unauthorised('Not a valid refresh token'));
    });

    it('answers 401 without a token', async () => {
      const res = await t.request({ method: 'POST', url: '/api/v1/auth/refresh' });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual(unauthorised('Missing refresh token'));
    });

    it('stops accepting the refresh token after 7 days', async () => {
      const u = await registerUser(t);
      clock.advance(7 * DAY - 1000);
      expect((await refresh(u.refreshToken)).statusCode).toBe(200);
      clock.advance(2000);
      const res = await refresh(u.refreshToken);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 401, message: expect.any(String), data: null });
    });

    it('does not extend the session: a token refreshed on day 6 dies with the session on day 7', async () => {
      const u = await registerUser(t);
      clock.advance(6 * DAY + 23 * HOUR);
      const fresh = (await refresh(u.refreshToken)).json().data.access_token as string;
      expect((await me(fresh)).statusCode).toBe(200);
      clock.advance(HOUR + 1000);
      expect((await me(fresh)).statusCode).toBe(401);
    });
  });

  describe('POST /api/v1/auth/logout', () => {
    it('revokes the session: its access and refresh tokens answer 401 at once', async () => {
      const u = await registerUser(t);
      const refreshed = (await refresh(u.refreshToken)).json().data.access_token as string;
      const res = await logout(u.accessToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ code: 200, message: '已退出登录', data: null });
      const ended = unauthorised('Session has ended; sign in again');
      expect((await me(u.accessToken)).json()).toEqual(ended);
      expect((await me(refreshed)).json()).toEqual(ended);
      expect((await refresh(u.refreshToken)).json()).toEqual(ended);
      expect((await logout(u.accessToken)).statusCode).toBe(401);
    });

    it("leaves the user's other sessions working", async () => {
      const u = await registerUser(t);
      const other = await t.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: { username: u.username, password: u.password },
      });
      await logout(u.accessToken);
      expect((await me(other.json().data.access_token)).statusCode).toBe(200);
      expect((await refresh(other.json().data.refresh_token)).statusCode).toBe(200);
    });

    it('answers 401 without a token and to a refresh token', async () => {
      const u = await registerUser(t);
      expect((await t.request({ method: 'POST', url: '/api/v1/auth/logout' })).statusCode).toBe(401);
      expect((await logout(u.refreshToken)).statusCode).toBe(401);
      expect((await me(u.accessToken)).statusCode).toBe(200);
    });
  });

  it("ends a deleted user's sessions at once", async () => {
    const root = await initRoot(t);
    const u = await registerUser(t);
    expect((await t.request({ method: 'DELETE', url: `/1/users/${u.id}`, headers: bearer(root.token) })).statusCode).toBe(200);
    expect((await me(u.accessToken)).statusCode).toBe(401);
    expect((await refresh(u.refreshToken)).statusCode).toBe(401);
  });
});
