import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRoot } from '../helpers/actors.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { json, uniqueName } from './support.ts';

interface LogLine {
  request_id?: string;
  req?: { url: string };
  res?: { statusCode: number };
  msg?: string;
}

describe.each(DB_TIERS)('request logs on $name', (tier) => {
  let t: TestApp;
  const seen: { secrets: string[]; requestIds: string[] } = { secrets: [], requestIds: [] };
  let lines: LogLine[];

  beforeAll(async () => {
    t = await startTestApp(tier);
    const track = async (opts: Parameters<TestApp['request']>[0]) => {
      const res = await t.request(opts);
      seen.requestIds.push(String(res.headers['x-request-id']));
      return res;
    };

    const root = await initRoot(t);
    const name = uniqueName('log');
    const password = `pw-${name}-Zq9`;
    seen.secrets.push(password, root.token);
    await track({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: name, email: `${name}@example.com`, password } });
    const login = await track({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: name, password } });
    const { access_token: access, refresh_token: refresh } = login.json().data;
    seen.secrets.push(access, refresh);
    await track({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: name, password: `${password}-wrong` } });
    await track({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${access}` } });
    await track({ method: 'POST', url: '/api/v1/auth/refresh', headers: { authorization: `Bearer ${refresh}` } });
    await track({ method: 'GET', url: '/1/me', headers: { authorization: `Bearer ${root.token}` } });
    await track({ method: 'GET', url: `/1/me?key=${root.token}` });
    await track({ method: 'GET', url: `/1/usages?from=2026-01-01&to=2026-01-02&api_key=${root.token}&token=${access}` });
    await track({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer not-a-jwt-but-secret-looking' } });
    seen.secrets.push('not-a-jwt-but-secret-looking');
    await track({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: 'x', email: 'bad', password: 'sh0rt-secret' } });
    seen.secrets.push('sh0rt-secret');
    const changed = `${password}-new`;
    await track({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: { ...json, authorization: `Bearer ${access}` },
      payload: { old_password: password, new_password: changed },
    });
    seen.secrets.push(changed);
    lines = t.logs.map((l) => JSON.parse(l) as LogLine);
  });
  afterAll(() => t?.close());

  it('writes some request lines to scan (the scan below is not vacuous)', () => {
    expect(lines.filter((l) => l.msg === 'incoming request').length).toBeGreaterThanOrEqual(seen.requestIds.length);
    expect(t.logs.join('\n')).toContain('/1/me?key=[Redacted]');
  });

  it('never writes a password, token, API key or Authorization header value', () => {
    const text = t.logs.join('\n');
    for (const secret of seen.secrets) {
      expect(text).not.toContain(secret);
      // A JWT's signature alone is as good as the token.
      const tail = secret.split('.').pop() ?? secret;
      expect(text).not.toContain(tail);
    }
    expect(text).not.toMatch(/Bearer /);
  });

  it('puts the request id on every line about a request', () => {
    const requestLines = lines.filter((l) => l.req || l.res || /request/.test(l.msg ?? ''));
    expect(requestLines.length).toBeGreaterThan(0);
    for (const line of requestLines) expect(line.request_id, JSON.stringify(line)).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('logs each request we made as an incoming and a completed line with its X-Request-Id', () => {
    for (const id of seen.requestIds) {
      const mine = lines.filter((l) => l.request_id === id);
      expect(mine.some((l) => l.msg === 'incoming request'), id).toBe(true);
      expect(mine.some((l) => l.msg === 'request completed' && typeof l.res?.statusCode === 'number'), id).toBe(true);
    }
  });
});
