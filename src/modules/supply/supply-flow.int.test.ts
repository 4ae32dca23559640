import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import { contractOperations } from '../../../test/helpers/contract.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { startSupply, type Actor, type SupplyHarness } from '../../../test/helpers/supply.ts';
import { systemClock } from '../../platform/time.ts';
import { ACCOUNTS } from '../ledger/accounts.ts';
import { createLedger } from '../ledger/ledger.service.ts';

// The "done when", end to end on one app: a supplier mounts an account against a fake provider, publishes a
// package, the gateway serves an OpenAI SDK request through it, the earnings mature, the supplier verifies a phone,
// withdraws with an SMS code and downloads the statement; an operator reviews, processes and audits it all. Every
// one of the contract's 17 operations is called here and each response validated against the YAML.

const HOUR = 3600_000;
const MODEL = 'gpt-4o-mini';
const PHONE = '13812345678';

describe.each(DB_TIERS)('the supply console end to end on $name', (tier) => {
  let h: SupplyHarness;
  let supplier: Actor;
  const operator = () => ({ id: 0, auth: h.operator });
  const clock = fakeClock(new Date());
  const ledger = () => createLedger({ database: h.t.database, clock: systemClock });
  let account = 0;
  let pkg = 0;

  /** The latest code the sandbox SMS provider sent to PHONE. */
  async function latestCode(): Promise<string> {
    const res = await h.t.request({ method: 'GET', url: `/api/v1/admin/sms-outbox?phone=${PHONE}`, headers: h.operator });
    expect(res.statusCode, res.body).toBe(200);
    const code = /\b(\d{6})\b/.exec(res.json().data.items[0]?.content ?? '')?.[1];
    expect(code).toBeDefined();
    return code as string;
  }

  beforeAll(async () => {
    h = await startSupply(tier, { clock });
    supplier = await h.supplier();
    // The package sells at ¥200 000 / ¥400 000 per 1M tokens (round sums below): the buyers' price must allow it.
    const priced = await h.t.request({
      method: 'PUT', url: `/api/v1/admin/model-prices/${MODEL}`, headers: h.operator, payload: { provider: 'openai', input_price: 200_000, output_price: 400_000 },
    });
    expect(priced.statusCode, priced.body).toBe(200);
  });
  afterAll(async () => {
    h?.assertNoLeaks();
    h?.assertOnlyDeclaredStatuses();
    await h?.close();
  });

  it('mounts an account after verifying it, and an operator can see it', async () => {
    const credential = h.credential();
    const verify = await h.call(supplier, 'POST', '/api/v1/supply/accounts/verify', { payload: { provider: 'openai', account_type: 'api_key', credential_input: credential } });
    expect(verify.body.data.verify_status).toBe('pass');
    const created = await h.call(supplier, 'POST', '/api/v1/supply/accounts', {
      payload: { provider: 'openai', account_type: 'api_key', credential_input: credential, account_alias: 'flow', risk_ack: true }, headers: { 'idempotency-key': 'flow-account-0001' },
    });
    expect(created.status).toBe(201);
    account = created.body.data.account_id;
    expect((await h.call(supplier, 'POST', `/api/v1/supply/accounts/${account}/activate`)).body.data.status).toBe('active');
    const listed = await h.call(operator(), 'GET', `/api/v1/supply/admin/accounts?supplier_user_id=${supplier.id}`);
    expect(listed.body.data.map((a: { account_id: number }) => a.account_id)).toEqual([account]);
  });

  it('publishes a package the gateway serves an OpenAI SDK request through', async () => {
    const draft = await h.call(supplier, 'POST', '/api/v1/supply/packages/draft', {
      payload: { supply_account_id: account, model: MODEL, total_quota: 1_000_000, price_per_1m_input: 200_000, price_per_1m_output: 400_000, valid_days: 30 },
    });
    expect(draft.status).toBe(201);
    pkg = draft.body.data.package_id;
    expect((await h.call(supplier, 'POST', `/api/v1/supply/packages/${pkg}/publish`)).body.data.status).toBe('active');
    const buyer = await h.buyer(1000);
    for (let i = 0; i < 10; i += 1) {
      const completion = await buyer.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 12 });
      expect(completion.usage?.total_tokens).toBe(13);
    }
    // Each request: 1 × ¥0.2 + 12 × ¥0.4 = ¥5.00; the supplier earns 90 %: ¥4.50, pending.
    const records = await h.call(supplier, 'GET', '/api/v1/supply/earnings/records');
    expect(records.status).toBe(200);
    expect(records.body.data).toEqual([expect.objectContaining({ earnings_type: 'usage', status: 'pending', amount: 45, user_id: supplier.id })]);
    const billing = await h.call(supplier, 'GET', '/api/v1/supplier/billing');
    expect(billing.body.data.summary).toMatchObject({ total_revenue: 50, total_orders: 10, total_usage: 130, total_requests: 10, avg_success_rate: 1, platform_fee: 5, net_earnings: 45 });
    expect(billing.body.data.by_platform).toEqual(expect.arrayContaining([expect.objectContaining({ platform: 'api', revenue: 50, orders: 10, tokens: 130 })]));
  });

  it('matures the earnings after the hold, verifies a phone and withdraws with an SMS code', async () => {
    clock.advance(50 * HOUR);
    supplier = await h.relogin(supplier);
    const matured = await h.t.app.tollgateJobs.find((j) => j.name === 'supply.earnings-mature')?.handler({});
    expect(matured).toMatchObject({ matured: 1 });
    expect(await ledger().balance(ACCOUNTS.supplierAvailable(supplier.id))).toBe(45_000_000n);

    const noPhone = await h.call(supplier, 'POST', '/api/v1/supply/settlements/withdraw', {
      payload: { withdraw_amount: 20, payment_method: 'alipay', payment_account: 'supplier@example.com', sms_code: '123456' }, headers: { 'idempotency-key': 'flow-withdraw-000' },
    });
    expect(noPhone.status).toBe(400);

    expect((await h.call(supplier, 'POST', '/api/v1/supply/profile/sms-code', { payload: { phone: PHONE } })).status).toBeLessThan(300);
    const verified = await h.call(supplier, 'PUT', '/api/v1/supply/profile', { payload: { phone: PHONE, sms_code: await latestCode(), password: supplier.password } });
    expect(verified.status, verified.raw).toBe(200);

    expect((await h.call(supplier, 'POST', '/api/v1/supply/settlements/sms-code')).status).toBeLessThan(300);
    const withdraw = await h.call(supplier, 'POST', '/api/v1/supply/settlements/withdraw', {
      payload: { withdraw_amount: 20, payment_method: 'alipay', payment_account: 'supplier@example.com', sms_code: await latestCode() }, headers: { 'idempotency-key': 'flow-withdraw-001' },
    });
    expect(withdraw.status, withdraw.raw).toBe(201);
    expect(withdraw.body.data).toMatchObject({ status: 'pending', total_amount: 20, fee_amount: 0.2, net_amount: 19.8, payment_method: 'alipay' });
    const id = withdraw.body.data.settlement_id;
    expect(await ledger().balance(ACCOUNTS.supplierFrozen(supplier.id))).toBe(20_000_000n);
    expect(await ledger().balance(ACCOUNTS.supplierAvailable(supplier.id))).toBe(25_000_000n);

    const statement = await h.call(supplier, 'GET', `/api/v1/supply/settlements/${id}/statement`);
    expect(statement.status).toBe(200);
    const url = new URL(statement.body.data.download_url);
    const csv = await h.t.request({ method: 'GET', url: `${url.pathname}${url.search}` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body).toContain(withdraw.body.data.settlement_no);

    // The operator pays it out by hand.
    expect((await h.call(operator(), 'POST', `/api/v1/supply/admin/settlements/${id}/process`, { payload: { provider: 'manual' } })).status).toBe(200);
    const cancelLate = await h.call(supplier, 'POST', `/api/v1/supply/settlements/${id}/cancel`);
    expect(cancelLate.status).toBe(409);
    expect(cancelLate.body.error.code).toBe('SUP_SET_4092');
    const done = await h.call(operator(), 'POST', `/api/v1/supply/admin/settlements/${id}/complete`, { payload: { reference: 'ALIPAY-TX-0001' } });
    expect(done.status, done.raw).toBe(200);
    expect(await ledger().balance(ACCOUNTS.supplierWithdrawn(supplier.id))).toBe(19_800_000n);
    expect(await ledger().balance(ACCOUNTS.supplierFrozen(supplier.id))).toBe(0n);

    // A second withdrawal after the cooldown, cancelled: the funds come back.
    clock.advance(16 * 60_000);
    await h.call(supplier, 'POST', '/api/v1/supply/settlements/sms-code');
    const second = await h.call(supplier, 'POST', '/api/v1/supply/settlements/withdraw', {
      payload: { withdraw_amount: 5, payment_method: 'bank', payment_account: '6222020200112233445', sms_code: await latestCode() }, headers: { 'idempotency-key': 'flow-withdraw-002' },
    });
    expect(second.status, second.raw).toBe(201);
    const cancelled = await h.call(supplier, 'POST', `/api/v1/supply/settlements/${second.body.data.settlement_id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await ledger().balance(ACCOUNTS.supplierAvailable(supplier.id))).toBe(25_000_000n);
    const records = await h.call(supplier, 'GET', '/api/v1/supply/earnings/records?page_size=200');
    const statuses = records.body.data.map((r: { status: string }) => r.status);
    expect(statuses).toContain('withdrawn');
    expect(await ledger().check()).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('runs the rest of the catalogue: prices, pause, unlist, clone, suspend, audit log, delete', async () => {
    const batch = await h.call(supplier, 'POST', '/api/v1/supply/packages/batch-price', { payload: { items: [{ package_id: pkg, price_per_1m_input: 1, price_per_1m_output: 2 }] } });
    expect(batch.body.data).toMatchObject({ total: 1, success_count: 1, failed_count: 0 });
    expect((await h.call(supplier, 'POST', `/api/v1/supply/packages/${pkg}/pause`)).body.data.status).toBe('paused');
    expect((await h.call(supplier, 'POST', `/api/v1/supply/packages/${pkg}/unlist`)).body.data.status).toBe('expired');
    expect((await h.call(supplier, 'POST', `/api/v1/supply/packages/${pkg}/clone`)).status).toBe(201);
    expect((await h.call(supplier, 'POST', `/api/v1/supply/accounts/${account}/suspend`)).body.data.status).toBe('suspended');
    const audit = await h.call(supplier, 'GET', `/api/v1/supply/accounts/${account}/audit-logs`);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['account.suspend', 'account.activate', 'account.create']);
    expect((await h.call(supplier, 'DELETE', `/api/v1/supply/accounts/${account}`)).status).toBe(204);
  });

  it('has exercised every operation of the contract', async () => {
    const called = new Set([...h.covered].map((c) => c.split(' ')[0]));
    expect((await contractOperations()).filter((op) => !called.has(op))).toEqual([]);
  });
});
