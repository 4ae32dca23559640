import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Database } from '../../src/platform/db.ts';
import { startTestApp } from '../helpers/app.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { json } from './support.ts';
import { buildTestApp } from '../helpers/app.ts';

// Probe routes give /v1 and the supply console a body to validate before their real routes exist.
function addProbeRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const body = z.strictObject({ n: z.number().int() });
  app.post('/v1/probe', { schema: { hide: true, body } }, async () => ({ ok: true }));
  app.post('/api/v1/supply/accounts/probe', { schema: { hide: true, body } }, async () => ({ ok: true }));
}

const REQ_ID = /^req_[0-9a-f]{32}$/;

describe.each(DB_TIERS)('the app edge on $name', (tier) => {
  let database: Database;
  let app: FastifyInstance;
  const request = (opts: InjectOptions) => app.inject(opts);

  beforeAll(async () => {
    database = await tier.open();
    app = (await buildTestApp(database)).app;
    addProbeRoutes(app);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  describe('unknown routes', () => {
    it('answer 404 in the OpenAI shape under /v1', async () => {
      const res = await request({ method: 'GET', url: '/v1/x' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        error: { message: 'No route for GET /v1/x', type: 'invalid_request_error', code: 'not_found', param: null },
      });
    });

    it('answer 404 as a bare error string under /1', async () => {
      const res = await request({ method: 'POST', url: '/1/x' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: 'No route for POST /1/x' });
    });

    it('answer 404 in the studio shape under /api/v1 and elsewhere', async () => {
      for (const url of ['/api/v1/x', '/nowhere']) {
        const res = await request({ method: 'GET', url });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toEqual({ code: 404, message: `No route for GET ${url}`, data: null });
      }
    });

    it('answer 404 in the supply shape with SUP_ACC_4041 and the request id under /api/v1/supply/accounts', async () => {
      const res = await request({ method: 'GET', url: '/api/v1/supply/accounts/x/unknown' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        request_id: res.headers['x-request-id'],
        error: { code: 'SUP_ACC_4041', message: 'No route for GET /api/v1/supply/accounts/x/unknown', details: {} },
      });
    });

    it('do not echo the query string in the message', async () => {
      const res = await request({ method: 'GET', url: '/1/x?key=sk-secret-in-query' });
      expect(res.body).not.toContain('sk-secret-in-query');
    });
  });

  describe('malformed JSON', () => {
    const bad = { method: 'POST' as const, headers: json, payload: '{"n": 1,' };

    it('is a 400 in the OpenAI shape under /v1', async () => {
      const res = await request({ ...bad, url: '/v1/probe' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: { message: 'Request body is not valid JSON', type: 'invalid_request_error', code: 'malformed_json', param: null },
      });
    });

    it('is a 400 as a bare error string under /1', async () => {
      const res = await request({ ...bad, url: '/1/users/init' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'Request body is not valid JSON' });
    });

    it('is a 400 in the studio shape under /api/v1', async () => {
      const res = await request({ ...bad, url: '/api/v1/auth/login' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: 'Request body is not valid JSON', data: null });
    });

    it('is a 400 in the supply shape with SUP_ACC_4001', async () => {
      const res = await request({ ...bad, url: '/api/v1/supply/accounts/probe' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        request_id: res.headers['x-request-id'],
        error: { code: 'SUP_ACC_4001', message: 'Request body is not valid JSON', details: {} },
      });
    });

    it('is a 400 for an empty JSON body too', async () => {
      const res = await request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: '' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });
  });

  describe('bodies the edge refuses before any route runs', () => {
    it('answers 413 in the envelope of the prefix for a body over 1 MiB', async () => {
      const payload = JSON.stringify({ n: 1, pad: 'x'.repeat(1024 * 1024) });
      const studio = await request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload });
      expect(studio.statusCode).toBe(413);
      expect(studio.json()).toMatchObject({ code: 413, data: null });
      const v1 = await request({ method: 'POST', url: '/v1/probe', headers: json, payload });
      expect(v1.statusCode).toBe(413);
      expect(v1.json().error).toMatchObject({ type: 'invalid_request_error', code: 'payload_too_large' });
    });

    it('answers 415 in the envelope of the prefix for a content type it cannot parse', async () => {
      const xml = { 'content-type': 'application/xml' };
      const legacy = await request({ method: 'POST', url: '/1/users/init', headers: xml, payload: '<x/>' });
      expect(legacy.statusCode).toBe(415);
      expect(legacy.json()).toEqual({ error: expect.any(String) });
      const supply = await request({ method: 'POST', url: '/api/v1/supply/accounts/probe', headers: xml, payload: '<x/>' });
      expect(supply.statusCode).toBe(415);
      expect(supply.json().error.code).toBe('SUP_ACC_4151');
    });
  });

  describe('schema violations', () => {
    it('name the field in each envelope', async () => {
      const v1 = await request({ method: 'POST', url: '/v1/probe', headers: json, payload: { n: 'one' } });
      expect(v1.statusCode).toBe(400);
      expect(v1.json().error).toMatchObject({ type: 'invalid_request_error', code: 'validation_failed', param: 'body.n' });

      const supply = await request({ method: 'POST', url: '/api/v1/supply/accounts/probe', headers: json, payload: { n: 1, x: 2 } });
      expect(supply.statusCode).toBe(400);
      expect(supply.json().error).toMatchObject({ code: 'SUP_ACC_4001', details: { field: expect.stringMatching(/^body/) } });

      const studio = await request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: 5 } });
      expect(studio.statusCode).toBe(400);
      expect(studio.json()).toMatchObject({ code: 400, message: expect.stringContaining('body.username'), data: null });
    });
  });

  describe('X-Request-Id', () => {
    it('is generated when the client sends none, fresh for each request', async () => {
      const a = await request({ method: 'GET', url: '/healthz' });
      const b = await request({ method: 'GET', url: '/healthz' });
      expect(a.headers['x-request-id']).toMatch(REQ_ID);
      expect(b.headers['x-request-id']).toMatch(REQ_ID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it('echoes a sane client id, on success and on error', async () => {
      for (const url of ['/healthz', '/api/v1/supply/accounts/x/unknown', '/v1/x']) {
        const res = await request({ method: 'GET', url, headers: { 'x-request-id': 'client-trace_01.A:b' } });
        expect(res.headers['x-request-id']).toBe('client-trace_01.A:b');
      }
      const supply = await request({ method: 'GET', url: '/api/v1/supply/accounts/x/unknown', headers: { 'x-request-id': 'trace-7' } });
      expect(supply.json().request_id).toBe('trace-7');
    });

    it.each([
      ['300 characters', 'a'.repeat(300)],
      ['spaces', 'my request id'],
      ['a newline', 'abc\ninjected: yes'],
      ['markup', '<script>'],
    ])('is replaced when the client one has %s', async (_name, given) => {
      const res = await request({ method: 'GET', url: '/healthz', headers: { 'x-request-id': given } });
      expect(res.headers['x-request-id']).toMatch(REQ_ID);
      expect(res.headers.injected).toBeUndefined();
    });
  });

  describe('probes', () => {
    it('/healthz answers 200 while the process runs', async () => {
      const res = await request({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });

    it('/readyz answers 200 naming the database while it is reachable', async () => {
      const res = await request({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', database: tier.name });
    });

    it('/readyz answers 503 once the database is gone, while /healthz still answers 200', async () => {
      const t = await startTestApp(tier);
      try {
        await t.database.close();
        const ready = await t.request({ method: 'GET', url: '/readyz' });
        expect(ready.statusCode).toBe(503);
        expect(ready.json()).toEqual({ status: 'unavailable', database: tier.name });
        expect((await t.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await t.app.close();
      }
    });
  });

  describe('/metrics', () => {
    it('counts requests and their latency by method, route template and status', async () => {
      for (let i = 0; i < 3; i++) await request({ method: 'GET', url: '/healthz' });
      await request({ method: 'DELETE', url: '/1/users/123' });
      await request({ method: 'DELETE', url: '/1/users/456' });
      await request({ method: 'GET', url: `/random-${Date.now()}` });
      const res = await request({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const text = res.body;

      const healthz = /^http_requests_total\{method="GET",route="\/healthz",status="200"\} (\d+)$/m.exec(text);
      expect(Number(healthz?.[1])).toBeGreaterThanOrEqual(3);
      expect(text).toMatch(/^http_requests_total\{method="DELETE",route="\/1\/users\/:id",status="401"\} 2$/m);
      expect(text).not.toMatch(/route="\/1\/users\/123"/);
      expect(text).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m);
      expect(text).not.toContain('route="/random-');
      expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/healthz",status="200"\} \d+$/m);
      expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+$/m);
      expect(text).toContain('# TYPE http_request_duration_seconds histogram');
      expect(text).toContain('process_cpu_user_seconds_total');
    });
  });

  describe('API documentation', () => {
    it('/openapi.json is an OpenAPI 3 document of the public routes', async () => {
      const res = await request({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toBe('Tollgate');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/1/users', '/1/users/{id}']));
      expect(doc.paths['/api/v1/auth/login'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('username');
      for (const hidden of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/v1/probe']) expect(doc.paths).not.toHaveProperty(hidden);
    });

    it('/docs serves the Swagger UI', async () => {
      const res = await request({ method: 'GET', url: '/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      // Titled with our name (platform/api-docs.ts); the page is still Swagger UI's.
      expect(res.body).toContain('<div id="swagger-ui"></div>');
      for (const asset of ['/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js']) {
        expect(res.body).toContain(asset);
        expect((await request({ method: 'GET', url: asset })).statusCode).toBe(200);
      }
      const spec = await request({ method: 'GET', url: '/docs/json' });
      expect(spec.json().paths).toHaveProperty(['/api/v1/auth/login']);
    });
  });
});
