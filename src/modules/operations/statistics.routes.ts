import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { studioOk } from '../../platform/envelopes.ts';
import { cnyNumber } from '../../platform/money.ts';
import type { AuthHooks } from '../identity/auth.hooks.ts';
import { creditsOf } from '../commerce/pricing.ts';
import { StatisticsQuery, StatisticsResponse, type StatisticsData } from './statistics.schema.ts';
import type { Statistics, StatisticsService } from './statistics.service.ts';

function statisticsView(s: Statistics): z.infer<typeof StatisticsData> {
  return {
    start_date: s.startDate,
    end_date: s.endDate,
    total_users: s.totalUsers,
    new_users: s.newUsers,
    total_revenue: cnyNumber(s.revenue),
    total_credits_sold: creditsOf(s.creditsSold),
    paid_orders: s.paidOrders,
    active_members: s.activeMembers,
    paying_users: s.payingUsers,
    conversion_rate: s.conversionRate,
    daily: s.daily.map((d) => ({
      date: d.day,
      new_users: d.newUsers,
      revenue: cnyNumber(d.revenue),
      credits_sold: creditsOf(d.creditsSold),
      paid_orders: d.paidOrders,
    })),
  };
}

export async function statisticsRoutes(root: FastifyInstance, deps: { statistics: StatisticsService; auth: AuthHooks }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { statistics, auth } = deps;

  app.get(
    '/api/v1/operation/statistics',
    {
      onRequest: auth.sessionWithRole('admin'),
      schema: {
        tags: ['operators'],
        summary: 'Operating statistics over UTC+8 days (operators)',
        description:
          'Users, revenue, credits sold, members and conversion for `start_date`–`end_date` (inclusive, at most 366 days), ' +
          'with one `daily` entry per day for charts. The console’s statistics dashboard shows these same figures.',
        querystring: StatisticsQuery,
        response: { 200: StatisticsResponse },
      },
    },
    async (req) => studioOk(statisticsView(await statistics.forRange({ startDate: req.query.start_date, endDate: req.query.end_date }))),
  );
}
