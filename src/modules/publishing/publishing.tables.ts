import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.tables.ts';
import { creations } from '../studio/studio.tables.ts';
import type { Capability, Platform, Progress, UserAction } from './adapter.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A creator's account on a platform: its credentials sealed (never answered), and what the platform said it can do. */
export const publishBindings = pgTable(
  'publish_bindings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    platform: text('platform').$type<Platform>().notNull(),
    /** The credentials as a JSON object, sealed by the secret box. */
    credentials: text('credentials').notNull(),
    accountName: text('account_name'),
    accountType: text('account_type').notNull(),
    capability: text('capability').$type<Capability>().notNull(),
    note: text('note').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    /** Unbound: kept so that the jobs that used it still say which account they went to. */
    deletedAt: at('deleted_at'),
  },
  (t) => [uniqueIndex('publish_bindings_live_uq').on(t.userId, t.platform).where(sql`${t.deletedAt} IS NULL`)],
);

export type BindingRow = typeof publishBindings.$inferSelect;

/** One `POST /api/v1/publish`: a creation sent to one or more platforms, now or at `schedule_time`. */
export const publishRequests = pgTable(
  'publish_requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    creationId: bigint('creation_id', { mode: 'number' }).notNull().references(() => creations.id),
    coverCreationId: bigint('cover_creation_id', { mode: 'number' }).references(() => creations.id),
    /** The client's Idempotency-Key: the same key answers the first request and queues nothing more. */
    idempotencyKey: text('idempotency_key'),
    scheduledAt: at('scheduled_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('publish_requests_idem_uq').on(t.userId, t.idempotencyKey).where(sql`${t.idempotencyKey} IS NOT NULL`),
    index('publish_requests_user_idx').on(t.userId, t.id),
  ],
);

export type PublishRequestRow = typeof publishRequests.$inferSelect;

/**
 * queued            — waiting for its time (or a worker)
 * uploading_assets  — the platform is being given the cover, images, video
 * draft_created     — the platform holds a draft (its id is stored)
 * submitted         — the platform was asked to publish (its id is stored); waiting for its verdict
 * published         — the platform says it is out
 * failed            — refused or broken; `retryable` says whether trying again can help
 * needs_user_action — a person has to finish it (share in the app, publish a draft in the backend, post an export)
 */
export const JOB_STATES = ['queued', 'uploading_assets', 'draft_created', 'submitted', 'published', 'failed', 'needs_user_action'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const ACTIVE_STATES = ['queued', 'uploading_assets', 'draft_created', 'submitted'] as const satisfies readonly JobState[];

/** One platform of a publish request: a resumable job that keeps every platform id the moment it has it. */
export const publishJobs = pgTable(
  'publish_jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestId: bigint('request_id', { mode: 'number' }).notNull().references(() => publishRequests.id),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    creationId: bigint('creation_id', { mode: 'number' }).notNull().references(() => creations.id),
    platform: text('platform').$type<Platform>().notNull(),
    bindingId: bigint('binding_id', { mode: 'number' }).notNull().references(() => publishBindings.id),
    state: text('state', { enum: JOB_STATES }).notNull(),
    progress: jsonb('progress').$type<Progress>().notNull().default(sql`'{}'::jsonb`),
    action: jsonb('action').$type<UserAction>(),
    url: text('url'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    retryable: boolean('retryable').notNull().default(false),
    /** The state a failed job stopped in: a retry shows it again while it resumes from its stored ids. */
    resumeState: text('resume_state', { enum: JOB_STATES }),
    attempts: integer('attempts').notNull().default(0),
    /** When it may next run: the schedule, a poll, or a retry's backoff. */
    dueAt: at('due_at').notNull(),
    /** A run owns the job until then; another worker leaves it alone (one post, never two). */
    leaseUntil: at('lease_until'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    finishedAt: at('finished_at'),
  },
  (t) => [
    uniqueIndex('publish_jobs_request_platform_uq').on(t.requestId, t.platform),
    // One live job per creation and account (a retryable failure is live: it may run again), so a second request for
    // the same post cannot race the first.
    uniqueIndex('publish_jobs_live_uq')
      .on(t.creationId, t.platform, t.bindingId)
      .where(sql`${t.state} IN ('queued', 'uploading_assets', 'draft_created', 'submitted') OR (${t.state} = 'failed' AND ${t.retryable})`),
    index('publish_jobs_due_idx')
      .on(t.dueAt)
      .where(sql`${t.state} IN ('queued', 'uploading_assets', 'draft_created', 'submitted') OR (${t.state} = 'failed' AND ${t.retryable})`),
    index('publish_jobs_user_idx').on(t.userId, t.requestId),
  ],
);

export type JobRow = typeof publishJobs.$inferSelect;
