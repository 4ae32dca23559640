import type { z } from 'zod';
import type { CreationType } from '../studio/studio.tables.ts';

// What the publishing core and a platform adapter agree on (DESIGN.md §8). The core owns the job — its state, its
// lease, its retries, what the user sees; an adapter only speaks its platform's protocol and reports an outcome. An
// adapter is given the platform ids the job already holds and saves each new one the moment it has it, so a run that
// stops anywhere resumes there and never makes a second draft or post.

export const PLATFORMS = ['wechat', 'xiaohongshu', 'douyin', 'kuaishou', 'toutiao'] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * api_publish — the server publishes by the platform's API
 * draft_only  — the server can create a draft; a person publishes it in the platform's backend
 * share       — the user confirms the post in the platform's app (a share link / QR code)
 * export      — the platform has no publishing API: the user gets a bundle to post by hand
 */
export const CAPABILITIES = ['api_publish', 'draft_only', 'share', 'export'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** A file of the creation, read only when an adapter needs its bytes. */
export interface PublishAsset {
  name: string;
  contentType: string;
  size: number;
  bytes(): Promise<Buffer>;
}

/** A body image: `ref` is the exact URL the creation's HTML uses for it (an adapter may swap in the platform's URL). */
export interface BodyImage extends PublishAsset {
  ref: string;
}

export interface PublishContent {
  creationId: number;
  type: CreationType;
  title: string;
  /** The creation's text as written (Markdown for writing tools). */
  text: string;
  /** `text` rendered to safe HTML (no raw HTML, no scripts); body images point at `images[].ref`. */
  html: string;
  /** Plain text, at most 120 characters: a digest / description. */
  summary: string;
  /** The cover: the chosen cover creation's image, else the creation's first image. */
  cover?: PublishAsset;
  images: BodyImage[];
  /** The creation's video file, for video creations. */
  video?: PublishAsset;
}

/** The platform ids and markers a job holds; each adapter keeps its own keys in it. JSON only. */
export type Progress = Record<string, unknown>;

/** The states an adapter moves a job through while it runs (the core sets queued, published, failed, needs_user_action). */
export type RunningState = 'uploading_assets' | 'draft_created' | 'submitted';

export interface PublishRun {
  /** Tollgate's id of this job: stable across retries, usable as a marker on the platform. */
  jobId: number;
  credentials: Record<string, string>;
  /**
   * What earlier runs saved. The core adds one key of its own: `user_checked_backend: true` when the user, asked to
   * look in the platform's backend (`check_backend`), found nothing there and retried — the adapter may then send its
   * unconfirmed request once more.
   */
  progress: Readonly<Progress>;
  content(): Promise<PublishContent>;
  /** Persists at once (before the adapter's next platform call): new progress keys merge into the stored ones. */
  save(patch: { state?: RunningState; progress?: Progress }): Promise<void>;
  /** Stores renewed credentials in the binding (sealed), e.g. an OAuth refresh that retires the old refresh token. */
  updateCredentials(patch: Record<string, string>): Promise<void>;
  /** Keeps a file the user will download (an export bundle, a share image); answers its file-store key. */
  storeFile(name: string, contentType: string, bytes: Buffer): Promise<string>;
  /** Aborted when the core gives up on this run (shutdown, lease lost). */
  signal: AbortSignal;
}

export interface UserAction {
  /**
   * publish_in_backend — a draft exists; publish it in the platform's own backend (e.g. WeChat error 48001)
   * share              — open `share_url` (or scan it as a QR code) in the platform's app and confirm the post
   * export             — download `file_key` and post it by hand
   * check_backend      — the platform may have received the post; look before trying again
   */
  kind: 'publish_in_backend' | 'share' | 'export' | 'check_backend';
  message: string;
  shareUrl?: string;
  fileKey?: string;
  /** Until when `share_url` works, when the platform limits it. */
  expiresAt?: string;
}

export type Outcome =
  | { kind: 'published'; url?: string }
  /** Submitted; the platform is still working on it: run again after this many seconds. */
  | { kind: 'pending'; retryAfterSeconds: number }
  | { kind: 'needs_user_action'; action: UserAction };

/** A refusal by the platform (or a failure talking to it). `code` is the platform's own code, as text. */
export class PlatformError extends Error {
  override name = 'PlatformError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface BindingCheck {
  /** The account's display name on the platform, when the platform says it. */
  accountName: string | null;
  /** e.g. `official_account`, `creator`, `personal`. */
  accountType: string;
  capability: Capability;
  /** One sentence for the user about what this account can do. */
  note: string;
  /** Credentials the platform renewed while checking (an OAuth refresh retires the old pair): stored instead of the given ones. */
  renewed?: Record<string, string>;
}

export interface CredentialField {
  name: string;
  label: string;
  /** Shown as a password field; never answered back. */
  secret: boolean;
  /** May be left out (an empty value counts as left out). */
  optional?: boolean;
}

export interface PlatformAdapter {
  platform: Platform;
  /** The platform's name in Chinese, as users know it. */
  label: string;
  /** What a binding of this platform can do before it is checked (the platforms list for unbound users). */
  capability: Capability;
  /** The creation types this platform takes. */
  accepts: readonly CreationType[];
  credentialFields: readonly CredentialField[];
  /** Validates the credentials' shape (a strict object of strings). */
  credentials: z.ZodType<Record<string, string>>;
  /** Checks the credentials against the platform where it can; throws PlatformError when they are refused. */
  verify(credentials: Record<string, string>, signal?: AbortSignal): Promise<BindingCheck>;
  /** Why this content cannot go to the platform (checked before a job is made), or null. */
  refuse(content: PublishContent): string | null;
  run(r: PublishRun): Promise<Outcome>;
}
