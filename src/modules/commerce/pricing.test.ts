import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CouponRow } from './commerce.tables.ts';
import { addMonths, couponEffect, creditsOf, creditsToMicros, MAX_RECHARGE, MEMBERSHIP_PLANS } from './pricing.ts';

// The studio's prices and conversions: ¥10 = 100 credits, membership ¥9.9 / ¥25 / ¥99 for 1 / 3 / 12 months,
// calendar months counted in UTC+8.

/** A UTC+8 wall time as a Date. */
const beijing = (text: string) => new Date(`${text}+08:00`);
const beijingText = (d: Date) => new Date(d.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 19);

describe('plans and limits', () => {
  it('prices the memberships as the spec lists them', () => {
    expect(MEMBERSHIP_PLANS).toMatchObject({
      monthly: { price: 9_900_000n, months: 1 },
      quarterly: { price: 25_000_000n, months: 3 },
      yearly: { price: 99_000_000n, months: 12 },
    });
  });

  it('caps one recharge at ¥50 000', () => {
    expect(MAX_RECHARGE).toBe(50_000_000_000n);
  });
});

describe('creditsOf', () => {
  it.each([
    [10_000_000n, 100],
    [9_900_000n, 99],
    [100_000n, 1],
    [10_000n, 0.1],
    [1n, 0.00001],
    [0n, 0],
    [-9_900_000n, -99],
    [-1n, -0.00001],
    [50_000_000_000n, 500_000],
  ])('shows %s µ¥ as %s credits', (micros, credits) => {
    expect(creditsOf(micros)).toBe(credits);
  });

  it('round-trips whole credits exactly', () => {
    fc.assert(fc.property(fc.integer({ min: -10_000_000, max: 10_000_000 }), (n) => creditsOf(creditsToMicros(n)) === n));
  });
});

describe('addMonths (UTC+8 calendar months)', () => {
  it.each([
    ['2026-03-01T12:00:00', 1, '2026-04-01T12:00:00'],
    ['2026-03-01T12:00:00', 3, '2026-06-01T12:00:00'],
    ['2026-03-01T12:00:00', 12, '2027-03-01T12:00:00'],
    ['2026-01-31T10:00:00', 1, '2026-02-28T10:00:00'],
    ['2028-01-31T10:00:00', 1, '2028-02-29T10:00:00'],
    ['2026-08-31T23:59:59', 1, '2026-09-30T23:59:59'],
    ['2026-11-30T08:00:00', 3, '2027-02-28T08:00:00'],
    ['2026-12-15T00:00:00', 1, '2027-01-15T00:00:00'],
    ['2026-04-01T12:00:00', -1, '2026-03-01T12:00:00'],
    ['2026-03-31T12:00:00', -1, '2026-02-28T12:00:00'],
  ])('%s plus %d months is %s', (from, months, to) => {
    expect(beijingText(addMonths(beijing(from), months))).toBe(to);
  });

  it('counts the day in UTC+8, not in UTC: 1 Feb 02:00 in Beijing is still 31 Jan in UTC', () => {
    const from = beijing('2026-02-01T02:00:00');
    expect(from.toISOString()).toBe('2026-01-31T18:00:00.000Z');
    expect(beijingText(addMonths(from, 1))).toBe('2026-03-01T02:00:00');
  });

  it('always moves forward by at least 28 days a month and at most 31', () => {
    const day = 24 * 3600 * 1000;
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), fc.integer({ min: 1, max: 24 }), (d, m) => {
        const gained = addMonths(d, m).getTime() - d.getTime();
        return gained >= 28 * day * m - day && gained <= 31 * day * m;
      }),
    );
  });
});

describe('couponEffect', () => {
  const now = new Date('2026-03-01T04:00:00Z');
  const coupon = (c: Partial<CouponRow>): CouponRow => ({
    id: 1, code: 'X', name: 'x', type: 'discount', value: 1000n, minAmount: 0n, maxUsage: 10, claimedCount: 0, usedCount: 0,
    validFrom: new Date('2026-01-01T00:00:00Z'), validUntil: new Date('2026-12-31T00:00:00Z'), status: 'active', createdBy: null,
    createdAt: now, ...c,
  });

  it('takes a percentage off, paying a whole fen rounded up', () => {
    expect(couponEffect(coupon({ value: 1000n }), 10_000_000n, now)).toEqual({ discount: 1_000_000n, bonusCredits: 0n });
    // 9.9 × 0.85 = 8.415 → 8.42 is paid.
    expect(couponEffect(coupon({ value: 1500n }), 9_900_000n, now)).toEqual({ discount: 1_480_000n, bonusCredits: 0n });
  });

  it('never lets a deduction or a 100 % discount take the price below one fen', () => {
    expect(couponEffect(coupon({ type: 'deduction', value: 50_000_000n }), 9_900_000n, now).discount).toBe(9_890_000n);
    expect(couponEffect(coupon({ value: 10_000n }), 9_900_000n, now).discount).toBe(9_890_000n);
  });

  it('adds bonus credits without touching the price', () => {
    expect(couponEffect(coupon({ type: 'credit_bonus', value: 2_000_000n }), 10_000_000n, now)).toEqual({ discount: 0n, bonusCredits: 2_000_000n });
  });

  it.each([
    ['below min_amount', coupon({ minAmount: 20_000_000n }), /minimum/],
    ['disabled', coupon({ status: 'disabled' }), /disabled/],
    ['not valid yet', coupon({ validFrom: new Date('2026-06-01T00:00:00Z') }), /not valid yet/],
    ['expired', coupon({ validUntil: new Date('2026-02-01T00:00:00Z') }), /expired/],
  ])('refuses a coupon %s with 40003', (_what, c, message) => {
    expect(() => couponEffect(c, 10_000_000n, now)).toThrow(expect.objectContaining({ code: 'COUPON_INVALID', message: expect.stringMatching(message) }));
  });
});
