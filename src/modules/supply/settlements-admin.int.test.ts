import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { availableRecord, books, expectBooksAgree, verifiedSupplier, withdraw, withdrawCode, yuan, type PhoneActor } from '../../../test/helpers/withdrawals.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { supplyEarnings } from './supply.tables.ts';

// Operators pay withdrawals out: pending → processing (manual or sandbox payout) → completed | failed, each move with
// its money and an audit event; the supply.payouts job closes what the sandbox paid. Also the daily limit, which
// only paid-out (or still open) withdrawals count towards.

const MINUTE = 60_000;
const ADMIN = '/api/v1/supply/admin/settlements';
const SETTLEMENTS = '/api/v1/supply/settlements';

describe.each(DB_TIERS)('operators and supply withdrawals on $name', (tier) => {
  let h: SupplyHarness;
  const clock = fakeClock();
  let recordDay = Date.parse('2026-01-01T02:00:00Z');

  beforeAll(async () => {
    h = await startSupply(tier, { clock });
  });
  afterAll(async () => {
    expect([...(h?.undeclared ?? [])]).toEqual([]);
    h?.assertNoLeaks();
    await h?.close();
  });

  const op = (method: string, url: string, payload?: unknown) => h.call({ id: 0, auth: h.operator }, method, url, { payload });

  async function pending(amount: number, account = 'supplier@example.com'): Promise<{ who: PhoneActor; id: number; before: Awaited<ReturnType<typeof books>> }> {
    const who = await verifiedSupplier(h);
    await availableRecord(h, who.id, yuan(amount), new Date((recordDay += 24 * 3600_000)));
    await availableRecord(h, who.id, yuan(7), new Date((recordDay += 24 * 3600_000)));
    const before = await books(h, who.id);
    const res = await withdraw(h, who, { withdraw_amount: amount, sms_code: await withdrawCode(h, who), payment_account: account });
    expect(res.status, res.raw).toBe(201);
    return { who, id: res.body.data.settlement_id, before };
  }

  const events = (id: number) =>
    h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'supply_settlement'), eq(auditEvents.objectId, String(id)))).orderBy(asc(auditEvents.id));
  const recordStatuses = async (supplierId: number) =>
    (await h.t.database.db.select().from(supplyEarnings).where(eq(supplyEarnings.supplierUserId, supplierId)).orderBy(asc(supplyEarnings.id))).map((r) => [r.status, r.settlementId]);

  it('lists withdrawals for operators with the full account, filtered by status', async () => {
    const { who, id } = await pending(100, '6222021234567890123');
    const res = await op('GET', `${ADMIN}?status=pending&page_size=200`);
    expect(res.status, res.raw).toBe(200);
    const row = res.body.data.find((s: { settlement_id: number }) => s.settlement_id === id);
    expect(row).toMatchObject({ supplier_user_id: who.id, payment_account: '6222021234567890123', status: 'pending', payout_provider: null, payout_reference: null });
    expect(res.body.data.every((s: { status: string }) => s.status === 'pending')).toBe(true);
    expect((await op('GET', `${ADMIN}?status=completed`)).body.data.some((s: { settlement_id: number }) => s.settlement_id === id)).toBe(false);
    expect((await op('GET', `${ADMIN}?status=open`)).status).toBe(400);
  });

  it('refuses suppliers (403) and callers without a token (401) on every operator route', async () => {
    const { who, id } = await pending(10);
    const routes: [string, string, unknown][] = [
      ['GET', ADMIN, undefined], ['POST', `${ADMIN}/${id}/process`, { provider: 'manual' }], ['POST', `${ADMIN}/${id}/complete`, { reference: 'R1' }],
      ['POST', `${ADMIN}/${id}/fail`, { reason: 'no' }],
    ];
    for (const [method, url, payload] of routes) {
      expect((await h.call(who, method, url, { payload })).status, url).toBe(403);
      expect((await h.call(undefined, method, url, { payload })).status, url).toBe(401);
    }
    expect((await h.call(who, 'GET', `${SETTLEMENTS}/${id}`)).body.data.status).toBe('pending');
  });

  it('pays out manually: processing, then completed with the net withdrawn and the fee as income', async () => {
    const { who, id, before } = await pending(200);
    const processed = await op('POST', `${ADMIN}/${id}/process`, { provider: 'manual' });
    expect(processed.status, processed.raw).toBe(200);
    expect(processed.body.data).toMatchObject({ status: 'processing', payout_provider: 'manual', payout_reference: null });
    // Once processing, the supplier can no longer cancel.
    const cancel = await h.call(who, 'POST', `${SETTLEMENTS}/${id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('SUP_SET_4092');

    clock.advance(MINUTE);
    const completed = await op('POST', `${ADMIN}/${id}/complete`, { reference: 'BANK-2026-0001' });
    expect(completed.status, completed.raw).toBe(200);
    expect(completed.body.data).toMatchObject({ status: 'completed', payout_reference: 'BANK-2026-0001', completed_at: clock.now().toISOString() });
    const after = await expectBooksAgree(h, who.id);
    expect(after).toMatchObject({ available: yuan(7), frozen: 0n, withdrawn: yuan(198) });
    expect(after.feeIncome - before.feeIncome).toBe(yuan(2));
    expect(after.records.withdrawn).toBe(yuan(200));
    expect(await recordStatuses(who.id)).toEqual([['withdrawn', id], ['available', null]]);

    const log = await events(id);
    expect(log.map((e) => e.action)).toEqual(['settlement.create', 'settlement.process', 'settlement.complete']);
    expect(log[2]).toMatchObject({
      actorUserId: expect.any(Number), tenantUserId: who.id, requestId: completed.body.request_id,
      before: { status: 'processing' }, after: { status: 'completed', payout_reference: 'BANK-2026-0001' },
    });
    expect(log[2]?.actorUserId).not.toBe(who.id);
    expect((await h.call(who, 'GET', `${SETTLEMENTS}/${id}`)).body.data).toMatchObject({ status: 'completed', payment_account: 'supp****.com' });
  });

  it('fails a processing withdrawal: the funds and records return to available', async () => {
    const { who, id } = await pending(50);
    await op('POST', `${ADMIN}/${id}/process`, { provider: 'manual' });
    const failed = await op('POST', `${ADMIN}/${id}/fail`, { reason: 'account name does not match' });
    expect(failed.status, failed.raw).toBe(200);
    expect(failed.body.data).toMatchObject({ status: 'failed', failure_reason: 'account name does not match' });
    expect(await expectBooksAgree(h, who.id)).toMatchObject({ available: yuan(57), frozen: 0n, withdrawn: 0n });
    expect(await recordStatuses(who.id)).toEqual([['available', null], ['available', null]]);
    expect((await events(id)).at(-1)).toMatchObject({ action: 'settlement.fail', reason: 'account name does not match', after: { status: 'failed' } });
  });

  it('fails a pending withdrawal too, and then nothing more can happen to it (409 SUP_SET_4092)', async () => {
    const { who, id } = await pending(20);
    expect((await op('POST', `${ADMIN}/${id}/fail`, { reason: 'suspected fraud' })).status).toBe(200);
    for (const [action, body] of [['process', { provider: 'manual' }], ['complete', { reference: 'X' }], ['fail', { reason: 'again' }]] as const) {
      const res = await op('POST', `${ADMIN}/${id}/${action}`, body);
      expect(res.status, action).toBe(409);
      expect(res.body.error.code).toBe('SUP_SET_4092');
    }
    expect((await h.call(who, 'POST', `${SETTLEMENTS}/${id}/cancel`)).body.error.code).toBe('SUP_SET_4092');
    expect(await expectBooksAgree(h, who.id)).toMatchObject({ available: yuan(27), frozen: 0n });
  });

  it('refuses to complete a pending withdrawal, to process one twice, to touch a completed one (409), and unknown ids (404)', async () => {
    const { id } = await pending(15);
    expect((await op('POST', `${ADMIN}/${id}/complete`, { reference: 'X' })).body.error.code).toBe('SUP_SET_4092');
    expect((await op('POST', `${ADMIN}/${id}/process`, { provider: 'manual' })).status).toBe(200);
    expect((await op('POST', `${ADMIN}/${id}/process`, { provider: 'manual' })).body.error.code).toBe('SUP_SET_4092');
    expect((await op('POST', `${ADMIN}/${id}/complete`, { reference: 'X' })).status).toBe(200);
    expect((await op('POST', `${ADMIN}/${id}/fail`, { reason: 'too late' })).body.error.code).toBe('SUP_SET_4092');
    const unknown = await op('POST', `${ADMIN}/999999999/process`, { provider: 'manual' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('SUP_SET_4041');
    expect((await op('POST', `${ADMIN}/${id}/process`, { provider: 'paypal' })).status).toBe(400);
    expect((await op('POST', `${ADMIN}/${id}/complete`, { reference: '' })).status).toBe(400);
  });

  describe('sandbox payouts and the supply.payouts job', () => {
    const job = () => {
      const found = h.t.app.tollgateJobs.find((j) => j.name === 'supply.payouts');
      if (!found) throw new Error('supply.payouts is not registered');
      return found;
    };

    it('is a job every minute', () => {
      expect(job().cron).toBe('* * * * *');
    });

    it('completes what the sandbox paid and fails what it refused; manual payouts wait for an operator', async () => {
      const paid = await pending(30);
      const refused = await pending(40, 'sandbox-fail-account');
      const manual = await pending(25);
      const p = await op('POST', `${ADMIN}/${paid.id}/process`, { provider: 'sandbox' });
      expect(p.body.data).toMatchObject({ status: 'processing', payout_provider: 'sandbox', payout_reference: expect.stringMatching(/^SBXW\d{20}$/) });
      await op('POST', `${ADMIN}/${refused.id}/process`, { provider: 'sandbox' });
      await op('POST', `${ADMIN}/${manual.id}/process`, { provider: 'manual' });

      const result = (await job().handler({})) as Record<string, number>;
      expect(result.completed).toBeGreaterThanOrEqual(1);
      expect(result.failed).toBeGreaterThanOrEqual(1);

      expect((await h.call(paid.who, 'GET', `${SETTLEMENTS}/${paid.id}`)).body.data.status).toBe('completed');
      expect(await expectBooksAgree(h, paid.who.id)).toMatchObject({ withdrawn: yuan(29.7), frozen: 0n });
      expect((await h.call(refused.who, 'GET', `${SETTLEMENTS}/${refused.id}`)).body.data).toMatchObject({ status: 'failed', failure_reason: expect.stringContaining('sandbox') });
      expect(await expectBooksAgree(h, refused.who.id)).toMatchObject({ available: yuan(47), frozen: 0n });
      expect((await h.call(manual.who, 'GET', `${SETTLEMENTS}/${manual.id}`)).body.data.status).toBe('processing');
      expect((await events(paid.id)).at(-1)).toMatchObject({ action: 'settlement.complete', actorUserId: null, requestId: 'job:supply.payouts' });

      // Nothing is paid twice.
      const again = (await job().handler({})) as Record<string, number>;
      expect(again).toMatchObject({ completed: 0, failed: 0 });
    });
  });

  it('limits a supplier to ¥200 000 a day (UTC+8), counting completed withdrawals but not failed ones', async () => {
    const who = await verifiedSupplier(h);
    await availableRecord(h, who.id, yuan(260_000), new Date((recordDay += 24 * 3600_000)));
    // A failed one does not count.
    const failed = await withdraw(h, who, { withdraw_amount: 50_000, sms_code: await withdrawCode(h, who) });
    await op('POST', `${ADMIN}/${failed.body.data.settlement_id}/fail`, { reason: 'test' });
    for (let i = 0; i < 4; i++) {
      clock.advance(15 * MINUTE);
      const res = await withdraw(h, who, { withdraw_amount: i === 3 ? 49_999.99 : 50_000, sms_code: await withdrawCode(h, who) });
      expect(res.status, res.raw).toBe(201);
      await op('POST', `${ADMIN}/${res.body.data.settlement_id}/process`, { provider: 'manual' });
      await op('POST', `${ADMIN}/${res.body.data.settlement_id}/complete`, { reference: `B${i}` });
    }
    clock.advance(15 * MINUTE);
    const code = await withdrawCode(h, who);
    const over = await withdraw(h, who, { withdraw_amount: 0.02, sms_code: code });
    expect(over.body.error).toMatchObject({ code: 'SUP_SET_4002', details: { limit: 'per_day' }, message: expect.stringContaining('¥0.01 remains') });
    expect((await withdraw(h, who, { withdraw_amount: 0.01, sms_code: code })).status).toBe(201);
    expect(await expectBooksAgree(h, who.id)).toMatchObject({ frozen: yuan(0.01) });
  });
});
