import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import { operatorSetupTokens, users } from './identity.tables.ts';

// The way in for the root that `/1/users/init` makes (a legacy token, no password, no email): its one-time setup link.

const json = { 'content-type': 'application/json' };
const BASE = 'https://tollgate.example';
const LINK = /^https:\/\/tollgate\.example\/setup\?token=([A-Za-z0-9_-]{43})$/;
const DEAD_LINK = { code: 404, message: 'This setup link is invalid, already used or expired; ask an operator for a new one', data: null };

const tokenOf = (url: string) => LINK.exec(url)?.[1] as string;

describe.each(DB_TIERS)('operator setup links on $name', (tier) => {
  let t: TestApp;
  const clock = fakeClock();
  let root: { id: number; token: string; setup_url: string };
  const passwords: string[] = [];
  const tokens: string[] = [];

  const inspect = (token: string) => t.request({ method: 'GET', url: `/api/v1/auth/operator-setup?token=${encodeURIComponent(token)}` });
  const redeem = (payload: unknown) => t.request({ method: 'POST', url: '/api/v1/auth/operator-setup', headers: json, payload: payload as object });
  const login = (username: string, password: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
  async function freshLink(): Promise<string> {
    const token = tokenOf((await t.app.tollgateOperatorSetup.issue(root.id)).url);
    tokens.push(token);
    return token;
  }
  function setPassword(token: string, email: string, password: string) {
    passwords.push(password);
    return redeem({ token, email, password });
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { PUBLIC_BASE_URL: `${BASE}/` } });
    const res = await t.request({ method: 'POST', url: '/1/users/init' });
    expect(res.statusCode).toBe(200);
    root = res.json();
    tokens.push(tokenOf(root.setup_url));
  });
  afterAll(() => t?.close());

  it('answers /1/users/init with the legacy fields plus a one-time setup_url, stored only as its hash', async () => {
    expect(Object.keys(root).sort()).toEqual(['createdAt', 'id', 'name', 'setup_url', 'token', 'updatedAt']);
    expect(root.setup_url).toMatch(LINK);
    const rows = await t.database.db.select().from(operatorSetupTokens);
    expect(rows).toEqual([
      { tokenHash: sha256Hex(tokenOf(root.setup_url)), userId: root.id, createdAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 24 * 3600_000), usedAt: null },
    ]);
  });

  it("logs the link once, at info, for whoever runs the service", () => {
    const lines = t.logs.filter((l) => l.includes(tokenOf(root.setup_url))).map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ level: 30, setup_url: root.setup_url, userId: root.id })]);
    expect(lines[0].msg).toBe(`open ${root.setup_url} to set the root operator's console password`);
  });

  it('describes the link to the setup page: who it is for, nothing secret', async () => {
    const res = await inspect(tokenOf(root.setup_url));
    expect(res.json()).toEqual({ code: 200, message: 'success', data: { valid: true, creates_operator: false, username: 'root', email: null } });
  });

  it('sets the email and password, answers like a login, and the operator then signs in by email', async () => {
    const res = await setPassword(tokenOf(root.setup_url), 'Root.Ops@example.com', 'root console pass 1');
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(data).toMatchObject({ token_type: 'bearer', user: { id: root.id, username: 'root', email: 'Root.Ops@example.com' } });
    const me = await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(data.access_token) });
    expect(me.json().data).toMatchObject({ id: root.id, role: 'admin', email: 'Root.Ops@example.com' });

    const again = await login('root.ops@example.com', 'root console pass 1');
    expect(again.statusCode).toBe(200);
    expect(again.json().data.user.id).toBe(root.id);
    // The legacy token keeps working: the link adds a way in, it takes none away.
    expect((await t.request({ method: 'GET', url: '/1/me', headers: bearer(root.token) })).statusCode).toBe(200);
  });

  it('works once: a used link is dead, with the same answer as a made-up one', async () => {
    const used = tokenOf(root.setup_url);
    expect((await inspect(used)).json().data).toEqual({ valid: false, creates_operator: false, username: null, email: null });
    const reuse = await setPassword(used, 'root.ops@example.com', 'another pass 22');
    expect(reuse.statusCode).toBe(404);
    expect(reuse.json()).toEqual(DEAD_LINK);
    const madeUp = await setPassword('A'.repeat(43), 'root.ops@example.com', 'another pass 22');
    expect(madeUp.json()).toEqual(DEAD_LINK);
    expect((await login('root.ops@example.com', 'another pass 22')).statusCode).toBe(401);
  });

  it('expires 24 hours after it was issued', async () => {
    const start = clock.now();
    const token = await freshLink();
    clock.advance(24 * 3600_000 - 1000);
    expect((await inspect(token)).json().data.valid).toBe(true);
    clock.advance(1000);
    expect((await inspect(token)).json().data.valid).toBe(false);
    const res = await setPassword(token, 'root.ops@example.com', 'too late pass 3');
    clock.set(start);
    expect(res.json()).toEqual(DEAD_LINK);
  });

  it("retires the operator's other unused links and ends the sessions of the old password", async () => {
    const session = (await login('root', 'root console pass 1')).json().data.access_token;
    const [first, second] = [await freshLink(), await freshLink()];
    expect((await setPassword(first, 'root.ops@example.com', 'root console pass 4')).statusCode).toBe(200);
    expect((await inspect(second)).json().data.valid).toBe(false);
    expect((await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(session) })).statusCode).toBe(401);
    expect((await login('root', 'root console pass 1')).statusCode).toBe(401);
    expect((await login('root', 'root console pass 4')).statusCode).toBe(200);
  });

  it("refuses another user's email with 409 and leaves the link usable", async () => {
    const bob = await registerUser(t, 'bob_setup');
    const token = await freshLink();
    const taken = await setPassword(token, 'BOB_SETUP@example.com', 'root console pass 5');
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 409, data: null });
    expect((await setPassword(token, 'root.ops@example.com', 'root console pass 5')).statusCode).toBe(200);
    const [bobRow] = await t.database.db.select().from(users).where(eq(users.id, bob.id));
    expect(bobRow).toMatchObject({ role: 'user', email: 'bob_setup@example.com' });
  });

  it('lets one of two simultaneous uses of a link win', async () => {
    const token = await freshLink();
    const results = await Promise.all(['root console pass 7', 'root console pass 8'].map((p) => setPassword(token, 'root.ops@example.com', p)));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 404]);
    const winner = results.findIndex((r) => r.statusCode === 200);
    expect((await login('root', `root console pass ${7 + winner}`)).statusCode).toBe(200);
  });

  it('lets only a link that creates the operator choose a username', async () => {
    const res = await redeem({ token: await freshLink(), email: 'root.ops@example.com', password: 'root console pass 6', username: 'chief' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/username/);
  });

  it.each([
    ['a NUL in the token', { token: 'abc\u0000def', email: 'a@example.com', password: 'long enough 1' }],
    ['a NUL in the email', { email: 'a\u0000b@example.com', password: 'long enough 1' }],
    ['a huge token', { token: 'x'.repeat(10_000), email: 'a@example.com', password: 'long enough 1' }],
    ['a huge email', { email: `${'a'.repeat(300)}@example.com`, password: 'long enough 1' }],
    ['a password over 128 characters', { email: 'a@example.com', password: 'p'.repeat(129) }],
    ['a password under 8 characters', { email: 'a@example.com', password: 'short' }],
    ['not an email', { email: 'not-an-email', password: 'long enough 1' }],
    ['a numeric token', { token: 12345, email: 'a@example.com', password: 'long enough 1' }],
    ['an array password', { email: 'a@example.com', password: ['long enough 1'] }],
    ['a missing password', { email: 'a@example.com' }],
    ['an unknown field', { email: 'a@example.com', password: 'long enough 1', role: 'admin' }],
  ])('refuses %s with 400 and uses nothing', async (_what, body) => {
    const token = await freshLink();
    const res = await redeem({ token, ...body });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 400, data: null });
    expect((await inspect(token)).json().data.valid).toBe(true);
  });

  it.each([
    ['no token', '/api/v1/auth/operator-setup'],
    ['a NUL in the token', '/api/v1/auth/operator-setup?token=ab%00cd'],
    ['a huge token', `/api/v1/auth/operator-setup?token=${'x'.repeat(5000)}`],
    ['an empty token', '/api/v1/auth/operator-setup?token='],
  ])('answers 400 to a GET with %s', async (_what, url) => {
    const res = await t.request({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 400, data: null });
  });

  it('never logs a password, nor a token outside the line that hands the link out', () => {
    expect(passwords.length).toBeGreaterThan(5);
    for (const password of passwords) expect(t.logs.filter((l) => l.includes(password))).toEqual([]);
    for (const token of tokens) {
      const lines = t.logs.filter((l) => l.includes(token)).map((l) => JSON.parse(l));
      expect(lines.every((l) => l.setup_url?.includes(token))).toBe(true);
    }
    // The GETs above did log their URLs, with the token replaced.
    expect(t.logs.some((l) => l.includes('/api/v1/auth/operator-setup?token=[Redacted]'))).toBe(true);
  });
});

describe.each(DB_TIERS)('operator setup rate limit on $name', (tier) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(tier, { env: { RATE_LIMIT_AUTH_PER_MIN: '3' } });
  });
  afterAll(() => t?.close());

  it('counts setup attempts against the per-IP authentication limit', async () => {
    const attempt = () =>
      t.request({ method: 'POST', url: '/api/v1/auth/operator-setup', headers: json, payload: { token: 'guess', email: 'a@example.com', password: 'long enough 1' } });
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(404);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });
});
