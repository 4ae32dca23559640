import { and, asc, count, countDistinct, eq, gt, gte, inArray, isNull, lt, lte, ne, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db.ts';
import { memberships, orders } from '../commerce/commerce.tables.ts';
import { users } from '../identity/identity.tables.ts';

// The read side of the operator statistics: aggregates over users, orders and memberships. Read-only reporting
// across modules' tables, in one snapshot the service opens; no rule here writes anything.

/** A half-open range of instants: [from, to). */
export interface Instants {
  from: Date;
  to: Date;
}

// The UTC+8 calendar day of a moment. A fixed offset rather than 'Asia/Shanghai' (summer time in 1986–1991), the same
// offset beijingDayStart uses to turn the query's days into instants: a day groups exactly the rows its bounds select.
const beijingDayOf = (column: AnyColumn) => sql<string>`to_char(${column} AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD')`;

const within = (column: AnyColumn, r: Instants) => and(gte(column, r.from), lt(column, r.to));

// The platform's own buyer (users.service.ts `systemUser`): named `system`, no password, never a person.
const notSystemUser = sql`NOT (lower(${users.username}) = 'system' AND ${users.passwordHash} IS NULL)`;

/**
 * Money that came in through a payment provider. A membership paid from the balance (provider `balance`) spends
 * credits whose money was counted when they were bought: counting it again would count one yuan twice.
 */
const paidWithMoney = ne(orders.provider, 'balance');

/** Sums come back as text: sum(bigint) is numeric, beyond what a JS number holds exactly. */
const sumText = (expr: SQL) => sql<string>`coalesce(sum(${expr}), 0)::text`;

export interface DayNewUsers {
  day: string;
  newUsers: number;
}

/** Accounts that existed at `at`: registered before it and not deleted by then; the system user left out. */
export async function usersAt(db: Db, at: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(notSystemUser, lt(users.createdAt, at), or(isNull(users.deletedAt), gte(users.deletedAt, at))));
  return Number(row?.n ?? 0);
}

/**
 * Registrations per UTC+8 day within `r` (days without any are absent). A registration stays one when the account
 * is deleted later: a past day's figure does not change with what happens after it.
 */
export async function newUsersByDay(db: Db, r: Instants): Promise<DayNewUsers[]> {
  const day = beijingDayOf(users.createdAt);
  const rows = await db
    .select({ day, n: count() })
    .from(users)
    .where(and(notSystemUser, within(users.createdAt, r)))
    .groupBy(day)
    .orderBy(asc(day));
  return rows.map((row) => ({ day: row.day, newUsers: Number(row.n) }));
}

export interface DayOrderMoney {
  day: string;
  /** µ¥ paid minus µ¥ refunded that day. */
  revenue: bigint;
  /** µ¥ of credits bought by recharges paid that day minus those of recharges refunded that day. */
  credits: bigint;
  /** Orders paid that day (a later refund does not undo the payment's day). */
  paidOrders: number;
}

/**
 * Orders paid with money, per UTC+8 day: each payment counts on the day it was paid, each refund on the day it was
 * refunded (so a refund of an order paid before `r` lowers the day of the refund). Credits are the recharge's
 * `credits` — what the money bought at the list rate; a coupon's bonus credits are a gift (promo expense), not sold.
 */
export async function orderMoneyByDay(db: Db, r: Instants): Promise<DayOrderMoney[]> {
  const paidDay = beijingDayOf(orders.paidAt);
  const refundDay = beijingDayOf(orders.refundedAt);
  const recharged = sql`CASE WHEN ${orders.kind} = 'recharge' THEN ${orders.credits} ELSE 0 END`;
  // One after the other: inside the service's snapshot transaction there is one connection.
  const paid = await db
    .select({ day: paidDay, amount: sumText(sql`${orders.payAmount}`), credits: sumText(recharged), n: count() })
    .from(orders)
    .where(and(paidWithMoney, inArray(orders.status, ['paid', 'refunded']), within(orders.paidAt, r)))
    .groupBy(paidDay);
  const refunded = await db
    .select({ day: refundDay, amount: sumText(sql`${orders.payAmount}`), credits: sumText(recharged) })
    .from(orders)
    .where(and(paidWithMoney, eq(orders.status, 'refunded'), within(orders.refundedAt, r)))
    .groupBy(refundDay);
  const days = new Map<string, DayOrderMoney>();
  const dayOf = (day: string) => {
    let entry = days.get(day);
    if (!entry) days.set(day, (entry = { day, revenue: 0n, credits: 0n, paidOrders: 0 }));
    return entry;
  };
  for (const row of paid) {
    const entry = dayOf(row.day);
    entry.revenue += BigInt(row.amount);
    entry.credits += BigInt(row.credits);
    entry.paidOrders += Number(row.n);
  }
  for (const row of refunded) {
    const entry = dayOf(row.day);
    entry.revenue -= BigInt(row.amount);
    entry.credits -= BigInt(row.credits);
  }
  return [...days.values()];
}

export interface PayingUsers {
  /** Users with an order paid with money within `r` and not refunded by its end. */
  paying: number;
  /** Those of them who registered within `r` (the system user aside, as in newUsersByDay). */
  newAndPaying: number;
}

export async function payingUsers(db: Db, r: Instants): Promise<PayingUsers> {
  const registeredWithin = and(notSystemUser, within(users.createdAt, r));
  const [row] = await db
    .select({
      paying: countDistinct(orders.userId),
      newAndPaying: sql<string>`(count(DISTINCT ${orders.userId}) FILTER (WHERE ${registeredWithin}))::text`,
    })
    .from(orders)
    .innerJoin(users, eq(users.id, orders.userId))
    .where(
      and(
        paidWithMoney,
        inArray(orders.status, ['paid', 'refunded']),
        within(orders.paidAt, r),
        or(isNull(orders.refundedAt), gte(orders.refundedAt, r.to)),
      ),
    );
  return { paying: Number(row?.paying ?? 0), newAndPaying: Number(row?.newAndPaying ?? 0) };
}

/**
 * Live users whose membership period contains `at`. A period is one row (membership.service.ts): its start is where
 * the current unbroken run of paid months began, its end moves with each purchase or refund.
 */
export async function membersAt(db: Db, at: Date): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(lte(memberships.startedAt, at), gt(memberships.endsAt, at), or(isNull(users.deletedAt), gt(users.deletedAt, at))));
  return Number(row?.n ?? 0);
}
