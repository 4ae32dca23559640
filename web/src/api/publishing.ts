import { api, type StudioPage } from './client.ts';
import type { CreationType } from './studio.ts';

// Publishing a creation to the creator's own platform accounts (the studio spec's 发布 section, plus what a user needs
// beside it: one publish's status, retrying a failed platform, confirming a post made by hand, unbinding).

/** Business codes of the studio envelope the publish dialog explains in its own words. */
export const PUBLISH_ERROR = {
  /** A chosen platform has no bound account; the message names it. */
  notBound: 40008,
  /** A platform refused the credentials, or cannot take this creation (e.g. WeChat wants a cover image). */
  refused: 40009,
} as const;

export const PLATFORMS = ['wechat', 'xiaohongshu', 'douyin', 'kuaishou', 'toutiao'] as const;
export type PublishPlatform = (typeof PLATFORMS)[number];

/**
 * api_publish — Tollgate publishes by the platform's API; draft_only — it creates a draft a person publishes in the
 * platform's backend; share — the user confirms the post in the platform's app; export — the user downloads and posts it.
 */
export const CAPABILITIES = ['api_publish', 'draft_only', 'share', 'export'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface CredentialField {
  name: string;
  label: string;
  /** Typed into a password input and never shown again. */
  secret: boolean;
  optional: boolean;
}

/** The kinds of account the server names (`account_types[].type`); another kind is shown by its server label. */
export const ACCOUNT_TYPE_NAMES = ['verified_official_account', 'unverified_official_account', 'authorised_account', 'any_account'] as const;

/** A kind of account on a platform and what it can do; `applies` marks the kind the bound account counts as. */
export interface AccountType {
  type: string;
  /** The kind in Chinese, as the server gives it. */
  label: string;
  capability: Capability;
  applies: boolean;
}

export interface PlatformAccount {
  platform: PublishPlatform;
  /** The platform's Chinese name, as the server gives it. */
  name: string;
  capability: Capability;
  account_types: AccountType[];
  accepts: CreationType[];
  bound: boolean;
  account_name: string | null;
  account_type: string | null;
  note: string;
  bound_at: string | null;
  credential_fields: CredentialField[];
}

export const PUBLISH_STATUSES = ['scheduled', 'pending', 'publishing', 'published', 'needs_user_action', 'partial', 'failed'] as const;
export type PublishStatus = (typeof PUBLISH_STATUSES)[number];

export const JOB_STATES = ['queued', 'uploading_assets', 'draft_created', 'submitted', 'published', 'failed', 'needs_user_action'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** The states the server is still moving a job through by itself. */
const RUNNING: readonly JobState[] = ['queued', 'uploading_assets', 'draft_created', 'submitted'];

export const ACTION_KINDS = ['publish_in_backend', 'share', 'export', 'check_backend'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** What the user has to do to finish a platform by hand. */
export interface UserAction {
  kind: ActionKind;
  message: string;
  share_url: string | null;
  download_url: string | null;
  expires_at: string | null;
}

export interface PublishJob {
  platform: PublishPlatform;
  name: string;
  state: JobState;
  platform_ids: Record<string, string>;
  url: string | null;
  error: { code: string; message: string; retryable: boolean } | null;
  action: UserAction | null;
  /** Published because the user said they posted it, not because the platform said so. */
  confirmed_by_user: boolean;
  attempts: number;
  /** When the server runs it next; null when nothing more happens by itself. */
  next_run_at: string | null;
  updated_at: string;
}

export interface Publish {
  publish_id: number;
  creation_id: number;
  creation_title: string | null;
  status: PublishStatus;
  schedule_time: string | null;
  created_at: string;
  platforms: PublishJob[];
}

export interface PublishBody {
  creation_id: number;
  platforms: PublishPlatform[];
  /** `YYYY-MM-DDTHH:mm:ss` in Beijing time (UTC+8); absent: now. */
  schedule_time?: string;
  cover_creation_id?: number;
}

/**
 * The failures the console explains in its own words: a job's `error.code` → the explanation's name. Numeric codes
 * are the platform's own (WeChat's errcode, Kuaishou's result, Douyin's error_code) and mean different things on
 * different platforms, so they are listed per platform; `any` holds the codes Tollgate itself gives on every platform.
 */
const FAILURE_REASONS: Record<PublishPlatform | 'any', Record<string, string>> = {
  any: {
    timeout: 'unreachable', network: 'unreachable', unreachable: 'unreachable', stopped: 'unreachable',
    creation_missing: 'creation_missing', binding_removed: 'binding_removed', platform_unavailable: 'platform_unavailable',
    credentials: 'bind_again', invalid_response: 'invalid_response', unsupported_content: 'unsupported_content',
  },
  wechat: {
    publish_status_2: 'wechat_original', publish_status_3: 'wechat_publish_failed', publish_status_4: 'wechat_review_rejected',
    publish_status_5: 'wechat_deleted', publish_status_6: 'wechat_blocked',
    48001: 'wechat_not_verified', 40001: 'wechat_credentials', 40013: 'wechat_credentials', 40125: 'wechat_credentials', 40164: 'wechat_ip_whitelist',
    40005: 'image_type', cover_image_type: 'image_type', body_image_type: 'image_type', 40006: 'image_damaged',
    40009: 'image_too_large', cover_image_size: 'image_too_large', body_image_size: 'image_too_large',
    40007: 'wechat_media_gone', 45009: 'quota', 45011: 'busy', '-1': 'busy',
    53503: 'wechat_in_backend', 53504: 'wechat_in_backend', 53505: 'wechat_in_backend',
    no_cover: 'no_cover', content_too_long: 'content_too_long',
  },
  kuaishou: {
    100200100: 'platform_error', 100200101: 'app_refused', 100200106: 'kuaishou_permission', 100200500: 'busy', 100400: 'kuaishou_details',
    100200102: 'bind_again', 100200108: 'bind_again', 100200109: 'bind_again', 100200110: 'bind_again', 100200111: 'bind_again', 100200113: 'bind_again',
    120001: 'kuaishou_gone', 120002: 'kuaishou_incomplete', 120003: 'kuaishou_rejected',
  },
  douyin: { 10002: 'app_refused', 10003: 'app_refused', 10013: 'app_refused', 2100004: 'busy', '-1': 'busy' },
  xiaohongshu: { token_refused: 'app_refused' },
  toutiao: {},
};

/** Every explanation the console may show for a failure (each needs words in both languages). */
export const FAILURE_REASON_NAMES = [...new Set([...Object.values(FAILURE_REASONS).flatMap((m) => Object.values(m)), 'platform_error'])];

/** The explanation for a failed job's code, or undefined when the console does not know the code. */
export function failureReason(platform: PublishPlatform, code: string): string | undefined {
  if (/^http_\d+$/.test(code)) return 'platform_error';
  return FAILURE_REASONS[platform][code] ?? FAILURE_REASONS.any[code];
}

/**
 * Whether the server will still change this job without the user: it is running, or it failed in a way the server
 * retries by itself. A retryable failure whose automatic retries are spent has no `next_run_at`, and would otherwise
 * be polled for ever.
 */
export const isLive = (job: PublishJob) =>
  RUNNING.includes(job.state) || (job.state === 'failed' && job.error?.retryable === true && job.next_run_at !== null);

/** A moment as the studio writes it: `YYYY-MM-DDTHH:mm:ss` in Beijing time, whatever the browser's time zone. */
export const beijingTime = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19);

export const listPlatforms = () => api.get<PlatformAccount[]>('/api/v1/publish/platforms');
export const bindPlatform = (platform: PublishPlatform, credentials: Record<string, string>) =>
  api.post<PlatformAccount>('/api/v1/publish/platforms/bind', { platform, credentials });
export const unbindPlatform = (platform: PublishPlatform) => api.del<null>(`/api/v1/publish/platforms/${platform}`);

/** `key`: one per submission of the dialog, so a resent request is answered with the same publish. */
export const publishCreation = (body: PublishBody, key: string) => api.post<Publish>('/api/v1/publish', body, { headers: { 'idempotency-key': key } });
export const getPublish = (id: number) => api.get<Publish>(`/api/v1/publish/${id}`);
export const listPublishHistory = (page: number, pageSize: number, platform?: PublishPlatform) =>
  api.get<StudioPage<Publish>>('/api/v1/publish/history', { page, page_size: pageSize, platform });
/** Retries the failed platforms (or the one named) from the ids they already have. */
export const retryPublish = (id: number, platform?: PublishPlatform) => api.post<Publish>(`/api/v1/publish/${id}/retry`, platform ? { platform } : {});
/** The user posted it by hand (a share, an export, a draft published in the backend), with the post's link if known. */
export const confirmPublished = (id: number, platform: PublishPlatform, url?: string) =>
  api.post<Publish>(`/api/v1/publish/${id}/platforms/${platform}/confirm`, url ? { url } : {});

/** A Xiaohongshu note as the JS SDK's `xhs.share` takes it (`shareInfo`): media as public links. */
export interface XhsShareInfo {
  type: 'normal' | 'video';
  title: string;
  content: string;
  images: string[];
  video?: string;
  cover?: string;
}

/** The SDK's `verifyConfig`: signed by the server with a current access token. */
export interface XhsVerifyConfig {
  appKey: string;
  nonce: string;
  timestamp: string;
  signature: string;
}

export interface XiaohongshuShare {
  share_info: XhsShareInfo;
  verify_config: XhsVerifyConfig;
}

/** The phone's share page: no session, the token from the job's `share_url` is the credential (404 once it is not). */
export const getXiaohongshuShare = (token: string) => api.get<XiaohongshuShare>(`/api/v1/publish/share/xiaohongshu/${encodeURIComponent(token)}`);
