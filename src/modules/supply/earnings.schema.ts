import { z } from 'zod';
import { supplyEnvelope } from '../../platform/envelopes.ts';
import { parseCny } from '../../platform/money.ts';
import { supplyListEnvelope } from './supply.schema.ts';
import { EARNING_STATUSES, EARNING_TYPES } from './supply.tables.ts';

// Request and response shapes of the supplier's earnings (records, balances) and the operator's adjustments.

export const EarningRecord = z.object({
  record_id: z.number().int(),
  /** The supplier the record belongs to. */
  user_id: z.number().int(),
  /** The withdrawal holding (or paid out with) this record, once there is one. */
  settlement_id: z.number().int().optional(),
  earnings_type: z.enum(EARNING_TYPES),
  /** CNY; negative for refunds. */
  amount: z.number(),
  status: z.enum(EARNING_STATUSES),
  description: z.string().optional(),
  earned_at: z.string().describe('ISO 8601 date-time'),
});
export type EarningRecord = z.infer<typeof EarningRecord>;

export const EarningRecordList = supplyListEnvelope(EarningRecord);

export const EarningsSummary = supplyEnvelope(
  z.object({
    /** Usage earnings still in their hold period. */
    pending: z.number(),
    /** What can be withdrawn now. */
    available: z.number(),
    /** Held by an open withdrawal. */
    frozen: z.number(),
    /** Paid out so far. */
    withdrawn: z.number(),
  }),
);

/** An adjustment's size cap: a typo should not be able to mint millions. */
export const MAX_ADJUSTMENT_MICROS = 1_000_000n * 1_000_000n;

export const AdjustEarningsBody = z.strictObject({
  supplier_user_id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  earnings_type: z.enum(['bonus', 'refund']),
  /** CNY, more than 0, at most 2 decimals; a refund is given as a positive amount and recorded as a negative one. */
  amount: z.number().transform((v, ctx) => {
    const micros = parseCny(v, 2);
    if (micros === undefined || micros <= 0n || micros > MAX_ADJUSTMENT_MICROS) {
      ctx.addIssue({ code: 'custom', message: 'must be a CNY amount above 0 and at most 1000000, with at most 2 decimals' });
      return z.NEVER;
    }
    return micros;
  }),
  description: z.string().trim().min(2).max(500),
});

export const AdjustEarningsHeaders = z.object({ 'idempotency-key': z.string().min(8).max(255) });

export const AdjustEarningsResponse = supplyEnvelope(
  EarningRecord.extend({
    /** The supplier's available earnings after the adjustment, CNY. */
    available_balance: z.number(),
  }),
);
