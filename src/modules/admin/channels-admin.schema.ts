import { z } from 'zod';
import { RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { upstreamToken } from '../../platform/upstream-token.ts';
import { PROVIDER_NAMES } from '../providers/catalog.ts';
import { Circuit } from './operator-console.schema.ts';

// The console's platform channels (`/api/v1/admin/channels`, studio envelope). The same channels as the legacy
// `/1/keys`, with the routing settings that API never had. The key is write-only: responses carry `key_hint`.

export const ChannelIdParams = z.strictObject({ id: RowId });

const ChannelFields = {
  name: z.string().trim().min(1).max(64),
  provider: z.enum(PROVIDER_NAMES),
  /** Printable ASCII without spaces: it goes into the upstream's auth header (platform/upstream-token.ts). */
  key: upstreamToken({ max: 4096 }).describe('Write-only: stored encrypted and never answered; responses carry `key_hint`'),
  endpoint: z
    .string()
    .trim()
    .max(2048)
    .describe('Upstream base URL (a trailing `/v1` is dropped); empty means the provider’s default. Must be https and resolve to a public address unless ALLOW_PRIVATE_UPSTREAMS=true'),
  models: z
    .array(upstreamToken({ max: 128 }))
    .max(200)
    .nullable()
    .describe('Client-visible model names, each on the price list (`/api/v1/admin/model-prices`); null or [] serves every priced model of the provider'),
  weight: z.number().int().min(1).max(10_000).describe('Share of traffic among channels of the same price and priority; turn a channel off with `enabled`'),
  priority: z.number().int().min(-1000).max(1000).describe('Among upstreams of the same price, higher priorities are tried first; default 0'),
  rpm_limit: z.number().int().min(1).max(1_000_000).nullable().describe('Requests started per minute; null: no cap'),
  max_concurrent: z.number().int().min(1).max(100_000).nullable().describe('Requests in flight at once; null: no cap'),
  enabled: z.boolean(),
};

export const CreateChannelBody = z.strictObject({
  ...ChannelFields,
  endpoint: ChannelFields.endpoint.default(''),
  models: ChannelFields.models.default(null),
  weight: ChannelFields.weight.default(1),
  priority: ChannelFields.priority.default(0),
  rpm_limit: ChannelFields.rpm_limit.default(null),
  max_concurrent: ChannelFields.max_concurrent.default(null),
  enabled: ChannelFields.enabled.default(true),
});

/** Any subset; without `key` the stored key stays, but moving `endpoint` or `provider` needs it again. */
export const UpdateChannelBody = z
  .strictObject(ChannelFields)
  .partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one field to change');

/** The whole body is optional: a bodiless POST (Fastify reads it as null) tests the channel's first chat model. */
export const TestChannelBody = z
  .strictObject({ model: upstreamToken({ max: 128 }).optional().describe('A chat model the channel serves; default: the first one') })
  .nullish();

export const AdminChannel = z.object({
  id: z.number().int(),
  name: z.string(),
  provider: z.string(),
  base_url: z.string().nullable().describe('null: the provider’s default'),
  models: z.array(z.string()).nullable(),
  weight: z.number().int(),
  priority: z.number().int(),
  rpm_limit: z.number().int().nullable(),
  max_concurrent: z.number().int().nullable(),
  enabled: z.boolean(),
  key_hint: z.string().describe('Our own fingerprint id of the credential; never any character of it'),
  created_at: z.string(),
  updated_at: z.string(),
  circuit: Circuit,
});
export const ChannelList = studioEnvelope(z.array(AdminChannel));
export const ChannelResponse = studioEnvelope(AdminChannel);

export const ChannelTestResult = studioEnvelope(
  z.object({
    ok: z.boolean(),
    status: z.number().int().nullable().describe('The upstream’s HTTP status; null when it never answered'),
    latency_ms: z.number().int(),
    model: z.string(),
    message: z.string().describe('Written by Tollgate; of the upstream’s error only its status, an allow-listed code and the scrubbed message'),
  }),
);
