import { z } from 'zod';
import { supplyEnvelope } from '../../platform/envelopes.ts';
import { USAGE_PLATFORMS } from '../metering/usage.tables.ts';

// Response shape of GET /api/v1/supplier/billing (contract: SupplierBillingResponse). Its query is the earnings
// records' SupplyRangeQuery (range-query.ts).

export const PlatformBilling = z.object({
  platform: z.enum(USAGE_PLATFORMS),
  revenue: z.number(),
  orders: z.number().int(),
  tokens: z.number().int(),
  success_rate: z.number(),
});
export type PlatformBilling = z.infer<typeof PlatformBilling>;

export const SupplierBillingResponse = supplyEnvelope(
  z.object({
    period: z.object({ start: z.string().describe('YYYY-MM-DD'), end: z.string().describe('YYYY-MM-DD') }),
    summary: z.object({
      total_revenue: z.number(),
      total_orders: z.number().int(),
      total_usage: z.number().int(),
      total_requests: z.number().int(),
      avg_success_rate: z.number(),
      platform_fee: z.number(),
      net_earnings: z.number(),
    }),
    by_platform: z.array(PlatformBilling),
  }),
);
export type SupplierBilling = z.infer<typeof SupplierBillingResponse>['data'];
