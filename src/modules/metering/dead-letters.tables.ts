import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const DEAD_LETTER_STATUSES = ['open', 'charged', 'resolved'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/**
 * Gateway charges that kept failing after their retries (billing.ts). The request was answered; its money is not in
 * the ledger until an operator retries the charge (`charged`) or writes it off with a note (`resolved`).
 */
export const billingDeadLetters = pgTable(
  'billing_dead_letters',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestId: text('request_id').notNull(),
    userId: bigint('user_id', { mode: 'number' }).notNull(),
    apiKeyId: bigint('api_key_id', { mode: 'number' }),
    costMicros: bigint('cost_micros', { mode: 'bigint' }).notNull().default(sql`0`),
    /** The charge and its payer as billing queued them (bigints tagged, see dead-letters.repo.ts), to retry it. */
    charge: jsonb('charge').notNull(),
    /** The last failure. */
    error: text('error').notNull(),
    attempts: integer('attempts').notNull(),
    status: text('status', { enum: DEAD_LETTER_STATUSES }).notNull().default('open'),
    /** The operator who retried or resolved it, and why. */
    handledBy: bigint('handled_by', { mode: 'number' }),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    handledAt: timestamp('handled_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // One letter per request: a charge given up twice (two nodes, a retry) is one thing to look at.
    uniqueIndex('billing_dead_letters_request_uq').on(t.requestId),
    index('billing_dead_letters_status_idx').on(t.status, t.createdAt),
  ],
);

export type DeadLetterRow = typeof billingDeadLetters.$inferSelect;
