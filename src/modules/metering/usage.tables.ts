import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const USAGE_STATUSES = ['success', 'error', 'aborted'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];
export const USAGE_PLATFORMS = ['api', 'studio'] as const;
export type UsagePlatform = (typeof USAGE_PLATFORMS)[number];
export const UPSTREAM_KINDS = ['channel', 'model', 'package'] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

/** One row per metered AI request (DESIGN.md §5); the gateway and the studio write them, `/1/usages` sums them. */
export const usageRecords = pgTable(
  'usage_records',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestId: text('request_id').notNull(),
    /**
     * The user who was charged. No foreign key: the row is a record of a request already served, written in batches
     * behind the responses, its user taken from an authenticated key, and users are never deleted (only marked). The
     * key's check cost a locked lookup of the user for every row — 8–9 of PGlite's ~40 µs a row (bench/README.md).
     */
    userId: bigint('user_id', { mode: 'number' }).notNull(),
    apiKeyId: bigint('api_key_id', { mode: 'number' }),
    model: text('model').notNull(),
    /** The gateway operation: chat, completions, embeddings, images, messages. */
    operation: text('operation'),
    upstreamKind: text('upstream_kind', { enum: UPSTREAM_KINDS }),
    upstreamId: bigint('upstream_id', { mode: 'number' }),
    tokensIn: integer('tokens_in').notNull().default(0),
    tokensOut: integer('tokens_out').notNull().default(0),
    costMicros: bigint('cost_micros', { mode: 'bigint' }).notNull().default(sql`0`),
    supplierEarningMicros: bigint('supplier_earning_micros', { mode: 'bigint' }).notNull().default(sql`0`),
    /** The supplier whose package served the request (null for platform channels). */
    supplierUserId: bigint('supplier_user_id', { mode: 'number' }),
    latencyMs: integer('latency_ms'),
    firstByteMs: integer('first_byte_ms'),
    status: text('status', { enum: USAGE_STATUSES }).notNull(),
    /** True when tokens were counted by our tokenizer because the upstream reported none. */
    usageEstimated: boolean('usage_estimated').notNull().default(false),
    /** Upstream attempts made (failover tries included). */
    attempts: integer('attempts').notNull().default(1),
    /** HTTP status the client received. */
    httpStatus: integer('http_status'),
    errorMessage: text('error_message'),
    /** Reference of the ledger transfer that charged this request (group commit charges many requests in one). */
    chargeRef: text('charge_ref'),
    platform: text('platform', { enum: USAGE_PLATFORMS }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('usage_records_created_idx').on(t.createdAt),
    index('usage_records_user_created_idx').on(t.userId, t.createdAt),
    index('usage_records_key_created_idx').on(t.apiKeyId, t.createdAt),
    // Only rows a supplier's package served: platform-channel traffic (most of it) costs this index nothing.
    index('usage_records_supplier_created_idx').on(t.supplierUserId, t.createdAt).where(sql`${t.supplierUserId} IS NOT NULL`),
    // One record per request: a retried flush or a replayed request id can never be recorded — or charged — twice.
    uniqueIndex('usage_records_request_uq').on(t.requestId),
  ],
);

export type UsageRecordRow = typeof usageRecords.$inferSelect;
export type NewUsageRecord = typeof usageRecords.$inferInsert;
