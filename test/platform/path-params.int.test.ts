import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/actors.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { startGateway, type GatewayHarness } from '../helpers/gateway.ts';
import { registeredRoutes } from './support.ts';

// What Fastify's router refuses before a route runs — a path parameter longer than its maxParamLength (100), a
// malformed percent-encoding — is answered like any other refusal: in the path's envelope, with a status the contracts
// declare (404: no resource has such an id; 400 for a URL that cannot be decoded), never Fastify's own 414 body.

const LONG = 'x'.repeat(150);

/** The envelope a path answers in, as platform/envelopes.ts renders it. */
function envelopeOf(path: string, body: unknown): string {
  const b = body as Record<string, unknown>;
  if (path.startsWith('/v1/')) return typeof (b.error as Record<string, unknown> | undefined)?.message === 'string' ? 'openai' : 'other';
  if (path.startsWith('/1/')) return typeof b.error === 'string' ? 'legacy' : 'other';
  if (path.startsWith('/api/v1/supply/')) return typeof b.request_id === 'string' && typeof (b.error as Record<string, unknown> | undefined)?.code === 'string' ? 'supply' : 'other';
  if (path.startsWith('/api/')) return typeof b.code === 'number' && 'message' in b && b.data === null ? 'studio' : 'other';
  return 'other';
}

describe.each(DB_TIERS)('path parameters the router refuses, on $name', (tier) => {
  let g: GatewayHarness;

  beforeAll(async () => {
    g = await startGateway(tier);
  });
  afterAll(() => g?.close());

  const authFor = (path: string) => (path.startsWith('/v1/') || path.startsWith('/1/') ? bearer(g.rootToken) : g.operator);
  const routes = () => registeredRoutes(g.t.app.printRoutes({ commonPrefix: false })).filter((r) => r.path.includes(':') && !r.path.includes('*') && r.method !== 'HEAD');

  it('answers a parameter over 100 characters on every route 404 in the path’s envelope', async () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(30);
    const answers: string[] = [];
    for (const { method, path } of all) {
      const res = await g.t.request({ method: method as 'GET', url: path.replace(/:[A-Za-z_]+/, LONG).replace(/:[A-Za-z_]+/g, '1'), headers: authFor(path) });
      const kind = path.startsWith('/api/') || path.startsWith('/v1/') || path.startsWith('/1/') ? envelopeOf(path, res.json()) : 'n/a';
      if (res.statusCode !== 404 || kind === 'other') answers.push(`${res.statusCode} ${kind} ${method} ${path}: ${res.body.slice(0, 120)}`);
    }
    expect(answers).toEqual([]);
  });

  it('answers a malformed percent-encoding 400 in the path’s envelope', async () => {
    const supply = await g.t.request({ method: 'GET', url: '/api/v1/supply/accounts/%E0%A4%A', headers: g.operator });
    expect(supply.statusCode).toBe(400);
    expect(envelopeOf('/api/v1/supply/', supply.json())).toBe('supply');
    const studio = await g.t.request({ method: 'GET', url: '/api/v1/creations/%zz', headers: g.operator });
    expect(studio.statusCode).toBe(400);
    expect(studio.json()).toEqual({ code: 400, message: expect.stringContaining('Malformed URL'), data: null });
    const legacy = await g.t.request({ method: 'DELETE', url: '/1/keys/%E0%A4%A', headers: bearer(g.rootToken) });
    expect(legacy.statusCode).toBe(400);
    expect(legacy.json()).toEqual({ error: expect.stringContaining('Malformed URL') });
  });
});
