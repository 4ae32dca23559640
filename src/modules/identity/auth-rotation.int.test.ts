import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { sessions } from './identity.tables.ts';

// REFRESH_TOKEN_ROTATION=true: each refresh hands out a new refresh token, and an old one coming back is
// treated as stolen: the whole session ends (DESIGN.md §4).

describe.each(DB_TIERS)('refresh token rotation on $name', (tier) => {
  let t: TestApp;
  const clock = fakeClock();

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { REFRESH_TOKEN_ROTATION: 'true' } });
  });
  afterAll(() => t?.close());

  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
  const refresh = (token: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', headers: bearer(token) });
  const revokedReasons = async (userId: number) =>
    (await t.database.db.select().from(sessions).where(and(eq(sessions.userId, userId)))).map((s) => s.revokedReason);

  it('returns a new refresh token next to the new access token', async () => {
    const u = await registerUser(t);
    clock.advance(1000);
    const res = await refresh(u.refreshToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      code: 200,
      message: 'Token刷新成功',
      data: { access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'bearer' },
    });
    const next = res.json().data;
    expect(next.refresh_token).not.toBe(u.refreshToken);
    expect((await me(next.access_token)).json().data.id).toBe(u.id);
  });

  it('accepts each new refresh token once, in a chain', async () => {
    const u = await registerUser(t);
    let token = u.refreshToken;
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      const res = await refresh(token);
      expect(res.statusCode).toBe(200);
      token = res.json().data.refresh_token;
    }
    expect(await revokedReasons(u.id)).toEqual([null]);
  });

  it('answers 401 to a reused refresh token and ends the session, newest tokens included', async () => {
    const u = await registerUser(t);
    clock.advance(1000);
    const next = (await refresh(u.refreshToken)).json().data;
    const reuse = await refresh(u.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toEqual({ code: 401, message: 'Refresh token was already used; sign in again', data: null });
    expect((await me(next.access_token)).statusCode).toBe(401);
    expect((await me(u.accessToken)).statusCode).toBe(401);
    expect((await refresh(next.refresh_token)).statusCode).toBe(401);
    expect(await revokedReasons(u.id)).toEqual(['refresh_token_reuse']);
  });

  it("leaves the user's other sessions alone when one session's token is reused", async () => {
    const u = await registerUser(t);
    const other = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: { username: u.username, password: u.password },
    });
    clock.advance(1000);
    await refresh(u.refreshToken);
    expect((await refresh(u.refreshToken)).statusCode).toBe(401);
    expect((await me(other.json().data.access_token)).statusCode).toBe(200);
    expect((await refresh(other.json().data.refresh_token)).statusCode).toBe(200);
  });

  it('lets only one of two simultaneous refreshes with the same token win, and ends the session', async () => {
    const u = await registerUser(t);
    clock.advance(1000);
    const results = await Promise.all([refresh(u.refreshToken), refresh(u.refreshToken)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    const winner = results.find((r) => r.statusCode === 200)?.json().data;
    expect((await refresh(winner.refresh_token)).statusCode).toBe(401);
    expect((await me(winner.access_token)).statusCode).toBe(401);
  });

  it('still refuses an access token as a refresh token', async () => {
    const u = await registerUser(t);
    expect((await refresh(u.accessToken)).statusCode).toBe(401);
    expect((await refresh(u.refreshToken)).statusCode).toBe(200);
  });
});
