import { and, count, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { jsonParam } from '../../platform/sql-batch.ts';
import type { Db } from '../../platform/db.ts';
import { apiKeys, users, type ApiKeyKind, type ApiKeyRow, type UserRow } from './identity.tables.ts';

const live = isNull(apiKeys.revokedAt);

export type NewApiKey = Pick<ApiKeyRow, 'userId' | 'name' | 'kind' | 'keyHash' | 'last4'> &
  Partial<Pick<ApiKeyRow, 'expiresAt' | 'allowedModels' | 'allowedIps' | 'spendLimitMicros' | 'rateLimitRpm'>>;

export async function insertKey(db: Db, k: NewApiKey): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(k).returning();
  return row as ApiKeyRow;
}

export async function findByHash(db: Db, keyHash: string): Promise<{ key: ApiKeyRow; user: UserRow } | undefined> {
  const [row] = await db
    .select({ key: apiKeys, user: users })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.keyHash, keyHash), live));
  return row;
}

export async function findOwned(db: Db, userId: number, id: number): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), live));
  return row;
}

export async function pageOwned(db: Db, userId: number, kind: ApiKeyKind, limit: number, offset: number) {
  const where = and(eq(apiKeys.userId, userId), eq(apiKeys.kind, kind), live);
  const [rows, [total]] = await Promise.all([
    db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.id)).limit(limit).offset(offset),
    db.select({ n: count() }).from(apiKeys).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function countLive(db: Db, userId: number, kind: ApiKeyKind): Promise<number> {
  const [row] = await db.select({ n: count() }).from(apiKeys).where(and(eq(apiKeys.userId, userId), eq(apiKeys.kind, kind), live));
  return Number(row?.n ?? 0);
}

export async function updateOwned(db: Db, userId: number, id: number, patch: Partial<ApiKeyRow>) {
  const [row] = await db
    .update(apiKeys)
    .set(patch)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), live))
    .returning();
  return row;
}

export async function revokeKinds(db: Db, userId: number, kind: ApiKeyKind, at: Date): Promise<void> {
  await db.update(apiKeys).set({ revokedAt: at, updatedAt: at }).where(and(eq(apiKeys.userId, userId), eq(apiKeys.kind, kind), live));
}

/** The live legacy token of each user, for the `/1/users` listing. */
export async function legacyKeysOf(db: Db, userIds: number[]): Promise<Map<number, ApiKeyRow>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(inArray(apiKeys.userId, userIds), eq(apiKeys.kind, 'legacy'), live))
    .orderBy(desc(apiKeys.id));
  const out = new Map<number, ApiKeyRow>();
  for (const row of rows) if (!out.has(row.userId)) out.set(row.userId, row);
  return out;
}

export async function touchLastUsed(db: Db, id: number, at: Date): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}

/** The guard `gateway_key_spend()` raises as (migrations/*_key_spend_guard.sql), with the key's id as its detail. */
export const KEY_SPEND_GUARD = 'api_keys_spend_limit_guard';

/**
 * Adds gateway spend to many keys in one statement (the billing flusher's transaction, or its single statement). With
 * `enforceLimits`, a key the spend would take past its limit fails the whole statement (KEY_SPEND_GUARD): the guard
 * runs on each row as it is updated, so two nodes' flushes cannot both slip under the limit.
 */
export function addSpendStatement(amounts: Map<number, bigint>, opts: { enforceLimits?: boolean } = {}): SQL {
  const rows = jsonParam([...amounts].map(([id, amount]) => ({ id, amount })));
  const spent = opts.enforceLimits ? sql`gateway_key_spend(k.id, k.spent_micros, v.amount, k.spend_limit_micros)` : sql`k.spent_micros + v.amount`;
  return sql`UPDATE api_keys AS k SET spent_micros = ${spent} FROM jsonb_to_recordset(${rows}::jsonb) AS v(id bigint, amount bigint) WHERE k.id = v.id`;
}

