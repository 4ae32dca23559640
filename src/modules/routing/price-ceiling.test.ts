import { describe, expect, it } from 'vitest';
import { defaultCeiling, partAbove, withinPrice } from './price-ceiling.ts';

describe('withinPrice', () => {
  const shown = { input: 1_080_000n, output: 4_320_000n };

  it('holds a price at or below the bound in every part', () => {
    expect(withinPrice(shown, shown)).toBe(true);
    expect(withinPrice({ input: 0n, output: 4_000_000n }, shown)).toBe(true);
  });

  it('refuses a price above the bound in any one part, images included', () => {
    expect(withinPrice({ input: 1_080_001n, output: 0n }, shown)).toBe(false);
    expect(withinPrice({ input: 0n, output: 4_320_001n }, shown)).toBe(false);
    expect(withinPrice({ input: 0n, output: 0n, perImage: 1n }, shown)).toBe(false);
    expect(withinPrice({ input: 0n, output: 0n, perImage: 288_000n }, { input: 0n, output: 0n, perImage: 288_000n })).toBe(true);
  });

  it('names the part above the bound as the package fields do', () => {
    expect(partAbove({ input: 2n, output: 0n }, { input: 1n, output: 1n })).toBe('price_per_1m_input');
    expect(partAbove({ input: 1n, output: 2n }, { input: 1n, output: 1n })).toBe('price_per_1m_output');
    expect(partAbove({ input: 1n, output: 1n }, { input: 1n, output: 1n })).toBeUndefined();
  });
});

describe('defaultCeiling', () => {
  it('is the price × 1.5, on the 4-decimal step, never below the price', () => {
    expect(defaultCeiling({ input: 1_080_000n, output: 4_320_000n })).toEqual({ input: 1_620_000n, output: 6_480_000n });
    expect(defaultCeiling({ input: 0n, output: 0n, perImage: 288_000n })).toEqual({ input: 0n, output: 0n, perImage: 432_000n });
    // ¥0.0001 × 1.5 = ¥0.00015: down to ¥0.0001, the price itself.
    expect(defaultCeiling({ input: 100n, output: 300n })).toEqual({ input: 100n, output: 400n });
  });
});
