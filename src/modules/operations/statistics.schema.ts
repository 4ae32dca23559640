import { z } from 'zod';
import { studioEnvelope } from '../../platform/envelopes.ts';
import { beijingDayStart } from '../../platform/time.ts';

// GET /api/v1/operation/statistics: the query, and the response with every figure's definition (shown in /docs).

const FIRST_DAY = '1970-01-01';
export const MAX_RANGE_DAYS = 366;
const DAY_MS = 24 * 3600 * 1000;

const StatisticsDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((day) => beijingDayStart(day) !== undefined && day >= FIRST_DAY, `must be a real date YYYY-MM-DD, ${FIRST_DAY} or later`);

/** Days from `start` to `end` inclusive; 0 when either is not a day (its own issue already says so). */
function spanDays(start: string, end: string): number {
  const a = beijingDayStart(start);
  const b = beijingDayStart(end);
  return a && b ? Math.round((b.getTime() - a.getTime()) / DAY_MS) + 1 : 0;
}

export const StatisticsQuery = z
  .strictObject({
    start_date: StatisticsDay.describe('First day of the range, YYYY-MM-DD (UTC+8), inclusive'),
    end_date: StatisticsDay.describe(`Last day of the range, YYYY-MM-DD (UTC+8), inclusive: not before start_date; the range covers at most ${MAX_RANGE_DAYS} days`),
  })
  // Day strings compare in calendar order.
  .refine((q) => q.start_date <= q.end_date, { message: 'must not be before start_date', path: ['end_date'] })
  .refine((q) => spanDays(q.start_date, q.end_date) <= MAX_RANGE_DAYS, {
    message: `the range may cover at most ${MAX_RANGE_DAYS} days`,
    path: ['end_date'],
  });
export type StatisticsQuery = z.infer<typeof StatisticsQuery>;

const MONEY_NOTE =
  'CNY with 2 decimals. Money received through a payment provider: orders paid on a day count on that day, refunds on the day they were refunded ' +
  '(so a day, or a range, can be negative). A membership paid from credits is not counted again: its money was counted when the credits were bought.';
const CREDITS_NOTE =
  'Credits bought by recharge orders paid with money (at ¥0.1 a credit, the list rate), minus those of recharges refunded, on the same days as revenue; ' +
  'coupon bonus credits are gifts, not sold.';

export const DailyStatistics = z.object({
  date: z.string().describe('YYYY-MM-DD (UTC+8)'),
  new_users: z.number().int().describe('Accounts registered that day'),
  revenue: z.number().describe(MONEY_NOTE),
  credits_sold: z.number().describe(CREDITS_NOTE),
  paid_orders: z.number().int().describe('Orders paid with money that day (recharges and memberships; a later refund does not remove it)'),
});

export const StatisticsData = z.object({
  start_date: z.string(),
  end_date: z.string(),
  total_users: z
    .number()
    .int()
    .describe("Accounts that existed at the end of the range: registered before it ended and not deleted by then (every role; the platform's own `system` user aside)"),
  new_users: z.number().int().describe('Accounts registered within the range (a later deletion does not change a past figure); the sum of daily.new_users'),
  total_revenue: z.number().describe(`${MONEY_NOTE} The sum of daily.revenue.`),
  total_credits_sold: z.number().describe(`${CREDITS_NOTE} The sum of daily.credits_sold.`),
  paid_orders: z.number().int().describe('The sum of daily.paid_orders'),
  active_members: z
    .number()
    .int()
    .describe('Users who were members at the last moment of the range (or now, when the range ends in the future)'),
  paying_users: z.number().int().describe('Users with an order paid with money within the range and not refunded by its end'),
  conversion_rate: z
    .number()
    .describe('Of the users registered within the range, the share who are paying users of the range (paying new users ÷ new_users), 4 decimals; 0 without new users'),
  daily: z.array(DailyStatistics).describe('One entry per day of the range, oldest first, days without activity included (zeros)'),
});

export const StatisticsResponse = studioEnvelope(StatisticsData);
