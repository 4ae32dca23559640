import { z } from 'zod';
import { pageEnvelope, RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { parseCny } from '../../platform/money.ts';
import { parseIpRule } from './api-keys.service.ts';

/** ISO 8601; without an offset it is read as UTC+8, the studio spec's time zone. */
export const StudioDateTime = z
  .string()
  .refine((s) => z.iso.datetime({ offset: true, local: true }).safeParse(s).success, 'must be an ISO 8601 date-time')
  .transform((s) => new Date(/(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}+08:00`));

const CnyAmount = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const micros = parseCny(v, 2);
    if (micros === undefined || micros <= 0n || micros > 100_000_000n * 1_000_000n) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive CNY amount with at most 2 decimals' });
      return z.NEVER;
    }
    return micros;
  });

const KeyFields = {
  name: z.string().trim().min(1).max(64),
  expires_at: StudioDateTime.nullable(),
  allowed_models: z.array(z.string().trim().min(1).max(128)).max(100).nullable(),
  allowed_ips: z
    .array(z.string().trim().refine((s) => parseIpRule(s) !== undefined, 'must be an IP address or CIDR range'))
    .max(100)
    .nullable(),
  spend_limit: CnyAmount.nullable(),
  /** Gateway requests per minute; null lifts the key's own cap. */
  rate_limit_rpm: z.number().int().min(1).max(1_000_000).nullable(),
};

export const CreateKeyBody = z.strictObject({
  name: KeyFields.name,
  expires_at: KeyFields.expires_at.optional(),
  allowed_models: KeyFields.allowed_models.optional(),
  allowed_ips: KeyFields.allowed_ips.optional(),
  spend_limit: KeyFields.spend_limit.optional(),
  rate_limit_rpm: KeyFields.rate_limit_rpm.optional(),
});

export const UpdateKeyBody = z
  .strictObject({
    name: KeyFields.name.optional(),
    expires_at: KeyFields.expires_at.optional(),
    allowed_models: KeyFields.allowed_models.optional(),
    allowed_ips: KeyFields.allowed_ips.optional(),
    spend_limit: KeyFields.spend_limit.optional(),
    rate_limit_rpm: KeyFields.rate_limit_rpm.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'at least one field must be given');

export const KeyIdParams = z.strictObject({ id: RowId });

export const ApiKeyView = z.object({
  id: z.number().int(),
  name: z.string(),
  key_mask: z.string(),
  enabled: z.boolean(),
  expires_at: z.string().nullable(),
  allowed_models: z.array(z.string()).nullable(),
  allowed_ips: z.array(z.string()).nullable(),
  spend_limit: z.number().nullable(),
  spent: z.number(),
  rate_limit_rpm: z.number().int().nullable(),
  last_used_at: z.string().nullable(),
  created_at: z.string(),
});

export const CreatedKeyResponse = studioEnvelope(ApiKeyView.extend({ key: z.string() }));
export const KeyResponse = studioEnvelope(ApiKeyView);
export const KeyPageResponse = studioEnvelope(pageEnvelope(ApiKeyView));
