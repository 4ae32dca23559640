import crypto from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type Actor, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { createAuditLog } from '../admin/audit.service.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger, type Ledger } from '../ledger/ledger.service.ts';
import { ledgerTransfers } from '../ledger/ledger.tables.ts';
import type { Database } from '../../platform/db.ts';
import { createEarningsService } from './earnings.service.ts';
import { supplyEarnings, type EarningStatus } from './supply.tables.ts';

// A supplier's earnings: pending usage matures into available money exactly once, whoever runs the maturer and
// whatever the billing flush is doing; operators add bonuses and take refunds; suppliers list their records by UTC+8
// day and see their balances, and nobody else's.

const HOUR = 3600_000;
/** 12:00 on 2026-03-10 in UTC+8: the app's (fixed) time. */
const APP_NOW = new Date('2026-03-10T04:00:00Z');
/** Start of a UTC+8 day, as an instant. */
const day = (d: string) => new Date(`${d}T00:00:00+08:00`);
const ADJUST = '/api/v1/supply/admin/earnings';

describe.each(DB_TIERS)('supply earnings on $name', (tier) => {
  let h: SupplyHarness;
  let ledger: Ledger;
  let packageSeq = 1;
  /** The maturer's own clock (the app's stays at APP_NOW, where its sessions are valid). */
  const matureClock = fakeClock(APP_NOW);
  const maturer = () => createEarningsService({ database: h.t.database, clock: matureClock, ledger: createLedger({ database: h.t.database, clock: matureClock }), audit: createAuditLog() });

  beforeAll(async () => {
    h = await startSupply(tier, { clock: fakeClock(APP_NOW) });
    ledger = createLedger({ database: h.t.database, clock: matureClock });
  });
  afterAll(async () => {
    // The contract declares only 200/401 for the list: no query may make it answer anything else.
    h?.assertOnlyDeclaredStatuses();
    h?.assertNoLeaks();
    await h?.close();
  });

  /** A user who has opened the supply console (so their supplier profile exists). */
  async function supplier(): Promise<Actor> {
    const who = await h.supplier();
    expect((await h.call(who, 'GET', '/api/v1/supply/earnings/summary')).status).toBe(200);
    return who;
  }

  /** A day's pending usage record of a fresh package and its money in supplierPending, as the billing flush writes them. */
  async function pendingUsage(supplierId: number, earnDay: string, micros: bigint): Promise<number> {
    const maturesAt = new Date(day(earnDay).getTime() + 48 * HOUR);
    return h.t.database.transaction(async (tx) => {
      const [row] = await tx
        .insert(supplyEarnings)
        .values({
          supplierUserId: supplierId, packageId: packageSeq++, earningsType: 'usage', amountMicros: micros, status: 'pending', earnDay,
          requests: 3, tokens: 1200, description: 'API usage', maturesAt, earnedAt: new Date(day(earnDay).getTime() + 10 * HOUR),
        })
        .returning({ id: supplyEarnings.id });
      await ledger.transfer(
        { idempotencyKey: `test-usage:${crypto.randomUUID()}`, kind: 'test_usage', postings: [{ account: ACCOUNTS.promoExpense, amount: -micros }, { account: ACCOUNTS.supplierPending(supplierId), amount: micros }] },
        tx,
      );
      return (row as { id: number }).id;
    });
  }

  async function recordSums(supplierId: number): Promise<Record<EarningStatus, bigint>> {
    const rows = await h.t.database.db
      .select({ status: supplyEarnings.status, total: sql<string>`sum(${supplyEarnings.amountMicros})::text` })
      .from(supplyEarnings)
      .where(eq(supplyEarnings.supplierUserId, supplierId))
      .groupBy(supplyEarnings.status);
    const sums = { pending: 0n, available: 0n, frozen: 0n, withdrawn: 0n };
    for (const r of rows) sums[r.status] = BigInt(r.total);
    return sums;
  }

  /** Σ records per status = the ledger's balance per status, and the books balance. */
  async function expectBooksMatch(supplierId: number) {
    const sums = await recordSums(supplierId);
    expect(await ledger.balance(ACCOUNTS.supplierPending(supplierId))).toBe(sums.pending);
    expect(await ledger.balance(ACCOUNTS.supplierAvailable(supplierId))).toBe(sums.available);
    expect(await ledger.check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
    return sums;
  }

  const statusOf = async (id: number) => (await h.t.database.db.select({ s: supplyEarnings.status }).from(supplyEarnings).where(eq(supplyEarnings.id, id)))[0]?.s;

  describe('maturity', () => {
    it('makes available exactly the pending records whose hold has passed, moving their amounts pending → available', async () => {
      const s = await supplier();
      const early = await pendingUsage(s.id, '2026-03-20', 1_250_000n);
      const also = await pendingUsage(s.id, '2026-03-20', 2_000_001n);
      const later = await pendingUsage(s.id, '2026-03-21', 700_000n);
      expect(await expectBooksMatch(s.id)).toMatchObject({ pending: 3_950_001n, available: 0n });

      matureClock.set(new Date(day('2026-03-22').getTime() - 1)); // 1 ms before the 03-20 records mature
      await maturer().mature();
      expect([await statusOf(early), await statusOf(also)]).toEqual(['pending', 'pending']);

      matureClock.set(day('2026-03-22')); // end of 03-20 (UTC+8) + 24 h hold
      expect((await maturer().mature()).matured).toBeGreaterThanOrEqual(2);
      expect([await statusOf(early), await statusOf(also), await statusOf(later)]).toEqual(['available', 'available', 'pending']);
      expect(await expectBooksMatch(s.id)).toMatchObject({ pending: 700_000n, available: 3_250_001n });

      const summary = await h.call(s, 'GET', '/api/v1/supply/earnings/summary');
      expect(summary.body).toEqual({ request_id: expect.any(String), data: { pending: 0.7, available: 3.25, frozen: 0, withdrawn: 0 } });
      const list = await h.call(s, 'GET', '/api/v1/supply/earnings/records');
      expect(list.status).toBe(200);
      expect(list.body.data.map((r: { record_id: number; status: string }) => [r.record_id, r.status])).toEqual([
        [later, 'pending'], [also, 'available'], [early, 'available'],
      ]);
    });

    it('moves each record once when it runs twice or several maturers run at once', async () => {
      const s = await supplier();
      matureClock.set(day('2026-04-03'));
      await maturer().mature(); // whatever earlier tests left due by now
      const ids = await Promise.all([1n, 2n, 3n, 4n, 5n, 6n].map((n) => pendingUsage(s.id, '2026-04-01', n * 1_000_003n)));
      const runs = await Promise.all([maturer().mature(), maturer().mature(), maturer().mature()]);
      expect(runs.reduce((n, r) => n + r.matured, 0)).toBe(ids.length);
      expect(await maturer().mature()).toEqual({ matured: 0 });
      for (const id of ids) expect(await statusOf(id)).toBe('available');
      expect(await expectBooksMatch(s.id)).toMatchObject({ pending: 0n, available: 21_000_063n });
      // One maturity transfer per record.
      const transfers = await h.t.database.db
        .select({ key: ledgerTransfers.idempotencyKey })
        .from(ledgerTransfers)
        .where(inArray(ledgerTransfers.idempotencyKey, ids.map((id) => `earnings-mature:${id}`)));
      expect(transfers).toHaveLength(ids.length);
    });

    /** What the billing flush does per served request: add to the day's open record (or open one) and credit pending. */
    const flusher = (supplierId: number, earnDay: string) => {
      const packageId = packageSeq++;
      const maturesAt = new Date(day(earnDay).getTime() + 48 * HOUR);
      return (micros: bigint) =>
        h.t.database.transaction(async (tx) => {
          await tx.execute(sql`
            INSERT INTO supply_earnings AS e (supplier_user_id, package_id, earnings_type, amount_micros, status, earn_day, requests, tokens, matures_at, earned_at)
            VALUES (${supplierId}, ${packageId}, 'usage', ${micros.toString()}::bigint, 'pending', ${earnDay}::date, 1, 100,
                    ${maturesAt.toISOString()}::timestamptz, ${day(earnDay).toISOString()}::timestamptz)
            ON CONFLICT (package_id, earn_day) WHERE earnings_type = 'usage' AND status = 'pending'
            DO UPDATE SET amount_micros = e.amount_micros + excluded.amount_micros, requests = e.requests + 1`);
          await ledger.transfer(
            { idempotencyKey: `test-flush:${crypto.randomUUID()}`, kind: 'test_usage', postings: [{ account: ACCOUNTS.promoExpense, amount: -micros }, { account: ACCOUNTS.supplierPending(supplierId), amount: micros }] },
            tx,
          );
        });
    };

    it('matures the amount a record has when it is locked, including a flush that lands after the due records were read', async () => {
      const s = await supplier();
      const flush = flusher(s.id, '2026-04-08');
      await flush(1_000_000n);
      matureClock.set(day('2026-04-10'));
      // A database whose first transaction waits for a flush to commit: it lands between the maturer's scan and its update.
      let landed = false;
      const database: Database = {
        ...h.t.database,
        async transaction(fn) {
          if (!landed) {
            landed = true;
            await flush(234_567n);
          }
          return h.t.database.transaction(fn);
        },
      };
      const late = createEarningsService({ database, clock: matureClock, ledger: createLedger({ database, clock: matureClock }), audit: createAuditLog() });
      expect((await late.mature()).matured).toBeGreaterThanOrEqual(1);
      expect(landed).toBe(true);
      expect(await expectBooksMatch(s.id)).toEqual({ pending: 0n, available: 1_234_567n, frozen: 0n, withdrawn: 0n });
    });

    it('keeps records and ledger in step while the billing flush keeps adding to a record being matured', async () => {
      const s = await supplier();
      const flush = flusher(s.id, '2026-04-10');
      await flush(1_000_000n);
      matureClock.set(day('2026-04-12'));
      await Promise.all([
        ...Array.from({ length: 12 }, (_, i) => flush(BigInt(10_000 + i))),
        maturer().mature(), maturer().mature(), maturer().mature(),
      ]);
      await maturer().mature();
      const sums = await expectBooksMatch(s.id);
      expect(sums).toEqual({ pending: 0n, available: 1_000_000n + 12n * 10_000n + 66n, frozen: 0n, withdrawn: 0n });
    });

    it('is the job supply.earnings-mature, every 5 minutes, on the app clock', async () => {
      const s = await supplier();
      const id = await pendingUsage(s.id, '2026-03-07', 5_000_000n); // matured at 2026-03-09 00:00 UTC+8, before APP_NOW
      const job = h.t.app.tollgateJobs.find((j) => j.name === 'supply.earnings-mature');
      expect(job?.cron).toBe('*/5 * * * *');
      expect(await job?.handler({})).toEqual({ matured: expect.any(Number) });
      expect(await statusOf(id)).toBe('available');
      await expectBooksMatch(s.id);
    });
  });

  describe('operator adjustments', () => {
    /** `key: null` sends no Idempotency-Key. */
    const adjust = (payload: unknown, key: string | null = crypto.randomUUID(), auth = h.operator) =>
      h.call({ id: 0, auth }, 'POST', ADJUST, { payload, headers: key === null ? {} : { 'idempotency-key': key } });

    it('adds a bonus as an available record paid by promotions, and audits it', async () => {
      const s = await supplier();
      const promoBefore = await ledger.balance(ACCOUNTS.promoExpense);
      const res = await adjust({ supplier_user_id: s.id, earnings_type: 'bonus', amount: 12.34, description: 'Launch week bonus' });
      expect(res.status, res.raw).toBe(201);
      expect(res.body).toEqual({
        request_id: res.headers['x-request-id'],
        data: {
          record_id: expect.any(Number), user_id: s.id, earnings_type: 'bonus', amount: 12.34, status: 'available',
          description: 'Launch week bonus', earned_at: APP_NOW.toISOString(), available_balance: 12.34,
        },
      });
      expect(await ledger.balance(ACCOUNTS.promoExpense)).toBe(promoBefore - 12_340_000n);
      expect(await expectBooksMatch(s.id)).toMatchObject({ available: 12_340_000n });
      const [event] = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'supply_earning'), eq(auditEvents.objectId, String(res.body.data.record_id))));
      expect(event).toMatchObject({ action: 'earnings.bonus', tenantUserId: s.id, before: { available: '0' }, after: { available: '12340000', amount: '12340000' }, reason: 'Launch week bonus', requestId: res.headers['x-request-id'] });
      const list = await h.call(s, 'GET', '/api/v1/supply/earnings/records');
      expect(list.body.data).toEqual([expect.objectContaining({ record_id: res.body.data.record_id, earnings_type: 'bonus', amount: 12.34 })]);
    });

    it('takes a refund out of available earnings as a negative record, down to exactly zero', async () => {
      const s = await supplier();
      await h.grantAvailable(s.id, 5_000_000n);
      const revenueBefore = await ledger.balance(ACCOUNTS.platformRevenue);
      const res = await adjust({ supplier_user_id: s.id, earnings_type: 'refund', amount: 5, description: 'Chargeback on order 77' });
      expect(res.status, res.raw).toBe(201);
      expect(res.body.data).toMatchObject({ earnings_type: 'refund', amount: -5, status: 'available', available_balance: 0 });
      expect(await ledger.balance(ACCOUNTS.platformRevenue)).toBe(revenueBefore + 5_000_000n);
      expect(await expectBooksMatch(s.id)).toMatchObject({ available: 0n });
      const summary = await h.call(s, 'GET', '/api/v1/supply/earnings/summary');
      expect(summary.body.data).toEqual({ pending: 0, available: 0, frozen: 0, withdrawn: 0 });
    });

    it('refuses a refund larger than the available earnings with SUP_EARN_4001, naming what is available', async () => {
      const s = await supplier();
      await h.grantAvailable(s.id, 3_000_000n);
      await pendingUsage(s.id, '2026-05-01', 9_000_000n); // pending money is not refundable
      const res = await adjust({ supplier_user_id: s.id, earnings_type: 'refund', amount: 3.01, description: 'too much' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        request_id: expect.any(String),
        error: { code: 'SUP_EARN_4001', message: expect.stringContaining('¥3.00'), details: { field: 'body.amount', available: 3 } },
      });
      expect(await expectBooksMatch(s.id)).toMatchObject({ available: 3_000_000n, pending: 9_000_000n });
    });

    it('answers a retry with the same Idempotency-Key from the first response and moves the money once', async () => {
      const s = await supplier();
      const key = `bonus-${crypto.randomUUID()}`;
      const payload = { supplier_user_id: s.id, earnings_type: 'bonus', amount: 1.5, description: 'retry me' };
      const first = await adjust(payload, key);
      const again = await adjust(payload, key);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await expectBooksMatch(s.id)).toMatchObject({ available: 1_500_000n });
      const other = await adjust({ ...payload, amount: 2 }, key);
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('SUP_EARN_4091');
      expect(await expectBooksMatch(s.id)).toMatchObject({ available: 1_500_000n });
    });

    it('refuses bad input with SUP_EARN_4001 and an unknown supplier with SUP_EARN_4041', async () => {
      const s = await supplier();
      const ok = { supplier_user_id: s.id, earnings_type: 'bonus', amount: 1, description: 'fine' };
      for (const bad of [{ amount: 0 }, { amount: -1 }, { amount: 1.005 }, { amount: '1' }, { earnings_type: 'usage' }, { description: '' }, { extra: 1 }]) {
        const res = await adjust({ ...ok, ...bad });
        expect(res.status, JSON.stringify(bad)).toBe(400);
        expect(res.body.error.code).toBe('SUP_EARN_4001');
      }
      expect((await adjust(ok, null)).body.error).toMatchObject({ code: 'SUP_EARN_4001', details: { field: 'headers.idempotency-key' } });
      const registered = await h.supplier(); // a user, but never a supplier
      for (const id of [registered.id, 987_654_321]) {
        const res = await adjust({ ...ok, supplier_user_id: id });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('SUP_EARN_4041');
      }
      expect(await recordSums(s.id)).toEqual({ pending: 0n, available: 0n, frozen: 0n, withdrawn: 0n });
    });

    it('is for operators only: a supplier gets 403, no token 401, a credential in the query string 401', async () => {
      const s = await supplier();
      const payload = { supplier_user_id: s.id, earnings_type: 'bonus', amount: 100, description: 'self-service' };
      const own = await adjust(payload, crypto.randomUUID(), s.auth);
      expect(own.status).toBe(403);
      expect(own.body.error.code).toBe('SUP_EARN_4031');
      const anonymous = await h.call(undefined, 'POST', ADJUST, { payload, headers: { 'idempotency-key': crypto.randomUUID() } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('SUP_EARN_4011');
      const query = await h.call({ id: 0, auth: h.operator }, 'POST', `${ADJUST}?api_key=x`, { payload, headers: { 'idempotency-key': crypto.randomUUID() } });
      expect(query.status).toBe(401);
      expect(await recordSums(s.id)).toEqual({ pending: 0n, available: 0n, frozen: 0n, withdrawn: 0n });
    });
  });

  describe('records and balances', () => {
    const RECORDS = '/api/v1/supply/earnings/records';

    /** Records at chosen instants (only the list is under test here, not the books). */
    async function recordsAt(supplierId: number, rows: { at: string; micros: bigint; type?: 'usage' | 'bonus' | 'refund'; settlementId?: number }[]) {
      const inserted = await h.t.database.db
        .insert(supplyEarnings)
        .values(rows.map((r) => ({
          supplierUserId: supplierId, earningsType: r.type ?? 'bonus', amountMicros: r.micros, status: r.settlementId ? 'frozen' as const : 'available' as const,
          earnDay: r.at.slice(0, 10), earnedAt: new Date(r.at), settlementId: r.settlementId ?? null, description: `at ${r.at}`,
        })))
        .returning({ id: supplyEarnings.id });
      return inserted.map((r) => r.id);
    }

    it('filters by earned_at over whole UTC+8 days and pages newest first', async () => {
      const s = await supplier();
      const [beforeStart, atStart, mid, refund, lastMs, atEnd] = await recordsAt(s.id, [
        { at: '2026-03-05T23:59:59.999+08:00', micros: 1_000_000n },
        { at: '2026-03-06T00:00:00.000+08:00', micros: 2_000_000n },
        { at: '2026-03-06T12:00:00.000+08:00', micros: 3_000_000n, type: 'usage', settlementId: 42 },
        { at: '2026-03-07T09:30:00.000+08:00', micros: -500_000n, type: 'refund' },
        { at: '2026-03-07T23:59:59.999+08:00', micros: 4_000_000n },
        { at: '2026-03-08T00:00:00.000+08:00', micros: 5_000_000n },
      ]);
      const page1 = await h.call(s, 'GET', `${RECORDS}?start_date=2026-03-06&end_date=2026-03-07&page=1&page_size=3`);
      expect(page1.status).toBe(200);
      expect(page1.body.pagination).toEqual({ page: 1, page_size: 3, total: 4 });
      expect(page1.body.data).toEqual([
        { record_id: lastMs, user_id: s.id, earnings_type: 'bonus', amount: 4, status: 'available', description: 'at 2026-03-07T23:59:59.999+08:00', earned_at: '2026-03-07T15:59:59.999Z' },
        { record_id: refund, user_id: s.id, earnings_type: 'refund', amount: -0.5, status: 'available', description: 'at 2026-03-07T09:30:00.000+08:00', earned_at: '2026-03-07T01:30:00.000Z' },
        { record_id: mid, user_id: s.id, settlement_id: 42, earnings_type: 'usage', amount: 3, status: 'frozen', description: 'at 2026-03-06T12:00:00.000+08:00', earned_at: '2026-03-06T04:00:00.000Z' },
      ]);
      const page2 = await h.call(s, 'GET', `${RECORDS}?start_date=2026-03-06&end_date=2026-03-07&page=2&page_size=3`);
      expect(page2.body.data.map((r: { record_id: number }) => r.record_id)).toEqual([atStart]);
      const beyond = await h.call(s, 'GET', `${RECORDS}?start_date=2026-03-06&end_date=2026-03-07&page=3&page_size=3`);
      expect(beyond.body).toEqual({ request_id: expect.any(String), data: [], pagination: { page: 3, page_size: 3, total: 4 } });

      const ids = async (query: string) => (await h.call(s, 'GET', `${RECORDS}?${query}`)).body.data.map((r: { record_id: number }) => r.record_id);
      expect(await ids('start_date=2026-03-08')).toEqual([atEnd]);
      expect(await ids('end_date=2026-03-05')).toEqual([beforeStart]);
      expect(await ids('start_date=2026-03-07&end_date=2026-03-07')).toEqual([lastMs, refund]);
      expect(await ids('')).toEqual([atEnd, lastMs, refund, mid, atStart, beforeStart]);
      const defaults = await h.call(s, 'GET', RECORDS);
      expect(defaults.body.pagination).toEqual({ page: 1, page_size: 20, total: 6 });
    });

    it('answers a query it cannot fully use with 200 (the contract declares no 400), ignoring what it cannot use and naming it', async () => {
      const s = await supplier();
      const [early, late] = (await recordsAt(s.id, [
        { at: '2026-03-01T10:00:00.000+08:00', micros: 1_000_000n },
        { at: '2026-03-03T10:00:00.000+08:00', micros: 2_000_000n },
      ])) as [number, number];
      const cases: [string, string, number[], { page: number; page_size: number }][] = [
        ['start_date=2026-02-30', 'start_date', [late, early], { page: 1, page_size: 20 }],
        ['start_date=2026-03-02&end_date=20260301', 'end_date', [late], { page: 1, page_size: 20 }],
        ['start_date=1969-12-31&end_date=2026-03-01', 'start_date', [early], { page: 1, page_size: 20 }],
        ['page=0', 'page', [late, early], { page: 1, page_size: 20 }],
        ['page=abc&page_size=1', 'page', [late], { page: 1, page_size: 1 }],
        ['page_size=201', 'page_size', [late, early], { page: 1, page_size: 200 }],
        ['page_size=0', 'page_size', [late], { page: 1, page_size: 1 }],
        ['colour=blue&start_date=2026-03-03', 'colour', [late], { page: 1, page_size: 20 }],
        // A parameter name is named percent-encoded: a header value cannot carry every character.
        ['%E4%B8%AD=1&start_date=2026-03-03', '%E4%B8%AD', [late], { page: 1, page_size: 20 }],
        // Control characters, refused with 400 elsewhere, are ignored here like any unusable value.
        ['start_date=2026-03-02%00&page=1', 'start_date', [late, early], { page: 1, page_size: 20 }],
        ['a%00b=1&start_date=2026-03-03', 'a%00b', [late], { page: 1, page_size: 20 }],
      ];
      for (const [query, ignored, ids, pagination] of cases) {
        const res = await h.call(s, 'GET', `${RECORDS}?${query}`);
        expect(res.status, query).toBe(200);
        expect(res.headers['x-ignored-query'], query).toBe(ignored);
        expect(res.body.data.map((r: { record_id: number }) => r.record_id), query).toEqual(ids);
        expect(res.body.pagination, query).toEqual({ ...pagination, total: expect.any(Number) });
      }
      const reversed = await h.call(s, 'GET', `${RECORDS}?start_date=2026-03-03&end_date=2026-03-01`);
      expect(reversed.status).toBe(200);
      expect(reversed.body.data).toEqual([]);
      expect(reversed.headers['x-ignored-query']).toBeUndefined();
      const clean = await h.call(s, 'GET', `${RECORDS}?page_size=200&start_date=2026-03-01`);
      expect(clean.headers['x-ignored-query']).toBeUndefined();
    });

    it('shows frozen and withdrawn balances from the ledger', async () => {
      const s = await supplier();
      await h.grantAvailable(s.id, 10_000_000n);
      await ledger.transfer({
        idempotencyKey: `test-freeze:${crypto.randomUUID()}`, kind: 'test_freeze',
        postings: [
          { account: ACCOUNTS.supplierAvailable(s.id), amount: -6_000_000n },
          { account: ACCOUNTS.supplierFrozen(s.id), amount: 4_000_000n },
          { account: ACCOUNTS.supplierWithdrawn(s.id), amount: 2_000_000n },
        ],
      });
      const res = await h.call(s, 'GET', '/api/v1/supply/earnings/summary');
      expect(res.body.data).toEqual({ pending: 0, available: 4, frozen: 4, withdrawn: 2 });
    });

    it('shows a supplier none of another supplier\'s records or balances', async () => {
      const owner = await supplier();
      await h.grantAvailable(owner.id, 7_000_000n);
      await pendingUsage(owner.id, '2026-06-01', 1_000_000n);
      const other = await supplier();
      const list = await h.call(other, 'GET', '/api/v1/supply/earnings/records');
      expect(list.body).toEqual({ request_id: expect.any(String), data: [], pagination: { page: 1, page_size: 20, total: 0 } });
      const summary = await h.call(other, 'GET', '/api/v1/supply/earnings/summary');
      expect(summary.body.data).toEqual({ pending: 0, available: 0, frozen: 0, withdrawn: 0 });
      expect((await h.call(owner, 'GET', '/api/v1/supply/earnings/records')).body.pagination.total).toBe(2);
    });

    it('answers 401 without a token and with a credential in the query string', async () => {
      const s = await supplier();
      for (const url of [RECORDS, '/api/v1/supply/earnings/summary']) {
        const anonymous = await h.call(undefined, 'GET', url);
        expect(anonymous.status).toBe(401);
        expect(anonymous.body).toEqual({ request_id: expect.any(String), error: { code: 'SUP_EARN_4011', message: expect.any(String), details: {} } });
        for (const param of ['api_key=x', 'access_token=x', 'key=x']) {
          const res = await h.call(s, 'GET', `${url}?${param}`);
          expect(res.status, `${url}?${param}`).toBe(401);
          expect(res.body.error.code).toBe('SUP_EARN_4011');
        }
      }
      expect(h.covered).toContain('listSupplyEarningRecords 401');
    });
  });
});
