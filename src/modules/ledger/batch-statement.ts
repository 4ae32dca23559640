import { sql } from 'drizzle-orm';
import { isUniqueViolation, violatedConstraint, type Database } from '../../platform/db.ts';
import { jsonParam, type NamedStatement } from '../../platform/sql-batch.ts';
import { BatchRefused, type BatchResult } from './batch.ts';
import type { TransferRequest } from './ledger.service.ts';

// The whole batch — transfers, balances, postings, and whatever the caller must commit with them (usage records, key
// spend) — as ONE statement of data-modifying CTEs: atomic by itself, one round trip, one plan. The never-negative rule
// is the accounts' CHECK constraint, which fails the statement (and so everything in it) if any account would go
// below zero.

const NEVER_NEGATIVE = 'ledger_accounts_never_negative_ck';

export async function commitInOneStatement(
  database: Database,
  reqs: TransferRequest[],
  ids: Map<string, number>,
  now: Date,
  alongside: NamedStatement[],
): Promise<BatchResult> {
  const deltas = new Map<number, bigint>();
  const postings: { key: string; account_id: number; amount: bigint; later: bigint }[] = [];
  for (const r of reqs) {
    for (const p of r.postings) {
      const id = ids.get(p.account.code) as number;
      deltas.set(id, (deltas.get(id) ?? 0n) + p.amount);
      postings.push({ key: r.idempotencyKey, account_id: id, amount: p.amount, later: 0n });
    }
  }
  // balance_after of a posting = the account's final balance minus what later postings of the batch add to it.
  const after = new Map<number, bigint>();
  for (let i = postings.length - 1; i >= 0; i -= 1) {
    const p = postings[i] as (typeof postings)[number];
    p.later = after.get(p.account_id) ?? 0n;
    after.set(p.account_id, p.later + p.amount);
  }
  const transfers = reqs.map((r) => ({ key: r.idempotencyKey, kind: r.kind, reference: r.reference ?? null, description: r.description ?? null, metadata: r.metadata ?? null }));
  const extra = alongside.map((s) => sql`${sql.identifier(s.name)} AS (${s.statement}), `);
  const statement = sql`
    WITH ${sql.join(extra, sql``)}
    tr AS (
      INSERT INTO ledger_transfers (idempotency_key, kind, reference, description, metadata, created_at)
      SELECT t.key, t.kind, t.reference, t.description, t.metadata, ${now}
      FROM jsonb_to_recordset(${jsonParam(transfers)}::jsonb) AS t(key text, kind text, reference text, description text, metadata jsonb)
      RETURNING id, idempotency_key),
    moved AS (
      UPDATE ledger_accounts AS a SET balance = a.balance + v.delta, version = a.version + 1, updated_at = ${now}
      FROM jsonb_to_recordset(${jsonParam([...deltas].map(([id, delta]) => ({ id, delta })))}::jsonb) AS v(id bigint, delta bigint)
      WHERE a.id = v.id
      RETURNING a.id, a.code, a.balance, a.version),
    posted AS (
      INSERT INTO ledger_postings (transfer_id, account_id, amount, balance_after, created_at)
      SELECT tr.id, p.account_id, p.amount, moved.balance - p.later, ${now}
      FROM jsonb_to_recordset(${jsonParam(postings)}::jsonb) AS p(key text, account_id bigint, amount bigint, later bigint)
      JOIN tr ON tr.idempotency_key = p.key JOIN moved ON moved.id = p.account_id
      RETURNING 1)
    SELECT moved.code, moved.balance::text AS balance, moved.version::text AS version, (SELECT count(*) FROM posted)::int AS postings FROM moved`;
  let rows: { code: string; balance: string; version: string; postings: number }[];
  try {
    rows = ((await database.db.execute(statement)) as unknown as { rows: typeof rows }).rows;
  } catch (err) {
    if (violatedConstraint(err) === NEVER_NEGATIVE) throw new BatchRefused([...new Set(reqs.flatMap((r) => r.postings.filter((p) => p.amount < 0n).map((p) => p.account.code)))]);
    // A request recorded twice (a replayed request id): the careful path sorts out which ones are new.
    if (isUniqueViolation(err)) throw new BatchRefused([]);
    throw err;
  }
  if (rows.length !== deltas.size || (rows[0]?.postings ?? 0) !== postings.length) {
    throw new Error(`ledger batch wrote ${rows[0]?.postings ?? 0} of ${postings.length} postings`);
  }
  return {
    replayed: [],
    balances: new Map(rows.map((r) => [r.code, BigInt(r.balance)])),
    versions: new Map(rows.map((r) => [r.code, Number(r.version)])),
  };
}
