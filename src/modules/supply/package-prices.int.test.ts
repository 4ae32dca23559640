import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type Actor, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { supplyPackages } from './supply.tables.ts';

// The platform's ceiling on what a package may ask for its model (an operator setting, else the model's price × 1.5):
// a draft above it is refused (422), publishing above it (the ceiling lowered meanwhile) is refused (409
// SUP_PKG_4094), and a batch re-price above it fails that item (SUP_PKG_4004), each in the contract's error shape.

const MODEL = 'gpt-4o-mini'; // ¥1.08 / ¥4.32 per 1M tokens: ceiling ¥1.62 / ¥6.48

describe.each(DB_TIERS)('package prices under the ceiling on $name', (tier) => {
  let h: SupplyHarness;
  let supplier: Actor;
  let account: number;
  const draft = (price: { price_per_1m_input: number; price_per_1m_output: number }) =>
    h.call(supplier, 'POST', '/api/v1/supply/packages/draft', { payload: { supply_account_id: account, model: MODEL, total_quota: 1000, valid_days: 30, ...price } });
  const ceiling = (body: object | undefined) =>
    h.t.request({ method: body ? 'PUT' : 'DELETE', url: `/api/v1/admin/model-prices/${MODEL}/ceiling`, headers: h.operator, ...(body ? { payload: body } : {}) });
  const row = async (id: number) => (await h.t.database.db.select().from(supplyPackages).where(eq(supplyPackages.id, id)))[0];

  beforeAll(async () => {
    h = await startSupply(tier);
    supplier = await h.supplier();
    account = await h.activeAccount(supplier);
  });
  afterAll(async () => {
    h?.assertNoLeaks();
    h?.assertOnlyDeclaredStatuses();
    await h?.close();
  });

  it('saves a draft up to the default ceiling, the price × 1.5, and refuses one above it with 422 naming the field', async () => {
    expect((await draft({ price_per_1m_input: 1.62, price_per_1m_output: 6.48 })).status).toBe(201);
    const before = await h.t.database.db.select().from(supplyPackages);
    const res = await draft({ price_per_1m_input: 1, price_per_1m_output: 6.4801 });
    expect(res.status).toBe(422);
    expect(res.body.error).toEqual({
      code: 'SUP_PKG_4221',
      message: `price_per_1m_output ¥6.4801 is above the platform's ceiling for ${MODEL} (¥6.4800 per 1M output tokens)`,
      details: { field: 'body.price_per_1m_output', ceiling: { price_per_1m_input: '1.6200', price_per_1m_output: '6.4800' } },
    });
    expect(await h.t.database.db.select().from(supplyPackages)).toHaveLength(before.length);
  });

  it("follows an operator's ceiling, refusing to publish a package above one set since its draft (409 SUP_PKG_4094)", async () => {
    const id = (await draft({ price_per_1m_input: 1.5, price_per_1m_output: 5 })).body.data.package_id;
    expect((await ceiling({ input_price: 1.5, output_price: 4.5 })).statusCode).toBe(200);
    const refused = await h.call(supplier, 'POST', `/api/v1/supply/packages/${id}/publish`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'SUP_PKG_4094',
      message: expect.stringContaining("price_per_1m_output ¥5.0000 is above the platform's ceiling for gpt-4o-mini (¥4.5000 per 1M output tokens)"),
      details: { field: 'price_per_1m_output' },
    });
    expect(await row(id)).toMatchObject({ status: 'draft', publishedAt: null });
    // A raised ceiling lets a dearer draft be saved and the package be published.
    expect((await ceiling({ input_price: 10, output_price: 20 })).statusCode).toBe(200);
    expect((await draft({ price_per_1m_input: 9, price_per_1m_output: 19 })).status).toBe(201);
    expect((await h.call(supplier, 'POST', `/api/v1/supply/packages/${id}/publish`)).status).toBe(200);
    expect((await ceiling(undefined)).statusCode).toBe(200);
  });

  it('fails a batch re-price above the ceiling per item with SUP_PKG_4004, changing the others', async () => {
    const a = (await draft({ price_per_1m_input: 1, price_per_1m_output: 4 })).body.data.package_id;
    const b = (await draft({ price_per_1m_input: 1, price_per_1m_output: 4 })).body.data.package_id;
    const res = await h.call(supplier, 'POST', '/api/v1/supply/packages/batch-price', {
      payload: { items: [{ package_id: a, price_per_1m_input: 1.6201, price_per_1m_output: 4 }, { package_id: b, price_per_1m_input: 1.62, price_per_1m_output: 6.48 }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      total: 2, success_count: 1, failed_count: 1,
      failures: [{ package_id: a, error_code: 'SUP_PKG_4004', message: `price_per_1m_input ¥1.6201 is above the platform's ceiling for ${MODEL} (¥1.6200 per 1M input tokens)` }],
    });
    expect(await row(a)).toMatchObject({ priceInputMicros: 1_000_000n, priceOutputMicros: 4_000_000n });
    expect(await row(b)).toMatchObject({ priceInputMicros: 1_620_000n, priceOutputMicros: 6_480_000n });
  });
});
