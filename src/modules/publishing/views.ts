import type { z } from 'zod';
import { formatStudioTime } from '../../platform/time.ts';
import type { Platform, PlatformAdapter } from './adapter.ts';
import { AUTO_ATTEMPTS } from './publishing.repo.ts';
import type { JobView, PlatformView, PublishStatus, PublishView } from './publishing.schema.ts';
import { ACTIVE_STATES, type BindingRow, type JobRow, type PublishRequestRow } from './publishing.tables.ts';

// Rows → the publishing API's views. Only ids leave the job's stored progress: markers, share signatures and the
// like stay inside.

const ACTIVE = new Set<string>(ACTIVE_STATES);
const willRetry = (j: JobRow) => j.state === 'failed' && j.retryable && j.attempts < AUTO_ATTEMPTS;
const isLive = (j: JobRow) => ACTIVE.has(j.state) || willRetry(j);

export function platformView(adapter: PlatformAdapter, binding: BindingRow | undefined): z.infer<typeof PlatformView> {
  return {
    platform: adapter.platform,
    name: adapter.label,
    capability: binding?.capability ?? adapter.capability,
    accepts: [...adapter.accepts],
    bound: binding !== undefined,
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
