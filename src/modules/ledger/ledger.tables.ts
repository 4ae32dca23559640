import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

// Double-entry ledger (DESIGN.md §3). A balance is the sum of its account's postings; each transfer's postings sum
// to zero. Sign: a posting adds to its account. User-facing accounts are "never negative"; the platform's clearing
// and expense accounts go negative as money comes in from (or is given away to) the outside world.

export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Stable name, e.g. `user:42:wallet`, `platform:revenue`, `clearing:alipay`. */
    code: text('code').notNull(),
    kind: text('kind').notNull(),
    ownerUserId: bigint('owner_user_id', { mode: 'number' }),
    neverNegative: boolean('never_negative').notNull(),
    balance: bigint('balance', { mode: 'bigint' }).notNull().default(sql`0`),
    /**
     * Bumped by every balance change. Updates of one row are serialised by its lock, so versions follow commit order:
     * a cache fed by concurrent writers (the gateway's billing) keeps the balance of the highest version it has seen.
     */
    version: bigint('version', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ledger_accounts_code_uq').on(t.code),
    index('ledger_accounts_owner_idx').on(t.ownerUserId),
    // The last line of defence: even a bug in the guarded UPDATE cannot leave such an account below zero.
    check('ledger_accounts_never_negative_ck', sql`NOT ${t.neverNegative} OR ${t.balance} >= 0`),
  ],
);

export const ledgerTransfers = pgTable(
  'ledger_transfers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    idempotencyKey: text('idempotency_key').notNull(),
    kind: text('kind').notNull(),
    /** What caused it: an order id, a hold id, a usage record, … */
    reference: text('reference'),
    description: text('description'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('ledger_transfers_idem_uq').on(t.idempotencyKey), index('ledger_transfers_reference_idx').on(t.reference)],
);

export const ledgerPostings = pgTable(
  'ledger_postings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    transferId: bigint('transfer_id', { mode: 'number' }).notNull().references(() => ledgerTransfers.id),
    accountId: bigint('account_id', { mode: 'number' }).notNull().references(() => ledgerAccounts.id),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    balanceAfter: bigint('balance_after', { mode: 'bigint' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('ledger_postings_account_idx').on(t.accountId, t.id), index('ledger_postings_transfer_idx').on(t.transferId)],
);

export const HOLD_STATUSES = ['active', 'settled', 'released'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** A pre-authorisation: money moved from an account into its `held` twin until settled or released. */
export const ledgerHolds = pgTable(
  'ledger_holds',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    idempotencyKey: text('idempotency_key').notNull(),
    accountId: bigint('account_id', { mode: 'number' }).notNull().references(() => ledgerAccounts.id),
    heldAccountId: bigint('held_account_id', { mode: 'number' }).notNull().references(() => ledgerAccounts.id),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    settledAmount: bigint('settled_amount', { mode: 'bigint' }),
    status: text('status', { enum: HOLD_STATUSES }).notNull().default('active'),
    reference: text('reference'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('ledger_holds_idem_uq').on(t.idempotencyKey), index('ledger_holds_active_idx').on(t.status, t.createdAt)],
);

export type LedgerAccountRow = typeof ledgerAccounts.$inferSelect;
export type LedgerTransferRow = typeof ledgerTransfers.$inferSelect;
export type LedgerPostingRow = typeof ledgerPostings.$inferSelect;
export type LedgerHoldRow = typeof ledgerHolds.$inferSelect;
