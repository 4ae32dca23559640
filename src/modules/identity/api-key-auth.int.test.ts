import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bearer, initRoot, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { formatStudioTime } from '../../platform/time.ts';

// Authenticating our API keys (the hook behind /v1 and /1), probed with GET /1/me, which any valid key may call.

const json = { 'content-type': 'application/json' };
const HOUR = 3600_000;
type User = Awaited<ReturnType<typeof registerUser>>;

describe.each(DB_TIERS)('API key authentication on $name', (tier) => {
  let t: TestApp;
  let owner: User;
  const clock = fakeClock();

  beforeAll(async () => {
    t = await startTestApp(tier, { clock });
    owner = await registerUser(t);
  });
  afterAll(() => t?.close());
  // The expiry tests move the clock past the 2 h access token lifetime; each test starts with a fresh one.
  beforeEach(async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', headers: bearer(owner.refreshToken) });
    owner = { ...owner, auth: bearer(res.json().data.access_token) };
  });

  const createKey = async (payload: Record<string, unknown> = {}, as?: User) => {
    const headers = { ...json, ...(as ?? owner).auth };
    const res = await t.request({ method: 'POST', url: '/api/v1/keys', headers, payload: { name: 'probe', ...payload } });
    expect(res.statusCode).toBe(200);
    return res.json().data as { id: number; key: string };
  };
  const patchKey = (id: number, payload: unknown) =>
    t.request({ method: 'PATCH', url: `/api/v1/keys/${id}`, headers: { ...json, ...owner.auth }, payload: JSON.stringify(payload) });
  const probe = (key: string, remoteAddress?: string) =>
    t.request({ method: 'GET', url: '/1/me', headers: bearer(key), ...(remoteAddress ? { remoteAddress } : {}) });
  const keyView = async (id: number) =>
    (await t.request({ method: 'GET', url: `/api/v1/keys/${id}`, headers: owner.auth })).json().data;

  it('accepts a fresh key and answers as its owner', async () => {
    const { key } = await createKey();
    const res = await probe(key);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: owner.id, name: owner.username, token: key });
  });

  it('accepts the scheme in any case', async () => {
    const { key } = await createKey();
    const res = await t.request({ method: 'GET', url: '/1/me', headers: { authorization: `bearer ${key}` } });
    expect(res.statusCode).toBe(200);
  });

  it('records when the key was last used', async () => {
    const { id, key } = await createKey();
    expect((await keyView(id)).last_used_at).toBeNull();
    const usedAt = formatStudioTime(clock.now());
    await probe(key);
    await vi.waitFor(async () => expect((await keyView(id)).last_used_at).toBe(usedAt), { timeout: 5000, interval: 50 });
  });

  it.each([
    ['no token', undefined, 'Missing bearer token'],
    ['a key of the wrong shape', 'sk-short', 'Invalid API key'],
    ['a well-formed key that was never issued', `sk-${'A'.repeat(48)}`, 'Invalid API key'],
    ['a key with one character changed', 'CHANGED', 'Invalid API key'],
  ])('answers 401 to %s', async (_what, token, message) => {
    let header = token;
    if (token === 'CHANGED') {
      const { key } = await createKey();
      header = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    }
    const res = await t.request({ method: 'GET', url: '/1/me', headers: header ? bearer(header) : {} });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: message });
  });

  it('answers 401 to a session access token', async () => {
    const res = await probe(owner.accessToken);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'Invalid API key' });
  });

  it('answers 401 to a disabled key, and accepts it again once re-enabled', async () => {
    const { id, key } = await createKey();
    await patchKey(id, { enabled: false });
    const res = await probe(key);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'API key is disabled' });
    await patchKey(id, { enabled: true });
    expect((await probe(key)).statusCode).toBe(200);
  });

  it('answers 401 once the expiry has passed', async () => {
    const expiresAt = new Date(clock.now().getTime() + HOUR);
    const { key } = await createKey({ expires_at: expiresAt.toISOString() });
    clock.advance(HOUR - 1000);
    expect((await probe(key)).statusCode).toBe(200);
    clock.advance(2000);
    const res = await probe(key);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'API key has expired' });
  });

  it('works again after an expired key gets a later expiry', async () => {
    const { id, key } = await createKey({ expires_at: new Date(clock.now().getTime() + HOUR).toISOString() });
    clock.advance(HOUR);
    expect((await probe(key)).statusCode).toBe(401);
    await patchKey(id, { expires_at: new Date(clock.now().getTime() + HOUR).toISOString() });
    expect((await probe(key)).statusCode).toBe(200);
  });

  describe('IP allow-list', () => {
    const forbiddenBody = { error: 'This API key may not be used from this IP address' };

    it('answers 403 to a caller outside the list (inject calls from 127.0.0.1)', async () => {
      const { key } = await createKey({ allowed_ips: ['10.0.0.0/8'] });
      const res = await probe(key);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(forbiddenBody);
    });

    it('accepts a caller whose address is listed', async () => {
      const { key } = await createKey({ allowed_ips: ['192.0.2.1', '127.0.0.1'] });
      expect((await probe(key)).statusCode).toBe(200);
    });

    it.each([
      ['10.0.0.0/8', '10.200.3.4', 200],
      ['10.0.0.0/8', '11.0.0.1', 403],
      ['192.168.1.0/24', '192.168.1.255', 200],
      ['192.168.1.0/24', '192.168.2.0', 403],
      ['10.0.0.0/8', '::ffff:10.1.2.3', 200],
      ['10.0.0.0/8', '::ffff:11.1.2.3', 403],
      ['::ffff:10.0.0.0/104', '10.9.9.9', 200],
      ['2001:db8::/32', '2001:db8:1::7', 200],
      ['2001:db8::/32', '2001:db9::1', 403],
      ['0.0.0.0/0', '203.0.113.9', 200],
    ])('rule %s and caller %s → %i', async (rule, remoteAddress, status) => {
      const { key } = await createKey({ allowed_ips: [rule] });
      const res = await probe(key, remoteAddress);
      expect(res.statusCode).toBe(status);
      if (status === 403) expect(res.json()).toEqual(forbiddenBody);
    });

    it('follows changes to the list', async () => {
      const { id, key } = await createKey({ allowed_ips: ['10.0.0.0/8'] });
      expect((await probe(key)).statusCode).toBe(403);
      await patchKey(id, { allowed_ips: ['127.0.0.0/8'] });
      expect((await probe(key)).statusCode).toBe(200);
      await patchKey(id, { allowed_ips: null });
      expect((await probe(key, '203.0.113.9')).statusCode).toBe(200);
    });

    it('checks the key before the address: an unknown key from a foreign address is 401', async () => {
      const res = await probe(`sk-${'B'.repeat(48)}`, '203.0.113.9');
      expect(res.statusCode).toBe(401);
    });
  });

  it("answers 401 to every key of a deleted user, and spares other users' keys", async () => {
    const root = await initRoot(t);
    const leaver = await registerUser(t);
    const stayer = await registerUser(t);
    const keys = [await createKey({}, leaver), await createKey({ name: 'second' }, leaver)];
    const kept = await createKey({}, stayer);
    for (const { key } of keys) expect((await probe(key)).statusCode).toBe(200);
    expect((await t.request({ method: 'DELETE', url: `/1/users/${leaver.id}`, headers: bearer(root.token) })).statusCode).toBe(200);
    for (const { key } of keys) {
      const res = await probe(key);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'Invalid API key' });
    }
    expect((await probe(kept.key)).statusCode).toBe(200);
  });

  it('gives a key no operator rights: a user key on an admin route is 403', async () => {
    const { key } = await createKey();
    const res = await t.request({ method: 'GET', url: '/1/users', headers: bearer(key) });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'This operation requires the operator role' });
  });
});
