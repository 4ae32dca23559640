import { z } from 'zod';
import { RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { upstreamToken } from '../../platform/upstream-token.ts';
import { PROVIDER_NAMES } from '../providers/catalog.ts';

// Request and response shapes of the studio spec's model management (`/api/v1/models`).

const ModelFields = {
  name: z.string().trim().min(1).max(64),
  provider: z.enum(PROVIDER_NAMES),
  /** Sent upstream as is, so printable ASCII without spaces (the display `name` may be any text). */
  model_name: upstreamToken({ max: 128 }),
  /** Write-only: stored encrypted, never answered (responses carry `has_api_key` and `key_hint`). */
  api_key: upstreamToken({ max: 4096 }).nullable(),
  /** Checked against SSRF rules by the service (https, public address). */
  api_base: z.string().trim().min(1).max(2048).nullable(),
  config: z.record(z.string(), z.unknown()),
  credits_cost: z.number().int().min(0).max(1_000_000),
  is_active: z.boolean(),
};

export const CreateModelBody = z.strictObject({
  ...ModelFields,
  api_key: ModelFields.api_key.optional(),
  api_base: ModelFields.api_base.optional(),
  config: ModelFields.config.optional(),
  credits_cost: ModelFields.credits_cost.default(0),
  is_active: ModelFields.is_active.default(true),
});

/** Any subset of the create fields; `api_key: null` removes the key, `api_base: null` falls back to the provider's. */
export const UpdateModelBody = z
  .strictObject(ModelFields)
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one field to change');

export const ModelIdParams = z.strictObject({ id: RowId });

export const ModelListQuery = z.strictObject({
  provider: z.enum(PROVIDER_NAMES).optional(),
  is_active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

/** What every signed-in user sees (the spec's example, field for field). */
export const PublicModel = z.object({
  id: z.number().int(),
  name: z.string(),
  provider: z.string(),
  model_name: z.string(),
  is_active: z.boolean(),
  credits_cost: z.number().int(),
});

/** What operators see in addition. */
export const AdminModel = PublicModel.extend({
  api_base: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  has_api_key: z.boolean(),
  key_hint: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

// Admin first: a plain object schema drops unknown keys, so the public shape would strip an operator's fields.
export const ModelListResponse = studioEnvelope(z.array(z.union([AdminModel, PublicModel])));
export const ModelResponse = studioEnvelope(AdminModel);
