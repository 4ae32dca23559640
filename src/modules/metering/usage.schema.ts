import { z } from 'zod';
import { PageQuery, RowId, pageEnvelope, studioEnvelope } from '../../platform/envelopes.ts';
import { beijingDayStart } from '../../platform/time.ts';
import { USAGE_STATUSES } from './usage.tables.ts';

// Query and response shapes of /api/v1/usage, /usage/daily and /usage/export.

const FIRST_DAY = '1970-01-01';

/** A `YYYY-MM-DD` day in UTC+8, kept as text: the service turns it into instants and the CSV names its file with it. */
const UsageDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((day) => beijingDayStart(day) !== undefined && day >= FIRST_DAY, `must be a real date YYYY-MM-DD, ${FIRST_DAY} or later`);

const filterShape = {
  start_date: UsageDay.optional(),
  end_date: UsageDay.optional(),
  model: z.string().trim().min(1).max(128).optional(),
  key_id: RowId.optional(),
  status: z.enum(USAGE_STATUSES).optional(),
  /** Operators only: one user's records. */
  user_id: RowId.optional(),
  /** Operators only: everyone's records. `z.coerce.boolean` would read "false" as true. */
  all: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
};

// Day strings compare in calendar order, so a plain string comparison checks the range.
const orderedDays = (q: { start_date?: string; end_date?: string }) => !q.start_date || !q.end_date || q.start_date <= q.end_date;
const dayOrder = { message: 'must not be before start_date', path: ['end_date'] };

export const UsageFilterQuery = z.strictObject(filterShape).refine(orderedDays, dayOrder);
export type UsageFilterQuery = z.infer<typeof UsageFilterQuery>;

export const UsageListQuery = z.strictObject({ ...filterShape, ...PageQuery.shape }).refine(orderedDays, dayOrder);

export const UsageItem = z.object({
  id: z.number().int(),
  request_id: z.string(),
  /** Only in an operator's view of other users' records. */
  user_id: z.number().int().optional(),
  model: z.string(),
  operation: z.string().nullable(),
  key_id: z.number().int().nullable(),
  /** `channel:12`, `package:3`: which upstream served it, never its credential or URL. */
  upstream: z.string().nullable(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  cost: z.number(),
  usage_estimated: z.boolean(),
  status: z.enum(USAGE_STATUSES),
  http_status: z.number().int().nullable(),
  error_message: z.string().nullable(),
  latency_ms: z.number().int().nullable(),
  first_byte_ms: z.number().int().nullable(),
  attempts: z.number().int(),
  created_at: z.string(),
});
export type UsageItem = z.infer<typeof UsageItem>;

export const UsagePageResponse = studioEnvelope(pageEnvelope(UsageItem));

const totalsShape = {
  requests: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  cost: z.number(),
};

export const UsageDailyResponse = studioEnvelope(
  z.object({
    start_date: z.string(),
    end_date: z.string(),
    days: z.array(
      z.object({
        date: z.string(),
        ...totalsShape,
        success: z.number().int(),
        errors: z.number().int(),
        /** Client disconnects: counted in requests, neither success nor errors. */
        aborted: z.number().int(),
      }),
    ),
    by_model: z.array(z.object({ model: z.string(), ...totalsShape })),
  }),
);
