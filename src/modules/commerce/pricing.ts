import { AppError } from '../../platform/errors.ts';
import type { CouponRow, MembershipType } from './commerce.tables.ts';

// Prices and conversions of the studio spec and the issue: ¥10 = 100 credits; membership monthly ¥9.9,
// quarterly ¥25, yearly ¥99. All µ¥ (bigint).

export const MICROS_PER_CREDIT = 100_000n;
export const MICROS_PER_FEN = 10_000n;
export const MAX_RECHARGE = 50_000n * 1_000_000n;
/** A provider cannot take less than one fen. */
export const MIN_PAYABLE = MICROS_PER_FEN;

export const MEMBERSHIP_PLANS: Record<MembershipType, { price: bigint; months: number; label: string }> = {
  monthly: { price: 9_900_000n, months: 1, label: '月度会员' },
  quarterly: { price: 25_000_000n, months: 3, label: '季度会员' },
  yearly: { price: 99_000_000n, months: 12, label: '年度会员' },
};

/** µ¥ → credits as a JSON number, exact (1 credit = 100 000 µ¥, so at most 5 decimals). */
export function creditsOf(micros: bigint): number {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const text = `${abs / MICROS_PER_CREDIT}.${(abs % MICROS_PER_CREDIT).toString().padStart(5, '0')}`;
  return Number(negative ? `-${text}` : text);
}

export const creditsToMicros = (credits: number | bigint) => BigInt(credits) * MICROS_PER_CREDIT;

const couponInvalid = (message: string) => new AppError('COUPON_INVALID', message);

export interface CouponEffect {
  discount: bigint;
  bonusCredits: bigint;
}

/** What a coupon does to an order of `listAmount`; throws 40003 when it cannot apply now. */
export function couponEffect(coupon: CouponRow, listAmount: bigint, now: Date): CouponEffect {
  if (coupon.status !== 'active') throw couponInvalid('Coupon is disabled');
  if (now < coupon.validFrom) throw couponInvalid('Coupon is not valid yet');
  if (now > coupon.validUntil) throw couponInvalid('Coupon has expired');
  if (listAmount < coupon.minAmount) throw couponInvalid('Order amount is below the coupon minimum');
  switch (coupon.type) {
    case 'discount': {
      // Pay the discounted price rounded up to a whole fen: the platform never charges a fraction of a fen.
      const raw = (listAmount * (10_000n - coupon.value)) / 10_000n;
      const payable = ((raw + MICROS_PER_FEN - 1n) / MICROS_PER_FEN) * MICROS_PER_FEN;
      return { discount: listAmount - maxBig(payable, MIN_PAYABLE), bonusCredits: 0n };
    }
    case 'deduction':
      return { discount: minBig(coupon.value, listAmount - MIN_PAYABLE), bonusCredits: 0n };
    case 'credit_bonus':
      return { discount: 0n, bonusCredits: coupon.value };
  }
}

const minBig = (a: bigint, b: bigint) => (a < b ? a : b);
const maxBig = (a: bigint, b: bigint) => (a > b ? a : b);

const BEIJING_MS = 8 * 3600 * 1000;

/** `months` calendar months later in UTC+8, the day clamped to the month's end (Jan 31 + 1 → Feb 28/29). */
export function addMonths(from: Date, months: number): Date {
  const local = new Date(from.getTime() + BEIJING_MS);
  const day = local.getUTCDate();
  const target = new Date(local);
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return new Date(target.getTime() - BEIJING_MS);
}
