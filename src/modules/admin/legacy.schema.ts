import { z } from 'zod';
import { RowId } from '../../platform/envelopes.ts';
import { beijingDayStart } from '../../platform/time.ts';
import { upstreamToken } from '../../platform/upstream-token.ts';
import { PROVIDER_NAMES } from '../providers/catalog.ts';

// Field names and shapes of the legacy admin API (shared/spec/legacy-admin-api.md), kept as the old tool had them.

export const LegacyIdParams = z.strictObject({ id: RowId });

export const LegacyUser = z.object({
  id: z.number().int(),
  name: z.string(),
  token: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const LegacyUserWithFlag = LegacyUser.extend({ IsDelete: z.boolean() });

export const CreateLegacyUserBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\p{L}\p{N}_.-]+$/u, 'may contain letters, digits, "_", "." and "-" only'),
});

// Keys and names are printable ASCII without spaces (platform/upstream-token.ts): the key goes into upstream headers.
const KeyFields = {
  key: upstreamToken({ max: 4096 }),
  name: upstreamToken({ max: 64 }),
  api_type: z.enum(PROVIDER_NAMES),
  endpoint: z.string().trim().max(2048),
};

export const CreateLegacyKeyBody = z.strictObject({ ...KeyFields, api_type: KeyFields.api_type.default('openai'), endpoint: KeyFields.endpoint.default('') });

/** Any subset of the fields; changing `endpoint` or `api_type` needs `key` again in the same request. */
export const UpdateLegacyKeyBody = z
  .strictObject(KeyFields)
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one field to change');

export const LegacyKey = z.object({
  id: z.number().int(),
  /** Always `****`: stored upstream keys are never shown (README, "Legacy API deviations"). */
  key: z.literal('****'),
  key_hint: z.string(),
  name: z.string(),
  ApiType: z.string(),
  endpoint: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const FIRST_DAY = '1970-01-01';

/**
 * A `YYYY-MM-DD` day in UTC+8, parsed to the instant it starts. Early years are refused: the start of
 * 0001-01-01 in UTC+8 lies in year 0, which PostgreSQL cannot store, and no usage predates 1970.
 */
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .transform((day, ctx) => {
    const start = beijingDayStart(day);
    if (!start || day < FIRST_DAY) {
      ctx.addIssue({ code: 'custom', message: `must be a real date YYYY-MM-DD, ${FIRST_DAY} or later` });
      return z.NEVER;
    }
    return start;
  });
export const UsageQuery = z.strictObject({ from: Day, to: Day });

export const LegacyUsage = z.object({ cost: z.string(), userId: z.number().int(), totalUnit: z.number().int() });
