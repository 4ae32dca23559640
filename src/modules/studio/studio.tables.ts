import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from '../identity/identity.tables.ts';

export const GENERATION_KINDS = ['writing', 'image', 'video', 'ppt'] as const;
export type GenerationKind = (typeof GENERATION_KINDS)[number];

/**
 * reserved  — credits held (or a member: nothing held), nothing sent yet
 * running   — sent to the model / submitted to the provider (`provider_task_id` stored before the client hears back)
 * succeeded — result saved, credits settled
 * failed    — credits released (upstream error, refusal, timeout, client gone, crash past the TTL)
 */
export const GENERATION_STATUSES = ['reserved', 'running', 'succeeded', 'failed'] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One paid studio generation: its credit hold, what it asked, where it is, and what it answered (for retries). */
export const generations = pgTable(
  'studio_generations',
  {
    id: text('id').primaryKey(),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    kind: text('kind', { enum: GENERATION_KINDS }).notNull(),
    toolType: text('tool_type'),
    /** The client's Idempotency-Key: the same key answers the first result and charges nothing more. */
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash').notNull(),
    status: text('status', { enum: GENERATION_STATUSES }).notNull(),
    /** Credits the generation costs (0 for members); held in `hold_id` until it settles or is released. */
    credits: integer('credits').notNull(),
    holdId: bigint('hold_id', { mode: 'number' }),
    /** What the ledger actually moved: `credits` once settled, 0 otherwise. */
    creditsUsed: integer('credits_used').notNull().default(0),
    modelId: bigint('model_id', { mode: 'number' }),
    modelName: text('model_name').notNull(),
    input: jsonb('input').$type<Record<string, unknown>>().notNull(),
    provider: text('provider'),
    providerTaskId: text('provider_task_id'),
    /** The response's data, kept so that a retry with the same key gets the same answer. */
    result: jsonb('result').$type<Record<string, unknown>>(),
    errorCode: integer('error_code'),
    errorMessage: text('error_message'),
    creationId: bigint('creation_id', { mode: 'number' }),
    polls: integer('polls').notNull().default(0),
    /** Past this, an unfinished generation is failed and its hold released (crash, lost task). */
    expiresAt: at('expires_at').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    finishedAt: at('finished_at'),
  },
  (t) => [
    uniqueIndex('studio_generations_idem_uq').on(t.userId, t.idempotencyKey).where(sql`${t.idempotencyKey} IS NOT NULL`),
    index('studio_generations_open_idx').on(t.expiresAt).where(sql`${t.status} IN ('reserved', 'running')`),
    uniqueIndex('studio_generations_task_uq').on(t.provider, t.providerTaskId).where(sql`${t.providerTaskId} IS NOT NULL`),
  ],
);

export type GenerationRow = typeof generations.$inferSelect;

export const CREATION_TYPES = GENERATION_KINDS;
export type CreationType = GenerationKind;
/** `truncated`: the writer went away mid-stream; the text is kept for them, but it is not a finished work. */
export const CREATION_STATUSES = ['final', 'truncated'] as const;
export type CreationStatus = (typeof CREATION_STATUSES)[number];

export interface CreationFile {
  key: string;
  contentType: string;
  size: number;
}

/** A creator's work: writing, image, video or PPT. Files live in the file store; links are signed per response. */
export const creations = pgTable(
  'studio_creations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: bigint('user_id', { mode: 'number' }).notNull().references(() => users.id),
    type: text('type', { enum: CREATION_TYPES }).notNull(),
    toolType: text('tool_type'),
    title: text('title').notNull(),
    content: text('content').notNull().default(''),
    status: text('status', { enum: CREATION_STATUSES }).notNull().default('final'),
    files: jsonb('files').$type<CreationFile[]>().notNull().default(sql`'[]'::jsonb`),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    generationId: text('generation_id'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    deletedAt: at('deleted_at'),
  },
  (t) => [
    index('studio_creations_user_idx').on(t.userId, t.type, t.id).where(sql`${t.deletedAt} IS NULL`),
    uniqueIndex('studio_creations_generation_uq').on(t.generationId).where(sql`${t.generationId} IS NOT NULL`),
  ],
);

export type CreationRow = typeof creations.$inferSelect;
