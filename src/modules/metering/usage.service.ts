import { and, asc, gte, lt, sql } from 'drizzle-orm';
import type { Database, Db } from '../../platform/db.ts';
import { usageRecords, type NewUsageRecord } from './usage.tables.ts';

export interface UserUsageTotal {
  userId: number;
  costMicros: bigint;
  totalTokens: number;
}

export function createUsageService(deps: { database: Database }) {
  return {
    /** Writes usage records; the billing flusher passes its transaction so records and charges commit together. */
    async record(rows: NewUsageRecord[], db: Db = deps.database.db): Promise<void> {
      if (rows.length > 0) await db.insert(usageRecords).values(rows);
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
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
