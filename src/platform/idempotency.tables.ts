import { index, integer, jsonb, bigserial, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Stored outcomes of money mutations sent with an `Idempotency-Key` (DESIGN.md §3 Idempotency). */
export const idempotencyRecords = pgTable(
  'idempotency_records',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Whose key and for which operation, e.g. `user:42:credit.recharge`: keys of different callers never meet. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_flight', 'completed'] }).notNull(),
    statusCode: integer('status_code'),
    response: jsonb('response'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('idempotency_scope_key_uq').on(t.scope, t.key), index('idempotency_expires_idx').on(t.expiresAt)],
);
