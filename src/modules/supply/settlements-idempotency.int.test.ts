import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitFailures } from '../../../test/helpers/commit-failures.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { availableRecord, expectBooksAgree, verifiedSupplier, withdraw, withdrawCode, WITHDRAW, yuan } from '../../../test/helpers/withdrawals.ts';
import { supplyAccounts, supplySettlements } from './supply.tables.ts';

// The stored response of an Idempotency-Key commits with the work it answers for (platform/idempotency.ts): when the
// connection is lost right after the withdrawal's (or the account's) transaction commits, the client sees an error,
// and its retry with the same key gets the stored answer — the work is not done again.

describe.each(DB_TIERS)('withdraw and account create: a failure after the commit on $name', (tier) => {
  let h: SupplyHarness;
  const failures = commitFailures();

  beforeAll(async () => {
    h = await startSupply(tier, { wrapDatabase: (database) => failures.wrap(database) });
  });
  afterAll(() => h?.close());

  it('answers the retry of a withdrawal with the stored 201, freezing the money once', async () => {
    const who = await verifiedSupplier(h);
    await availableRecord(h, who.id, yuan(300), new Date('2026-01-02T02:00:00Z'));
    const body = { withdraw_amount: 100, sms_code: await withdrawCode(h, who), payment_method: 'alipay', payment_account: 'supplier@example.com' };
    const key = 'wd-after-commit-0001';
    failures.arm(async (database) => (await database.db.select().from(supplySettlements).where(eq(supplySettlements.supplierUserId, who.id))).length > 0);

    const lost = await h.t.request({ method: 'POST', url: WITHDRAW, headers: { ...who.auth, 'content-type': 'application/json', 'idempotency-key': key }, payload: JSON.stringify(body) });
    expect(lost.statusCode).toBe(500);
    expect(failures.fired()).toBe(1);

    const retry = await withdraw(h, who, body, key);
    expect(retry.status, retry.raw).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const rows = await h.t.database.db.select().from(supplySettlements).where(eq(supplySettlements.supplierUserId, who.id));
    expect(rows).toHaveLength(1);
    expect(retry.body.data).toMatchObject({ settlement_id: rows[0]?.id, status: 'pending', total_amount: 100 });
    expect(await expectBooksAgree(h, who.id)).toMatchObject({ available: yuan(200), frozen: yuan(100) });
  });

  it('answers the retry of an account create with the stored 201, mounting the account once', async () => {
    const who = await h.supplier();
    const payload = JSON.stringify({ provider: 'openai', account_type: 'api_key', credential_input: h.credential(), risk_ack: true });
    const key = 'acct-after-commit-0001';
    const mine = async () => h.t.database.db.select().from(supplyAccounts).where(eq(supplyAccounts.supplierUserId, who.id));
    failures.arm(async () => (await mine()).length > 0);

    const headers = { ...who.auth, 'content-type': 'application/json', 'idempotency-key': key };
    const lost = await h.t.request({ method: 'POST', url: '/api/v1/supply/accounts', headers, payload });
    expect(lost.statusCode).toBe(500);

    const retry = await h.call(who, 'POST', '/api/v1/supply/accounts', { payload: JSON.parse(payload), headers: { 'idempotency-key': key } });
    expect(retry.status, retry.raw).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const rows = await mine();
    expect(rows).toHaveLength(1);
    expect(retry.body.data).toMatchObject({ account_id: rows[0]?.id, status: 'pending' });
    h.assertNoLeaks();
  });
});
