import type { Logger } from 'pino';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db.ts';
import { AppError } from '../../platform/errors.ts';
import { fileKey, type FileStore } from '../../platform/files.ts';
import { addMs, type Clock } from '../../platform/time.ts';
import type { CreationService } from '../studio/creations.service.ts';
import { PlatformError, type Outcome, type Platform, type PlatformAdapter, type PublishRun, type RunningState } from './adapter.ts';
import type { ContentBuilder } from './content.ts';
import * as repo from './publishing.repo.ts';
import type { JobRow } from './publishing.tables.ts';

// Runs publish jobs. A run first claims its job (a lease in the row), so two workers — a scheduled pg-boss job and
// the minute's sweep, or two servers — never run one job at once. Every id the adapter gets is saved before its next
// platform call; a crash anywhere leaves the job leased until the lease ends, then the sweep resumes it from those ids.

export interface RunnerDeps {
  database: Database;
  clock: Clock;
  adapters: ReadonlyMap<Platform, PlatformAdapter>;
  box: SecretBox;
  content: ContentBuilder;
  creations: CreationService;
  files: FileStore;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long one run may hold its job. */
  leaseMs?: number;
}

const LEASE_MS = 5 * 60_000;
const SWEEP_BATCH = 20;

/** 30 s, 1 min, 2 min … at most 30 min after the nth failed attempt. */
export const retryDelayMs = (attempts: number) => Math.min(30_000 * 2 ** Math.max(attempts - 1, 0), 30 * 60_000);

class LeaseLost extends Error {}

/** What a job that stopped without a platform's verdict tells its user: never the error's text, which may carry a URL with a token. */
function failureOf(err: unknown): { code: string; message: string; retryable: boolean } {
  if (err instanceof PlatformError) return { code: err.code, message: err.message, retryable: err.retryable };
  if (err instanceof AppError && err.status === 404) return { code: 'creation_missing', message: 'The creation was deleted before it was published.', retryable: false };
  if (err instanceof Error && err.name === 'AbortError') return { code: 'timeout', message: 'The platform took too long to answer; it will be tried again.', retryable: true };
  return { code: 'unreachable', message: 'Could not reach the platform; it will be tried again.', retryable: true };
}

export function createPublishRunner(deps: RunnerDeps) {
  const { database, clock, adapters, box, content, creations, files, log } = deps;
  const leaseMs = deps.leaseMs ?? LEASE_MS;
  const db = database.db;

  async function finish(job: JobRow, lease: Date, outcome: Outcome, state: JobRow['state']): Promise<void> {
    const now = clock.now();
    const base = { leaseUntil: null, updatedAt: now, errorCode: null, errorMessage: null, retryable: false, resumeState: null };
    if (outcome.kind === 'pending') {
      // Polling is not a failed attempt.
      await repo.updateHeld(db, job.id, lease, { ...base, state, attempts: 0, dueAt: addMs(now, outcome.retryAfterSeconds * 1000) });
    } else if (outcome.kind === 'published') {
      await repo.updateHeld(db, job.id, lease, { ...base, state: 'published', url: outcome.url ?? null, action: null, finishedAt: now });
      // And what it told us before no longer holds (WeChat: verified since its 48001).
      await repo.clearDraftOnly(db, job.bindingId, 'Published by API: this account publishes directly again.', now);
    } else {
      // resumeState: a retry after the user checked the backend continues from here.
      await repo.updateHeld(db, job.id, lease, { ...base, state: 'needs_user_action', action: outcome.action, resumeState: state, finishedAt: now });
      // The platform has told us what this account can do (WeChat 48001: drafts only): the platforms list says so from now on.
      if (outcome.action.kind === 'publish_in_backend') await repo.setCapability(db, job.bindingId, 'draft_only', outcome.action.message, now);
    }
  }

  async function fail(job: JobRow, lease: Date, err: unknown, state: JobRow['state']): Promise<void> {
    const now = clock.now();
    const f = failureOf(err);
    if (!(err instanceof PlatformError)) log.warn({ job: job.id, platform: job.platform, err: err instanceof Error ? err.name : typeof err }, 'publish run stopped');
    await repo.updateHeld(db, job.id, lease, {
      state: 'failed',
      resumeState: state === 'failed' ? 'queued' : state,
      errorCode: f.code,
      errorMessage: f.message,
      retryable: f.retryable,
      dueAt: addMs(now, retryDelayMs(job.attempts)),
      leaseUntil: null,
      updatedAt: now,
      finishedAt: f.retryable ? null : now,
    });
  }

  async function run(job: JobRow, lease: Date): Promise<void> {
    let state: JobRow['state'] = job.state === 'failed' ? (job.resumeState ?? 'queued') : job.state;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.max(leaseMs - 10_000, 1_000));
    try {
      const adapter = adapters.get(job.platform);
      const binding = await repo.bindingById(db, job.bindingId);
      if (!adapter) throw new PlatformError('platform_unavailable', `Publishing to ${job.platform} is not available on this server.`, false);
      if (!binding || binding.deletedAt) throw new PlatformError('binding_removed', `The ${adapter.label} account was unbound before this was published.`, false);
      const request = await repo.requestById(db, job.userId, job.requestId);
      const creation = await creations.get(job.userId, job.creationId);
      const cover = request?.coverCreationId ? await creations.get(job.userId, request.coverCreationId).catch(() => undefined) : undefined;
      await repo.updateHeld(db, job.id, lease, { state, errorCode: null, errorMessage: null, updatedAt: clock.now() });

      const credentials = JSON.parse(box.decrypt(binding.credentials)) as Record<string, string>;
      const r: PublishRun = {
        jobId: job.id,
        credentials,
        progress: job.progress,
        content: () => content.build(creation, cover),
        save: async (patch: { state?: RunningState; progress?: Record<string, unknown> }) => {
          if (patch.state) state = patch.state;
          const held = await repo.updateHeld(db, job.id, lease, { ...(patch.state ? { state: patch.state } : {}), progress: patch.progress, updatedAt: clock.now() });
          if (!held) throw new LeaseLost(`publish job ${job.id} was taken over`);
        },
        updateCredentials: async (patch) => {
          Object.assign(credentials, patch);
          await repo.setCredentials(db, binding.id, box.encrypt(JSON.stringify(credentials)), clock.now());
        },
        storeFile: async (name, contentType, bytes) =>
          (await files.put(fileKey(['publish', String(job.userId), `${job.id}-${name}`]), bytes, contentType)).key,
        signal: controller.signal,
      };
      await finish(job, lease, await adapter.run(r), state);
    } catch (err) {
      if (err instanceof LeaseLost) return log.warn({ job: job.id }, 'publish job lease lost; another run has it');
      await fail(job, lease, err, state);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs one job if it is due and free; answers whether it ran. */
  async function runJob(id: number): Promise<boolean> {
    const now = clock.now();
    const lease = addMs(now, leaseMs);
    const job = await repo.claim(db, id, now, lease);
    if (!job) return false;
    await run(job, lease);
    return true;
  }

  return {
    runJob,

    /** Runs every job whose time has come (the minute's sweep, and at boot for what came due while down). */
    async runDue(): Promise<number> {
      let ran = 0;
      for (;;) {
        const ids = await repo.dueJobIds(db, clock.now(), SWEEP_BATCH);
        if (ids.length === 0) return ran;
        const results = await Promise.all(ids.map(runJob));
        const n = results.filter(Boolean).length;
        ran += n;
        if (n === 0) return ran;
      }
    },
  };
}

export type PublishRunner = ReturnType<typeof createPublishRunner>;
