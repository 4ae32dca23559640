import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { defaultModels } from '../providers/registry.ts';
import { modelPriceCeilings, modelPrices } from './model-prices.tables.ts';

// The operators' price list for API buyers: GET /api/v1/admin/model-prices, PUT/DELETE …/{model}, and the ceiling on
// what suppliers' packages may ask: PUT/DELETE …/{model}/ceiling.

const ADMIN = { ADMIN_EMAIL: 'prices.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const URL = '/api/v1/admin/model-prices';

type Price = { model: string; provider: string; input_price: number; output_price: number; per_image_price: number | null; price_source: string };

describe.each(DB_TIERS)('model prices on $name', (tier) => {
  let t: TestApp;
  let admin: Record<string, string>;
  let alice: Record<string, string>;

  const put = (model: string, payload: unknown, headers = admin) => t.request({ method: 'PUT', url: `${URL}/${model}`, headers, payload: payload as object });
  const del = (model: string, headers = admin) => t.request({ method: 'DELETE', url: `${URL}/${model}`, headers });
  async function prices(): Promise<Price[]> {
    const res = await t.request({ method: 'GET', url: URL, headers: admin });
    expect(res.statusCode).toBe(200);
    return res.json().data;
  }
  const priceOf = async (model: string) => (await prices()).find((p) => p.model === model);

  beforeAll(async () => {
    t = await startTestApp(tier, { env: ADMIN });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
    alice = (await registerUser(t)).auth;
  });
  afterAll(() => t?.close());

  describe('GET', () => {
    it('lists every catalog model at its default price in CNY per 1M tokens, sorted by provider then model', async () => {
      const list = await prices();
      // The adapters' models, and the built-in demo model (DEMO_UPSTREAM is on outside production).
      expect(list).toHaveLength(defaultModels().length + 1);
      expect(list.find((p) => p.model === 'tollgate-demo')).toMatchObject({ provider: 'tollgate-demo', input_price: 0, output_price: 0 });
      const order = list.map((p) => `${p.provider}\u0000${p.model}`);
      expect(order).toEqual([...order].sort());
      // US$0.15 / US$0.60 per 1M at ¥7.2.
      expect(list.find((p) => p.model === 'gpt-4o-mini')).toEqual({
        model: 'gpt-4o-mini', provider: 'openai', input_price: 1.08, output_price: 4.32, per_image_price: null, operations: ['chat'], price_source: 'default',
        ceiling_input_price: 1.62, ceiling_output_price: 6.48, ceiling_per_image_price: null, ceiling_source: 'default',
      });
      expect(list.find((p) => p.model === 'dall-e-3')).toMatchObject({ per_image_price: 0.288, operations: ['images'] });
    });

    it('answers 403 to a user and 401 without a token', async () => {
      expect((await t.request({ method: 'GET', url: URL, headers: alice })).json()).toMatchObject({ code: 403, data: null });
      expect((await t.request({ method: 'GET', url: URL })).statusCode).toBe(401);
    });
  });

  describe('PUT and DELETE', () => {
    it('sets an operator price that GET shows, and DELETE returns the model to its default', async () => {
      const res = await put('gpt-4o-mini', { provider: 'openai', input_price: 2.5, output_price: '10.1234' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        code: 200, message: 'success',
        data: {
          model: 'gpt-4o-mini', provider: 'openai', input_price: 2.5, output_price: 10.1234, per_image_price: null, operations: ['chat'], price_source: 'operator',
          // The default ceiling follows the price: × 1.5, on the 4-decimal step.
          ceiling_input_price: 3.75, ceiling_output_price: 15.1851, ceiling_per_image_price: null, ceiling_source: 'default',
        },
      });
      expect(await priceOf('gpt-4o-mini')).toMatchObject({ input_price: 2.5, output_price: 10.1234, price_source: 'operator' });
      const [row] = await t.database.db.select().from(modelPrices);
      expect(row).toMatchObject({ model: 'gpt-4o-mini', inputMicros: 2_500_000n, outputMicros: 10_123_400n, perImageMicros: null });

      expect((await del('gpt-4o-mini')).json()).toEqual({ code: 200, message: 'success', data: null });
      expect(await priceOf('gpt-4o-mini')).toMatchObject({ input_price: 1.08, output_price: 4.32, price_source: 'default' });
      expect((await del('gpt-4o-mini')).json()).toMatchObject({ code: 404, data: null });
    });

    it('serves a model no adapter knows once priced, and drops it again on DELETE', async () => {
      const res = await put('qwen-long', { provider: 'qwen', input_price: 0, output_price: 0.0001, per_image_price: 0.2 });
      expect(res.json().data).toEqual({
        model: 'qwen-long', provider: 'qwen', input_price: 0, output_price: 0.0001, per_image_price: 0.2, operations: expect.any(Array), price_source: 'operator',
        ceiling_input_price: 0, ceiling_output_price: 0.0001, ceiling_per_image_price: 0.3, ceiling_source: 'default',
      });
      expect(await priceOf('qwen-long')).toMatchObject({ price_source: 'operator' });
      expect((await del('qwen-long')).statusCode).toBe(200);
      expect(await priceOf('qwen-long')).toBeUndefined();
    });

    it.each([
      ['a negative price', { input_price: -1 }],
      ['five decimals', { output_price: '0.00001' }],
      ['a price beyond any meaning', { input_price: 1_000_000.0001 }],
      ['a price in words', { input_price: 'free' }],
      ['an unknown provider', { provider: 'skynet' }],
      ['a missing output_price', { output_price: undefined }],
      ['an unknown field', { currency: 'USD' }],
    ])('answers 400 to %s, storing nothing', async (_what, over) => {
      const res = await put('gpt-4o', { provider: 'openai', input_price: 1, output_price: 2, ...over });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, data: null });
      expect(await priceOf('gpt-4o')).toMatchObject({ price_source: 'default' });
    });

    it('answers 400 to a model id with characters no model has', async () => {
      expect((await put('gpt%204o', { provider: 'openai', input_price: 1, output_price: 2 })).statusCode).toBe(400);
    });

    it('answers 403 to a user and 401 without a token, changing nothing', async () => {
      const body = { provider: 'openai', input_price: 1, output_price: 2 };
      expect((await put('gpt-4o', body, alice)).statusCode).toBe(403);
      expect((await put('gpt-4o', body, {})).statusCode).toBe(401);
      expect((await put('gpt-4o', body)).statusCode).toBe(200);
      expect((await del('gpt-4o', alice)).statusCode).toBe(403);
      expect((await del('gpt-4o', {})).statusCode).toBe(401);
      expect(await priceOf('gpt-4o')).toMatchObject({ input_price: 1, output_price: 2, price_source: 'operator' });
    });
  });

  describe('PUT and DELETE …/{model}/ceiling', () => {
    const putCeiling = (model: string, payload: unknown, headers = admin) =>
      t.request({ method: 'PUT', url: `${URL}/${model}/ceiling`, headers, payload: payload as object });
    const delCeiling = (model: string, headers = admin) => t.request({ method: 'DELETE', url: `${URL}/${model}/ceiling`, headers });

    it('sets the most a package may ask for a model, shown in the list, and DELETE returns it to the price × 1.5', async () => {
      const res = await putCeiling('gpt-4.1-mini', { input_price: 5, output_price: '20.5' });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({
        model: 'gpt-4.1-mini', input_price: 2.88, output_price: 11.52, price_source: 'default',
        ceiling_input_price: 5, ceiling_output_price: 20.5, ceiling_per_image_price: null, ceiling_source: 'operator',
      });
      expect(await priceOf('gpt-4.1-mini')).toMatchObject({ ceiling_input_price: 5, ceiling_output_price: 20.5, ceiling_source: 'operator' });
      const [row] = await t.database.db.select().from(modelPriceCeilings);
      expect(row).toMatchObject({ model: 'gpt-4.1-mini', inputMicros: 5_000_000n, outputMicros: 20_500_000n, perImageMicros: null });

      expect((await delCeiling('gpt-4.1-mini')).json()).toEqual({ code: 200, message: 'success', data: null });
      expect(await priceOf('gpt-4.1-mini')).toMatchObject({ ceiling_input_price: 4.32, ceiling_output_price: 17.28, ceiling_source: 'default' });
      expect((await delCeiling('gpt-4.1-mini')).json()).toMatchObject({ code: 404, data: null });
    });

    it('answers 404 for a model not on the price list, storing nothing', async () => {
      const res = await putCeiling('no-such-model', { input_price: 1, output_price: 1 });
      expect(res.json()).toMatchObject({ code: 404, data: null });
      expect(await t.database.db.select().from(modelPriceCeilings)).toEqual([]);
    });

    it.each([
      ['a negative price', { input_price: -1, output_price: 1 }],
      ['five decimals', { input_price: 1, output_price: '0.00001' }],
      ['a missing output_price', { input_price: 1 }],
      ['a provider (a ceiling has none)', { provider: 'openai', input_price: 1, output_price: 1 }],
    ])('answers 400 to %s', async (_what, body) => {
      expect((await putCeiling('gpt-4o', body)).statusCode).toBe(400);
      expect(await priceOf('gpt-4o')).toMatchObject({ ceiling_source: 'default' });
    });

    it('is documented in /openapi.json (and so /docs), body schema included', async () => {
      const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
      const path = doc.paths['/api/v1/admin/model-prices/{model}/ceiling'];
      expect(Object.keys(path).sort()).toEqual(['delete', 'put']);
      expect(Object.keys(path.put.requestBody.content['application/json'].schema.properties).sort()).toEqual(['input_price', 'output_price', 'per_image_price']);
    });

    it('answers 403 to a user and 401 without a token, changing nothing', async () => {
      const body = { input_price: 1, output_price: 2 };
      expect((await putCeiling('gpt-4o', body, alice)).statusCode).toBe(403);
      expect((await putCeiling('gpt-4o', body, {})).statusCode).toBe(401);
      expect((await delCeiling('gpt-4o', alice)).statusCode).toBe(403);
      expect((await delCeiling('gpt-4o', {})).statusCode).toBe(401);
      expect(await priceOf('gpt-4o')).toMatchObject({ ceiling_source: 'default' });
    });
  });
});
