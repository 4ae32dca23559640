import { sql } from 'drizzle-orm';
import type { Database } from '../../platform/db.ts';
import { addMs, beijingDay, beijingDayStart, type Clock } from '../../platform/time.ts';
import * as repo from './statistics.repo.ts';

// Operating figures over whole UTC+8 days: the numbers GET /api/v1/operation/statistics answers and the console's
// statistics dashboard charts. Definitions are written once, in the response schema (statistics.schema.ts).

const DAY_MS = 24 * 3600 * 1000;

export interface DayStatistics {
  day: string;
  newUsers: number;
  /** µ¥; negative on a day whose refunds exceed its payments. */
  revenue: bigint;
  /** µ¥ of credits (1 credit = 100 000 µ¥). */
  creditsSold: bigint;
  paidOrders: number;
}

export interface Statistics {
  startDate: string;
  endDate: string;
  totalUsers: number;
  newUsers: number;
  revenue: bigint;
  creditsSold: bigint;
  paidOrders: number;
  activeMembers: number;
  payingUsers: number;
  /** New users who paid ÷ new users, rounded half up to 4 decimals; 0 without new users. */
  conversionRate: number;
  daily: DayStatistics[];
}

/** `part / whole` rounded half up to 4 decimals, in integers (no binary fraction decides a tie). */
export function ratio4(part: number, whole: number): number {
  if (whole <= 0) return 0;
  const tenThousandths = (2n * BigInt(part) * 10_000n + BigInt(whole)) / (2n * BigInt(whole));
  return Number(tenThousandths) / 10_000;
}

/** Every day from `start` to `end` inclusive (both `YYYY-MM-DD`, UTC+8). */
function daysOf(start: Date, end: Date): string[] {
  const days: string[] = [];
  for (let t = start.getTime(); t <= end.getTime(); t += DAY_MS) days.push(beijingDay(new Date(t)));
  return days;
}

export function createStatisticsService(deps: { database: Database; clock: Clock }) {
  const { database, clock } = deps;

  return {
    /** Figures for `startDate`–`endDate` (inclusive UTC+8 days, already validated: real dates, start ≤ end). */
    async forRange(range: { startDate: string; endDate: string }): Promise<Statistics> {
      const from = beijingDayStart(range.startDate);
      const lastDay = beijingDayStart(range.endDate);
      if (!from || !lastDay) throw new Error(`not a day range: ${range.startDate}–${range.endDate}`);
      const r = { from, to: addMs(lastDay, DAY_MS) };
      // Members are counted at the range's last moment, or now while that moment is still ahead: a range that
      // ends today shows today's members, not those whose membership happens to last until midnight.
      const membersAsOf = new Date(Math.min(r.to.getTime() - 1, clock.now().getTime()));

      // One snapshot, so the totals and the days are read from the same state of the books.
      const read = await database.transaction(async (tx) => {
        await tx.execute(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
        return {
          totalUsers: await repo.usersAt(tx, r.to),
          newUsers: await repo.newUsersByDay(tx, r),
          money: await repo.orderMoneyByDay(tx, r),
          paying: await repo.payingUsers(tx, r),
          activeMembers: await repo.membersAt(tx, membersAsOf),
        };
      });

      const newUsers = new Map(read.newUsers.map((d) => [d.day, d.newUsers]));
      const money = new Map(read.money.map((d) => [d.day, d]));
      const daily = daysOf(from, lastDay).map((day): DayStatistics => ({
        day,
        newUsers: newUsers.get(day) ?? 0,
        revenue: money.get(day)?.revenue ?? 0n,
        creditsSold: money.get(day)?.credits ?? 0n,
        paidOrders: money.get(day)?.paidOrders ?? 0,
      }));
      const totalNew = daily.reduce((n, d) => n + d.newUsers, 0);
      return {
        startDate: range.startDate,
        endDate: range.endDate,
        totalUsers: read.totalUsers,
        newUsers: totalNew,
        revenue: daily.reduce((sum, d) => sum + d.revenue, 0n),
        creditsSold: daily.reduce((sum, d) => sum + d.creditsSold, 0n),
        paidOrders: daily.reduce((n, d) => n + d.paidOrders, 0),
        activeMembers: read.activeMembers,
        payingUsers: read.paying.paying,
        conversionRate: ratio4(read.paying.newAndPaying, totalNew),
        daily,
      };
    },
  };
}

export type StatisticsService = ReturnType<typeof createStatisticsService>;
