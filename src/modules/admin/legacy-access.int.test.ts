import crypto from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, initRoot, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';

// Who may call which legacy endpoint: every route but init needs one of our API keys, all but init and me an
// operator's. Authentication runs before validation, so a stranger learns nothing from a bad body or id.

type Call = { method: NonNullable<InjectOptions['method']>; url: string; payload?: Record<string, unknown> };

const ADMIN_CALLS: Call[] = [
  { method: 'GET', url: '/1/users' },
  { method: 'POST', url: '/1/users', payload: { name: 'intruder' } },
  { method: 'DELETE', url: '/1/users/1' },
  { method: 'POST', url: '/1/users/1/reset' },
  { method: 'GET', url: '/1/keys' },
  { method: 'POST', url: '/1/keys', payload: { key: 'sk-intruder-key-0000000000', name: 'intruder' } },
  { method: 'DELETE', url: '/1/keys/1' },
  { method: 'GET', url: '/1/usages?from=2024-03-01&to=2024-03-02' },
];
const AUTHENTICATED_CALLS: Call[] = [{ method: 'GET', url: '/1/me' }, ...ADMIN_CALLS];
const label = (c: Call) => `${c.method} ${c.url}`;

describe.each(DB_TIERS)('legacy /1 access control on $name', (tier) => {
  let t: TestApp;
  let root: { id: number; token: string };
  let member: { id: number; token: string };

  const call = (c: Call, headers: Record<string, string> = {}) => t.request({ ...c, headers });
  const rootStillIntact = async () => {
    const users = (await t.request({ method: 'GET', url: '/1/users', headers: bearer(root.token) })).json();
    expect(users.map((u: { name: string }) => u.name)).not.toContain('intruder');
    const keys = (await t.request({ method: 'GET', url: '/1/keys', headers: bearer(root.token) })).json();
    expect(keys).toEqual([]);
    expect((await t.request({ method: 'GET', url: '/1/me', headers: bearer(root.token) })).json().token).toBe(root.token);
  };

  beforeAll(async () => {
    t = await startTestApp(tier);
    root = await initRoot(t);
    member = (await t.request({ method: 'POST', url: '/1/users', headers: bearer(root.token), payload: { name: 'member' } })).json();
  });
  afterAll(() => t?.close());

  it.each(AUTHENTICATED_CALLS.map((c) => [label(c), c] as const))('answers 401 without a token: %s', async (_, c) => {
    const res = await call(c);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'Missing bearer token' });
    expect(res.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it.each(AUTHENTICATED_CALLS.map((c) => [label(c), c] as const))('answers 401 to a garbage token: %s', async (_, c) => {
    const unknownKey = `sk-${crypto.randomBytes(24).toString('hex')}`;
    for (const token of ['garbage', unknownKey, `${root.token}x`, root.token.slice(0, -1)]) {
      const res = await call(c, bearer(token));
      expect(res.statusCode, token).toBe(401);
      expect(res.json()).toEqual({ error: 'Invalid API key' });
    }
  });

  it('answers 401 to a token sent with another scheme or without its scheme', async () => {
    for (const authorization of [`Basic ${root.token}`, root.token, `Bearer`, `Bearer ${root.token} extra`]) {
      const res = await call({ method: 'GET', url: '/1/me' }, { authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json()).toEqual({ error: 'Missing bearer token' });
    }
  });

  it('answers 401 to a console session token, which is not an API key', async () => {
    const user = await registerUser(t);
    const res = await call({ method: 'GET', url: '/1/me' }, user.auth);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'Invalid API key' });
  });

  it.each(ADMIN_CALLS.map((c) => [label(c), c] as const))('answers 403 to a non-admin token and changes nothing: %s', async (_, c) => {
    const res = await call(c, bearer(member.token));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'This operation requires the operator role' });
    await rootStillIntact();
  });

  it('checks the token before the body: a stranger with malformed JSON gets 401, a member gets 403', async () => {
    const malformed = { method: 'POST' as const, url: '/1/users', payload: '{"name":' };
    const anonymous = await t.request({ ...malformed, headers: { 'content-type': 'application/json' } });
    expect(anonymous.statusCode).toBe(401);
    const asMember = await t.request({ ...malformed, headers: { ...bearer(member.token), 'content-type': 'application/json' } });
    expect(asMember.statusCode).toBe(403);
    const badId = await call({ method: 'DELETE', url: '/1/users/-1' }, bearer(member.token));
    expect(badId.statusCode).toBe(403);
  });

  it('lets a member read /1/me but never another user through it', async () => {
    const res = await call({ method: 'GET', url: '/1/me' }, bearer(member.token));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: member.id, name: 'member', token: member.token });
  });

  it('answers 404 in the legacy shape to an unknown /1 route', async () => {
    const res = await call({ method: 'GET', url: '/1/nothing-here?token=abc' }, bearer(root.token));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'No route for GET /1/nothing-here' });
  });

  it('documents the ten legacy endpoints and our PATCH /1/keys/{id} in /openapi.json', async () => {
    const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    const legacy = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(legacy).toEqual([
      'DELETE /1/keys/{id}',
      'DELETE /1/users/{id}',
      'GET /1/keys',
      'GET /1/me',
      'GET /1/usages',
      'GET /1/users',
      'PATCH /1/keys/{id}',
      'POST /1/keys',
      'POST /1/users',
      'POST /1/users/init',
      'POST /1/users/{id}/reset',
    ]);
    const usageParams = doc.paths['/1/usages'].get.parameters.map((p: { name: string; in: string; required: boolean }) => [p.name, p.in, p.required]);
    expect(usageParams).toEqual([['from', 'query', true], ['to', 'query', true]]);
  });
});
