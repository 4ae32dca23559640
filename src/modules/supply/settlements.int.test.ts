import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';
import {
  availableRecord, expectBooksAgree, verifiedSupplier, withdraw, withdrawCode, yuan, type PhoneActor,
} from '../../../test/helpers/withdrawals.ts';
import { auditEvents } from '../admin/audit.tables.ts';
import { ledgerTransfers } from '../ledger/ledger.tables.ts';
import { suppliers, supplyEarnings, supplySettlements } from './supply.tables.ts';

// A supplier's withdrawals: the SMS code, its lock, the open-withdrawal rule, the limits and the cooldown, the fee,
// the records frozen to exactly the amount, cancelling, and the statement behind a signed link.

const MINUTE = 60_000;
const SETTLEMENTS = '/api/v1/supply/settlements';

describe.each(DB_TIERS)('supply withdrawals on $name', (tier) => {
  let h: SupplyHarness;
  const clock = fakeClock();
  /** Earnings records placed a day apart, oldest first. */
  let recordDay = Date.parse('2026-01-01T02:00:00Z');
  const nextDay = () => new Date((recordDay += 24 * 3600_000));

  beforeAll(async () => {
    h = await startSupply(tier, { clock });
  });
  afterAll(async () => {
    // Every status met is one the contract lists (bad path ids, a 400 it does not list, are sent around the checker).
    expect([...(h?.undeclared ?? [])]).toEqual([]);
    h?.assertNoLeaks();
    await h?.close();
  });

  /** A verified supplier with `amounts` (CNY) of available earnings, one record each, oldest first. */
  async function funded(...amounts: number[]): Promise<PhoneActor> {
    const who = await verifiedSupplier(h);
    for (const a of amounts) await availableRecord(h, who.id, yuan(a), nextDay());
    return who;
  }

  const recordsOf = (supplierId: number) =>
    h.t.database.db.select().from(supplyEarnings).where(eq(supplyEarnings.supplierUserId, supplierId)).orderBy(supplyEarnings.earnedAt, supplyEarnings.id);

  describe('creating', () => {
    it('answers 201 with a 1 % fee (half-up to the fen), freezes the amount and exactly that much of the records', async () => {
      const who = await funded(300, 200);
      const res = await withdraw(h, who, { withdraw_amount: 250.5, sms_code: await withdrawCode(h, who) });
      expect(res.status, res.raw).toBe(201);
      const data = res.body.data;
      expect(data).toEqual({
        settlement_id: expect.any(Number), settlement_no: expect.stringMatching(/^W20260301120000\d{6}$/), status: 'pending',
        total_amount: 250.5, fee_amount: 2.51, net_amount: 247.99, payment_method: 'alipay', created_at: clock.now().toISOString(),
      });
      const b = await expectBooksAgree(h, who.id);
      expect(b).toMatchObject({ available: yuan(249.5), frozen: yuan(250.5) });
      // The older record is split: 250.50 frozen for the withdrawal, 49.50 left available with the same fields.
      const records = await recordsOf(who.id);
      expect(records.map((r) => [r.amountMicros, r.status, r.settlementId])).toEqual([
        [yuan(250.5), 'frozen', data.settlement_id],
        [yuan(49.5), 'available', null],
        [yuan(200), 'available', null],
      ]);
      expect(records[1]).toMatchObject({ earningsType: 'usage', earnDay: records[0]?.earnDay, earnedAt: records[0]?.earnedAt, requests: 7, tokens: 4200 });
      const [transfer] = await h.t.database.db.select().from(ledgerTransfers).where(eq(ledgerTransfers.idempotencyKey, `withdraw:${data.settlement_id}`));
      expect(transfer?.kind).toBe('supply_withdraw');
      const [event] = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectType, 'supply_settlement'), eq(auditEvents.objectId, String(data.settlement_id))));
      expect(event).toMatchObject({ action: 'settlement.create', actorUserId: who.id, tenantUserId: who.id, requestId: res.body.request_id, after: { status: 'pending' } });
    });

    it('freezes every refund first, then the oldest earnings, splitting the last one', async () => {
      const who = await verifiedSupplier(h);
      const a = await availableRecord(h, who.id, yuan(100), nextDay());
      const b = await availableRecord(h, who.id, yuan(80), nextDay());
      const refund = await availableRecord(h, who.id, yuan(-30), nextDay());
      const c = await availableRecord(h, who.id, yuan(50), nextDay());
      const res = await withdraw(h, who, { withdraw_amount: 120, sms_code: await withdrawCode(h, who) });
      expect(res.status, res.raw).toBe(201);
      const byId = new Map((await recordsOf(who.id)).map((r) => [r.id, r]));
      expect([refund, a, b].map((r) => [byId.get(r.id)?.status, byId.get(r.id)?.amountMicros])).toEqual([['frozen', yuan(-30)], ['frozen', yuan(100)], ['frozen', yuan(50)]]);
      expect(byId.get(c.id)).toMatchObject({ status: 'available', settlementId: null });
      const rest = [...byId.values()].find((r) => ![a.id, b.id, c.id, refund.id].includes(r.id));
      expect(rest).toMatchObject({ amountMicros: yuan(30), status: 'available', earnedAt: b.earnedAt });
      expect(await expectBooksAgree(h, who.id)).toMatchObject({ available: yuan(80), frozen: yuan(120) });
    });

    it('replays the stored response for the same key and body, and refuses the key with another body (409 SUP_SET_4091)', async () => {
      const who = await funded(500);
      const code = await withdrawCode(h, who);
      const first = await withdraw(h, who, { withdraw_amount: 100, sms_code: code }, 'same-key-0001');
      const replay = await withdraw(h, who, { withdraw_amount: 100, sms_code: code }, 'same-key-0001');
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      const other = await withdraw(h, who, { withdraw_amount: 101, sms_code: code }, 'same-key-0001');
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('SUP_SET_4091');
      expect(await h.t.database.db.select().from(supplySettlements).where(eq(supplySettlements.supplierUserId, who.id))).toHaveLength(1);
    });

    it('requires an Idempotency-Key', async () => {
      const who = await funded(10);
      const res = await withdraw(h, who, { withdraw_amount: 1, sms_code: '123456' }, null);
      expect(res.status).toBe(400);
      expect(res.raw).toContain('idempotency-key');
    });

    it('refuses a supplier without a verified phone, and sends them no code (400 SUP_SET_4003)', async () => {
      const who = await h.supplier();
      await h.grantAvailable(who.id, yuan(100));
      const res = await withdraw(h, who, { withdraw_amount: 10, sms_code: '123456' });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'SUP_SET_4003', message: expect.stringContaining('Verify a phone'), details: { reason: 'phone_not_verified' } });
      const code = await h.call(who, 'POST', `${SETTLEMENTS}/sms-code`);
      expect(code.status).toBe(400);
      expect(code.body.error.details.reason).toBe('phone_not_verified');
    });

    it('validates the request (400 naming the field)', async () => {
      const who = await funded(10);
      const bad: [string, Record<string, unknown>][] = [
        ['withdraw_amount', { withdraw_amount: 0 }], ['withdraw_amount', { withdraw_amount: -5 }], ['withdraw_amount', { withdraw_amount: 1.005 }],
        ['withdraw_amount', { withdraw_amount: '5' }], ['payment_method', { payment_method: 'paypal' }], ['payment_account', { payment_account: 'x' }],
        ['payment_account', { payment_account: 'a'.repeat(101) }], ['sms_code', { sms_code: '12' }], ['extra', { extra: true }],
      ];
      for (const [field, change] of bad) {
        const res = await withdraw(h, who, { withdraw_amount: 1, sms_code: '123456', ...change });
        expect(res.status, field).toBe(400);
        expect(res.body.error.code, field).toBe('SUP_SET_4001');
      }
      expect(await h.t.database.db.select().from(supplySettlements).where(eq(supplySettlements.supplierUserId, who.id))).toHaveLength(0);
    });

    it('refuses more than the available earnings (400 SUP_SET_4001) and accepts exactly all of them', async () => {
      const who = await funded(60, 40);
      const code = await withdrawCode(h, who);
      const over = await withdraw(h, who, { withdraw_amount: 100.01, sms_code: code });
      expect(over.status).toBe(400);
      expect(over.body.error).toMatchObject({ code: 'SUP_SET_4001', details: { available: 100 } });
      // A refused request changes nothing, so its code still works.
      const all = await withdraw(h, who, { withdraw_amount: 100, sms_code: code });
      expect(all.status, all.raw).toBe(201);
      expect(all.body.data).toMatchObject({ fee_amount: 1, net_amount: 99 });
      expect(await expectBooksAgree(h, who.id)).toMatchObject({ available: 0n, frozen: yuan(100) });
    });
  });

  describe('the SMS code', () => {
    it('counts wrong codes, locks withdrawals after five (even with the right code) for 15 minutes, and resets on success', async () => {
      const who = await funded(100);
      const code = await withdrawCode(h, who);
      const wrong = code === '000000' ? '999999' : '000000';
      for (let left = 4; left >= 1; left--) {
        const res = await withdraw(h, who, { withdraw_amount: 10, sms_code: wrong });
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'SUP_SET_4003', details: { attempts_left: left } });
      }
      const fifth = await withdraw(h, who, { withdraw_amount: 10, sms_code: wrong });
      const lockedUntil = new Date(clock.now().getTime() + 15 * MINUTE).toISOString();
      expect(fifth.body.error).toMatchObject({ code: 'SUP_SET_4003', details: { locked_until: lockedUntil } });

      const right = await withdraw(h, who, { withdraw_amount: 10, sms_code: code });
      expect(right.status).toBe(400);
      expect(right.body.error).toMatchObject({ code: 'SUP_SET_4003', message: expect.stringContaining('locked') });
      expect((await h.call(who, 'POST', `${SETTLEMENTS}/sms-code`)).body.error.code).toBe('SUP_SET_4003');
      expect((await h.call(who, 'GET', '/api/v1/supply/profile')).body.data.withdraw_locked_until).toBe(lockedUntil);

      clock.advance(15 * MINUTE - 1000);
      expect((await withdraw(h, who, { withdraw_amount: 10, sms_code: code })).body.error.message).toContain('locked');
      clock.advance(1000);
      // The lock is over; the old code has expired meanwhile (a wrong code again, the first of a new count).
      const expired = await withdraw(h, who, { withdraw_amount: 10, sms_code: code });
      expect(expired.body.error).toMatchObject({ code: 'SUP_SET_4003', details: { attempts_left: 4 } });
      const ok = await withdraw(h, who, { withdraw_amount: 10, sms_code: await withdrawCode(h, who) });
      expect(ok.status, ok.raw).toBe(201);
      const [row] = await h.t.database.db.select().from(suppliers).where(eq(suppliers.userId, who.id));
      expect(row).toMatchObject({ smsFailures: 0, withdrawLockedUntil: null });
    });

    it('sends withdrawal codes at most once a minute (429)', async () => {
      const who = await funded(10);
      await withdrawCode(h, who);
      const again = await h.call(who, 'POST', `${SETTLEMENTS}/sms-code`);
      expect(again.status).toBe(429);
      expect(again.body.error.code).toBe('SUP_SET_4291');
    });
  });

  describe('rules between withdrawals', () => {
    it('allows one open withdrawal (409 SUP_SET_4091), also for a double submit of the same code', async () => {
      const who = await funded(100);
      const code = await withdrawCode(h, who);
      const first = await withdraw(h, who, { withdraw_amount: 10, sms_code: code });
      expect(first.status).toBe(201);
      const doubled = await withdraw(h, who, { withdraw_amount: 10, sms_code: code });
      expect(doubled.status).toBe(409);
      expect(doubled.body.error).toMatchObject({ code: 'SUP_SET_4091', details: { settlement_id: first.body.data.settlement_id } });
      clock.advance(16 * MINUTE);
      const later = await withdraw(h, who, { withdraw_amount: 10, sms_code: await withdrawCode(h, who) });
      expect(later.body.error.code).toBe('SUP_SET_4091');
    });

    it('refuses a used code once nothing is open (400 SUP_SET_4003)', async () => {
      const who = await funded(100);
      const code = await withdrawCode(h, who);
      const first = await withdraw(h, who, { withdraw_amount: 10, sms_code: code });
      await h.call(who, 'POST', `${SETTLEMENTS}/${first.body.data.settlement_id}/cancel`);
      const reused = await withdraw(h, who, { withdraw_amount: 10, sms_code: code });
      expect(reused.body.error).toMatchObject({ code: 'SUP_SET_4003', message: expect.stringContaining('already used') });
    });

    it('limits one withdrawal to ¥50 000 (400 SUP_SET_4002)', async () => {
      const who = await funded(50_000, 10_000);
      const code = await withdrawCode(h, who);
      const over = await withdraw(h, who, { withdraw_amount: 50_000.01, sms_code: code });
      expect(over.body.error).toMatchObject({ code: 'SUP_SET_4002', details: { limit: 'per_withdrawal' } });
      expect((await withdraw(h, who, { withdraw_amount: 50_000, sms_code: code })).status).toBe(201);
    });

    it('keeps withdrawals 15 minutes apart, cancelled ones included (400 SUP_SET_4002)', async () => {
      const who = await funded(100);
      const first = await withdraw(h, who, { withdraw_amount: 10, sms_code: await withdrawCode(h, who) });
      expect((await h.call(who, 'POST', `${SETTLEMENTS}/${first.body.data.settlement_id}/cancel`)).status).toBe(200);
      clock.advance(MINUTE);
      const code = await withdrawCode(h, who);
      const soon = await withdraw(h, who, { withdraw_amount: 10, sms_code: code });
      expect(soon.body.error).toMatchObject({ code: 'SUP_SET_4002', details: { limit: 'cooldown', retry_after_seconds: 14 * 60 } });
      clock.advance(14 * MINUTE);
      const ok = await withdraw(h, who, { withdraw_amount: 10, sms_code: await withdrawCode(h, who) });
      expect(ok.status, ok.raw).toBe(201);
    });
  });

  describe('cancelling', () => {
    it('returns a pending withdrawal’s funds and records, once (then 409 SUP_SET_4092)', async () => {
      const who = await funded(70, 50);
      const created = await withdraw(h, who, { withdraw_amount: 100, sms_code: await withdrawCode(h, who) });
      const id = created.body.data.settlement_id;
      clock.advance(1000);
      const res = await h.call(who, 'POST', `${SETTLEMENTS}/${id}/cancel`);
      expect(res.status, res.raw).toBe(200);
      expect(res.body.data).toEqual({ settlement_id: id, status: 'failed', updated_at: clock.now().toISOString() });
      expect((await h.call(who, 'GET', `${SETTLEMENTS}/${id}`)).body.data).toMatchObject({ status: 'failed', failure_reason: 'cancelled' });
      expect(await expectBooksAgree(h, who.id)).toMatchObject({ available: yuan(120), frozen: 0n });
      expect((await recordsOf(who.id)).every((r) => r.status === 'available' && r.settlementId === null)).toBe(true);
      const [event] = await h.t.database.db.select().from(auditEvents).where(and(eq(auditEvents.objectId, String(id)), eq(auditEvents.action, 'settlement.cancel')));
      expect(event).toMatchObject({ actorUserId: who.id, tenantUserId: who.id, before: { status: 'pending' }, after: { status: 'failed', failure_reason: 'cancelled' } });

      const again = await h.call(who, 'POST', `${SETTLEMENTS}/${id}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('SUP_SET_4092');
    });

    it('answers 404 for another supplier’s withdrawal or an unknown one, 401 without a token, 400 for a bad id', async () => {
      const owner = await funded(10);
      const id = (await withdraw(h, owner, { withdraw_amount: 5, sms_code: await withdrawCode(h, owner) })).body.data.settlement_id;
      const other = await h.supplier();
      for (const url of [`${SETTLEMENTS}/${id}/cancel`, `${SETTLEMENTS}/999999999/cancel`]) {
        const res = await h.call(other, 'POST', url);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('SUP_SET_4041');
      }
      expect((await h.call(undefined, 'POST', `${SETTLEMENTS}/${id}/cancel`)).status).toBe(401);
      expect((await h.t.request({ method: 'POST', url: `${SETTLEMENTS}/abc/cancel`, headers: owner.auth })).statusCode).toBe(400);
      expect((await h.call(owner, 'GET', `${SETTLEMENTS}/${id}`)).body.data.status).toBe('pending');
    });
  });

  describe('listing', () => {
    it('lists the caller’s withdrawals newest first with the account masked, and nobody else’s', async () => {
      const who = await funded(100);
      const first = await withdraw(h, who, { withdraw_amount: 10, sms_code: await withdrawCode(h, who), payment_account: '6222021234567890123', payment_method: 'bank' });
      await h.call(who, 'POST', `${SETTLEMENTS}/${first.body.data.settlement_id}/cancel`);
      clock.advance(15 * MINUTE);
      const second = await withdraw(h, who, { withdraw_amount: 20, sms_code: await withdrawCode(h, who) });
      const list = await h.call(who, 'GET', SETTLEMENTS);
      expect(list.status).toBe(200);
      expect(list.body.pagination).toEqual({ page: 1, page_size: 20, total: 2 });
      expect(list.body.data.map((s: { settlement_id: number }) => s.settlement_id)).toEqual([second.body.data.settlement_id, first.body.data.settlement_id]);
      expect(list.body.data[1]).toMatchObject({ payment_account: '6222****0123', status: 'failed', failure_reason: 'cancelled', total_amount: 10 });
      expect(list.body.data[0]).toMatchObject({ payment_account: 'supp****.com', status: 'pending', completed_at: null });
      expect(list.raw).not.toContain('6222021234567890123');
      expect(list.raw).not.toContain('supplier@example.com');

      const paged = await h.call(who, 'GET', `${SETTLEMENTS}?page=2&page_size=1`);
      expect(paged.body.data.map((s: { settlement_id: number }) => s.settlement_id)).toEqual([first.body.data.settlement_id]);
      expect((await h.call(who, 'GET', `${SETTLEMENTS}?status=pending`)).body.data).toHaveLength(1);
      expect((await h.call(who, 'GET', `${SETTLEMENTS}?page_size=201`)).status).toBe(400);

      const detail = await h.call(who, 'GET', `${SETTLEMENTS}/${second.body.data.settlement_id}`);
      expect(detail.body.data).toMatchObject({ settlement_id: second.body.data.settlement_id, payment_account: 'supp****.com', fee_amount: 0.2, net_amount: 19.8 });

      const other = await h.supplier();
      expect((await h.call(other, 'GET', SETTLEMENTS)).body).toMatchObject({ data: [], pagination: { total: 0 } });
      expect((await h.call(other, 'GET', `${SETTLEMENTS}/${second.body.data.settlement_id}`)).status).toBe(404);
      expect((await h.call(undefined, 'GET', SETTLEMENTS)).status).toBe(401);
      expect((await h.call(undefined, 'GET', `${SETTLEMENTS}/${second.body.data.settlement_id}`)).status).toBe(401);
    });
  });

  describe('the statement', () => {
    it('is a signed 15-minute link to a CSV of the settlement and the records it holds', async () => {
      const who = await funded(30, 25);
      const created = await withdraw(h, who, { withdraw_amount: 40, sms_code: await withdrawCode(h, who), payment_account: '=cmd|"/c calc"!A1' });
      const id = created.body.data.settlement_id;
      const held = (await recordsOf(who.id)).filter((r) => r.settlementId === id);
      await h.t.database.db.update(supplyEarnings).set({ description: '=1+1, "quoted"' }).where(eq(supplyEarnings.id, held[0]?.id as number));

      const res = await h.call(who, 'GET', `${SETTLEMENTS}/${id}/statement`);
      expect(res.status, res.raw).toBe(200);
      const data = res.body.data;
      expect(data).toMatchObject({
        settlement_id: id, file_name: `settlement-${created.body.data.settlement_no}.csv`, expires_at: new Date(clock.now().getTime() + 15 * MINUTE).toISOString(),
      });
      const url = new URL(data.download_url);
      expect(`${url.origin}`).toBe(h.t.config.publicBaseUrl);
      expect(url.pathname).toBe(`/files/settlement-statements/${id}.csv`);

      const file = await h.t.request({ method: 'GET', url: `${url.pathname}${url.search}` });
      expect(file.statusCode, file.body).toBe(200);
      expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(file.headers['content-disposition']).toBe(`attachment; filename="settlement-${created.body.data.settlement_no}.csv"`);
      const lines = file.body.split('\r\n');
      expect(lines.slice(0, 12)).toEqual([
        `settlement_id,${id}`, `settlement_no,${created.body.data.settlement_no}`, 'status,pending', 'total_amount,40.00', 'fee_amount,0.40', 'net_amount,39.60',
        'payment_method,alipay', 'payment_account,"\'=cmd****""!A1"', 'payout_reference,', 'failure_reason,', `created_at,${created.body.data.created_at}`, 'completed_at,',
      ]);
      expect(lines[12]).toBe('');
      expect(lines[13]).toBe('record_id,earnings_type,amount,status,earn_day,earned_at,requests,tokens,description');
      const rows = lines.slice(14).filter(Boolean);
      expect(rows).toEqual([
        `${held[0]?.id},usage,30.00,frozen,${held[0]?.earnDay},${held[0]?.earnedAt.toISOString()},7,4200,"'=1+1, ""quoted"""`,
        `${held[1]?.id},usage,10.00,frozen,${held[1]?.earnDay},${held[1]?.earnedAt.toISOString()},7,4200,usage record`,
      ]);

      const signature = url.searchParams.get('signature') as string;
      const expires = url.searchParams.get('expires') as string;
      const forged = [
        `${url.pathname}?expires=${expires}&signature=${signature.slice(0, -2)}${signature.endsWith('00') ? '11' : '00'}`,
        `${url.pathname}?expires=${Number(expires) + 3600}&signature=${signature}`,
        `/files/settlement-statements/${id + 1}.csv?expires=${expires}&signature=${signature}`,
        `${url.pathname}?expires=${expires}`,
        url.pathname,
      ];
      for (const path of forged) expect((await h.t.request({ method: 'GET', url: path })).statusCode, path).toBe(403);
      expect((await h.t.request({ method: 'GET', url: `/files/settlement-statements/${id}.pdf${url.search}` })).statusCode).toBe(404);

      clock.advance(15 * MINUTE + 1000);
      const expired = await h.t.request({ method: 'GET', url: `${url.pathname}${url.search}` });
      expect(expired.statusCode).toBe(403);
      expect(expired.json()).toMatchObject({ code: 403, data: null });
    });

    it('answers 404 for another supplier’s or an unknown settlement, 401 without a token', async () => {
      const owner = await funded(10);
      const id = (await withdraw(h, owner, { withdraw_amount: 5, sms_code: await withdrawCode(h, owner) })).body.data.settlement_id;
      const other = await h.supplier();
      expect((await h.call(other, 'GET', `${SETTLEMENTS}/${id}/statement`)).body.error.code).toBe('SUP_SET_4041');
      expect((await h.call(owner, 'GET', `${SETTLEMENTS}/999999999/statement`)).status).toBe(404);
      expect((await h.call(undefined, 'GET', `${SETTLEMENTS}/${id}/statement`)).status).toBe(401);
      expect((await h.t.request({ method: 'GET', url: `${SETTLEMENTS}/0/statement`, headers: owner.auth })).statusCode).toBe(400);
    });
  });

  it('refuses every withdrawal route without a token', async () => {
    const body = { withdraw_amount: 1, payment_method: 'bank', payment_account: '6222021234567890123', sms_code: '123456' };
    for (const [url, payload] of [[`${SETTLEMENTS}/withdraw`, body], [`${SETTLEMENTS}/sms-code`, undefined]] as const) {
      const res = await h.call(undefined, 'POST', url, { payload, headers: { 'idempotency-key': 'no-token-1' } });
      expect(res.status, url).toBe(401);
      expect(res.body.error.code).toBe('SUP_SET_4011');
    }
  });
});
