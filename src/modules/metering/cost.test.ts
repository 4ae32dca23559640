import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../providers/types.ts';
import { costOf } from './cost.ts';

const MILLION = 1_000_000n;
const usage = (promptTokens: number, completionTokens: number) => ({ promptTokens, completionTokens });

describe('costOf', () => {
  it('is input tokens × input price + output tokens × output price, per million tokens', () => {
    const price: ModelPrice = { input: 2_000_000n, output: 8_000_000n };
    expect(costOf(price, usage(1_000, 500))).toBe(2_000n + 4_000n);
    expect(costOf(price, usage(1_000_000, 0))).toBe(2_000_000n);
  });

  it('rounds a fraction of a µ¥ up, never down', () => {
    expect(costOf({ input: 1n, output: 0n }, usage(1, 0))).toBe(1n);
    expect(costOf({ input: 1_500_000n, output: 0n }, usage(1, 0))).toBe(2n);
    expect(costOf({ input: 999_999n, output: 1n }, usage(1, 1))).toBe(1n);
    expect(costOf({ input: 1_000_001n, output: 0n }, usage(1, 0))).toBe(2n);
  });

  it('rounds the sum once, not each side', () => {
    // 0.5 µ¥ + 0.5 µ¥ = 1 µ¥ exactly (rounding each side up would charge 2).
    expect(costOf({ input: 500_000n, output: 500_000n }, usage(1, 1))).toBe(1n);
  });

  it('stays exact beyond Number precision', () => {
    const price: ModelPrice = { input: 9_007_199_254_740_993n, output: 0n };
    expect(costOf(price, usage(3_000_000, 0))).toBe(9_007_199_254_740_993n * 3n);
  });

  it('adds the per-image price for each image', () => {
    const dalle: ModelPrice = { input: 0n, output: 0n, perImage: 288_000n };
    expect(costOf(dalle, usage(0, 0), 1)).toBe(288_000n);
    expect(costOf(dalle, usage(0, 0), 3)).toBe(864_000n);
    expect(costOf({ input: 1_000_000n, output: 0n, perImage: 10n }, usage(1, 0), 2)).toBe(1n + 20n);
  });

  it('charges nothing per image when the model has no per-image price', () => {
    expect(costOf({ input: 5_000_000n, output: 40_000_000n }, usage(0, 0), 4)).toBe(0n);
  });

  it('is zero for zero tokens and for a free model', () => {
    expect(costOf({ input: 2_000_000n, output: 8_000_000n }, usage(0, 0))).toBe(0n);
    expect(costOf({ input: 0n, output: 0n }, usage(123_456, 789))).toBe(0n);
  });
});

describe('costOf properties', () => {
  const price = fc.record({ input: fc.bigInt({ min: 0n, max: 10n ** 10n }), output: fc.bigInt({ min: 0n, max: 10n ** 10n }) });
  const tokens = fc.nat({ max: 10_000_000 });

  it('never charges less than the exact rational cost, and less than 1 µ¥ more', () => {
    fc.assert(
      fc.property(price, tokens, tokens, (p, a, b) => {
        const exact = BigInt(a) * p.input + BigInt(b) * p.output;
        const cost = costOf(p, usage(a, b));
        expect(cost * MILLION).toBeGreaterThanOrEqual(exact);
        expect(cost * MILLION - exact).toBeLessThan(MILLION);
      }),
    );
  });

  it('never charges less for more tokens', () => {
    fc.assert(
      fc.property(price, tokens, tokens, tokens, tokens, (p, a, b, moreIn, moreOut) => {
        expect(costOf(p, usage(a + moreIn, b + moreOut))).toBeGreaterThanOrEqual(costOf(p, usage(a, b)));
      }),
    );
  });
});
