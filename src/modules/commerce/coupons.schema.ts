import { z } from 'zod';
import { pageEnvelope, studioEnvelope, PageQuery } from '../../platform/envelopes.ts';
import { parseCny } from '../../platform/money.ts';
import { StudioDateTime } from '../identity/api-keys.schema.ts';
import { COUPON_TYPES } from './commerce.tables.ts';
import { MICROS_PER_CREDIT } from './pricing.ts';

const cny = (field: string, allowZero: boolean) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const micros = parseCny(v, 2);
    if (micros === undefined || micros < 0n || (!allowZero && micros === 0n)) {
      ctx.addIssue({ code: 'custom', message: `${field} must be a ${allowZero ? 'non-negative' : 'positive'} CNY amount with at most 2 decimals` });
      return z.NEVER;
    }
    return micros;
  });

export const CreateCouponBody = z
  .strictObject({
    code: z.string().trim().min(3).max(32).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only'),
    name: z.string().trim().min(1).max(64),
    type: z.enum(COUPON_TYPES),
    /** discount: percent off (0–100, 2 decimals); deduction: CNY off; credit_bonus: whole credits added. */
    value: z.union([z.number(), z.string()]),
    min_amount: cny('min_amount', true).default(0n),
    max_usage: z.number().int().min(1).max(10_000_000),
    valid_from: StudioDateTime,
    valid_until: StudioDateTime,
  })
  .transform((b, ctx) => {
    let value: bigint | undefined;
    if (b.type === 'discount') {
      const scaled = parseCny(b.value, 2); // percent with 2 decimals, scaled by 1e6
      value = scaled !== undefined && scaled > 0n && scaled < 100_000_000n ? scaled / 10_000n : undefined;
    } else if (b.type === 'deduction') {
      const micros = parseCny(b.value, 2);
      value = micros !== undefined && micros > 0n ? micros : undefined;
    } else {
      const credits = Number(b.value);
      value = Number.isInteger(credits) && credits > 0 && credits <= 1_000_000 ? BigInt(credits) * MICROS_PER_CREDIT : undefined;
    }
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `value is not valid for a ${b.type} coupon` });
      return z.NEVER;
    }
    return { ...b, value };
  });

export const CouponIdParams = z.strictObject({ coupon_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const CouponListQuery = PageQuery.extend({ status: z.enum(['active', 'expired', 'disabled', 'upcoming']).optional() });
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
