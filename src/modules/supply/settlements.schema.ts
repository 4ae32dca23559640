import { z } from 'zod';
import { RowId, supplyEnvelope } from '../../platform/envelopes.ts';
import { cnyNumber, parseCny } from '../../platform/money.ts';
import { PAYOUT_PROVIDERS } from './payouts.ts';
import { isoTime, SupplyPageQuery, supplyListEnvelope } from './supply.schema.ts';
import { PAYMENT_METHODS, SETTLEMENT_STATUSES, type SupplySettlementRow } from './supply.tables.ts';

// Withdrawals: the contract's CreateWithdrawRequest / SupplySettlement / SupplySettlementStatusResponse /
// SettlementStatementResponse, and the list, detail and operator shapes we add in the same style.

export const SettlementIdParams = z.strictObject({ settlementId: RowId });

/** The contract's CreateWithdrawRequest; the amount becomes µ¥ here. */
export const CreateWithdrawBody = z.strictObject({
  withdraw_amount: z.number().describe('CNY, above 0, at most 2 decimals').transform((v, ctx) => {
    const micros = parseCny(v, 2);
    if (micros === undefined || micros <= 0n) {
      ctx.addIssue({ code: 'custom', message: 'withdraw_amount must be a CNY amount above 0 with at most 2 decimals' });
      return z.NEVER;
    }
    return micros;
  }),
  payment_method: z.enum(PAYMENT_METHODS),
  payment_account: z.string().trim().min(2).max(100).regex(/^[^\p{Cc}]+$/u, 'must not contain control characters'),
  sms_code: z.string().min(4).max(10),
});

export const WithdrawHeaders = z.object({
  'idempotency-key': z.string().min(8).max(255).describe('Required; kept 72 hours: the same key and body answer the stored response'),
});

export const SettlementListQuery = SupplyPageQuery.extend({ status: z.enum(SETTLEMENT_STATUSES).optional() });

const SettlementStatus = z.enum(SETTLEMENT_STATUSES);

/** The contract's SupplySettlement. */
export const SupplySettlement = z.object({
  settlement_id: z.number().int(),
  settlement_no: z.string(),
  status: SettlementStatus,
  total_amount: z.number(),
  fee_amount: z.number(),
  net_amount: z.number(),
  payment_method: z.enum(PAYMENT_METHODS),
  created_at: z.string(),
});

/** What a supplier sees in lists and details: the account only masked. */
export const SettlementView = SupplySettlement.extend({
  payment_account: z.string().describe('Masked in the middle'),
  failure_reason: z.string().nullable().describe('`cancelled` when the supplier cancelled it'),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
});

/** What an operator sees: the full account, to pay it. */
export const AdminSettlementView = SettlementView.extend({
  supplier_user_id: z.number().int(),
  payment_account: z.string(),
  payout_provider: z.enum(PAYOUT_PROVIDERS).nullable(),
  payout_reference: z.string().nullable(),
});

export const CreateWithdrawResponse = supplyEnvelope(SupplySettlement);
export const SettlementResponse = supplyEnvelope(SettlementView);
export const SettlementList = supplyListEnvelope(SettlementView);
export const AdminSettlementResponse = supplyEnvelope(AdminSettlementView);
export const AdminSettlementList = supplyListEnvelope(AdminSettlementView);
export const SettlementStatusResponse = supplyEnvelope(z.object({ settlement_id: z.number().int(), status: SettlementStatus, updated_at: z.string() }));
export const SettlementStatementResponse = supplyEnvelope(
  z.object({ settlement_id: z.number().int(), file_name: z.string(), download_url: z.url(), expires_at: z.string() }),
);

export const ProcessBody = z.strictObject({ provider: z.enum(PAYOUT_PROVIDERS).describe('`manual`: an operator completes it; `sandbox`: the payouts job does') });
export const CompleteBody = z.strictObject({ reference: z.string().trim().min(1).max(128).describe('The payout’s reference at the bank or wallet') });
export const FailBody = z.strictObject({ reason: z.string().trim().min(2).max(500) });

/** `6222****0123`: the ends identify the account to its owner; the middle stays hidden. */
export function maskAccount(account: string): string {
  const chars = [...account];
  const keep = Math.min(4, Math.floor(chars.length / 4));
  return keep === 0 ? `${chars[0] ?? ''}****` : `${chars.slice(0, keep).join('')}****${chars.slice(-keep).join('')}`;
}

export function supplySettlement(r: SupplySettlementRow): z.infer<typeof SupplySettlement> {
  return {
    settlement_id: r.id, settlement_no: r.settlementNo, status: r.status, total_amount: cnyNumber(r.totalMicros), fee_amount: cnyNumber(r.feeMicros),
    net_amount: cnyNumber(r.netMicros), payment_method: r.paymentMethod, created_at: isoTime(r.createdAt),
  };
}

export function settlementView(r: SupplySettlementRow): z.infer<typeof SettlementView> {
  return {
    ...supplySettlement(r), payment_account: maskAccount(r.paymentAccount), failure_reason: r.failureReason,
    updated_at: isoTime(r.updatedAt), completed_at: r.completedAt ? isoTime(r.completedAt) : null,
  };
}

export function adminSettlementView(r: SupplySettlementRow): z.infer<typeof AdminSettlementView> {
  return {
    ...settlementView(r), supplier_user_id: r.supplierUserId, payment_account: r.paymentAccount,
    payout_provider: (r.payoutProvider as (typeof PAYOUT_PROVIDERS)[number] | null) ?? null, payout_reference: r.payoutReference,
  };
}

export const settlementStatus = (r: SupplySettlementRow) => ({ settlement_id: r.id, status: r.status, updated_at: isoTime(r.updatedAt) });
