import { z } from 'zod';
import { pageEnvelope, PageQuery, RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { parseCny } from '../../platform/money.ts';
import { parseStudioTime } from '../../platform/time.ts';
import { MAX_RECHARGE } from '../commerce/pricing.ts';
import { ACTIVITY_STATUSES } from './activity-effects.ts';
import { ACTIVITY_TYPES, type ActivityConfig, type ActivityType } from './operations.tables.ts';

/** The spec's `2026-01-22T00:00:00` (UTC+8), or with an explicit offset. */
const BeijingTime = z.string().transform((text, ctx) => {
  const at = parseStudioTime(text);
  if (!at) {
    ctx.addIssue({ code: 'custom', message: 'must be a time like 2026-01-22T00:00:00 (UTC+8)' });
    return z.NEVER;
  }
  return at;
});

const Credits = z.number().int().min(1).max(1_000_000);
const Percent = z.number().int().min(1).max(99);
/** CNY off, at most 2 decimals (kept as the number the operator wrote; µ¥ when applied). */
const Amount = z.number().refine((v) => {
  const micros = parseCny(v, 2);
  return micros !== undefined && micros > 0n && micros <= MAX_RECHARGE;
}, 'must be a CNY amount above 0 and at most 50000, with at most 2 decimals');

/** What each type's `config` holds (studio spec 活动类型): anything else is refused. */
const CONFIG_BY_TYPE: Record<ActivityType, z.ZodType<ActivityConfig>> = {
  credit_gift: z.strictObject({ credits: Credits, on: z.enum(['participate', 'register']).default('participate') }),
  membership_discount: z.union([z.strictObject({ percent: Percent }), z.strictObject({ amount: Amount })]),
  referral_bonus: z.strictObject({ credits: Credits }),
  first_purchase: z.union([z.strictObject({ percent: Percent }), z.strictObject({ credits: Credits })]),
};

export const CreateActivityBody = z
  .strictObject({
    name: z.string().trim().min(1).max(64),
    type: z.enum(ACTIVITY_TYPES),
    description: z.string().trim().max(500).default(''),
    /**
     * credit_gift `{credits, on?: "participate" | "register"}`; membership_discount `{percent: 1–99}` or `{amount: CNY}`;
     * referral_bonus `{credits}`; first_purchase `{percent: 1–99}` or `{credits}`. Credits are whole numbers.
     */
    config: z.record(z.string(), z.unknown()),
    start_time: BeijingTime,
    end_time: BeijingTime,
  })
  .transform((b, ctx) => {
    const config = CONFIG_BY_TYPE[b.type].safeParse(b.config);
    if (!config.success) {
      for (const issue of config.error.issues) ctx.addIssue({ code: 'custom', path: ['config', ...issue.path.map(String)], message: issue.message });
      return z.NEVER;
    }
    return { ...b, config: config.data };
  });

export const ActivityListQuery = PageQuery.extend({ status: z.enum(ACTIVITY_STATUSES).optional() });

export const ActivityIdParams = z.strictObject({ activity_id: RowId });

const ConfigView = z.object({
  credits: z.number().int().optional(),
  on: z.enum(['participate', 'register']).optional(),
  percent: z.number().int().optional(),
  amount: z.number().optional(),
});

export const ActivityView = z.object({
  id: z.number().int(),
  name: z.string(),
  type: z.enum(ACTIVITY_TYPES),
  description: z.string(),
  config: ConfigView,
  start_time: z.string(),
  end_time: z.string(),
  status: z.enum(ACTIVITY_STATUSES),
  /** Whether the caller has taken part (a membership discount: paid a membership order with it; it still prices the next). */
  participated: z.boolean(),
  created_at: z.string(),
});

export const ActivityCreated = studioEnvelope(z.object({ id: z.number().int(), name: z.string(), status: z.enum(ACTIVITY_STATUSES) }));
export const ActivityPage = studioEnvelope(pageEnvelope(ActivityView));
export const Participated = studioEnvelope(
  z.object({ activity_id: z.number().int(), type: z.enum(ACTIVITY_TYPES), status: z.literal('completed'), reward_credits: z.number() }),
);
