import { z } from 'zod';
import { pageEnvelope, PageQuery, RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { CREATION_TYPES } from '../studio/studio.tables.ts';
import { CAPABILITIES, PLATFORMS } from './adapter.ts';
import { JOB_STATES } from './publishing.tables.ts';

// Request and response shapes of the studio spec's 发布 section (`/api/v1/publish…`), plus what the spec leaves out
// and a user needs: one publish's status, retrying a failed platform, confirming a post made by hand, unbinding.

const Platform = z.enum(PLATFORMS);
/** A row id in a JSON body: a positive safe integer. */
const BodyRowId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const PublishBody = z.strictObject({
  creation_id: BodyRowId,
  platforms: z.array(Platform).min(1).max(PLATFORMS.length),
  /** `2026-01-23T10:00:00` (UTC+8, the spec's format) or with an offset; absent or null: now. */
  schedule_time: z.string().max(40).nullish(),
  /** An image creation to use as the cover (WeChat articles need one). */
  cover_creation_id: BodyRowId.optional(),
});

export const BindBody = z.strictObject({
  platform: Platform,
  /** The platform's own fields (see `credential_fields` in GET /api/v1/publish/platforms); each a string. */
  credentials: z.record(z.string().max(64), z.string().max(4096)),
});

export const PlatformParams = z.strictObject({ platform: Platform });
export const PublishIdParams = z.strictObject({ id: RowId });
export const PublishJobParams = z.strictObject({ id: RowId, platform: Platform });

export const HistoryQuery = PageQuery.extend({ platform: Platform.optional() });

export const RetryBody = z.strictObject({ platform: Platform.optional() }).optional();
export const ConfirmBody = z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2000).optional() }).optional();

export const AccountTypeView = z.object({
  /** e.g. `verified_official_account`, `unverified_official_account`, `authorised_account`, `any_account`. */
  type: z.string(),
  /** The kind of account in Chinese, as users know it. */
  label: z.string(),
  capability: z.enum(CAPABILITIES),
  /** The bound account counts as this kind: the platform's usual case until it says otherwise (WeChat: 48001 → unverified). */
  applies: z.boolean(),
});

export const PlatformView = z.object({
  platform: Platform,
  name: z.string(),
  /** What this account (or, unbound, this platform) allows: API publish, a draft only, a share to confirm, an export. */
  capability: z.enum(CAPABILITIES),
  /** What each kind of account can do on this platform, and which kind the bound account is. */
  account_types: z.array(AccountTypeView),
  accepts: z.array(z.enum(CREATION_TYPES)),
  bound: z.boolean(),
  account_name: z.string().nullable(),
  account_type: z.string().nullable(),
  note: z.string(),
  bound_at: z.string().nullable(),
  credential_fields: z.array(z.object({ name: z.string(), label: z.string(), secret: z.boolean(), optional: z.boolean() })),
});

export const PublishStatus = z.enum(['scheduled', 'pending', 'publishing', 'published', 'needs_user_action', 'partial', 'failed']);

export const JobView = z.object({
  platform: Platform,
  name: z.string(),
  state: z.enum(JOB_STATES),
  /** The platform's ids as they became known (e.g. WeChat `thumb_media_id`, `draft_media_id`, `publish_id`). */
  platform_ids: z.record(z.string(), z.string()),
  url: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
  action: z
    .object({
      kind: z.enum(['publish_in_backend', 'share', 'export', 'check_backend']),
      message: z.string(),
      share_url: z.string().nullable(),
      download_url: z.string().nullable(),
      expires_at: z.string().nullable(),
    })
    .nullable(),
  /** Published because the user said they posted it (shares and exports), not because the platform said so. */
  confirmed_by_user: z.boolean(),
  attempts: z.number().int(),
  /** When it runs next (its schedule, a poll, an automatic retry); null when nothing more will happen by itself. */
  next_run_at: z.string().nullable(),
  updated_at: z.string(),
});

export const PublishView = z.object({
  publish_id: z.number().int(),
  creation_id: z.number().int(),
  creation_title: z.string().nullable(),
  status: PublishStatus,
  schedule_time: z.string().nullable(),
  created_at: z.string(),
  platforms: z.array(JobView),
});

export const PlatformsResponse = studioEnvelope(z.array(PlatformView));
export const PlatformResponse = studioEnvelope(PlatformView);
export const PublishResponse = studioEnvelope(PublishView);
export const HistoryResponse = studioEnvelope(pageEnvelope(PublishView));
