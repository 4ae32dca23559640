import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';

// A supplier's package serves studio generations like any gateway request: the supplier earns from them, and
// supplier billing shows them under `by_platform` → `studio`.

const MODEL = 'gpt-4o-mini';

describe.each(DB_TIERS)('studio generations served by a supplier package on $name', (tier) => {
  let h: SupplyHarness;

  beforeAll(async () => {
    h = await startSupply(tier);
    const priced = await h.t.request({
      method: 'PUT', url: `/api/v1/admin/model-prices/${MODEL}`, headers: h.operator, payload: { provider: 'openai', input_price: 200_000, output_price: 400_000 },
    });
    expect(priced.statusCode, priced.body).toBe(200);
  });
  afterAll(() => h?.close());

  it('earns the supplier its share and shows the usage under studio', async () => {
    const supplier = await h.supplier();
    const account = await h.activeAccount(supplier);
    const draft = await h.call(supplier, 'POST', '/api/v1/supply/packages/draft', {
      payload: { supply_account_id: account, model: MODEL, total_quota: 1_000_000, price_per_1m_input: 200_000, price_per_1m_output: 400_000, valid_days: 30 },
    });
    const pkg = draft.body.data.package_id;
    expect((await h.call(supplier, 'POST', `/api/v1/supply/packages/${pkg}/publish`)).body.data.status).toBe('active');

    const model = await h.t.request({ method: 'POST', url: '/api/v1/models', headers: h.operator, payload: { name: 'studio mini', provider: 'openai', model_name: MODEL, credits_cost: 5 } });
    expect(model.statusCode, model.body).toBe(200);
    const creator = await h.buyer(100);
    const generated = await h.t.request({
      method: 'POST', url: '/api/v1/writing/xiaohongshu_note/generate', headers: creator.auth, payload: { title: '周末咖啡馆', model_id: model.json().data.id },
    });
    expect(generated.json(), generated.body).toMatchObject({ code: 200, data: { credits_used: 5 } });

    const billing = await h.call(supplier, 'GET', '/api/v1/supplier/billing');
    expect(billing.body.data.by_platform).toEqual(expect.arrayContaining([expect.objectContaining({ platform: 'studio', orders: 1 })]));
    const earnings = await h.call(supplier, 'GET', '/api/v1/supply/earnings/records');
    expect(earnings.body.data).toEqual([expect.objectContaining({ earnings_type: 'usage', status: 'pending' })]);
  });
});
