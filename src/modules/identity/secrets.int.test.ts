import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { apiKeys, users } from './identity.tables.ts';

// No password, password hash, API key hash, JWT secret or master key reaches a response or a log line,
// and a full API key appears only in the response that created it. The flow below exercises every
// identity route, successes and failures, at the most verbose log level.

const json = { 'content-type': 'application/json' };
const ADMIN_PASSWORD = 'operator secret 9';
const FIRST_PASSWORD = 'first secret 1';
const SECOND_PASSWORD = 'second secret 2';
const LEAKY_PASSWORD = 'never parsed 3';

describe.each(DB_TIERS)('secrets on $name', (tier) => {
  let t: TestApp;
  const fullKeys: string[] = [];
  const sessionTokens: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD, LOG_LEVEL: 'trace' } });
    const send = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: unknown) =>
      t.request({ method, url, headers: payload === undefined ? headers : { ...json, ...headers }, payload: payload as string });

    await send('POST', '/api/v1/auth/register', {}, { username: 'keeper', email: 'keeper@example.com', password: FIRST_PASSWORD });
    await send('POST', '/api/v1/auth/register', {}, { username: 'keeper', email: 'keeper@example.com', password: FIRST_PASSWORD });
    await send('POST', '/api/v1/auth/register', {}, { username: 'x', email: 'bad', password: FIRST_PASSWORD });
    await send('POST', '/api/v1/auth/login', {}, { username: 'keeper', password: SECOND_PASSWORD });
    await send('POST', '/api/v1/auth/login', {}, { username: 'nobody', password: FIRST_PASSWORD });
    await send('POST', '/api/v1/auth/login', {}, `{"username":"keeper","password":"${LEAKY_PASSWORD}"`);
    const session = (await send('POST', '/api/v1/auth/login', {}, { username: 'keeper', password: FIRST_PASSWORD })).json().data;
    const admin = (await send('POST', '/api/v1/auth/login', {}, { username: 'ops@example.com', password: ADMIN_PASSWORD })).json().data;
    sessionTokens.push(session.access_token, session.refresh_token, admin.access_token, admin.refresh_token);
    const auth = bearer(session.access_token);

    await send('GET', '/api/v1/auth/me', auth);
    await send('POST', '/api/v1/auth/refresh', bearer(session.refresh_token));
    await send('PUT', '/api/v1/auth/password', auth, { old_password: SECOND_PASSWORD, new_password: 'x' });
    await send('PUT', '/api/v1/auth/password', auth, { old_password: FIRST_PASSWORD, new_password: 'short' });
    await send('PUT', '/api/v1/auth/password', auth, { old_password: FIRST_PASSWORD, new_password: SECOND_PASSWORD });
    await send('POST', '/api/v1/auth/login', {}, { username: 'keeper@example.com', password: SECOND_PASSWORD });

    const created = (await send('POST', '/api/v1/keys', auth, { name: 'kept', allowed_ips: ['10.0.0.0/8'] })).json().data;
    const doomed = (await send('POST', '/api/v1/keys', auth, { name: 'doomed' })).json().data;
    fullKeys.push(created.key, doomed.key);
    await send('GET', '/api/v1/keys', auth);
    await send('GET', `/api/v1/keys/${created.id}`, auth);
    await send('PATCH', `/api/v1/keys/${created.id}`, auth, { name: 'renamed' });
    await send('PATCH', `/api/v1/keys/${created.id}`, auth, { allowed_ips: ['bad'] });
    // Failed authentications with the full keys must not echo them back.
    await send('GET', '/1/me', bearer(created.key));
    await send('GET', '/1/users', bearer(doomed.key));
    await send('GET', '/api/v1/auth/me', bearer(created.key));
    await send('GET', `/v1/models?key=${created.key}`);
    await send('DELETE', `/api/v1/keys/${doomed.id}`, auth);
    await send('GET', '/1/me', bearer(doomed.key));
    await send('POST', '/api/v1/auth/logout', auth);
  });
  afterAll(() => t?.close());

  const leaksOf = (secret: string) => ({
    responses: t.responses.filter((r) => r.includes(secret)).length,
    logs: t.logs.filter((l) => l.includes(secret)).length,
  });
  const NONE = { responses: 0, logs: 0 };

  it('captured a realistic amount of traffic', () => {
    const requests = t.responses.length / 2;
    expect(requests).toBe(27);
    expect(t.logs.filter((l) => l.includes('"request completed"'))).toHaveLength(requests);
    expect(fullKeys).toHaveLength(2);
  });

  it.each([ADMIN_PASSWORD, FIRST_PASSWORD, SECOND_PASSWORD, LEAKY_PASSWORD])('never shows the password %j', (password) => {
    expect(leaksOf(password)).toEqual(NONE);
  });

  it('never shows a password hash, nor its digest part', async () => {
    const rows = await t.database.db.select({ hash: users.passwordHash }).from(users);
    const hashes = rows.map((r) => r.hash).filter((h): h is string => h !== null);
    expect(hashes.length).toBeGreaterThanOrEqual(2);
    for (const hash of hashes) {
      expect(leaksOf(hash)).toEqual(NONE);
      expect(leaksOf(hash.split('$').at(-1) as string)).toEqual(NONE);
    }
  });

  it('never shows an API key hash', async () => {
    const rows = await t.database.db.select({ hash: apiKeys.keyHash }).from(apiKeys);
    expect(rows).toHaveLength(2);
    for (const { hash } of rows) expect(leaksOf(hash)).toEqual(NONE);
  });

  it('never shows the JWT secret or the master key', () => {
    expect(leaksOf(t.config.jwtSecret as string)).toEqual(NONE);
    expect(leaksOf(t.config.masterKey as string)).toEqual(NONE);
    expect(leaksOf((t.config.masterKey as string).toUpperCase())).toEqual(NONE);
  });

  it('shows a full API key in its create response only, and never logs it', () => {
    for (const key of fullKeys) {
      const shown = t.responses.filter((r) => r.includes(key));
      expect(shown).toHaveLength(1);
      expect(JSON.parse(shown[0] as string)).toMatchObject({ code: 200, data: { key } });
      expect(leaksOf(key).logs).toBe(0);
    }
  });

  it('never logs an access or refresh token', () => {
    for (const token of sessionTokens) expect(leaksOf(token).logs).toBe(0);
  });

  it('redacts credentials from logged URLs', () => {
    const lines = t.logs.filter((l) => l.includes('/v1/models'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain('key=[Redacted]');
  });
});
