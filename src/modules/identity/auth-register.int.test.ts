import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { users } from './identity.tables.ts';

// POST /api/v1/auth/register: the spec's shape, every kind of bad input (400, nothing written),
// uniqueness (409) and how the password is stored.

const json = { 'content-type': 'application/json' };

describe.each(DB_TIERS)('POST /api/v1/auth/register on $name', (tier) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(tier);
  });
  afterAll(() => t?.close());

  const register = (payload: unknown) =>
    t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const userCount = async () => Number((await t.database.db.select({ n: count() }).from(users))[0]?.n);

  it('answers with exactly the spec shape and neutral standing', async () => {
    const res = await register({ username: 'testuser', email: 'test@example.com', password: 'password123' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      code: 200,
      message: '注册成功',
      data: {
        id: expect.any(Number),
        username: 'testuser',
        email: 'test@example.com',
        credit_balance: 0,
        is_member: false,
        referral_code: expect.stringMatching(/^[A-HJ-NP-Z2-9]{8}$/),
      },
    });
    const [row] = await t.database.db.select().from(users).where(eq(users.id, res.json().data.id));
    expect(row).toMatchObject({
      username: 'testuser',
      email: 'test@example.com',
      role: 'user',
      status: 'active',
      billingMode: 'prepaid',
      referralCode: res.json().data.referral_code,
      deletedAt: null,
    });
  });

  it('gives every user a different referral code', async () => {
    const a = await register({ username: 'refa', email: 'refa@example.com', password: 'password123' });
    const b = await register({ username: 'refb', email: 'refb@example.com', password: 'password123' });
    expect(a.json().data.referral_code).not.toBe(b.json().data.referral_code);
  });

  it('stores the password as an argon2id hash, never as given', async () => {
    const res = await register({ username: 'hashme', email: 'hashme@example.com', password: 'password123' });
    const [row] = await t.database.db.select().from(users).where(eq(users.id, res.json().data.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(row?.passwordHash).not.toContain('password123');
  });

  it('trims surrounding spaces from the username', async () => {
    const res = await register({ username: '  spaced  ', email: 'spaced@example.com', password: 'password123' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.username).toBe('spaced');
  });

  describe('bad input answers 400 in the studio envelope and writes nothing', () => {
    const valid = { username: 'pending_user', email: 'pending@example.com', password: 'password123' };
    const cases: [string, unknown, string][] = [
      ['an invalid email', { ...valid, email: 'not-an-email' }, 'body.email'],
      ['an email without a domain', { ...valid, email: 'pending@' }, 'body.email'],
      ['a password of 7 characters', { ...valid, password: 'seven77' }, 'body.password'],
      ['a password of 129 characters', { ...valid, password: 'p'.repeat(129) }, 'body.password'],
      ['a username of 2 characters', { ...valid, username: 'ab' }, 'body.username'],
      ['a username of 33 characters', { ...valid, username: 'u'.repeat(33) }, 'body.username'],
      ['a username with a space inside', { ...valid, username: 'pending user' }, 'body.username'],
      ['a username with "@"', { ...valid, username: 'pending@user' }, 'body.username'],
      ['a username with markup', { ...valid, username: '<script>' }, 'body.username'],
      ['a missing email', { username: valid.username, password: valid.password }, 'body.email'],
      ['a missing password', { username: valid.username, email: valid.email }, 'body.password'],
      ['a password that is a number', { ...valid, password: 12345678 }, 'body.password'],
      ['a username that is an array', { ...valid, username: ['pending_user'] }, 'body.username'],
      ['an unknown field (role)', { ...valid, role: 'admin' }, 'role'],
      ['a JSON array instead of an object', [valid], 'body'],
      ['null', 'null', 'body'],
    ];

    it.each(cases)('refuses %s', async (_what, payload, field) => {
      const before = await userCount();
      const res = await register(payload);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body).toEqual({ code: 400, message: expect.any(String), data: null });
      expect(body.message).toContain(field);
      expect(await userCount()).toBe(before);
    });

    it('refuses malformed JSON', async () => {
      const before = await userCount();
      const res = await register('{"username":"pending_user","email":');
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: 'Request body is not valid JSON', data: null });
      expect(await userCount()).toBe(before);
    });

    it('refuses a plain-text body (400) and a form body (415)', async () => {
      const send = (contentType: string) =>
        t.request({
          method: 'POST',
          url: '/api/v1/auth/register',
          headers: { 'content-type': contentType },
          payload: 'username=pending_user&email=pending%40example.com&password=password123',
        });
      const text = await send('text/plain');
      expect(text.statusCode).toBe(400);
      expect(text.json()).toEqual({ code: 400, message: expect.stringContaining('body'), data: null });
      const form = await send('application/x-www-form-urlencoded');
      expect(form.statusCode).toBe(415);
      expect(form.json()).toEqual({ code: 415, message: expect.any(String), data: null });
    });

    it('still lets the same username and email register afterwards', async () => {
      const res = await register(valid);
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ username: 'pending_user', email: 'pending@example.com' });
    });
  });

  describe('uniqueness', () => {
    beforeAll(async () => {
      expect((await register({ username: 'Dana', email: 'Dana@Example.com', password: 'password123' })).statusCode).toBe(200);
    });

    it.each(['Dana', 'dana', 'DANA'])('answers 409 to the taken username %s', async (username) => {
      const res = await register({ username, email: `${username}-other@example.com`, password: 'password123' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ code: 409, message: 'Username is already taken', data: null });
    });

    it.each(['Dana@Example.com', 'dana@example.com', 'DANA@EXAMPLE.COM'])('answers 409 to the taken email %s', async (email) => {
      const res = await register({ username: 'someone_else', email, password: 'password123' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ code: 409, message: 'Email is already registered', data: null });
    });

    it('keeps exactly one user per name and email after the conflicts', async () => {
      const rows = await t.database.db
        .select({ n: count() })
        .from(users)
        .where(sql`lower(${users.username}) = 'dana' or lower(${users.email}) = 'dana@example.com'`);
      expect(Number(rows[0]?.n)).toBe(1);
      expect((await register({ username: 'someone_else', email: 'else@example.com', password: 'password123' })).statusCode).toBe(200);
    });

    it('lets exactly one of two simultaneous registrations of a name win', async () => {
      const results = await Promise.all(
        [1, 2].map((i) => register({ username: 'racer', email: `racer${i}@example.com`, password: 'password123' })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    });
  });

  it.each(['root', 'admin', 'Admin', 'ROOT', 'administrator', 'system'])('reserves the operator name %s (400)', async (username) => {
    const before = await userCount();
    const res = await register({ username, email: `${username}@example.com`, password: 'password123' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: 'This username is reserved', data: null });
    expect(await userCount()).toBe(before);
  });

  it('reserves operator names written in full-width look-alike letters', async () => {
    const res = await register({ username: 'ａｄｍｉｎ', email: 'fullwidth@example.com', password: 'password123' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: 'This username is reserved', data: null });
  });

  it('stores a full-width username in its plain form, so it cannot shadow the plain one', async () => {
    const res = await register({ username: 'ｗｉｄｅ', email: 'wide@example.com', password: 'password123' });
    expect(res.json().data.username).toBe('wide');
    const twin = await register({ username: 'wide', email: 'wide2@example.com', password: 'password123' });
    expect(twin.statusCode).toBe(409);
    const login = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { username: 'ｗｉｄｅ', password: 'password123' },
    });
    expect(login.statusCode).toBe(200);
  });

  it('accepts a non-ASCII username that can then log in by that name', async () => {
    const res = await register({ username: 'İlker', email: 'ilker@example.com', password: 'password123' });
    expect(res.statusCode).toBe(200);
    const login = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: { username: 'İlker', password: 'password123' },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().data.user.username).toBe('İlker');
  });
});
