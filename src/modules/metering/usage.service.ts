import { and, asc, gte, lt, sql } from 'drizzle-orm';
import type { Database, Db } from '../../platform/db.ts';
import { forbidden } from '../../platform/errors.ts';
import type { Principal } from '../../platform/principal.ts';
import { addMs, beijingDayStart, formatStudioTime, systemClock, type Clock } from '../../platform/time.ts';
import * as queries from './usage-query.repo.ts';
import type { SupplierPlatformTotals, UsageFilter, UsageOwner } from './usage-query.repo.ts';
import type { UsageFilterQuery } from './usage.schema.ts';
import { USAGE_PLATFORMS, usageRecords, type NewUsageRecord } from './usage.tables.ts';
import { insertFromArrays } from '../../platform/sql-batch.ts';

export interface UserUsageTotal {
  userId: number;
  costMicros: bigint;
  totalTokens: number;
}

/** Whole UTC+8 days, both inclusive, as `YYYY-MM-DD`. */
export interface UsagePeriod {
  startDate: string;
  endDate: string;
}

const DAY_MS = 24 * 3600 * 1000;
/** The summary and the export cover the last 30 days (today included) unless the caller names a range. */
const DEFAULT_PERIOD_DAYS = 30;
/** A spreadsheet-sized cap: the export is for people, not a bulk data feed. */
export const MAX_EXPORT_ROWS = 10_000;

const dayStart = (day: string) => beijingDayStart(day) as Date;
const dayOf = (instant: Date) => formatStudioTime(instant).slice(0, 10);

/** Whose records a caller may read: their own; an operator may name one user or everyone. */
function ownerFor(actor: Principal, q: UsageFilterQuery): UsageOwner {
  if (q.user_id === undefined && !q.all) return { userId: actor.userId };
  if (actor.role !== 'admin') throw forbidden('Only operators may view other users\' usage');
  return q.all && q.user_id === undefined ? 'everyone' : { userId: q.user_id as number };
}

function filterOf(actor: Principal, q: UsageFilterQuery, period?: UsagePeriod): UsageFilter {
  const start = period?.startDate ?? q.start_date;
  const end = period?.endDate ?? q.end_date;
  return {
    owner: ownerFor(actor, q),
    from: start ? dayStart(start) : undefined,
    to: end ? addMs(dayStart(end), DAY_MS) : undefined,
    model: q.model,
    apiKeyId: q.key_id,
    status: q.status,
  };
}

export function createUsageService(deps: { database: Database; clock?: Clock }) {
  const clock = deps.clock ?? systemClock;
  const db = () => deps.database.db;

  /** The caller's range, with the last DEFAULT_PERIOD_DAYS days (ending today in UTC+8) filling in what is missing. */
  function periodOf(q: Pick<UsageFilterQuery, 'start_date' | 'end_date'>): UsagePeriod {
    const today = dayOf(clock.now());
    const endDate = q.end_date ?? (q.start_date && q.start_date > today ? q.start_date : today);
    const startDate = q.start_date ?? dayOf(addMs(dayStart(endDate), -(DEFAULT_PERIOD_DAYS - 1) * DAY_MS));
    return { startDate, endDate };
  }

  return {
    /** Writes usage records; the billing flusher passes its transaction so records and charges commit together. */
    async record(rows: NewUsageRecord[], db: Db = deps.database.db): Promise<void> {
      if (rows.length > 0) await db.insert(usageRecords).values(rows);
    },

    /** The insert of `rows` as one statement, for the billing flusher to commit with the charges; `chargeRefs` by row. */
    insertStatement: (rows: NewUsageRecord[], chargeRefs?: (string | null)[]) => insertFromArrays(usageRecords, rows, chargeRefs ? { chargeRef: chargeRefs } : {}),

    /** Writes the records whose request id is new; returns those ids (a replayed request id is skipped, not charged). */
    async recordNew(rows: NewUsageRecord[], db: Db = deps.database.db): Promise<Set<string>> {
      if (rows.length === 0) return new Set();
      const inserted = await db.insert(usageRecords).values(rows).onConflictDoNothing({ target: usageRecords.requestId }).returning({ requestId: usageRecords.requestId });
      return new Set(inserted.map((r) => r.requestId));
    },

    /** Cost and tokens per user over [from, to). */
    async totalsByUser(from: Date, to: Date): Promise<UserUsageTotal[]> {
      const rows = await deps.database.db
        .select({
          userId: usageRecords.userId,
          cost: sql<string>`sum(${usageRecords.costMicros})::text`,
          // Summed per column: adding the two int columns row by row would overflow int4 before sum() widens it.
          tokens: sql<string>`(sum(${usageRecords.tokensIn}) + sum(${usageRecords.tokensOut}))::text`,
        })
        .from(usageRecords)
        .where(and(gte(usageRecords.createdAt, from), lt(usageRecords.createdAt, to)))
        .groupBy(usageRecords.userId)
        .orderBy(asc(usageRecords.userId));
      return rows.map((r) => ({ userId: Number(r.userId), costMicros: BigInt(r.cost), totalTokens: Number(r.tokens) }));
    },

    /** One page of records, newest first; without dates the whole history. */
    async page(actor: Principal, q: UsageFilterQuery, window: { limit: number; offset: number }) {
      const filter = filterOf(actor, q);
      return { ...(await queries.pageRecords(db(), filter, window)), everyone: filter.owner === 'everyone' };
    },

    /** Per-day and per-model totals over a period (default: the last 30 days). */
    async daily(actor: Principal, q: UsageFilterQuery) {
      const period = periodOf(q);
      const filter = filterOf(actor, q, period);
      const [days, byModel] = await Promise.all([queries.dailyTotals(db(), filter), queries.modelTotals(db(), filter)]);
      return { period, days, byModel };
    },

    /** A range of whole UTC+8 days with the default period filling in what is missing, and the instants [from, to) it spans. */
    period(range: { start_date?: string; end_date?: string }): UsagePeriod & { from: Date; to: Date } {
      const period = periodOf(range);
      return { ...period, from: dayStart(period.startDate), to: addMs(dayStart(period.endDate), DAY_MS) };
    },

    /** What a supplier's packages served over [from, to), per platform; every platform is present (zeros when idle). */
    async supplierSummary(supplierUserId: number, from: Date, to: Date): Promise<SupplierPlatformTotals[]> {
      const found = await queries.supplierPlatformTotals(db(), supplierUserId, from, to);
      return USAGE_PLATFORMS.map(
        (platform) =>
          found.find((r) => r.platform === platform) ??
          { platform, requests: 0, success: 0, charged: 0, tokensIn: 0, tokensOut: 0, costMicros: 0n, supplierEarningMicros: 0n },
      );
    },

    /** Up to MAX_EXPORT_ROWS records of a period (default: the last 30 days), newest first. */
    async exportRows(actor: Principal, q: UsageFilterQuery) {
      const period = periodOf(q);
      const filter = filterOf(actor, q, period);
      // One row past the cap tells a complete export from a cut one without a second count query.
      const rows = await queries.listRecords(db(), filter, MAX_EXPORT_ROWS + 1);
      return { period, rows: rows.slice(0, MAX_EXPORT_ROWS), truncated: rows.length > MAX_EXPORT_ROWS, everyone: filter.owner === 'everyone' };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
