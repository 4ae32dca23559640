import { describe, expect, it } from 'vitest';
import type { CatalogModel } from '../routing/model-catalog.service.ts';
import { priceRefusal } from './package-prices.ts';

const model: CatalogModel = {
  id: 'gpt-4o-mini', provider: 'openai', operations: ['chat'], priceSource: 'default', ceilingSource: 'default',
  price: { input: 1_080_000n, output: 4_320_000n }, ceiling: { input: 1_620_000n, output: 6_480_000n },
};
const catalog = new Map([[model.id, model]]);

describe('priceRefusal', () => {
  it('lets a package ask up to the ceiling', () => {
    expect(priceRefusal(catalog, 'gpt-4o-mini', { input: 1_620_000n, output: 6_480_000n })).toBeUndefined();
  });

  it('names the part above the ceiling, with the ceiling', () => {
    expect(priceRefusal(catalog, 'gpt-4o-mini', { input: 1_620_100n, output: 0n })).toEqual({
      field: 'price_per_1m_input',
      message: "price_per_1m_input ¥1.6201 is above the platform's ceiling for gpt-4o-mini (¥1.6200 per 1M input tokens)",
      ceiling: { price_per_1m_input: '1.6200', price_per_1m_output: '6.4800' },
    });
  });

  it('refuses a model not on the price list: no buyer was shown a price that would bound it', () => {
    expect(priceRefusal(catalog, 'o3-pro', { input: 0n, output: 0n })).toMatchObject({ field: 'model', message: expect.stringContaining('not on the platform\'s price list') });
  });
});
