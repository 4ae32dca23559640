import { describe, expect, it } from 'vitest';
import { cnyNumber, formatCny, parseCny } from './money.ts';

describe('parseCny', () => {
  it('parses decimal strings and JSON numbers into exact µ¥', () => {
    expect(parseCny('10.00')).toBe(10_000_000n);
    expect(parseCny(10)).toBe(10_000_000n);
    expect(parseCny('0.01')).toBe(10_000n);
    expect(parseCny(0.1)).toBe(100_000n);
    expect(parseCny('0')).toBe(0n);
    expect(parseCny(' 12.5 ')).toBe(12_500_000n);
  });

  it('adds up exactly where floats do not (0.1 + 0.2 = 0.3)', () => {
    const sum = (parseCny(0.1) as bigint) + (parseCny(0.2) as bigint);
    expect(sum).toBe(parseCny(0.3));
    expect(sum).toBe(300_000n);
    expect((parseCny('19.99') as bigint) * 3n).toBe(59_970_000n);
    expect((parseCny(1.1) as bigint) + (parseCny(2.2) as bigint)).toBe(parseCny('3.30'));
  });

  it('refuses a float that is not the decimal it looks like, rather than rounding it', () => {
    expect(parseCny(0.1 + 0.2)).toBeUndefined();
  });

  it('refuses more decimals than allowed and accepts them when allowed', () => {
    expect(parseCny('1.005')).toBeUndefined();
    expect(parseCny(1.005)).toBeUndefined();
    expect(parseCny('1.005', 4)).toBe(1_005_000n);
    expect(parseCny('0.000001', 6)).toBe(1n);
    expect(parseCny('0.0000001', 6)).toBeUndefined();
  });

  it('never truncates digits below one µ¥, whatever maxDecimals allows', () => {
    expect(parseCny('0.0000009', 8)).toBeUndefined();
    expect(parseCny('1.12345678', 8)).toBeUndefined();
    expect(parseCny('1.12345600', 8)).toBe(1_123_456n);
  });

  it('keeps the sign of negative amounts', () => {
    expect(parseCny('-5')).toBe(-5_000_000n);
    expect(parseCny(-0.5)).toBe(-500_000n);
    expect(parseCny('-0.01')).toBe(-10_000n);
    expect(parseCny('-0')).toBe(0n);
  });

  it('handles the largest accepted amount exactly and refuses larger ones', () => {
    expect(parseCny('999999999999999.99')).toBe(999_999_999_999_999_990_000n);
    expect(parseCny('1000000000000000')).toBeUndefined();
    expect(parseCny(1e21)).toBeUndefined();
    expect(parseCny(Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['letters', 'abc'],
    ['two points', '1.2.3'],
    ['exponent', '1e3'],
    ['leading point', '.5'],
    ['trailing point', '5.'],
    ['plus sign', '+5'],
    ['comma', '1,000'],
    ['currency sign', '¥10'],
    ['inner space', '1 0'],
    ['hex', '0x10'],
    ['full-width digits', '１０'],
  ])('refuses garbage: %s', (_name, text) => {
    expect(parseCny(text)).toBeUndefined();
  });

  it('refuses NaN and infinities', () => {
    expect(parseCny(Number.NaN)).toBeUndefined();
    expect(parseCny(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(parseCny(Number.NEGATIVE_INFINITY)).toBeUndefined();
  });
});

describe('formatCny', () => {
  it('renders 2 decimals by default', () => {
    expect(formatCny(10_000_000n)).toBe('10.00');
    expect(formatCny(0n)).toBe('0.00');
    expect(formatCny(10_000n)).toBe('0.01');
    expect(formatCny(123_456_789_000n)).toBe('123456.79');
  });

  it('renders 4 decimals for unit prices and 6 for the legacy API', () => {
    expect(formatCny(1_234_567n, 4)).toBe('1.2346');
    expect(formatCny(110n, 6)).toBe('0.000110');
    expect(formatCny(1n, 6)).toBe('0.000001');
    expect(formatCny(1_234_567n, 6)).toBe('1.234567');
  });

  it('rounds half up at the last shown place', () => {
    expect(formatCny(4_999n)).toBe('0.00');
    expect(formatCny(5_000n)).toBe('0.01');
    expect(formatCny(1_004_999n)).toBe('1.00');
    expect(formatCny(1_005_000n)).toBe('1.01');
    expect(formatCny(49n, 4)).toBe('0.0000');
    expect(formatCny(50n, 4)).toBe('0.0001');
    expect(formatCny(999_999_999n)).toBe('1000.00');
  });

  it('rounds negatives symmetrically and never prints -0', () => {
    expect(formatCny(-10_000_000n)).toBe('-10.00');
    expect(formatCny(-5_000n)).toBe('-0.01');
    expect(formatCny(-4_999n)).toBe('0.00');
    expect(formatCny(-1n, 6)).toBe('-0.000001');
    expect(formatCny(-49n, 4)).toBe('0.0000');
  });

  it('renders whole yuan with 0 decimals', () => {
    expect(formatCny(10_500_000n, 0)).toBe('11');
    expect(formatCny(10_499_999n, 0)).toBe('10');
  });

  it('stays exact for amounts beyond Number precision', () => {
    expect(formatCny(999_999_999_999_999_990_000n)).toBe('999999999999999.99');
    expect(formatCny(123_456_789_012_345_678_901n, 6)).toBe('123456789012345.678901');
  });

  it('round-trips every value parseCny accepts at the same precision', () => {
    for (const text of ['0.00', '0.01', '0.10', '19.99', '-3.50', '100000.00']) {
      expect(formatCny(parseCny(text) as bigint)).toBe(text);
    }
    expect(formatCny(parseCny('0.123456', 6) as bigint, 6)).toBe('0.123456');
  });
});

describe('cnyNumber', () => {
  it('gives a JSON number for fields the studio spec shows as numbers', () => {
    expect(cnyNumber(10_000_000n)).toBe(10);
    expect(cnyNumber(19_990_000n)).toBe(19.99);
    expect(cnyNumber(-5_000n)).toBe(-0.01);
  });
});
