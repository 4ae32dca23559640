import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';

// PATCH /api/v1/keys/:id: each restriction can be set and cleared; bad values change nothing.

const json = { 'content-type': 'application/json' };
type User = Awaited<ReturnType<typeof registerUser>>;

describe.each(DB_TIERS)('PATCH /api/v1/keys/:id on $name', (tier) => {
  let t: TestApp;
  let owner: User;

  beforeAll(async () => {
    t = await startTestApp(tier);
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());

  const createKey = async (payload: Record<string, unknown> = { name: 'editable' }) => {
    const res = await t.request({ method: 'POST', url: '/api/v1/keys', headers: { ...json, ...owner.auth }, payload });
    const { key: _secret, ...view } = res.json().data;
    return view as Record<string, unknown> & { id: number };
  };
  const patch = (id: number, payload: unknown) =>
    t.request({
      method: 'PATCH',
      url: `/api/v1/keys/${id}`,
      headers: { ...json, ...owner.auth },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const current = async (id: number) =>
    (await t.request({ method: 'GET', url: `/api/v1/keys/${id}`, headers: owner.auth })).json().data;

  it.each([
    ['name', { name: 'renamed' }, { name: 'renamed' }],
    ['expires_at with an offset', { expires_at: '2099-12-31T23:00:00+08:00' }, { expires_at: '2099-12-31T23:00:00' }],
    ['expires_at in UTC', { expires_at: '2099-12-31T15:00:00Z' }, { expires_at: '2099-12-31T23:00:00' }],
    ['allowed_models', { allowed_models: ['gpt-4o'] }, { allowed_models: ['gpt-4o'] }],
    ['allowed_ips', { allowed_ips: ['192.168.0.0/16', '::1'] }, { allowed_ips: ['192.168.0.0/16', '::1'] }],
    ['spend_limit as a string', { spend_limit: '99.99' }, { spend_limit: 99.99 }],
    ['spend_limit as a number', { spend_limit: 250 }, { spend_limit: 250 }],
    ['enabled', { enabled: false }, { enabled: false }],
  ])('sets %s and changes nothing else', async (_what, body, expected) => {
    const before = await createKey();
    const res = await patch(before.id, body);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: 200, message: 'success', data: { ...before, ...expected } });
    expect(await current(before.id)).toEqual({ ...before, ...expected });
  });

  it('clears expiry, model list, IP list and spend limit with null', async () => {
    const before = await createKey({
      name: 'clearable',
      expires_at: '2099-01-01T00:00:00Z',
      allowed_models: ['m'],
      allowed_ips: ['10.0.0.1'],
      spend_limit: 5,
    });
    const res = await patch(before.id, { expires_at: null, allowed_models: null, allowed_ips: null, spend_limit: null });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual({ ...before, expires_at: null, allowed_models: null, allowed_ips: null, spend_limit: null });
  });

  it('sets several fields at once and can re-enable a key', async () => {
    const before = await createKey();
    await patch(before.id, { enabled: false });
    const res = await patch(before.id, { enabled: true, name: 'back', allowed_models: ['a', 'b'] });
    expect(res.json().data).toEqual({ ...before, enabled: true, name: 'back', allowed_models: ['a', 'b'] });
  });

  describe('bad input answers 400 in the studio envelope and changes nothing', () => {
    const cases: [string, unknown][] = [
      ['an empty body', {}],
      ['a CIDR prefix over 32', { allowed_ips: ['10.0.0.0/33'] }],
      ['an IPv6 prefix over 128', { allowed_ips: ['2001:db8::/129'] }],
      ['an octet over 255', { allowed_ips: ['300.1.1.1'] }],
      ['a CIDR with two prefixes', { allowed_ips: ['10.0.0.0/8/16'] }],
      ['an empty CIDR prefix', { allowed_ips: ['10.0.0.0/'] }],
      ['a host name', { allowed_ips: ['localhost'] }],
      ['a non-string IP rule', { allowed_ips: [167772161] }],
      ['an expiry in the past', { expires_at: '2001-01-01T00:00:00Z' }],
      ['an expiry that is not a date', { expires_at: '2099-13-45' }],
      ['a spend limit with 3 decimals', { spend_limit: 1.005 }],
      ['a spend limit of 0', { spend_limit: 0 }],
      ['a negative spend limit', { spend_limit: '-1.00' }],
      ['a spend limit that is not a number', { spend_limit: 'ten' }],
      ['an empty name', { name: '' }],
      ['a string for enabled', { enabled: 'false' }],
      ['an unknown field', { user_id: 1 }],
      ['an attempt to set the key', { key: 'sk-mine' }],
      ['a JSON array', [{ name: 'x' }]],
      ['malformed JSON', '{"name":'],
    ];

    it.each(cases)('refuses %s', async (_what, body) => {
      const before = await createKey({ name: 'stable', allowed_ips: ['10.0.0.0/8'], spend_limit: 3 });
      const res = await patch(before.id, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.any(String), data: null });
      expect(await current(before.id)).toEqual(before);
    });

    it('names the field at fault', async () => {
      const { id } = await createKey();
      expect((await patch(id, { allowed_ips: ['nope'] })).json().message).toContain('body.allowed_ips.0');
      expect((await patch(id, { spend_limit: 1.234 })).json().message).toContain('body.spend_limit');
      expect((await patch(id, { expires_at: '2001-01-01T00:00:00Z' })).json().message).toBe('expires_at must be in the future');
      expect((await patch(id, {})).json().message).toContain('at least one field must be given');
    });
  });

  it('answers 404 to a deleted key', async () => {
    const { id } = await createKey();
    await t.request({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: owner.auth });
    const res = await patch(id, { name: 'zombie' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 404, message: 'API key not found', data: null });
  });

  it('answers 401 with a refresh token', async () => {
    const { id } = await createKey();
    const res = await t.request({
      method: 'PATCH',
      url: `/api/v1/keys/${id}`,
      headers: { ...json, authorization: `Bearer ${owner.refreshToken}` },
      payload: { name: 'nope' },
    });
    expect(res.statusCode).toBe(401);
  });
});
