import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import { systemClock } from '../../platform/time.ts';
import { createModelRegistry } from './models.service.ts';

// Registry entries as the router's upstreams (`routable()` and the app's wiring to the router), and the SSRF guard
// on `api_base`. The routes themselves are in models.int.test.ts.

const ADMIN = { ADMIN_EMAIL: 'models.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };

type Headers = Record<string, string>;

async function signIn(t: TestApp): Promise<Headers> {
  const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
  return bearer(login.json().data.access_token);
}

describe.each(DB_TIERS)('model registry as router upstreams on $name', (tier) => {
  let t: TestApp;
  let admin: Headers;
  let alice: Headers;
  let seq = 0;

  const newKey = () => `sk-${crypto.randomBytes(24).toString('base64url')}`;
  const update = (id: number, payload: object) => t.request({ method: 'PUT', url: `/api/v1/models/${id}`, headers: admin, payload });
  async function createModel(over: Record<string, unknown> = {}): Promise<{ id: number }> {
    const payload = { name: `model ${seq++}`, provider: 'qwen', model_name: 'qwen-plus', api_key: newKey(), api_base: 'https://dashscope.aliyuncs.com/compatible-mode/v1', ...over };
    const res = await t.request({ method: 'POST', url: '/api/v1/models', headers: admin, payload });
    if (res.statusCode !== 200) throw new Error(`model create failed: ${res.body}`);
    return res.json().data;
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { env: ADMIN });
    admin = await signIn(t);
    alice = (await registerUser(t)).auth;
  });
  afterAll(() => t?.close());

  it('makes a keyed model a gateway model at once, and takes it away on deactivation', async () => {
    const key = (await t.request({ method: 'POST', url: '/api/v1/keys', headers: alice, payload: { name: 'registry' } })).json().data.key as string;
    const gatewayModels = async () =>
      ((await t.request({ method: 'GET', url: '/v1/models', headers: bearer(key) })).json().data as { id: string }[]).map((m) => m.id);
    expect(await gatewayModels()).not.toContain('hunyuan-lite');
    const m = await createModel({ provider: 'tencent', model_name: 'hunyuan-lite', api_base: undefined });
    expect(await gatewayModels()).toContain('hunyuan-lite');
    await update(m.id, { is_active: false });
    expect(await gatewayModels()).not.toContain('hunyuan-lite');
  });

  it('routes only active, live entries that carry a key, at their normalised api_base', async () => {
    const onChange = vi.fn();
    const secrets = createSecretBox([t.config.masterKey as string]);
    const registry = createModelRegistry({ database: t.database, clock: systemClock, secrets, allowPrivateUpstreams: true, onChange });
    const key = newKey();
    const keyed = await registry.create({ name: `routed ${seq++}`, provider: 'qwen', modelName: 'qwen-max', apiKey: key, apiBase: 'https://example.test/v1/' });
    const noBase = await createModel({ api_base: undefined, model_name: 'qwen-turbo' });
    const noKey = await createModel({ api_key: undefined });
    const inactive = await createModel({ is_active: false });
    const deleted = await createModel();
    await registry.remove(deleted.id);
    expect(onChange).toHaveBeenCalledTimes(2);

    const routable = await registry.routable();
    const ids = routable.map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining([keyed.id, noBase.id]));
    for (const id of [noKey.id, inactive.id, deleted.id]) expect(ids).not.toContain(id);
    const upstream = routable.find((u) => u.id === keyed.id);
    expect(upstream).toEqual({
      kind: 'model', id: keyed.id, provider: 'qwen', baseUrl: 'https://example.test', credentialCiphertext: expect.any(String), models: ['qwen-max'], weight: 1,
    });
    expect(secrets.decrypt(upstream?.credentialCiphertext as string)).toBe(key);
    expect(routable.find((u) => u.id === noBase.id)).toMatchObject({ baseUrl: null, models: ['qwen-turbo'] });

    await expect(registry.update(keyed.id, { isActive: false })).resolves.toMatchObject({ isActive: false });
    expect((await registry.routable()).map((u) => u.id)).not.toContain(keyed.id);
    await expect(registry.update(99_999_999, { isActive: true })).rejects.toMatchObject({ status: 404 });
    expect(onChange).toHaveBeenCalledTimes(3);
  });
});

describe.each(DB_TIERS)('model registry SSRF guard on $name', (tier) => {
  let t: TestApp;
  let admin: Headers;

  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ...ADMIN, ALLOW_PRIVATE_UPSTREAMS: 'false' } });
    admin = await signIn(t);
  });
  afterAll(() => t?.close());

  const body = (api_base: string) => ({ name: `m ${api_base}`, provider: 'openai', model_name: 'gpt-4o', api_key: 'sk-test', api_base });

  it.each(['https://127.0.0.1/v1', 'https://10.1.2.3', 'https://169.254.169.254/latest', 'https://[::1]/v1', 'http://1.1.1.1/v1'])(
    'refuses the api_base %s on create and update',
    async (apiBase) => {
      const res = await t.request({ method: 'POST', url: '/api/v1/models', headers: admin, payload: body(apiBase) });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, message: expect.stringContaining('body.api_base'), data: null });
      const ok = await t.request({ method: 'POST', url: '/api/v1/models', headers: admin, payload: body(`https://1.1.1.1/${crypto.randomUUID()}`) });
      expect(ok.statusCode).toBe(200);
      const put = await t.request({ method: 'PUT', url: `/api/v1/models/${ok.json().data.id}`, headers: admin, payload: { api_base: apiBase } });
      expect(put.statusCode).toBe(400);
    },
  );
});
