import type { z } from 'zod';
import type { SecretBox } from '../../platform/crypto.ts';
import { isUniqueViolation, type Database } from '../../platform/db.ts';
import { pageWindow } from '../../platform/envelopes.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.ts';
import { parseStudioTime, type Clock } from '../../platform/time.ts';
import type { CreationService } from '../studio/creations.service.ts';
import { PlatformError, type Platform, type PlatformAdapter } from './adapter.ts';
import * as repo from './publishing.repo.ts';
import type { PlatformView, PublishView } from './publishing.schema.ts';
import type { JobRow, PublishRequestRow } from './publishing.tables.ts';
import type { RunnerDeps } from './runner.ts';
import { platformView, publishView } from './views.ts';

// Bindings and publish requests (the studio spec's 发布 section). A request makes one job per platform; the runner
// does the work. Here: what may be published where, by whom, and what the user sees of it.

export interface PublishingDeps extends Pick<RunnerDeps, 'database' | 'clock' | 'adapters' | 'box' | 'content' | 'creations'> {
  fileUrl: (key: string) => string;
  /** Hands a job to the job runner, to run at `at` (now or the schedule). */
  enqueue: (jobId: number, at: Date) => Promise<void>;
}

/** How far ahead a post may be scheduled. */
const MAX_SCHEDULE_MS = 90 * 24 * 3600_000;
/** A schedule_time this far in the past is taken as "now" (a client's clock, a slow form); further back is refused. */
const PAST_GRACE_MS = 5 * 60_000;

export interface PublishInput {
  creationId: number;
  platforms: Platform[];
  scheduleTime?: string | null;
  coverCreationId?: number;
  idempotencyKey?: string;
}

