import { csvField } from '../../platform/csv.ts';
import { formatCny } from '../../platform/money.ts';
import type { UrlSigner } from '../../platform/signed-urls.ts';
import { addMs } from '../../platform/time.ts';
import { maskAccount } from './settlements.schema.ts';
import type { SupplyEarningRow, SupplySettlementRow } from './supply.tables.ts';

// A withdrawal's statement: a CSV behind a signed link that works for 15 minutes without a session (so a browser can
// simply download it).

export const STATEMENT_TTL_MS = 15 * 60 * 1000;

export const statementPath = (settlementId: number) => `/files/settlement-statements/${settlementId}.csv`;
export const statementFileName = (s: SupplySettlementRow) => `settlement-${s.settlementNo}.csv`;

export function statementLink(signer: UrlSigner, publicBaseUrl: string, s: SupplySettlementRow, now: Date) {
  const expiresAt = addMs(now, STATEMENT_TTL_MS);
  return {
    settlement_id: s.id,
    file_name: statementFileName(s),
    download_url: `${publicBaseUrl}${signer.sign(statementPath(s.id), expiresAt)}`,
    // The link carries whole seconds; the time shown is the one it really stops working at.
    expires_at: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString(),
  };
}

const row = (...fields: string[]) => `${fields.join(',')}\r\n`;

/** Header rows for the settlement, a blank line, then one row per earnings record it holds. */
export function statementCsv(s: SupplySettlementRow, records: SupplyEarningRow[]): string {
  const header: [string, string | null][] = [
    ['settlement_id', String(s.id)],
    ['settlement_no', s.settlementNo],
    ['status', s.status],
    ['total_amount', formatCny(s.totalMicros)],
    ['fee_amount', formatCny(s.feeMicros)],
    ['net_amount', formatCny(s.netMicros)],
    ['payment_method', s.paymentMethod],
    ['payment_account', maskAccount(s.paymentAccount)],
    ['payout_reference', s.payoutReference],
    ['failure_reason', s.failureReason],
    ['created_at', s.createdAt.toISOString()],
    ['completed_at', s.completedAt?.toISOString() ?? null],
  ];
  let csv = header.map(([name, value]) => row(name, csvField(value))).join('');
  csv += row();
  csv += row('record_id', 'earnings_type', 'amount', 'status', 'earn_day', 'earned_at', 'requests', 'tokens', 'description');
  for (const r of records) {
    csv += row(
      String(r.id), r.earningsType, formatCny(r.amountMicros), r.status, r.earnDay, r.earnedAt.toISOString(), String(r.requests), String(r.tokens),
      csvField(r.description),
    );
  }
  return csv;
}
