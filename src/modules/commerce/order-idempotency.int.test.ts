import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { commitFailures } from '../../../test/helpers/commit-failures.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { callbackBody, ledgerCheck, postCallback, rechargeAndPay, SANDBOX_ENV, standing } from '../../../test/helpers/payments.ts';
import { orders } from './commerce.tables.ts';

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

// The stored response of an Idempotency-Key commits with the order it answers for (platform/idempotency.ts): when the
// connection is lost right after that transaction commits, the client sees an error, and its retry with the same key
// gets the stored answer — no second order, no second charge, no second refund.
describe.each(DB_TIERS)('order idempotency across a failure after the commit on $name', (tier) => {
  const OPERATOR = { ADMIN_EMAIL: 'idem.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };
  const failures = commitFailures();
  let t: TestApp;
  let admin: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp(tier, { env: { ...SANDBOX_ENV, ...OPERATOR }, wrapDatabase: (database) => failures.wrap(database) });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username: OPERATOR.ADMIN_EMAIL, password: OPERATOR.ADMIN_PASSWORD } });
    admin = bearer(login.json().data.access_token);
  });
  afterAll(() => t?.close());

  const ordersOf = (userId: number) => t.database.db.select().from(orders).where(eq(orders.userId, userId));
  const post = (url: string, auth: Record<string, string>, key: string, payload: object) =>
    t.request({ method: 'POST', url, headers: { ...json, ...auth, 'idempotency-key': key }, payload });

  it('replays a recharge whose order committed before the connection was lost: one order', async () => {
    const u = await registerUser(t);
    failures.arm(async () => (await ordersOf(u.id)).length > 0);
    const lost = await post('/api/v1/credit/recharge', u.auth, 'recharge-lost-0001', { amount: 10, payment_method: 'alipay' });
    expect(lost.statusCode).toBe(500);
    expect(failures.fired()).toBe(1);

    const retry = await post('/api/v1/credit/recharge', u.auth, 'recharge-lost-0001', { amount: 10, payment_method: 'alipay' });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const rows = await ordersOf(u.id);
    expect(rows).toHaveLength(1);
    expect(retry.json().data).toMatchObject({ order_id: rows[0]?.orderNo, amount: 10, credits: 100 });
  });

  it('replays a recharge whose payment link was saved before the connection was lost, link included', async () => {
    const u = await registerUser(t);
    failures.arm(async () => (await ordersOf(u.id))[0]?.paymentUrl != null);
    const lost = await post('/api/v1/credit/recharge', u.auth, 'recharge-lost-0002', { amount: 20, payment_method: 'wechat' });
    expect(lost.statusCode).toBe(500);
    const retry = await post('/api/v1/credit/recharge', u.auth, 'recharge-lost-0002', { amount: 20, payment_method: 'wechat' });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const rows = await ordersOf(u.id);
    expect(rows).toHaveLength(1);
    expect(retry.json().data).toMatchObject({ order_id: rows[0]?.orderNo, payment_url: rows[0]?.paymentUrl });
  });

  it('replays a membership paid from the balance: charged once', async () => {
    const u = await registerUser(t);
    await rechargeAndPay(t, u.auth, 20);
    failures.arm(async () => (await ordersOf(u.id)).some((o) => o.kind === 'membership'));
    const body = { membership_type: 'monthly', payment_method: 'balance' };
    expect((await post('/api/v1/credit/membership', u.auth, 'member-lost-0001', body)).statusCode).toBe(500);
    const retry = await post('/api/v1/credit/membership', u.auth, 'member-lost-0001', body);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().data).toMatchObject({ status: 'paid', membership_end_date: expect.any(String) });
    expect((await ordersOf(u.id)).filter((o) => o.kind === 'membership')).toHaveLength(1);
    expect((await standing(t, u.auth)).credit_balance).toBe(101);
  });

  it('replays an operator refund instead of refusing it as already refunded', async () => {
    const u = await registerUser(t);
    const { order_id } = await rechargeAndPay(t, u.auth, 10);
    failures.arm(async () => (await t.database.db.select().from(orders).where(and(eq(orders.orderNo, order_id), eq(orders.status, 'refunded')))).length > 0);
    const url = `/api/v1/admin/orders/${order_id}/refund`;
    expect((await post(url, admin, 'refund-lost-0001', { reason: 'duplicate' })).statusCode).toBe(500);
    const retry = await post(url, admin, 'refund-lost-0001', { reason: 'duplicate' });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toMatchObject({ code: 200, message: '退款成功', data: { order_id, status: 'refunded' } });
    expect((await standing(t, u.auth)).credit_balance).toBe(0);
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
});
