import { z } from 'zod';
import { RowId, supplyEnvelope } from '../../platform/envelopes.ts';
import { upstreamToken } from '../../platform/upstream-token.ts';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES, REVIEW_STATUSES, SUPPLY_PROVIDERS, VERIFY_STATUSES } from './supply.tables.ts';
import { supplyListEnvelope, SupplyPageQuery } from './supply.schema.ts';

// Supply accounts: the contract's VerifySupplyAccountRequest / CreateSupplyAccountRequest / SupplyAccount and the
// status response, plus the list and operator shapes of our own.

export const VerifyBody = z.object({
  provider: z.enum(SUPPLY_PROVIDERS),
  account_type: z.enum(ACCOUNT_TYPES),
  /** Sent to the provider in its auth header as is: printable ASCII without spaces (a pasted line break is trimmed). */
  credential_input: upstreamToken({ min: 8, max: 4096 }),
  min_quota_threshold: z.number().min(0).optional(),
});

export const CreateBody = VerifyBody.extend({
  account_alias: z.string().trim().min(1).max(100).optional(),
  risk_ack: z.literal(true, { error: 'risk_ack must be true: acknowledge the risks of mounting this account' }),
});

const CheckItem = z.object({ item: z.string(), result: z.enum(['pass', 'fail', 'warn']), message: z.string() });

export const VerifyResponse = supplyEnvelope(
  z.object({
    verify_status: z.enum(VERIFY_STATUSES),
    available_quota: z.number().optional(),
    risk_score: z.number().int().min(0).max(100),
    check_items: z.array(CheckItem),
  }),
);

export const SupplyAccountView = z.object({
  account_id: z.number().int(),
  provider: z.enum(SUPPLY_PROVIDERS),
  account_type: z.enum(ACCOUNT_TYPES),
  account_alias: z.string().optional(),
  status: z.enum(ACCOUNT_STATUSES),
  available_quota: z.number().optional(),
  risk_score: z.number().int(),
  created_at: z.string(),
  // Ours, beyond the contract's fields:
  verify_status: z.enum(VERIFY_STATUSES),
  review_status: z.enum(REVIEW_STATUSES),
  check_items: z.array(CheckItem),
  models: z.array(z.string()).nullable(),
  updated_at: z.string(),
});

export const AccountResponse = supplyEnvelope(SupplyAccountView);
export const AccountList = supplyListEnvelope(SupplyAccountView.extend({ supplier_user_id: z.number().int() }));

export const AccountStatusResponse = supplyEnvelope(
  z.object({ account_id: z.number().int(), status: z.enum(ACCOUNT_STATUSES), updated_at: z.string() }),
);

export const AccountParams = z.strictObject({ accountId: RowId });

export const AccountListQuery = SupplyPageQuery.extend({ status: z.enum(ACCOUNT_STATUSES).optional() });
export const AdminAccountListQuery = AccountListQuery.extend({
  review_status: z.enum(REVIEW_STATUSES).optional(),
  supplier_user_id: z.coerce.number().int().positive().optional(),
});

export const ReviewBody = z.object({ reason: z.string().trim().min(2).max(500) });

export const AuditLogList = supplyListEnvelope(
  z.object({
    event_id: z.string(),
    operator_id: z.number().int(),
    tenant_id: z.number().int(),
    object_type: z.string(),
    object_id: z.string(),
    action: z.string(),
    before_state: z.record(z.string(), z.unknown()),
    after_state: z.record(z.string(), z.unknown()),
    request_id: z.string(),
    created_at: z.string(),
    reason: z.string().optional(),
  }),
);
