import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { supplyOk } from '../../platform/envelopes.ts';
import { cnyNumber } from '../../platform/money.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import type { SupplierPlatformTotals } from '../metering/usage-query.repo.ts';
import type { UsageService } from '../metering/usage.service.ts';
import { SupplyRangeQuery, supplyRangeOf } from './range-query.ts';
import { SupplierBillingResponse, type PlatformBilling, type SupplierBilling } from './supplier-billing.schema.ts';
import type { SupplyAuth } from './supply.auth.ts';

// The supplier's bill for a period (contract: getSupplierBilling): what the requests its packages served cost the
// buyers, what the platform kept and what the supplier earned, from the usage records.

/** success / all with 4 decimals; 0 when there were no requests. */
const rate = (success: number, all: number) => (all === 0 ? 0 : Math.round((success / all) * 10_000) / 10_000);

function billingOf(period: { startDate: string; endDate: string }, platforms: SupplierPlatformTotals[]): SupplierBilling {
  const count = (k: 'requests' | 'success' | 'charged' | 'tokensIn' | 'tokensOut') => platforms.reduce((n, p) => n + p[k], 0);
  const micros = (k: 'costMicros' | 'supplierEarningMicros') => platforms.reduce((n, p) => n + p[k], 0n);
  const cost = micros('costMicros');
  const earning = micros('supplierEarningMicros');
  return {
    period: { start: period.startDate, end: period.endDate },
    summary: {
      total_revenue: cnyNumber(cost),
      total_orders: count('charged'),
      total_usage: count('tokensIn') + count('tokensOut'),
      total_requests: count('requests'),
      avg_success_rate: rate(count('success'), count('requests')),
      platform_fee: cnyNumber(cost - earning),
      net_earnings: cnyNumber(earning),
    },
    by_platform: platforms.map(
      (p): PlatformBilling => ({
        platform: p.platform, revenue: cnyNumber(p.costMicros), orders: p.charged, tokens: p.tokensIn + p.tokensOut, success_rate: rate(p.success, p.requests),
      }),
    ),
  };
}

const BILLING_DESCRIPTION = `The caller's bill over [start_date 00:00, end_date 24:00) in UTC+8, both days inclusive; a missing
\`end_date\` is today, a missing \`start_date\` is 29 days before \`end_date\` (default: the last 30 days including today).
Computed from the usage records of the requests the caller's packages served:

- \`total_revenue\`: Σ what buyers were charged (CNY);
- \`total_orders\`: requests that were charged (cost > 0); \`total_requests\`: all requests, failed ones included;
- \`total_usage\`: Σ input + output tokens;
- \`avg_success_rate\`: successful requests / all requests, 0..1 with 4 decimals (0 when there were none);
- \`net_earnings\`: Σ the supplier's earnings; \`platform_fee\`: \`total_revenue\` − \`net_earnings\`
  (each rounded to 2 decimals from exact µ¥ sums).

\`by_platform\` always lists \`api\` (the /v1 gateway) and \`studio\` (the creator studio's tools), with the same
definitions per platform (\`revenue\`, \`orders\`, \`tokens\`, \`success_rate\`). \`page\`/\`page_size\` are accepted
as the contract declares them, but the bill is a summary and has no pages. Earnings here follow the requests as they
are served; the hold before they become withdrawable is shown by /api/v1/supply/earnings/*. The contract declares no
400 here, so a date that is not a real YYYY-MM-DD is as if absent (\`period\` shows the days used) and the header
\`X-Ignored-Query\` names it; \`end_date\` before \`start_date\` is an empty period.`;

export async function supplierBillingRoutes(root: FastifyInstance, deps: { usage: UsageService; supplyAuth: SupplyAuth }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { usage, supplyAuth } = deps;

  app.get(
    '/api/v1/supplier/billing',
    {
      ...supplyAuth.supplier,
      config: { lenientQuery: true },
      schema: {
        tags: ['supplier billing'], operationId: 'getSupplierBilling', summary: '查询供应方账单汇总', description: BILLING_DESCRIPTION,
        querystring: SupplyRangeQuery, response: { 200: SupplierBillingResponse },
      },
    },
    async (req, reply) => {
      const period = usage.period(supplyRangeOf(req.query, reply));
      const platforms = await usage.supplierSummary(principalOf(req).userId, period.from, period.to);
      return supplyOk(req.id, billingOf(period, platforms));
    },
  );
}
