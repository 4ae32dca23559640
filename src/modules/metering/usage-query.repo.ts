import { and, asc, count, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { usageRecords, type UsagePlatform, type UsageRecordRow, type UsageStatus } from './usage.tables.ts';

// The read side of usage_records for /api/v1/usage: one WHERE builder, so the list, the CSV and the daily
// summary can never disagree about which rows a filter selects.

/** Whose rows: one user's (tenancy is this clause), or everyone's for an operator's view. */
export type UsageOwner = { userId: number } | 'everyone';

export interface UsageFilter {
  owner: UsageOwner;
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  model?: string;
  apiKeyId?: number;
  status?: UsageStatus;
}

export interface UsageTotals {
  requests: number;
  success: number;
  errors: number;
  aborted: number;
  tokensIn: number;
  tokensOut: number;
  costMicros: bigint;
}

function whereOf(f: UsageFilter): SQL | undefined {
  return and(
    f.owner === 'everyone' ? undefined : eq(usageRecords.userId, f.owner.userId),
    f.from ? gte(usageRecords.createdAt, f.from) : undefined,
    f.to ? lt(usageRecords.createdAt, f.to) : undefined,
    f.model !== undefined ? eq(usageRecords.model, f.model) : undefined,
    f.apiKeyId !== undefined ? eq(usageRecords.apiKeyId, f.apiKeyId) : undefined,
    f.status ? eq(usageRecords.status, f.status) : undefined,
  );
}

// The id breaks ties between records written in the same millisecond, so pages never overlap or skip.
const newestFirst = [desc(usageRecords.createdAt), desc(usageRecords.id)];

export async function pageRecords(db: Db, f: UsageFilter, window: { limit: number; offset: number }) {
  const where = whereOf(f);
  const [rows, [total]] = await Promise.all([
    db.select().from(usageRecords).where(where).orderBy(...newestFirst).limit(window.limit).offset(window.offset),
    db.select({ n: count() }).from(usageRecords).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function listRecords(db: Db, f: UsageFilter, limit: number): Promise<UsageRecordRow[]> {
  return db.select().from(usageRecords).where(whereOf(f)).orderBy(...newestFirst).limit(limit);
}

// The UTC+8 calendar day of a record. A fixed offset rather than 'Asia/Shanghai': that zone had summer time in
// 1986–1991, while the date filters (beijingDayStart) are fixed +8, and a day must group the rows its filter selects.
const beijingDay = sql<string>`to_char(${usageRecords.createdAt} AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD')`;

// Sums come back as text: sum(int) is bigint and sum(bigint) is numeric, both beyond what a JS number or int4 holds.
const totals = {
  requests: sql<string>`count(*)::text`,
  success: sql<string>`(count(*) filter (where ${usageRecords.status} = 'success'))::text`,
  errors: sql<string>`(count(*) filter (where ${usageRecords.status} = 'error'))::text`,
  aborted: sql<string>`(count(*) filter (where ${usageRecords.status} = 'aborted'))::text`,
  tokensIn: sql<string>`coalesce(sum(${usageRecords.tokensIn}::bigint), 0)::text`,
  tokensOut: sql<string>`coalesce(sum(${usageRecords.tokensOut}::bigint), 0)::text`,
  cost: sql<string>`coalesce(sum(${usageRecords.costMicros}), 0)::text`,
};

type TotalsText = { [K in keyof typeof totals]: string };

const totalsOf = (r: TotalsText): UsageTotals => ({
  requests: Number(r.requests),
  success: Number(r.success),
  errors: Number(r.errors),
  aborted: Number(r.aborted),
  tokensIn: Number(r.tokensIn),
  tokensOut: Number(r.tokensOut),
  costMicros: BigInt(r.cost),
});

/** One row per UTC+8 day that has records, oldest first. */
export async function dailyTotals(db: Db, f: UsageFilter): Promise<(UsageTotals & { day: string })[]> {
  const rows = await db
    .select({ day: beijingDay, ...totals })
    .from(usageRecords)
    .where(whereOf(f))
    .groupBy(beijingDay)
    .orderBy(asc(beijingDay));
  return rows.map((r) => ({ day: r.day, ...totalsOf(r) }));
}

/** One row per model over the whole filter, costliest first. */
export async function modelTotals(db: Db, f: UsageFilter): Promise<(UsageTotals & { model: string })[]> {
  const rows = await db
    .select({ model: usageRecords.model, ...totals })
    .from(usageRecords)
    .where(whereOf(f))
    .groupBy(usageRecords.model)
    .orderBy(desc(sql`sum(${usageRecords.costMicros})`), asc(usageRecords.model));
  return rows.map((r) => ({ model: r.model, ...totalsOf(r) }));
}

export interface SupplierPlatformTotals {
  platform: UsagePlatform;
  requests: number;
  success: number;
  /** Requests that cost the buyer something (cost > 0). */
  charged: number;
  tokensIn: number;
  tokensOut: number;
  costMicros: bigint;
  supplierEarningMicros: bigint;
}

/**
 * What a supplier's packages served over [from, to), one row per platform that has records. Tenancy is the
 * `supplier_user_id` clause: the rows belong to buyers, the supplier sees only sums of the ones it served.
 */
export async function supplierPlatformTotals(db: Db, supplierUserId: number, from: Date, to: Date): Promise<SupplierPlatformTotals[]> {
  const rows = await db
    .select({
      platform: usageRecords.platform,
      requests: totals.requests,
      success: totals.success,
      charged: sql<string>`(count(*) filter (where ${usageRecords.costMicros} > 0))::text`,
      tokensIn: totals.tokensIn,
      tokensOut: totals.tokensOut,
      cost: totals.cost,
      earning: sql<string>`coalesce(sum(${usageRecords.supplierEarningMicros}), 0)::text`,
    })
    .from(usageRecords)
    .where(and(eq(usageRecords.supplierUserId, supplierUserId), gte(usageRecords.createdAt, from), lt(usageRecords.createdAt, to)))
    .groupBy(usageRecords.platform);
  return rows.map((r) => ({
    platform: r.platform,
    requests: Number(r.requests),
    success: Number(r.success),
    charged: Number(r.charged),
    tokensIn: Number(r.tokensIn),
    tokensOut: Number(r.tokensOut),
    costMicros: BigInt(r.cost),
    supplierEarningMicros: BigInt(r.earning),
  }));
}
