import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { availableRecord, expectBooksAgree, verifiedSupplier, withdraw, withdrawCode, yuan, type PhoneActor } from '../../../test/helpers/withdrawals.ts';
import * as repo from './settlements.repo.ts';
import { supplySettlements } from './supply.tables.ts';

// Withdrawals that arrive at once. One open withdrawal per supplier and one withdrawal per Idempotency-Key, whatever
// interleaves; the books (records against ledger) agree afterwards. On PostgreSQL the requests really run in
// parallel (a pool of connections); on PGlite they interleave on one connection.

describe.each(DB_TIERS)('concurrent withdrawals on $name', (tier) => {
  let h: SupplyHarness;
  const clock = fakeClock();
  let recordDay = Date.parse('2026-01-01T02:00:00Z');

  beforeAll(async () => {
    h = await startSupply(tier, { clock });
  });
  afterAll(async () => {
    expect([...(h?.undeclared ?? [])]).toEqual([]);
    await h?.close();
  });

  async function funded(...amounts: number[]): Promise<PhoneActor> {
    const who = await verifiedSupplier(h);
    for (const a of amounts) await availableRecord(h, who.id, yuan(a), new Date((recordDay += 3600_000)));
    return who;
  }
  const settlementsOf = (supplierId: number) => h.t.database.db.select().from(supplySettlements).where(eq(supplySettlements.supplierUserId, supplierId));

  it('lets exactly one of two different withdrawals through; the other is 409 SUP_SET_4091', async () => {
    const who = await funded(40, 35, 25);
    const code = await withdrawCode(h, who);
    const results = await Promise.all([
      withdraw(h, who, { withdraw_amount: 60, sms_code: code, payment_method: 'bank', payment_account: '6222021234567890123' }),
      withdraw(h, who, { withdraw_amount: 70, sms_code: code, payment_method: 'wechat', payment_account: 'wx-supplier-01' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)?.body.error.code).toBe('SUP_SET_4091');
    const rows = await settlementsOf(who.id);
    expect(rows).toHaveLength(1);
    const b = await expectBooksAgree(h, who.id);
    expect(b.frozen + b.available).toBe(yuan(100));
    expect(b.frozen).toBe(rows[0]?.totalMicros);
  });

  it('stores one withdrawal for ten concurrent requests with the same Idempotency-Key', async () => {
    const who = await funded(30, 30, 40);
    const code = await withdrawCode(h, who);
    const results = await Promise.all(Array.from({ length: 10 }, () => withdraw(h, who, { withdraw_amount: 55.55, sms_code: code }, 'one-key-for-ten')));
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('SUP_SET_4091');
    }
    // Every 201 is the same withdrawal: the first, or its stored replay.
    expect(new Set(created.map((r) => r.body.data.settlement_id)).size).toBe(1);
    expect(created.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(await settlementsOf(who.id)).toHaveLength(1);
    expect(await expectBooksAgree(h, who.id)).toMatchObject({ available: yuan(44.45), frozen: yuan(55.55) });
  });

  it('keeps many suppliers’ simultaneous withdrawals apart, and the books agree for each', async () => {
    const whos = await Promise.all(Array.from({ length: 6 }, () => funded(10, 20, 30)));
    const codes = await Promise.all(whos.map((w) => withdrawCode(h, w)));
    const results = await Promise.all(whos.map((w, i) => withdraw(h, w, { withdraw_amount: 15 + i, sms_code: codes[i] as string })));
    expect(results.map((r) => r.status)).toEqual(whos.map(() => 201));
    for (const [i, w] of whos.entries()) {
      expect(await expectBooksAgree(h, w.id)).toMatchObject({ frozen: yuan(15 + i), available: yuan(45 - i) });
    }
  });

  it('lets either a cancel or an operator’s processing win, never both', async () => {
    const who = await funded(50);
    const created = await withdraw(h, who, { withdraw_amount: 50, sms_code: await withdrawCode(h, who) });
    const id = created.body.data.settlement_id;
    const [cancel, processed] = await Promise.all([
      h.call(who, 'POST', `/api/v1/supply/settlements/${id}/cancel`),
      h.call({ id: 0, auth: h.operator }, 'POST', `/api/v1/supply/admin/settlements/${id}/process`, { payload: { provider: 'manual' } }),
    ]);
    expect([cancel.status, processed.status].sort()).toEqual([200, 409]);
    const [row] = await settlementsOf(who.id);
    expect(row?.status).toBe(cancel.status === 200 ? 'failed' : 'processing');
    const b = await expectBooksAgree(h, who.id);
    expect(b.frozen).toBe(cancel.status === 200 ? 0n : yuan(50));
  });

  it('has the database refuse a second open withdrawal as a conflict to answer, not an error', async () => {
    const who = await funded(20);
    const created = await withdraw(h, who, { withdraw_amount: 10, sms_code: await withdrawCode(h, who) });
    expect(created.status).toBe(201);
    const now = clock.now();
    const second = await h.t.database.transaction((tx) =>
      repo.insert(tx, {
        settlementNo: `W${Date.now()}`, supplierUserId: who.id, status: 'pending', totalMicros: yuan(5), feeMicros: 0n, netMicros: yuan(5),
        paymentMethod: 'bank', paymentAccount: '6222021234567890123', createdAt: now, updatedAt: now,
      }),
    );
    expect(second).toBeUndefined();
    expect(await settlementsOf(who.id)).toHaveLength(1);
  });
});
