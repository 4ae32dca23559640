import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import { registryModels } from './models.tables.ts';

// The studio spec's model management: GET/POST/PUT/DELETE /api/v1/models (router upstreams and the SSRF guard are in
// models-upstreams.int.test.ts). The api_key is write-only: the last test scans everything the app said for any piece of it.

const ADMIN = { ADMIN_EMAIL: 'models.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const PUBLIC_FIELDS = ['credits_cost', 'id', 'is_active', 'model_name', 'name', 'provider'];
const STUDIO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

type Headers = Record<string, string>;
type Model = { id: number; name: string; is_active: boolean } & Record<string, unknown>;

describe.each(DB_TIERS)('model registry on $name', (tier) => {
  const clock = fakeClock();
  const keys: string[] = [];
  let t: TestApp;
  let admin: Headers;
  let alice: Headers;
  let seq = 0;

  const newKey = () => {
    const key = `sk-${crypto.randomBytes(24).toString('base64url')}`;
    keys.push(key);
    return key;
  };
  const modelBody = (over: Record<string, unknown> = {}) => ({
    name: `通义千问Plus ${seq++}`, provider: 'qwen', model_name: 'qwen-plus', api_key: newKey(),
    api_base: 'https://dashscope.aliyuncs.com/compatible-mode/v1', config: { temperature: 0.7, max_tokens: 2000 }, credits_cost: 8, ...over,
  });
  const create = (payload: unknown, headers = admin) => t.request({ method: 'POST', url: '/api/v1/models', headers, payload: payload as object });
  const update = (id: number | string, payload: unknown, headers = admin) =>
    t.request({ method: 'PUT', url: `/api/v1/models/${id}`, headers, payload: payload as object });
  const remove = (id: number | string, headers = admin) => t.request({ method: 'DELETE', url: `/api/v1/models/${id}`, headers });
  const list = async (query: string, headers = admin) => {
    const res = await t.request({ method: 'GET', url: `/api/v1/models${query}`, headers });
    expect(res.statusCode).toBe(200);
    return res.json().data as Model[];
  };
  async function createModel(over: Record<string, unknown> = {}): Promise<Model> {
    const res = await create(modelBody(over));
    if (res.statusCode !== 200) throw new Error(`model create failed: ${res.body}`);
    return res.json().data;
  }
  const rowOf = async (id: number) => (await t.database.db.select().from(registryModels).where(eq(registryModels.id, id)))[0];

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { ...ADMIN, LOG_LEVEL: 'trace' } });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
    alice = (await registerUser(t)).auth;
  });
  afterAll(() => t?.close());

  describe('POST /api/v1/models', () => {
    it('creates the spec example and answers it in the operator shape, without the key', async () => {
      const body = modelBody({ name: '通义千问Plus' });
      const res = await create(body);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        code: 200, message: 'success',
        data: {
          id: expect.any(Number), name: '通义千问Plus', provider: 'qwen', model_name: 'qwen-plus', is_active: true, credits_cost: 8,
          api_base: 'https://dashscope.aliyuncs.com/compatible-mode/v1', config: { temperature: 0.7, max_tokens: 2000 },
          has_api_key: true, key_hint: expect.stringMatching(/^fp_[0-9a-f]{12}$/), created_at: expect.stringMatching(STUDIO_TIME),
          updated_at: expect.stringMatching(STUDIO_TIME),
        },
      });
      const row = await rowOf(res.json().data.id);
      expect(row?.credentialCiphertext).not.toContain(body.api_key);
      expect(createSecretBox([t.config.masterKey as string]).decrypt(row?.credentialCiphertext as string)).toBe(body.api_key);
    });

    it('fills the defaults: no key, no base, empty config, 0 credits, active', async () => {
      const res = await create({ name: `bare ${seq++}`, provider: 'openai', model_name: 'gpt-4o-mini' });
      expect(res.json().data).toMatchObject({ api_base: null, config: {}, credits_cost: 0, is_active: true, has_api_key: false, key_hint: null });
    });

    it.each([
      ['an unknown provider', { provider: 'skynet' }],
      ['a negative credits_cost', { credits_cost: -1 }],
      ['a fractional credits_cost', { credits_cost: 1.5 }],
      ['a missing name', { name: undefined }],
      ['an empty model_name', { model_name: '  ' }],
      ['a config that is not an object', { config: ['temperature'] }],
      ['is_active as text', { is_active: 'yes' }],
      ['an api_base that is not a URL', { api_base: 'dashscope' }],
      ['an api_base with credentials in it', { api_base: 'https://user:pw@example.com/v1' }],
      ['an unknown field', { api_secret: 'x' }],
    ])('answers 400 in the studio envelope to %s', async (_what, over) => {
      const res = await create(modelBody(over));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });

    it('refuses an api_key or model_name that is not printable ASCII without spaces (the display name may be any text)', async () => {
      const before = (await t.database.db.select().from(registryModels)).length;
      for (const [over, field] of [
        [{ api_key: 'sk-two words' }, 'body.api_key'],
        [{ api_key: 'sk-\u00e9t\u00e9' }, 'body.api_key'],
        [{ model_name: 'qwen plus' }, 'body.model_name'],
        [{ model_name: '通义千问' }, 'body.model_name'],
      ] as const) {
        const res = await create(modelBody(over));
        expect(res.statusCode, JSON.stringify(over)).toBe(400);
        expect(res.json()).toEqual({ code: 400, message: `Invalid request: ${field}: must be printable ASCII without spaces`, data: null });
      }
      expect(await t.database.db.select().from(registryModels)).toHaveLength(before);
    });

    it('asks for the api_base of a keyed Azure model, whose resource has no shared default', async () => {
      const res = await create(modelBody({ provider: 'azure_openai', api_base: undefined }));
      expect(res.json()).toMatchObject({ code: 400, message: expect.stringContaining('api_base'), data: null });
      expect((await create(modelBody({ provider: 'azure_openai', api_base: undefined, api_key: undefined }))).statusCode).toBe(200);
    });

    it('refuses a second live model of the same name with 409', async () => {
      const first = await createModel();
      const res = await create(modelBody({ name: first.name }));
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 409, data: null });
    });

    it('answers 403 to a user and 401 without a token, writing nothing', async () => {
      const before = (await t.database.db.select().from(registryModels)).length;
      expect((await create(modelBody(), alice)).statusCode).toBe(403);
      expect((await create(modelBody(), {})).statusCode).toBe(401);
      expect((await create(modelBody(), bearer('not-a-token'))).statusCode).toBe(401);
      expect(await t.database.db.select().from(registryModels)).toHaveLength(before);
    });
  });

  describe('GET /api/v1/models', () => {
    let qwen: Model;
    let openai: Model;
    let inactive: Model;

    beforeAll(async () => {
      qwen = await createModel({ credits_cost: 10 });
      openai = await createModel({ provider: 'openai', model_name: 'gpt-4o' });
      inactive = await createModel({ is_active: false });
    });

    it('shows a user the active models with exactly the spec fields', async () => {
      const items = await list('', alice);
      expect(items.find((m) => m.id === qwen.id)).toEqual({
        id: qwen.id, name: qwen.name, provider: 'qwen', model_name: 'qwen-plus', is_active: true, credits_cost: 10,
      });
      for (const m of items) expect(Object.keys(m).sort()).toEqual(PUBLIC_FIELDS);
      expect(items.every((m) => m.is_active)).toBe(true);
      expect(items.map((m) => m.id)).not.toContain(inactive.id);
    });

    it('filters by provider and is_active', async () => {
      const onlyQwen = await list('?provider=qwen&is_active=true', alice);
      expect(onlyQwen.map((m) => m.id)).toContain(qwen.id);
      expect(onlyQwen.map((m) => m.id)).not.toContain(openai.id);
      expect(onlyQwen.every((m) => m.provider === 'qwen')).toBe(true);
      expect((await list('?provider=openai', alice)).map((m) => m.id)).toContain(openai.id);
    });

    it('never shows a user the inactive models, even when asked', async () => {
      expect(await list('?is_active=false', alice)).toEqual([]);
    });

    it('shows operators the inactive models on request, with the operator fields', async () => {
      const items = await list('?is_active=false');
      expect(items.map((m) => m.id)).toContain(inactive.id);
      expect(items.every((m) => !m.is_active)).toBe(true);
      expect(items.find((m) => m.id === inactive.id)).toMatchObject({ has_api_key: true, key_hint: expect.stringMatching(/^fp_/), created_at: expect.stringMatching(STUDIO_TIME) });
      const active = await list('');
      expect(active.map((m) => m.id)).toEqual(expect.arrayContaining([qwen.id, openai.id]));
      expect(active.map((m) => m.id)).not.toContain(inactive.id);
    });

    it.each(['?is_active=maybe', '?provider=skynet', '?page=1'])('answers 400 to %s', async (query) => {
      const res = await t.request({ method: 'GET', url: `/api/v1/models${query}`, headers: alice });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });

    it('answers 401 without a token', async () => {
      expect((await t.request({ method: 'GET', url: '/api/v1/models' })).statusCode).toBe(401);
    });
  });

  describe('PUT /api/v1/models/{id}', () => {
    it('changes only the fields given and moves updated_at', async () => {
      const m = await createModel();
      clock.advance(60_000);
      const res = await update(m.id, { name: `${m.name} v2`, credits_cost: 12, config: { temperature: 0.2 } });
      expect(res.statusCode).toBe(200);
      const data = res.json().data;
      expect(data).toMatchObject({ ...m, name: `${m.name} v2`, credits_cost: 12, config: { temperature: 0.2 }, updated_at: expect.any(String) });
      expect(data.updated_at).not.toBe(m.updated_at);
      expect(data.created_at).toBe(m.created_at);
    });

    it('replaces the key, removes it with api_key null, and clears api_base with null', async () => {
      const m = await createModel();
      const replaced = (await update(m.id, { api_key: newKey() })).json().data;
      expect(replaced.has_api_key).toBe(true);
      expect(replaced.key_hint).not.toBe(m.key_hint);
      const cleared = (await update(m.id, { api_key: null, api_base: null })).json().data;
      expect(cleared).toMatchObject({ has_api_key: false, key_hint: null, api_base: null });
      expect(await rowOf(m.id)).toMatchObject({ credentialCiphertext: null, credentialFingerprint: null, apiBase: null });
    });

    it('refuses to send a stored key to a new api_base or provider unless api_key comes again (400 naming api_key)', async () => {
      const m = await createModel();
      const before = await rowOf(m.id);
      for (const [body, moved] of [
        [{ api_base: 'https://collector.example.net/v1' }, 'api_base'],
        [{ api_base: null }, 'api_base'],
        [{ provider: 'openai' }, 'provider'],
        [{ provider: 'openai', api_base: m.api_base, credits_cost: 3 }, 'provider'],
      ] as const) {
        const res = await update(m.id, body);
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json()).toEqual({
          code: 400, message: `Changing ${moved} needs api_key again in the same request: a stored key is never sent to a new destination without it`, data: null,
        });
      }
      expect(await rowOf(m.id)).toEqual(before);
    });

    it('moves an entry with its key given again, and one without a key freely; the same api_base is no move', async () => {
      const m = await createModel();
      const same = await update(m.id, { api_base: 'https://dashscope.aliyuncs.com/compatible-mode/v1/', credits_cost: 9 });
      expect(same.statusCode, same.body).toBe(200);
      const moved = await update(m.id, { api_base: 'https://other.example.com/v1', provider: 'openai', api_key: newKey() });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json().data).toMatchObject({ api_base: 'https://other.example.com/v1', provider: 'openai', has_api_key: true });
      expect(moved.json().data.key_hint).not.toBe(m.key_hint);
      const bare = await createModel({ api_key: undefined });
      const rebased = await update(bare.id, { api_base: 'https://third.example.com', provider: 'openai' });
      expect(rebased.statusCode, rebased.body).toBe(200);
    });

    it('hides a deactivated model from users', async () => {
      const m = await createModel();
      expect((await update(m.id, { is_active: false })).json().data.is_active).toBe(false);
      expect((await list('', alice)).map((x) => x.id)).not.toContain(m.id);
    });

    it('answers 409 to a rename onto a live name', async () => {
      const [a, b] = [await createModel(), await createModel()];
      expect((await update(b.id, { name: a.name })).statusCode).toBe(409);
    });

    it.each([
      ['an empty body', {}],
      ['an unknown field', { secret: 1 }],
      ['a negative credits_cost', { credits_cost: -5 }],
      ['an unknown provider', { provider: 'skynet' }],
    ])('answers 400 to %s', async (_what, body) => {
      const m = await createModel();
      const res = await update(m.id, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
    });

    it('answers 400 to a malformed id, 404 to an unknown one, 403 to a user and 401 without a token', async () => {
      const m = await createModel();
      expect((await update('0x10', { credits_cost: 1 })).statusCode).toBe(400);
      expect((await update(99_999_999, { credits_cost: 1 })).json()).toMatchObject({ code: 404, data: null });
      expect((await update(m.id, { credits_cost: 1 }, alice)).statusCode).toBe(403);
      expect((await update(m.id, { credits_cost: 1 }, {})).statusCode).toBe(401);
      expect((await rowOf(m.id))?.creditsCost).toBe(8);
    });
  });

  describe('DELETE /api/v1/models/{id}', () => {
    it('soft-deletes: gone from every list and from writes, the row kept without its ciphertext, the name free again', async () => {
      const m = await createModel();
      const res = await remove(m.id);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ code: 200, message: 'success', data: null });
      for (const q of ['', '?is_active=false']) expect((await list(q)).map((x) => x.id)).not.toContain(m.id);
      expect((await update(m.id, { credits_cost: 1 })).statusCode).toBe(404);
      expect((await remove(m.id)).statusCode).toBe(404);
      const row = await rowOf(m.id);
      expect(row?.deletedAt).toBeInstanceOf(Date);
      expect(row?.credentialCiphertext).toBeNull();
      expect((await create(modelBody({ name: m.name }))).statusCode).toBe(200);
    });

    it('answers 404 to an unknown id, 403 to a user and 401 without a token', async () => {
      const m = await createModel();
      expect((await remove(99_999_999)).statusCode).toBe(404);
      expect((await remove(m.id, alice)).statusCode).toBe(403);
      expect((await remove(m.id, {})).statusCode).toBe(401);
      expect((await rowOf(m.id))?.deletedAt).toBeNull();
    });
  });

  it('never shows or logs any 6-character piece of an api_key', async () => {
    // A refusal that echoes its input is the likeliest leak: a malformed body carrying a key.
    await t.request({ method: 'POST', url: '/api/v1/models', headers: { ...admin, 'content-type': 'application/json' }, payload: `{"api_key":"${newKey()}",` });
    const said = [...t.responses, ...t.logs].join('\n');
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      for (let i = 0; i + 6 <= key.length; i += 1) expect(said.includes(key.slice(i, i + 6)), `a piece of ${i} of an api_key leaked`).toBe(false);
    }
  });
});
