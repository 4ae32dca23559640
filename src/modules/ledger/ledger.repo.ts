import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import type { AccountSpec } from './accounts.ts';
import { ledgerAccounts, ledgerHolds, ledgerPostings, ledgerTransfers, type LedgerAccountRow } from './ledger.tables.ts';

/** Ids of the accounts named by `specs`, creating the missing ones. */
export async function ensureAccounts(db: Db, specs: AccountSpec[]): Promise<Map<string, number>> {
  // Sorted, so concurrent first uses of the same accounts take index locks in one order.
  const unique = [...new Map(specs.map((s) => [s.code, s])).values()].sort((a, b) => (a.code < b.code ? -1 : 1));
  await db
    .insert(ledgerAccounts)
    .values(unique.map((s) => ({ code: s.code, kind: s.kind, ownerUserId: s.ownerUserId ?? null, neverNegative: s.neverNegative })))
    .onConflictDoNothing({ target: ledgerAccounts.code });
  const rows = await db
    .select({ id: ledgerAccounts.id, code: ledgerAccounts.code })
    .from(ledgerAccounts)
    .where(inArray(ledgerAccounts.code, unique.map((s) => s.code)));
  return new Map(rows.map((r) => [r.code, r.id]));
}

export async function accountsByIds(db: Db, ids: number[]): Promise<LedgerAccountRow[]> {
  return ids.length === 0 ? [] : db.select().from(ledgerAccounts).where(inArray(ledgerAccounts.id, ids));
}

export async function findAccount(db: Db, code: string): Promise<LedgerAccountRow | undefined> {
  const [row] = await db.select().from(ledgerAccounts).where(eq(ledgerAccounts.code, code));
  return row;
}

export async function findAccounts(db: Db, codes: string[]): Promise<LedgerAccountRow[]> {
  return codes.length === 0 ? [] : db.select().from(ledgerAccounts).where(inArray(ledgerAccounts.code, codes));
}

