import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { callbackBody, ledgerCheck, postCallback, rechargeAndPay, SANDBOX_ENV, standing } from '../../../test/helpers/payments.ts';

const json = { 'content-type': 'application/json' };

describe.each(DB_TIERS)('order idempotency and notice limits on $name', (tier) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ...SANDBOX_ENV, RATE_LIMIT_OTHER_PER_MIN: '3' } });
  });
  afterAll(() => t?.close());

  const buy = (auth: Record<string, string>, key: string, membership_type = 'monthly') =>
    t.request({
      method: 'POST',
      url: '/api/v1/credit/membership',
      headers: { ...json, ...auth, 'idempotency-key': key },
      payload: { membership_type, payment_method: 'balance' },
    });

  it('buys once when a balance purchase is sent twice with one Idempotency-Key', async () => {
    const u = await registerUser(t);
    await rechargeAndPay(t, u.auth, 20);
    const first = await buy(u.auth, 'double-click-0001');
    const second = await buy(u.auth, 'double-click-0001');
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().data.order_id).toBe(first.json().data.order_id);
    expect((await standing(t, u.auth)).credit_balance).toBe(101);
  });

  it('refuses the same key with another body (409) and moves no money', async () => {
    const u = await registerUser(t);
    await rechargeAndPay(t, u.auth, 30);
    await buy(u.auth, 'reused-key-0002');
    const other = await buy(u.auth, 'reused-key-0002', 'quarterly');
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 409, data: null });
    expect((await standing(t, u.auth)).credit_balance).toBe(201);
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('does not rate-limit payment notices by the studio table', async () => {
    const u = await registerUser(t);
    const orders = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.request({
        method: 'POST',
        url: '/api/v1/credit/recharge',
        headers: { ...json, ...u.auth, 'idempotency-key': `limit-test-${i}-0000` },
        payload: { amount: 1, payment_method: 'wechat' },
      });
      expect(res.statusCode).toBe(200);
      orders.push(res.json().data.order_id as string);
    }
    // The user's fourth write inside the minute is limited…
    const limited = await t.request({ method: 'POST', url: '/api/v1/credit/recharge', headers: { ...json, ...u.auth }, payload: { amount: 1, payment_method: 'wechat' } });
    expect(limited.statusCode).toBe(429);
    // …but five notices from one address are all handled.
    for (const orderId of [...orders, ...orders.slice(0, 2)]) {
      const res = await postCallback(t, callbackBody(orderId, { payment_method: 'wechat', transaction_id: `txn-${orderId}` }));
      expect(res.statusCode).toBe(200);
    }
    expect((await standing(t, u.auth)).credit_balance).toBe(30);
  });
});
