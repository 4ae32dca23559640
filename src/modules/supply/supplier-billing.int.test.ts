import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type Actor, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { usageRecords, type NewUsageRecord } from '../metering/usage.tables.ts';

// GET /api/v1/supplier/billing: a supplier's bill for a period of UTC+8 days, summed from the usage records of the
// requests its packages served — per platform and in total — and nothing of anyone else's.

/** 12:00 on 2026-03-10 in UTC+8: "today" for the default period. */
const APP_NOW = new Date('2026-03-10T04:00:00Z');
const BILLING = '/api/v1/supplier/billing';

type Row = Pick<NewUsageRecord, 'platform' | 'status'> & { at: string; cost?: bigint; earning?: bigint; tokensIn?: number; tokensOut?: number };

const ZERO_PLATFORMS = [
  { platform: 'api', revenue: 0, orders: 0, tokens: 0, success_rate: 0 },
  { platform: 'studio', revenue: 0, orders: 0, tokens: 0, success_rate: 0 },
];
const ZERO_SUMMARY = { total_revenue: 0, total_orders: 0, total_usage: 0, total_requests: 0, avg_success_rate: 0, platform_fee: 0, net_earnings: 0 };

describe.each(DB_TIERS)('supplier billing on $name', (tier) => {
  let h: SupplyHarness;
  let buyerId: number;

  beforeAll(async () => {
    h = await startSupply(tier, { clock: fakeClock(APP_NOW) });
    buyerId = (await h.buyer(0)).id;
  });
  afterAll(async () => {
    // The contract declares only 200/401 here: no query may make it answer anything else.
    h?.assertOnlyDeclaredStatuses();
    h?.assertNoLeaks();
    await h?.close();
  });

  /** Usage records served by `supplierId` (null: a platform channel), bought by the one buyer. */
  async function served(supplierId: number | null, rows: Row[]) {
    await h.t.database.db.insert(usageRecords).values(
      rows.map((r) => ({
        requestId: `req-${crypto.randomUUID()}`, userId: buyerId, model: 'gpt-4o-mini', platform: r.platform, status: r.status,
        upstreamKind: supplierId === null ? ('channel' as const) : ('package' as const), upstreamId: 1, supplierUserId: supplierId,
        costMicros: r.cost ?? 0n, supplierEarningMicros: r.earning ?? 0n, tokensIn: r.tokensIn ?? 0, tokensOut: r.tokensOut ?? 0,
        createdAt: new Date(r.at),
      })),
    );
  }

  const bill = (who: Actor | undefined, query = '') => h.call(who, 'GET', `${BILLING}${query}`);

  it('sums revenue, orders, tokens, requests, success rate, fee and net per platform and in total over whole UTC+8 days', async () => {
    const s = await h.supplier();
    await served(s.id, [
      // api: 4 requests in the period, 3 successful, 3 charged
      { platform: 'api', status: 'success', at: '2026-03-01T00:00:00.000+08:00', cost: 10_000n, earning: 9_000n, tokensIn: 1, tokensOut: 1 },
      { platform: 'api', status: 'success', at: '2026-03-02T10:00:00+08:00', cost: 1_000_000n, earning: 900_000n, tokensIn: 100, tokensOut: 200 },
      { platform: 'api', status: 'success', at: '2026-03-05T23:59:59.999+08:00', cost: 2_345_678n, earning: 2_111_110n, tokensIn: 1000, tokensOut: 500 },
      { platform: 'api', status: 'error', at: '2026-03-03T10:00:00+08:00', tokensIn: 50 },
      // studio: 3 requests, 1 successful, 2 charged (a client that disconnects mid-stream still pays)
      { platform: 'studio', status: 'success', at: '2026-03-03T11:00:00+08:00', cost: 500_000n, earning: 450_000n, tokensIn: 10, tokensOut: 20 },
      { platform: 'studio', status: 'aborted', at: '2026-03-04T11:00:00+08:00', cost: 120_000n, earning: 108_000n, tokensIn: 5, tokensOut: 5 },
      { platform: 'studio', status: 'error', at: '2026-03-04T12:00:00+08:00' },
      // outside the period, by a millisecond either side
      { platform: 'api', status: 'success', at: '2026-02-28T23:59:59.999+08:00', cost: 7_000_000n, earning: 6_300_000n, tokensIn: 9, tokensOut: 9 },
      { platform: 'studio', status: 'success', at: '2026-03-06T00:00:00.000+08:00', cost: 7_000_000n, earning: 6_300_000n, tokensIn: 9, tokensOut: 9 },
    ]);
    // Someone else's sales and the platform's own channels in the same period.
    await served((await h.supplier()).id, [{ platform: 'api', status: 'success', at: '2026-03-02T10:00:00+08:00', cost: 9_999_999n, earning: 8_999_999n, tokensIn: 7, tokensOut: 7 }]);
    await served(null, [{ platform: 'studio', status: 'error', at: '2026-03-02T10:00:00+08:00', cost: 3_000_000n }]);

    const res = await bill(s, '?start_date=2026-03-01&end_date=2026-03-05');
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toEqual({
      request_id: res.headers['x-request-id'],
      data: {
        period: { start: '2026-03-01', end: '2026-03-05' },
        summary: {
          total_revenue: 3.98, // 3.975678
          total_orders: 5,
          total_usage: 1892,
          total_requests: 7,
          avg_success_rate: 0.5714, // 4 / 7
          platform_fee: 0.4, // 3.975678 − 3.578110 = 0.397568
          net_earnings: 3.58, // 3.578110
        },
        by_platform: [
          { platform: 'api', revenue: 3.36, orders: 3, tokens: 1852, success_rate: 0.75 },
          { platform: 'studio', revenue: 0.62, orders: 2, tokens: 40, success_rate: 0.3333 },
        ],
      },
    });
    // page / page_size are accepted (the contract declares them) and change nothing.
    const paged = await bill(s, '?start_date=2026-03-01&end_date=2026-03-05&page=2&page_size=200');
    expect(paged.body.data).toEqual(res.body.data);
    // One day: only the first api request, at 00:00:00.000 UTC+8.
    const oneDay = await bill(s, '?start_date=2026-03-01&end_date=2026-03-01');
    expect(oneDay.body.data.summary).toEqual({ total_revenue: 0.01, total_orders: 1, total_usage: 2, total_requests: 1, avg_success_rate: 1, platform_fee: 0, net_earnings: 0.01 });
  });

  it('covers the last 30 UTC+8 days ending today when no dates are given, and fills in a missing side', async () => {
    const s = await h.supplier();
    await served(s.id, [
      { platform: 'api', status: 'success', at: '2026-02-08T23:59:59.999+08:00', cost: 1_000_000n, earning: 900_000n }, // day 31 back
      { platform: 'api', status: 'success', at: '2026-02-09T00:00:00.000+08:00', cost: 2_000_000n, earning: 1_800_000n }, // day 30 back
      { platform: 'studio', status: 'success', at: '2026-03-10T11:59:00+08:00', cost: 4_000_000n, earning: 3_600_000n }, // today
    ]);
    const defaults = await bill(s);
    expect(defaults.body.data.period).toEqual({ start: '2026-02-09', end: '2026-03-10' });
    expect(defaults.body.data.summary).toMatchObject({ total_revenue: 6, total_requests: 2, net_earnings: 5.4, platform_fee: 0.6 });
    expect((await bill(s, '?start_date=2026-02-01')).body.data).toMatchObject({ period: { start: '2026-02-01', end: '2026-03-10' }, summary: { total_revenue: 7 } });
    expect((await bill(s, '?end_date=2026-02-09')).body.data).toMatchObject({ period: { start: '2026-01-11', end: '2026-02-09' }, summary: { total_revenue: 3 } });
  });

  it('answers zeros with both platforms for a supplier that served nothing, and shows nobody else\'s usage', async () => {
    const owner = await h.supplier();
    await served(owner.id, [{ platform: 'api', status: 'success', at: '2026-03-09T10:00:00+08:00', cost: 5_000_000n, earning: 4_500_000n, tokensIn: 3, tokensOut: 4 }]);
    const other = await h.supplier();
    const res = await bill(other);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ period: { start: '2026-02-09', end: '2026-03-10' }, summary: ZERO_SUMMARY, by_platform: ZERO_PLATFORMS });
    expect((await bill(owner)).body.data.summary.total_revenue).toBe(5);
  });

  it('answers a query it cannot fully use with 200, using the default for an unreal date and naming what it ignored', async () => {
    const s = await h.supplier();
    await served(s.id, [{ platform: 'api', status: 'success', at: '2026-03-09T10:00:00+08:00', cost: 5_000_000n, earning: 4_500_000n }]);
    for (const [query, ignored, period] of [
      ['start_date=2026-02-30', 'start_date', { start: '2026-02-09', end: '2026-03-10' }],
      ['start_date=2026-03-01&end_date=2026-3-1', 'end_date', { start: '2026-03-01', end: '2026-03-10' }],
      ['page_size=201&page=0', 'page,page_size', { start: '2026-02-09', end: '2026-03-10' }],
      ['user_id=1', 'user_id', { start: '2026-02-09', end: '2026-03-10' }],
    ] as const) {
      const res = await bill(s, `?${query}`);
      expect(res.status, query).toBe(200);
      expect(res.headers['x-ignored-query'], query).toBe(ignored);
      expect(res.body.data.period, query).toEqual(period);
      expect(res.body.data.summary.total_revenue, query).toBe(5);
    }
    const reversed = await bill(s, '?start_date=2026-03-10&end_date=2026-03-01');
    expect(reversed.status).toBe(200);
    expect(reversed.body.data).toMatchObject({ period: { start: '2026-03-10', end: '2026-03-01' }, summary: ZERO_SUMMARY });
  });

  it('answers 401 without a token and with a credential in the query string', async () => {
    const s = await h.supplier();
    const anonymous = await bill(undefined);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ request_id: expect.any(String), error: { code: 'SUP_BILL_4011', message: expect.any(String), details: {} } });
    for (const param of ['api_key=x', 'token=x', 'access_token=x']) {
      const res = await bill(s, `?${param}`);
      expect(res.status, param).toBe(401);
      expect(res.body.error.code).toBe('SUP_BILL_4011');
    }
    expect(h.covered).toEqual(new Set(['getSupplierBilling 200', 'getSupplierBilling 401']));
  });
});
