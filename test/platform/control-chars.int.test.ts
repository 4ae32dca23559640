import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi } from '../fakes/openai-upstream.ts';
import type { FakeUpstream } from '../fakes/upstream.ts';
import { bearer } from '../helpers/actors.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { startGateway, type GatewayHarness } from '../helpers/gateway.ts';
import { json, registeredRoutes } from './support.ts';

// NUL and the other C0 control characters (but tab, line feed, carriage return) are input errors: every route that
// takes a body answers 400 in its path's envelope for one, never a 5xx, and nothing is stored. The walk covers every
// route the app registers, each with a body shaped by the route's own schema (every string carrying a NUL) and a
// generic one, signed in as an operator so authentication lets the body through.

type JsonSchema = Record<string, any>;

const NUL = 'x\u0000';

/** A body the schema would accept but for the NUL in every free string (enums and constants keep their values). */
function sample(s: JsonSchema | undefined, depth = 0): unknown {
  if (!s || depth > 6) return NUL;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (Array.isArray(alt)) return sample(alt.find((a: JsonSchema) => a.type !== 'null') ?? alt[0], depth + 1);
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((a: JsonSchema) => sample(a, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries((s.properties ?? {}) as Record<string, JsonSchema>).map(([k, v]) => [k, sample(v, depth + 1)]));
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sample(s.items, depth + 1));
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? Math.max(1, s.minimum) : 1;
    case 'boolean':
      return true;
    default:
      return NUL.padEnd(s.minLength ?? 0, 'x');
  }
}

const GENERIC = {
  name: NUL, username: NUL, password: NUL, email: NUL, key: NUL, model: NUL, prompt: NUL, content: NUL, reason: NUL, phone: NUL,
  messages: [{ role: 'user', content: NUL }], nested: { deeper: [NUL] },
};

describe.each(DB_TIERS)('control characters at the edge on $name', (tier) => {
  let g: GatewayHarness;
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeOpenAi();
    g = await startGateway(tier);
  });
  afterAll(async () => {
    await g?.close();
    await upstream?.close();
  });

  const authFor = (path: string) => (path.startsWith('/v1/') || path.startsWith('/1/') ? bearer(g.rootToken) : g.operator);

  it('answers every POST, PUT and PATCH route a 4xx (never a 5xx, never a success) for a body with a NUL in a string', async () => {
    const doc = g.t.app.swagger() as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>> };
    const routes = registeredRoutes(g.t.app.printRoutes({ commonPrefix: false })).filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.path.includes('*'));
    expect(routes.length).toBeGreaterThan(40);
    const answers: string[] = [];
    for (const { method, path } of routes) {
      const url = path.replace(/:[A-Za-z_]+/g, '1');
      const schema = doc.paths[path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
      // A schema without free strings (numbers and enums only) gives a body without a NUL: only the generic one then.
      for (const body of [sample(schema), GENERIC].filter((b) => JSON.stringify(b).includes('\\u0000'))) {
        const res = await g.t.request({ method: method as 'POST', url, headers: { ...json, ...authFor(path) }, payload: JSON.stringify(body) });
        answers.push(`${res.statusCode} ${method} ${path}`);
      }
    }
    expect(answers.filter((a) => !a.startsWith('4'))).toEqual([]);
  });

  it('answers a NUL in /v1 with the OpenAI error shape', async () => {
    const res = await g.t.request({
      method: 'POST', url: '/v1/chat/completions', headers: { ...json, ...bearer(g.rootToken) },
      payload: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello\u0000' }] }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { message: expect.stringContaining('Control characters'), type: 'invalid_request_error', code: 'validation_failed', param: 'body' },
    });
  });

  it('lets /v1 bodies carry tab, line feed, carriage return and an escaped backslash before "u0000"', async () => {
    await g.addChannel({ endpoint: upstream.url });
    const content = 'line one\nline two\r\n\ttabbed, and the text \\u0000 written out';
    const res = await g.t.request({
      method: 'POST', url: '/v1/chat/completions', headers: { ...json, ...bearer(g.rootToken) },
      payload: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
    });
    expect(res.statusCode, res.body).toBe(200);
    const sent = upstream.requests.at(-1)?.body as { messages: { content: string }[] };
    expect(sent.messages[0]?.content).toBe(content);
  });

  it('answers the unauthenticated login with the studio envelope', async () => {
    const res = await g.t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: JSON.stringify({ username: 'root\u0000', password: 'x' }) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 400, message: expect.stringContaining('Control characters'), data: null });
  });

  it('answers the supply console with its envelope, and /1 with a bare error', async () => {
    const supply = await g.t.request({
      method: 'POST', url: '/api/v1/supply/accounts/verify', headers: { ...json, ...g.operator },
      payload: JSON.stringify({ provider: 'openai', account_type: 'api_key', credential_input: 'sk-abcdefgh\u001f' }),
    });
    expect(supply.statusCode).toBe(400);
    expect(supply.json()).toEqual({
      request_id: expect.any(String), error: { code: 'SUP_ACC_4001', message: expect.stringContaining('\\u001f'), details: { field: 'body' } },
    });
    const legacy = await g.t.request({
      method: 'POST', url: '/1/keys', headers: { ...json, ...bearer(g.rootToken) }, payload: JSON.stringify({ key: 'sk-abc\u0000def', name: 'poison' }),
    });
    expect(legacy.statusCode).toBe(400);
    expect(legacy.json()).toEqual({ error: expect.stringContaining('Control characters') });
    expect((await g.t.request({ method: 'GET', url: '/1/keys', headers: bearer(g.rootToken) })).json().map((k: { name: string }) => k.name)).not.toContain('poison');
  });

  it('refuses control characters in query strings and path parameters, in the path’s envelope', async () => {
    const query = await g.t.request({ method: 'GET', url: '/api/v1/supply/accounts?status=active%00', headers: g.operator });
    expect(query.statusCode).toBe(400);
    expect(query.json().error).toMatchObject({ code: 'SUP_ACC_4001', message: expect.stringContaining('query string'), details: { field: 'query.status' } });
    const studio = await g.t.request({ method: 'GET', url: '/api/v1/models?provider=%07openai', headers: g.operator });
    expect(studio.json()).toEqual({ code: 400, message: expect.stringContaining('query string'), data: null });
    const path = await g.t.request({ method: 'DELETE', url: '/1/keys/%0B1', headers: bearer(g.rootToken) });
    expect(path.statusCode).toBe(400);
    expect(path.json()).toEqual({ error: expect.stringContaining('the path') });
    // Tab, line feed and carriage return are ordinary text in a query value.
    expect((await g.t.request({ method: 'GET', url: '/api/v1/supply/accounts?page=1%09', headers: g.operator })).json().error?.message ?? '').not.toContain('Control');
  });
});
