import type { z } from 'zod';
import { formatStudioTime } from '../../platform/time.ts';
import type { Capability, Platform, PlatformAdapter } from './adapter.ts';
import { AUTO_ATTEMPTS } from './publishing.repo.ts';
import type { AccountTypeView, JobView, PlatformView, PublishStatus, PublishView } from './publishing.schema.ts';
import { ACTIVE_STATES, type BindingRow, type JobRow, type PublishRequestRow } from './publishing.tables.ts';

// Rows → the publishing API's views. Only ids leave the job's stored progress: markers, share signatures and the
// like stay inside.

const ACTIVE = new Set<string>(ACTIVE_STATES);
const willRetry = (j: JobRow) => j.state === 'failed' && j.retryable && j.attempts < AUTO_ATTEMPTS;
const isLive = (j: JobRow) => ACTIVE.has(j.state) || willRetry(j);

/**
 * What each kind of account can do on each platform. A binding starts as the platform's usual case and learns its own
 * from the platform: WeChat answers freepublish/submit with 48001 for an unverified account, and the runner then
 * records `draft_only` on the binding — the type whose capability the binding holds is the one that applies to it.
 */
const ACCOUNT_TYPES: Record<Platform, readonly { type: string; label: string; capability: Capability }[]> = {
  wechat: [
    { type: 'verified_official_account', label: '已认证的服务号或订阅号', capability: 'api_publish' },
    { type: 'unverified_official_account', label: '未认证的服务号或订阅号', capability: 'draft_only' },
  ],
  // Both publish only what the user confirms in the app, whatever the account.
  xiaohongshu: [{ type: 'any_account', label: '任意账号', capability: 'share' }],
  douyin: [{ type: 'any_account', label: '任意账号', capability: 'share' }],
  kuaishou: [{ type: 'authorised_account', label: '通过开放平台授权的账号', capability: 'api_publish' }],
  // No public publishing API: every account gets the export bundle.
  toutiao: [{ type: 'any_account', label: '任意账号', capability: 'export' }],
};

function accountTypes(platform: Platform, usable: Capability | undefined): z.infer<typeof AccountTypeView>[] {
  return ACCOUNT_TYPES[platform].map((t) => ({ ...t, applies: t.capability === usable }));
}

export function platformView(adapter: PlatformAdapter, binding: BindingRow | undefined): z.infer<typeof PlatformView> {
  // A platform that takes no credentials (an export) is usable without a binding step.
  const bound = binding !== undefined || adapter.credentialFields.length === 0;
  const capability = binding?.capability ?? adapter.capability;
  return {
    platform: adapter.platform,
    name: adapter.label,
    capability,
    account_types: accountTypes(adapter.platform, bound ? capability : undefined),
    accepts: [...adapter.accepts],
    bound,
    account_name: binding?.accountName ?? null,
    account_type: binding?.accountType ?? null,
    note: binding?.note ?? '',
    bound_at: binding ? formatStudioTime(binding.createdAt) : null,
    credential_fields: adapter.credentialFields.map((f) => ({ name: f.name, label: f.label, secret: f.secret, optional: f.optional ?? false })),
  };
}

function platformIds(progress: Record<string, unknown>): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const [key, value] of Object.entries(progress)) if (key.endsWith('_id') && typeof value === 'string') ids[key] = value;
  return ids;
}

export function jobView(job: JobRow, o: { label: string; fileUrl: (key: string) => string; now: Date }): z.infer<typeof JobView> {
  const a = job.action;
  return {
    platform: job.platform,
    name: o.label,
    state: job.state,
    platform_ids: platformIds(job.progress),
    url: job.url,
    error: job.state === 'failed' && job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '', retryable: job.retryable } : null,
    action: a
      ? { kind: a.kind, message: a.message, share_url: a.shareUrl ?? null, download_url: a.fileKey ? o.fileUrl(a.fileKey) : null, expires_at: a.expiresAt ?? null }
      : null,
    confirmed_by_user: job.progress.confirmed_by_user === true,
    attempts: job.attempts,
    next_run_at: isLive(job) ? formatStudioTime(job.dueAt < o.now ? o.now : job.dueAt) : null,
    updated_at: formatStudioTime(job.updatedAt),
  };
}

/** One word for the whole request, from its platforms' states. */
export function publishStatus(request: PublishRequestRow, jobs: JobRow[], now: Date): z.infer<typeof PublishStatus> {
  if (jobs.some(isLive)) {
    const untouched = jobs.every((j) => j.state === 'queued' && j.attempts === 0);
    if (!untouched) return 'publishing';
    return request.scheduledAt && request.scheduledAt > now ? 'scheduled' : 'pending';
  }
  if (jobs.every((j) => j.state === 'published')) return 'published';
  if (jobs.every((j) => j.state === 'failed')) return 'failed';
  if (jobs.some((j) => j.state === 'needs_user_action') && !jobs.some((j) => j.state === 'failed')) return 'needs_user_action';
  return 'partial';
}

export function publishView(
  request: PublishRequestRow,
  jobs: JobRow[],
  o: { title: string | null; labelOf: (p: Platform) => string; fileUrl: (key: string) => string; now: Date },
): z.infer<typeof PublishView> {
  return {
    publish_id: request.id,
    creation_id: request.creationId,
    creation_title: o.title,
    status: publishStatus(request, jobs, o.now),
    schedule_time: request.scheduledAt ? formatStudioTime(request.scheduledAt) : null,
    created_at: formatStudioTime(request.createdAt),
    platforms: jobs.map((j) => jobView(j, { label: o.labelOf(j.platform), fileUrl: o.fileUrl, now: o.now })),
  };
}
