import { z } from 'zod';
import { pageEnvelope, PageQuery, RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { parseCny } from '../../platform/money.ts';
import { StudioDateTime } from '../identity/api-keys.schema.ts';
import { COUPON_TYPES, type CouponType } from './commerce.tables.ts';
import { COUPON_FILTERS } from './coupons.repo.ts';
import { MAX_RECHARGE, MICROS_PER_CREDIT } from './pricing.ts';

/** CNY → µ¥, at most 2 decimals and at most one recharge's maximum (larger values mean nothing and overflow bigint). */
const cny = (field: string) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const micros = parseCny(v, 2);
    if (micros === undefined || micros < 0n || micros > MAX_RECHARGE) {
      ctx.addIssue({ code: 'custom', message: `${field} must be a CNY amount from 0 to 50000 with at most 2 decimals` });
      return z.NEVER;
    }
    return micros;
  });

const MAX_BONUS_CREDITS = 1_000_000n;

/** The stored value of a coupon (see `coupons.value`), or undefined when out of range for its type. */
function couponValue(type: CouponType, raw: number | string): bigint | undefined {
  switch (type) {
    case 'discount': {
      // Percent off with at most 2 decimals, strictly between 0 and 100; stored as percent × 100.
      const scaled = parseCny(raw, 2);
      return scaled !== undefined && scaled > 0n && scaled < 100_000_000n ? scaled / 10_000n : undefined;
    }
    case 'deduction': {
      const micros = parseCny(raw, 2);
      return micros !== undefined && micros > 0n && micros <= MAX_RECHARGE ? micros : undefined;
    }
    case 'credit_bonus': {
      // Whole credits, written as plain digits (no "1e3", "0x10" or "5.5").
      const text = typeof raw === 'number' ? (Number.isSafeInteger(raw) ? String(raw) : '') : raw.trim();
      if (!/^\d{1,7}$/.test(text)) return undefined;
      const credits = BigInt(text);
      return credits > 0n && credits <= MAX_BONUS_CREDITS ? credits * MICROS_PER_CREDIT : undefined;
    }
  }
}

export const CreateCouponBody = z
  .strictObject({
    code: z.string().trim().min(3).max(32).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
    name: z.string().trim().min(1).max(64),
    type: z.enum(COUPON_TYPES),
    /** discount: percent off (0–100 exclusive, 2 decimals); deduction: CNY off (≤ 50000); credit_bonus: whole credits added. */
    value: z.union([z.number(), z.string()]),
    min_amount: cny('min_amount').default(0n),
    max_usage: z.number().int().min(1).max(10_000_000),
    valid_from: StudioDateTime,
    valid_until: StudioDateTime,
  })
  .transform((b, ctx) => {
    const value = couponValue(b.type, b.value);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `value is not valid for a ${b.type} coupon` });
      return z.NEVER;
    }
    return { ...b, value };
  });

// Digits only: z.coerce.number() would also read '1e3', '0x10' and ' 5' as coupon ids.
export const CouponIdParams = z.strictObject({
  coupon_id: RowId,
});

export const CouponListQuery = PageQuery.extend({ status: z.enum(COUPON_FILTERS).optional() });
export const MyCouponsQuery = z.strictObject({ status: z.enum(['unused', 'used', 'expired']).optional() });

export const CouponView = z.object({
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  type: z.enum(COUPON_TYPES),
  value: z.number(),
  min_amount: z.number(),
  max_usage: z.number().int(),
  claimed_count: z.number().int(),
  used_count: z.number().int(),
  valid_from: z.string(),
  valid_until: z.string(),
  status: z.string(),
});

export const CouponCreated = studioEnvelope(z.object({ id: z.number().int(), code: z.string(), status: z.string() }));
export const CouponPage = studioEnvelope(pageEnvelope(CouponView));
export const ClaimResponse = studioEnvelope(
  z.object({ claim_id: z.number().int(), coupon_id: z.number().int(), code: z.string(), status: z.string() }),
);
export const MyCouponsResponse = studioEnvelope(
  z.object({
    total: z.number().int(),
    items: z.array(CouponView.omit({ id: true, status: true, claimed_count: true, used_count: true, max_usage: true }).extend({
      claim_id: z.number().int(),
      coupon_id: z.number().int(),
      status: z.enum(['unused', 'used', 'expired']),
      claimed_at: z.string(),
      used_at: z.string().nullable(),
    })),
  }),
);
