import crypto from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { ACCOUNTS } from '../../src/modules/ledger/accounts.ts';
import { createLedger } from '../../src/modules/ledger/ledger.service.ts';
import { supplyEarnings, type EarningStatus } from '../../src/modules/supply/supply.tables.ts';
import { systemClock } from '../../src/platform/time.ts';
import type { Actor, CallResult, SupplyHarness } from './supply.ts';

// Steps the withdrawal suites share: a supplier with a verified phone, the codes the sandbox SMS provider "sent"
// (read as an operator from /api/v1/admin/sms-outbox), earnings records placed at chosen times, and the books.

export interface PhoneActor extends Actor {
  phone: string;
}

export const WITHDRAW = '/api/v1/supply/settlements/withdraw';

/** A mainland mobile number no other test uses. */
export const freshPhone = () => `139${crypto.randomInt(0, 100_000_000).toString().padStart(8, '0')}`;

/** The code in the newest message the sandbox sent to `phone`. */
export async function lastCode(h: SupplyHarness, phone: string): Promise<string> {
  const res = await h.t.request({ method: 'GET', url: `/api/v1/admin/sms-outbox?phone=${phone}&page_size=1`, headers: h.operator });
  expect(res.statusCode, res.body).toBe(200);
  const content = res.json().data.items[0]?.content as string | undefined;
  const code = /验证码 (\d{6})/.exec(content ?? '')?.[1];
  if (!code) throw new Error(`no code was sent to ${phone}: ${res.body}`);
  return code;
}

/** A supplier whose phone is verified (the profile's SMS round trip; the first phone is approved with the password). */
export async function verifiedSupplier(h: SupplyHarness): Promise<PhoneActor> {
  const who = await h.supplier();
  const phone = freshPhone();
  const sent = await h.call(who, 'POST', '/api/v1/supply/profile/sms-code', { payload: { phone } });
  expect(sent.status, sent.raw).toBe(200);
  const saved = await h.call(who, 'PUT', '/api/v1/supply/profile', { payload: { phone, sms_code: await lastCode(h, phone), password: who.password } });
  expect(saved.status, saved.raw).toBe(200);
  return { ...who, phone };
}

/** Asks for a withdrawal code and reads it from the outbox. */
export async function withdrawCode(h: SupplyHarness, who: PhoneActor): Promise<string> {
  const sent = await h.call(who, 'POST', '/api/v1/supply/settlements/sms-code');
  expect(sent.status, sent.raw).toBe(200);
  return lastCode(h, who.phone);
}

export function withdraw(
  h: SupplyHarness,
  who: Actor,
  body: { withdraw_amount: number; sms_code: string; payment_method?: string; payment_account?: string },
  key: string | null = `wd-${crypto.randomUUID()}`,
): Promise<CallResult> {
  return h.call(who, 'POST', WITHDRAW, {
    payload: { payment_method: 'alipay', payment_account: 'supplier@example.com', ...body },
    headers: key === null ? {} : { 'idempotency-key': key },
  });
}

/** An available earnings record earned at `earnedAt` (negative: a refund), with its money, as the earnings module writes them. */
export function availableRecord(h: SupplyHarness, supplierId: number, micros: bigint, earnedAt: Date, type: 'usage' | 'bonus' | 'refund' = micros < 0n ? 'refund' : 'usage') {
  return h.grantAvailable(supplierId, micros, { earnedAt, type, requests: 7, tokens: 4200, description: `${type} record` });
}

/** Σ records per status and the ledger's balances: the two must always agree. */
export async function books(h: SupplyHarness, supplierId: number) {
  const rows = await h.t.database.db
    .select({ status: supplyEarnings.status, total: sql<string>`sum(${supplyEarnings.amountMicros})::text` })
    .from(supplyEarnings)
    .where(eq(supplyEarnings.supplierUserId, supplierId))
    .groupBy(supplyEarnings.status);
  const records: Record<EarningStatus, bigint> = { pending: 0n, available: 0n, frozen: 0n, withdrawn: 0n };
  for (const r of rows) records[r.status] = BigInt(r.total);
  const ledger = createLedger({ database: h.t.database, clock: systemClock });
  return {
    records,
    available: await ledger.balance(ACCOUNTS.supplierAvailable(supplierId)),
    frozen: await ledger.balance(ACCOUNTS.supplierFrozen(supplierId)),
    withdrawn: await ledger.balance(ACCOUNTS.supplierWithdrawn(supplierId)),
    feeIncome: await ledger.balance(ACCOUNTS.withdrawFeeIncome),
  };
}

/** The books agree: available and frozen records equal their ledger accounts. */
export async function expectBooksAgree(h: SupplyHarness, supplierId: number) {
  const b = await books(h, supplierId);
  expect(b.records.available, 'Σ available records = supplierAvailable').toBe(b.available);
  expect(b.records.frozen, 'Σ frozen records = supplierFrozen').toBe(b.frozen);
  return b;
}

export const yuan = (n: number) => BigInt(Math.round(n * 100)) * 10_000n;