export function createPublishingService(deps: PublishingDeps) {
  const { database, clock, adapters, box, content, creations } = deps;
  const db = database.db;

  function adapterOf(platform: Platform): PlatformAdapter {
    const adapter = adapters.get(platform);
    if (!adapter) throw badRequest(`Publishing to ${platform} is not available on this server`, { field: 'platform' });
    return adapter;
  }
  const labelOf = (p: Platform) => adapters.get(p)?.label ?? p;

  async function views(userId: number, requests: PublishRequestRow[]): Promise<z.infer<typeof PublishView>[]> {
    const jobs = await repo.jobsOf(db, requests.map((r) => r.id));
    const titles = await repo.creationTitles(db, userId, [...new Set(requests.map((r) => r.creationId))]);
    const now = clock.now();
    return requests.map((r) =>
      publishView(r, jobs.filter((j) => j.requestId === r.id), { title: titles.get(r.creationId) ?? null, labelOf, fileUrl: deps.fileUrl, now }),
    );
  }

  async function viewOf(userId: number, id: number) {
    const request = await repo.requestById(db, userId, id);
    if (!request) throw notFound('Publish');
    return (await views(userId, [request]))[0] as z.infer<typeof PublishView>;
  }

  function scheduleOf(text: string | null | undefined, now: Date): Date | null {
    if (text === undefined || text === null || text === '') return null;
    const at = parseStudioTime(text);
    if (!at) throw badRequest('schedule_time must be a time such as 2026-01-23T10:00:00 (UTC+8)', { field: 'body.schedule_time' });
    if (at.getTime() < now.getTime() - PAST_GRACE_MS) throw badRequest('schedule_time is in the past', { field: 'body.schedule_time' });
    if (at.getTime() > now.getTime() + MAX_SCHEDULE_MS) throw badRequest('schedule_time may be at most 90 days ahead', { field: 'body.schedule_time' });
    return at.getTime() > now.getTime() ? at : null;
  }

  /** Checks the credentials with the platform, then keeps them sealed (replacing an earlier binding). */
  async function bind(userId: number, platform: Platform, credentials: Record<string, string>) {
    const adapter = adapterOf(platform);
    const optional = new Set(adapter.credentialFields.filter((f) => f.optional).map((f) => f.name));
    const given = Object.fromEntries(Object.entries(credentials).filter(([name, value]) => !(optional.has(name) && value.trim() === '')));
    const parsed = adapter.credentials.safeParse(given);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') ?? '';
      throw badRequest(`credentials${field ? `.${field}` : ''}: ${issue?.message ?? 'invalid'} (${adapter.label} needs ${adapter.credentialFields.map((f) => f.name).join(', ') || 'no credentials'})`, {
        field: `body.credentials${field ? `.${field}` : ''}`,
      });
    }
    let check;
    try {
      check = await adapter.verify(parsed.data, AbortSignal.timeout(15_000));
    } catch (err) {
      if (err instanceof PlatformError) throw new AppError('PUBLISH_FAILED', `${adapter.label} refused these credentials: ${err.message}`, { platform, platform_code: err.code });
      throw new AppError('SERVICE_UNAVAILABLE', `Could not reach ${adapter.label} to check the credentials; try again`);
    }
    const now = clock.now();
    return repo.replaceBinding(db, {
      userId, platform, credentials: box.encrypt(JSON.stringify({ ...parsed.data, ...check.renewed })),
      accountName: check.accountName, accountType: check.accountType, capability: check.capability, note: check.note, createdAt: now, updatedAt: now,
    });
  }

  /** The account a job goes to. A platform that takes no credentials (an export) needs no binding step: it is made here. */
  async function bindingFor(userId: number, adapter: PlatformAdapter) {
    const binding = await repo.liveBinding(db, userId, adapter.platform);
    if (binding || adapter.credentialFields.length > 0) return binding;
    return bind(userId, adapter.platform, {});
  }

  return {
    async platforms(userId: number): Promise<z.infer<typeof PlatformView>[]> {
      const bindings = await repo.liveBindings(db, userId);
      return [...adapters.values()].map((a) => platformView(a, bindings.find((b) => b.platform === a.platform)));
    },

    bind: async (userId: number, platform: Platform, credentials: Record<string, string>): Promise<z.infer<typeof PlatformView>> =>
      platformView(adapterOf(platform), await bind(userId, platform, credentials)),

    async unbind(userId: number, platform: Platform): Promise<void> {
      adapterOf(platform);
      if (!(await repo.unbind(db, userId, platform, clock.now()))) throw notFound('Binding');
    },

    async publish(userId: number, input: PublishInput): Promise<z.infer<typeof PublishView>> {
      if (input.idempotencyKey) {
        const earlier = await repo.requestByKey(db, userId, input.idempotencyKey);
        if (earlier) {
          if (earlier.creationId !== input.creationId) throw conflict('This Idempotency-Key was used for another publish', { field: 'headers.idempotency-key' });
          return viewOf(userId, earlier.id);
        }
      }
      const now = clock.now();
      const scheduledAt = scheduleOf(input.scheduleTime, now);
      const creation = await creations.get(userId, input.creationId);
      let cover;
      if (input.coverCreationId !== undefined) {
        cover = await creations.get(userId, input.coverCreationId);
        if (!cover.files.some((f) => f.contentType.startsWith('image/'))) throw badRequest('cover_creation_id must be an image creation', { field: 'body.cover_creation_id' });
      }
      const built = await content.build(creation, cover);
      const platforms = [...new Set(input.platforms)];
      const jobs = [];
      for (const platform of platforms) {
        const adapter = adapterOf(platform);
        const binding = await bindingFor(userId, adapter);
        if (!binding) throw new AppError('PLATFORM_NOT_BOUND', `Bind your ${adapter.label} account first (POST /api/v1/publish/platforms/bind)`, { platform });
        if (!adapter.accepts.includes(creation.type)) {
          throw new AppError('PUBLISH_FAILED', `${adapter.label} does not take ${creation.type} creations (it takes ${adapter.accepts.join(', ')})`, { platform });
        }
        const refusal = adapter.refuse(built);
        if (refusal) throw new AppError('PUBLISH_FAILED', refusal, { platform });
        const blocking = await repo.blockingJob(db, creation.id, platform, binding.id);
        if (blocking) {
          const what = blocking.state === 'published' ? 'is already published to' : 'is already being published to';
          throw conflict(`This creation ${what} ${adapter.label} (publish ${blocking.requestId}); it is not posted twice`, { platform, publish_id: blocking.requestId });
        }
        jobs.push({ userId, creationId: creation.id, platform, bindingId: binding.id, state: 'queued' as const, dueAt: scheduledAt ?? now, createdAt: now, updatedAt: now });
      }
      let made;
      try {
        made = await repo.insertRequest(
          db,
          { userId, creationId: creation.id, coverCreationId: cover?.id ?? null, idempotencyKey: input.idempotencyKey ?? null, scheduledAt, createdAt: now },
          jobs,
        );
      } catch (err) {
        // Two requests raced: the same Idempotency-Key (answer the first), or the same post (refuse the second).
        if (!isUniqueViolation(err)) throw err;
        const earlier = input.idempotencyKey ? await repo.requestByKey(db, userId, input.idempotencyKey) : undefined;
        if (earlier) return viewOf(userId, earlier.id);
        throw conflict('This creation is already being published to one of these platforms; it is not posted twice');
      }
      for (const job of made.jobs) await deps.enqueue(job.id, job.dueAt);
      return (await views(userId, [made.request]))[0] as z.infer<typeof PublishView>;
    },

    get: viewOf,

    async history(userId: number, q: { page: number; page_size: number; platform?: Platform }) {
      const { limit, offset } = pageWindow(q);
      const { rows, total } = await repo.pageRequests(db, userId, { platform: q.platform, limit, offset });
      return { total, items: await views(userId, rows) };
    },

    /**
     * Runs failed platforms again from where they stopped (their stored ids), now — and a platform that asked the user
     * to check its backend, which the user did and found nothing.
     */
    async retry(userId: number, id: number, platform?: Platform) {
      const request = await repo.requestById(db, userId, id);
      if (!request) throw notFound('Publish');
      const checked = (j: JobRow) => j.state === 'needs_user_action' && j.action?.kind === 'check_backend';
      const failed = (await repo.jobsOf(db, [id])).filter((j) => (j.state === 'failed' || checked(j)) && (!platform || j.platform === platform));
      if (failed.length === 0) throw conflict(platform ? `Nothing failed on ${labelOf(platform)} to retry` : 'Nothing failed to retry');
      const now = clock.now();
      for (const job of failed) {
        let row: JobRow | undefined;
        try {
          row = await repo.updateIdle(db, job.id, [job.state], now, {
            state: job.resumeState ?? 'queued', retryable: false, attempts: 0, dueAt: now, errorCode: null, errorMessage: null, finishedAt: null, action: null,
            ...(checked(job) ? { progress: { ...job.progress, user_checked_backend: true } } : {}),
          });
        } catch (err) {
          if (isUniqueViolation(err)) throw conflict(`This creation is already being published to ${labelOf(job.platform)} by another publish`);
          throw err;
        }
        if (row) await deps.enqueue(row.id, now);
      }
      return viewOf(userId, id);
    },

    /** The user says they posted a share or an export (or published the draft in the backend): shown as their word. */
    async confirm(userId: number, id: number, platform: Platform, url?: string) {
      const request = await repo.requestById(db, userId, id);
      const job = request && (await repo.jobsOf(db, [id])).find((j) => j.platform === platform);
      if (!job) throw notFound('Publish');
      const now = clock.now();
      const row = await repo.updateIdle(db, job.id, ['needs_user_action'], now, {
        state: 'published', url: url ?? null, finishedAt: now, progress: { ...job.progress, confirmed_by_user: true },
      });
      if (!row) throw conflict(`${labelOf(platform)} is not waiting for you (it is ${job.state})`);
      return viewOf(userId, id);
    },
  };
}

export type PublishingService = ReturnType<typeof createPublishingService>;