/** Locks the accounts in id order (the order balance updates take) and returns their balances by id. */
export async function lockBalances(db: Db, ids: number[]): Promise<Map<number, bigint>> {
  const rows = await db
    .select({ id: ledgerAccounts.id, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(inArray(ledgerAccounts.id, ids))
    .orderBy(asc(ledgerAccounts.id))
    .for('update');
  return new Map(rows.map((r) => [r.id, r.balance]));
}

/** Claims an idempotency key; undefined when a transfer already holds it. */
export async function insertTransfer(
  db: Db,
  t: { idempotencyKey: string; kind: string; reference?: string; description?: string; metadata?: Record<string, unknown>; createdAt: Date },
): Promise<number | undefined> {
  const [row] = await db
    .insert(ledgerTransfers)
    .values(t)
    .onConflictDoNothing({ target: ledgerTransfers.idempotencyKey })
    .returning({ id: ledgerTransfers.id });
  return row?.id;
}

export async function transferByKey(db: Db, idempotencyKey: string) {
  const [transfer] = await db.select().from(ledgerTransfers).where(eq(ledgerTransfers.idempotencyKey, idempotencyKey));
  if (!transfer) return undefined;
  const postings = await db
    .select({ accountId: ledgerPostings.accountId, amount: ledgerPostings.amount, balanceAfter: ledgerPostings.balanceAfter })
    .from(ledgerPostings)
    .where(eq(ledgerPostings.transferId, transfer.id))
    .orderBy(asc(ledgerPostings.id));
  return { transfer, postings };
}

/**
 * Adds `delta` to an account. For a never-negative account the guard in the WHERE clause refuses a result below zero,
 * atomically, whatever runs concurrently. Returns the new balance, or undefined when refused.
 */
export async function applyDelta(db: Db, accountId: number, delta: bigint, at: Date): Promise<bigint | undefined> {
  const [row] = await db
    .update(ledgerAccounts)
    .set({ balance: sql`${ledgerAccounts.balance} + ${delta}`, version: sql`${ledgerAccounts.version} + 1`, updatedAt: at })
    .where(and(eq(ledgerAccounts.id, accountId), sql`(NOT ${ledgerAccounts.neverNegative} OR ${ledgerAccounts.balance} + ${delta} >= 0)`))
    .returning({ balance: ledgerAccounts.balance });
  return row?.balance;
}

export async function insertPostings(
  db: Db,
  rows: { transferId: number; accountId: number; amount: bigint; balanceAfter: bigint; createdAt: Date }[],
): Promise<void> {
  await db.insert(ledgerPostings).values(rows);
}

export async function pagePostings(db: Db, accountId: number, limit: number, offset: number) {
  const [rows, [total]] = await Promise.all([
    db
      .select({
        id: ledgerPostings.id,
        amount: ledgerPostings.amount,
        balanceAfter: ledgerPostings.balanceAfter,
        createdAt: ledgerPostings.createdAt,
        kind: ledgerTransfers.kind,
        reference: ledgerTransfers.reference,
        description: ledgerTransfers.description,
      })
      .from(ledgerPostings)
      .innerJoin(ledgerTransfers, eq(ledgerTransfers.id, ledgerPostings.transferId))
      .where(eq(ledgerPostings.accountId, accountId))
      .orderBy(desc(ledgerPostings.id))
      .limit(limit)
      .offset(offset),
    db.select({ n: sql<string>`count(*)::text` }).from(ledgerPostings).where(eq(ledgerPostings.accountId, accountId)),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function insertHold(
  db: Db,
  h: { idempotencyKey: string; accountId: number; heldAccountId: number; amount: bigint; reference?: string },
): Promise<number | undefined> {
  const [row] = await db
    .insert(ledgerHolds)
    .values(h)
    .onConflictDoNothing({ target: ledgerHolds.idempotencyKey })
    .returning({ id: ledgerHolds.id });
  return row?.id;
}

export async function holdByKey(db: Db, idempotencyKey: string) {
  const [row] = await db.select().from(ledgerHolds).where(eq(ledgerHolds.idempotencyKey, idempotencyKey));
  return row;
}

/** Locks an active hold for closing; undefined when it is missing or already closed. */
export async function lockActiveHold(db: Db, holdId: number) {
  const [row] = await db
    .select()
    .from(ledgerHolds)
    .where(and(eq(ledgerHolds.id, holdId), eq(ledgerHolds.status, 'active')))
    .for('update');
  return row;
}

export async function closeHold(db: Db, holdId: number, status: 'settled' | 'released', settledAmount: bigint, at: Date) {
  await db.update(ledgerHolds).set({ status, settledAmount, closedAt: at }).where(eq(ledgerHolds.id, holdId));
}

export async function holdById(db: Db, holdId: number) {
  const [row] = await db.select().from(ledgerHolds).where(eq(ledgerHolds.id, holdId));
  return row;
}

/** Accounts whose stored balance differs from the sum of their postings. */
export async function balanceMismatches(db: Db) {
  const result = await db.execute(sql`
    SELECT a.code, a.balance::text AS stored, COALESCE(SUM(p.amount), 0)::text AS replayed
    FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
    GROUP BY a.id, a.code, a.balance
    HAVING a.balance <> COALESCE(SUM(p.amount), 0)
    ORDER BY a.code`);
  return (result as unknown as { rows: { code: string; stored: string; replayed: string }[] }).rows;
}

/** Users' receivables below zero: what each user owes, largest first. */
export async function openReceivables(db: Db) {
  const rows = await db
    .select({ userId: ledgerAccounts.ownerUserId, code: ledgerAccounts.code, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(and(eq(ledgerAccounts.kind, 'receivable'), sql`${ledgerAccounts.balance} < 0`))
    .orderBy(asc(ledgerAccounts.balance), asc(ledgerAccounts.id));
  return rows.map((r) => ({ userId: r.userId as number, code: r.code, owed: -r.balance }));
}

/** Transfers whose postings do not sum to zero (or have fewer than two postings). */
export async function unbalancedTransfers(db: Db) {
  const result = await db.execute(sql`
    SELECT t.idempotency_key AS key, COALESCE(SUM(p.amount), 0)::text AS total, COUNT(p.id)::int AS postings
    FROM ledger_transfers t LEFT JOIN ledger_postings p ON p.transfer_id = t.id
    GROUP BY t.id, t.idempotency_key
    HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2
    ORDER BY t.id`);
  return (result as unknown as { rows: { key: string; total: string; postings: number }[] }).rows;
}


/** Claims many idempotency keys at once; returns the new transfers' ids by key (keys already used are absent). */
export async function insertTransfers(
  db: Db,
  rows: { idempotencyKey: string; kind: string; reference?: string; description?: string; metadata?: Record<string, unknown>; createdAt: Date }[],
): Promise<Map<string, number>> {
  const inserted = await db
    .insert(ledgerTransfers)
    .values(rows)
    .onConflictDoNothing({ target: ledgerTransfers.idempotencyKey })
    .returning({ id: ledgerTransfers.id, key: ledgerTransfers.idempotencyKey });
  return new Map(inserted.map((r) => [r.key, r.id]));
}

/**
 * Adds many deltas in one statement, each with the never-negative guard of `applyDelta`. With `lockInOrder` the rows
 * are locked in id order first, so two connections flushing over the same accounts cannot deadlock (PGlite has one
 * connection: there is nobody to deadlock with, and the extra statement is skipped). Returns the new balances of the accounts that
 * moved; an account missing from the result was refused by its guard.
 */
export async function applyDeltas(db: Db, deltas: [number, bigint][], at: Date, lockInOrder: boolean): Promise<Map<number, bigint>> {
  if (lockInOrder) {
    const ids = deltas.map(([id]) => id).sort((a, b) => a - b);
    await db.execute(sql`SELECT id FROM ledger_accounts WHERE id IN (${sql.join(ids.map((id) => sql`${id}`), sql`, `)}) ORDER BY id FOR UPDATE`);
  }
  const values = sql.join(deltas.map(([id, d]) => sql`(${id}::bigint, ${d}::bigint)`), sql`, `);
  const result = await db.execute(sql`
    UPDATE ledger_accounts AS a SET balance = a.balance + v.delta, version = a.version + 1, updated_at = ${at}
    FROM (VALUES ${values}) AS v(id, delta)
    WHERE a.id = v.id AND (NOT a.never_negative OR a.balance + v.delta >= 0)
    RETURNING a.id, a.balance::text AS balance`);
  const rows = (result as unknown as { rows: { id: number | string; balance: string }[] }).rows;
  return new Map(rows.map((r) => [Number(r.id), BigInt(r.balance)]));
}
