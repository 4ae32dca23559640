import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerValue, parseYuanText, yuanText } from './provider.ts';

describe('yuanText', () => {
  it.each([
    [12_340_000n, '12.34'],
    [0n, '0.00'],
    [10_000n, '0.01'],
    [100_000n, '0.10'],
    [5_000_000n, '5.00'],
    [50_000_000_000n, '50000.00'],
  ])('writes %s µ¥ as %s', (micros, text) => {
    expect(yuanText(micros)).toBe(text);
  });
});

describe('parseYuanText', () => {
  it.each([
    ['12.34', 12_340_000n],
    ['12.3', 12_300_000n],
    ['12', 12_000_000n],
    ['0.01', 10_000n],
    ['0.00', 0n],
    ['050.00', 50_000_000n],
  ])('reads %s as %s µ¥', (text, micros) => {
    expect(parseYuanText(text)).toBe(micros);
  });

  it.each(['', '12.345', '-1.00', '+1.00', '1e3', '12.', '.50', ' 12.34', '12.34 ', '1,000.00', '１２.３４', '0x10', '1234567890123'])(
    'refuses %j',
    (text) => {
      expect(parseYuanText(text)).toBeUndefined();
    },
  );

  it('round-trips every whole-fen amount through yuanText', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 99_999_999_999_99n }), (fen) => {
        const micros = fen * 10_000n;
        expect(parseYuanText(yuanText(micros))).toBe(micros);
      }),
    );
  });
});

describe('headerValue', () => {
  it('reads headers case-insensitively by their lower-case key and takes the first of a repeated one', () => {
    const headers = { 'wechatpay-serial': 'ABC', 'x-many': ['1', '2'] };
    expect(headerValue(headers, 'Wechatpay-Serial')).toBe('ABC');
    expect(headerValue(headers, 'X-Many')).toBe('1');
    expect(headerValue(headers, 'missing')).toBeUndefined();
  });
});
