import { z } from 'zod';
import { RowId, supplyEnvelope } from '../../platform/envelopes.ts';
import { PACKAGE_STATUSES } from './supply.tables.ts';
import { supplyListEnvelope, SupplyPageQuery } from './supply.schema.ts';

// Supply packages: the contract's SaveSupplyPackageDraftRequest, SupplyPackage, status and batch-price shapes.

/** CNY per 1M tokens: ≥ 0, at most 4 decimals (DESIGN.md §3 unit prices). */
const UnitPrice = z.number().min(0).max(1_000_000);

export const DraftBody = z.object({
  supply_account_id: z.number().int().positive(),
  model: z.string().trim().min(1).max(100),
  /** Tokens. */
  total_quota: z.number().int('total_quota is a number of tokens').positive().max(1e15),
  price_per_1m_input: UnitPrice,
  price_per_1m_output: UnitPrice,
  valid_days: z.number().int().min(1).max(365),
  max_concurrent: z.number().int().min(1).max(1000).default(10),
  rate_limit_rpm: z.number().int().min(1).max(100_000).default(60),
});

export const SupplyPackageView = z.object({
  package_id: z.number().int(),
  supply_account_id: z.number().int(),
  model: z.string(),
  total_quota: z.number(),
  available_quota: z.number(),
  price_per_1m_input: z.number(),
  price_per_1m_output: z.number(),
  valid_days: z.number().int(),
  status: z.enum(PACKAGE_STATUSES),
  created_at: z.string(),
  // Ours, beyond the contract's fields:
  max_concurrent: z.number().int(),
  rate_limit_rpm: z.number().int(),
  published_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  cloned_from: z.number().int().nullable(),
  updated_at: z.string(),
});

export const PackageResponse = supplyEnvelope(SupplyPackageView);
export const PackageList = supplyListEnvelope(SupplyPackageView);
export const PackageStatusResponse = supplyEnvelope(
  z.object({ package_id: z.number().int(), status: z.enum(PACKAGE_STATUSES), updated_at: z.string() }),
);

export const PackageParams = z.strictObject({ packageId: RowId });
export const PackageListQuery = SupplyPageQuery.extend({
  status: z.enum(PACKAGE_STATUSES).optional(),
  supply_account_id: z.coerce.number().int().positive().optional(),
});

/** Prices are checked per item (an invalid one fails only its item, `SUP_PKG_4004`), so any JSON value is accepted here. */
export const BatchPriceBody = z.object({
  items: z
    .array(z.object({ package_id: z.number().int().positive(), price_per_1m_input: z.unknown(), price_per_1m_output: z.unknown() }))
    .min(1)
    .max(200),
});

export const BatchPriceResponse = supplyEnvelope(
  z.object({
    total: z.number().int(),
    success_count: z.number().int(),
    failed_count: z.number().int(),
    failures: z.array(z.object({ package_id: z.number().int(), error_code: z.string(), message: z.string() })),
  }),
);
