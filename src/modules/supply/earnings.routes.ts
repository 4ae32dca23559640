import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { supplyOk } from '../../platform/envelopes.ts';
import { cnyNumber } from '../../platform/money.ts';
import { principalOf } from '../identity/auth.hooks.ts';
import { EarningRecordList, EarningsSummary, type EarningRecord } from './earnings.schema.ts';
import type { EarningsService } from './earnings.service.ts';
import { SupplyRangeQuery, supplyRangeOf } from './range-query.ts';
import type { SupplyAuth } from './supply.auth.ts';
import { isoTime, supplyList, supplyWindow } from './supply.schema.ts';
import type { SupplyEarningRow } from './supply.tables.ts';

// A supplier's own earnings: the records that explain them (contract: listSupplyEarningRecords) and the balances
// they add up to (our addition).

export function earningRecordView(r: SupplyEarningRow): EarningRecord {
  return {
    record_id: r.id,
    user_id: r.supplierUserId,
    ...(r.settlementId !== null ? { settlement_id: r.settlementId } : {}),
    earnings_type: r.earningsType,
    amount: cnyNumber(r.amountMicros),
    status: r.status,
    ...(r.description !== null ? { description: r.description } : {}),
    earned_at: isoTime(r.earnedAt),
  };
}

const RECORDS_DESCRIPTION = `The caller's earnings records, newest first, whose \`earned_at\` falls within [start_date 00:00, end_date 24:00)
in UTC+8 (both days inclusive; a missing side is open, no dates at all list the whole history).

- \`usage\` records are rolled up **per package per UTC+8 day**: every request a package serves that day adds to one
  \`pending\` record, which becomes \`available\` EARNINGS_HOLD_HOURS after the day ends; its \`earned_at\` is when
  the latest of those requests was added.
- \`bonus\` and \`refund\` records are operator adjustments, \`available\` at once; a refund's \`amount\` is negative.
- A withdrawal moves available records to \`frozen\` and, once paid, \`withdrawn\`; \`settlement_id\` names it.

Amounts are CNY. Σ \`amount\` of the records in a status equals the balance of that status
(GET /api/v1/supply/earnings/summary). The contract declares no 400 here, so a query value that cannot be used is
not used (an unreal date is as if absent, a page out of bounds takes the nearest bound) and the header
\`X-Ignored-Query\` names it; \`end_date\` before \`start_date\` lists nothing.`;

export async function earningsRoutes(root: FastifyInstance, deps: { earnings: EarningsService; supplyAuth: SupplyAuth }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { earnings, supplyAuth } = deps;
  const tags = ['supply earnings'];

  app.get(
    '/api/v1/supply/earnings/records',
    {
      ...supplyAuth.supplier,
      config: { lenientQuery: true },
      schema: {
        tags, operationId: 'listSupplyEarningRecords', summary: '查询收益流水', description: RECORDS_DESCRIPTION,
        querystring: SupplyRangeQuery, response: { 200: EarningRecordList },
      },
    },
    async (req, reply) => {
      const q = supplyRangeOf(req.query, reply);
      const { rows, total } = await earnings.list(principalOf(req).userId, { startDate: q.start_date, endDate: q.end_date }, supplyWindow(q));
      return supplyList(req, q, total, rows.map(earningRecordView));
    },
  );

  app.get(
    '/api/v1/supply/earnings/summary',
    {
      ...supplyAuth.supplier,
      schema: {
        tags, summary: 'Earnings balances',
        description: `The caller's earnings by state, in CNY, read from the ledger: \`pending\` (usage earnings still in their
hold period), \`available\` (withdrawable now), \`frozen\` (held by an open withdrawal), \`withdrawn\` (paid out).`,
        response: { 200: EarningsSummary },
      },
    },
    async (req) => {
      const b = await earnings.balances(principalOf(req).userId);
      return supplyOk(req.id, { pending: cnyNumber(b.pending), available: cnyNumber(b.available), frozen: cnyNumber(b.frozen), withdrawn: cnyNumber(b.withdrawn) });
    },
  );
}
