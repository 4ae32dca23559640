import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db.ts';
import { sendJson, startFakeServer, type FakeUpstream } from '../fakes/upstream.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { startGateway, type GatewayHarness } from '../helpers/gateway.ts';
import { json, uniqueName } from './support.ts';

// pino's numeric levels.
const DEBUG = 20;
const INFO = 30;
const WARN = 40;
const ERROR = 50;

interface LogLine {
  level: number;
  msg?: string;
  request_id?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
  user_id?: number;
  model?: string;
  error?: { code: string; message: string };
  err?: { stack?: string };
}

/** Makes the next transaction fail the way a bug would: a plain Error, not an AppError. */
function failingOnce() {
  let armed = false;
  return {
    arm: () => void (armed = true),
    wrap: (database: Database): Database => ({
      ...database,
      async transaction(fn) {
        if (armed) {
          armed = false;
          throw new TypeError('cannot read the ledger row (injected)');
        }
        return database.transaction(fn);
      },
    }),
  };
}

describe.each(DB_TIERS)('request logs on $name', (tier) => {
  let g: GatewayHarness;
  let overloaded: FakeUpstream;
  const failure = failingOnce();
  const seen: { secrets: string[]; requestIds: string[] } = { secrets: [], requestIds: [] };
  const ids: Record<'me' | 'notFound' | 'invalid' | 'upstream' | 'crash' | 'health' | 'redacted', string> = {} as never;
  let userId: number;
  let lines: LogLine[];

  beforeAll(async () => {
    overloaded = await startFakeServer((_req, res) => sendJson(res, 503, { error: { message: 'overloaded, try later', type: 'server_error' } }));
    g = await startGateway(tier, { env: { LOG_LEVEL: 'debug' }, wrapDatabase: failure.wrap });
    const track = async (opts: Parameters<GatewayHarness['t']['request']>[0]) => {
      const res = await g.t.request(opts);
      const id = String(res.headers['x-request-id']);
      seen.requestIds.push(id);
      return { res, id };
    };

    const name = uniqueName('log');
    const password = `pw-${name}-Zq9`;
    seen.secrets.push(password, g.rootToken);
    const reg = await track({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: name, email: `${name}@example.com`, password } });
    userId = reg.res.json().data.id;
    const login = await track({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: name, password } });
    const { access_token: access, refresh_token: refresh } = login.res.json().data;
    seen.secrets.push(access, refresh);
    await track({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: name, password: `${password}-wrong` } });
    ids.me = (await track({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${access}` } })).id;
    await track({ method: 'POST', url: '/api/v1/auth/refresh', headers: { authorization: `Bearer ${refresh}` } });
    await track({ method: 'GET', url: '/1/me', headers: { authorization: `Bearer ${g.rootToken}` } });
    ids.redacted = (await track({ method: 'GET', url: `/1/me?key=${g.rootToken}` })).id;
    await track({ method: 'GET', url: `/1/usages?from=2026-01-01&to=2026-01-02&api_key=${g.rootToken}&token=${access}` });
    await track({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer not-a-jwt-but-secret-looking' } });
    seen.secrets.push('not-a-jwt-but-secret-looking');
    ids.invalid = (await track({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: 'x', email: 'bad', password: 'sh0rt-secret' } })).id;
    seen.secrets.push('sh0rt-secret');
    const changed = `${password}-new`;
    await track({ method: 'PUT', url: '/api/v1/auth/password', headers: { ...json, authorization: `Bearer ${access}` }, payload: { old_password: password, new_password: changed } });
    seen.secrets.push(changed);
    ids.notFound = (await track({ method: 'GET', url: '/api/v1/nowhere' })).id;
    ids.health = (await track({ method: 'GET', url: '/healthz' })).id;

    await g.addChannel({ endpoint: overloaded.url });
    const buyer = await g.buyer(100);
    seen.secrets.push(buyer.key);
    const upstream = await track({
      method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${buyer.key}` },
      payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] },
    });
    expect(upstream.res.statusCode).toBe(503);
    ids.upstream = upstream.id;

    failure.arm();
    const crash = await track({
      method: 'PUT', url: '/api/v1/auth/password', headers: { ...json, authorization: `Bearer ${access}` }, payload: { old_password: changed, new_password: `${changed}-2` },
    });
    expect(crash.res.statusCode).toBe(500);
    ids.crash = crash.id;

    lines = g.t.logs.map((l) => JSON.parse(l) as LogLine);
  });
  afterAll(async () => {
    await g?.close();
    await overloaded?.close();
  });

  const linesOf = (id: string) => lines.filter((l) => l.request_id === id);
  const requestLine = (id: string) => {
    const mine = linesOf(id).filter((l) => l.msg === 'request completed');
    expect(mine, id).toHaveLength(1);
    return mine[0] as LogLine;
  };

  it('writes exactly one line per request, with method, redacted url, status, duration and request id', () => {
    expect(lines.some((l) => l.msg === 'incoming request')).toBe(false);
    for (const id of seen.requestIds) {
      const line = requestLine(id);
      expect(line.req?.method, id).toMatch(/^(GET|POST|PUT)$/);
      expect(typeof line.res?.statusCode, id).toBe('number');
      expect(line.responseTime, id).toBeGreaterThanOrEqual(0);
    }
    expect(requestLine(ids.redacted).req?.url).toBe('/1/me?key=[Redacted]');
  });

  it('names the user once authenticated, at info for a success', () => {
    expect(requestLine(ids.me)).toMatchObject({ level: INFO, user_id: userId, res: { statusCode: 200 } });
  });

  it('logs a 404 and a 400 at info with their code and message, and no stack', () => {
    for (const [id, status, code] of [[ids.notFound, 404, 'NOT_FOUND'], [ids.invalid, 400, 'VALIDATION_FAILED']] as const) {
      expect(requestLine(id)).toMatchObject({ level: INFO, res: { statusCode: status }, error: { code } });
      expect(linesOf(id).some((l) => l.err), id).toBe(false);
    }
  });

  it('logs a 503 the upstream caused at warn with the model, and no stack or error-level line', () => {
    expect(requestLine(ids.upstream)).toMatchObject({ level: WARN, res: { statusCode: 503 }, model: 'gpt-4o-mini', error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(linesOf(ids.upstream).some((l) => l.err || l.level >= ERROR)).toBe(false);
  });

  it('logs an unexpected throw at error, with its stack', () => {
    expect(requestLine(ids.crash)).toMatchObject({ level: ERROR, res: { statusCode: 500 }, error: { code: 'INTERNAL' } });
    const withStack = linesOf(ids.crash).filter((l) => l.level === ERROR && l.err?.stack);
    expect(withStack).toHaveLength(1);
    expect(withStack[0]?.err?.stack).toContain('cannot read the ledger row (injected)');
  });

  it('logs health checks at debug, so info shows what people did', () => {
    expect(requestLine(ids.health)).toMatchObject({ level: DEBUG, res: { statusCode: 200 } });
  });

  it('never writes a password, token, API key or Authorization header value', () => {
    const text = g.t.logs.join('\n');
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
    expect(requestLines.length).toBeGreaterThanOrEqual(seen.requestIds.length);
    for (const line of requestLines) expect(line.request_id, JSON.stringify(line)).toMatch(/^req_[0-9a-f]{32}$/);
  });
});
