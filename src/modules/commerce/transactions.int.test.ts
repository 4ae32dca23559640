import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import {
  buyMembership, createRecharge, ledgerCheck, payOrder, postCallback, callbackBody, rechargeAndPay, SANDBOX_ENV,
} from '../../../test/helpers/payments.ts';

// The read side of the wallet: GET /api/v1/credit/balance, /transactions, /recharge/orders, /membership/orders.
// Pagination as the studio's best practices say (page, page_size default 20 and at most 100, total); each user
// sees only their own rows. The clock starts at 2026-03-01T12:00:00 UTC+8.

type User = Awaited<ReturnType<typeof registerUser>>;
type Txn = { id: number; type: string; amount: number; balance_after: number; description: string; reference: string };

describe.each(DB_TIERS)('credit queries on $name', (tier) => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  const orderIds: { paid: string[]; pending: string; failed: string; membership: string[] } = { paid: [], pending: '', failed: '', membership: [] };

  const get = (url: string, user: User | undefined) => t.request({ method: 'GET', url, headers: user?.auth ?? {} });

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV, clock: fakeClock() });
    alice = await registerUser(t);
    bob = await registerUser(t);
    // 23 recharges of ¥1..¥23 and two memberships: 25 wallet movements.
    for (let yuan = 1; yuan <= 23; yuan++) orderIds.paid.push((await rechargeAndPay(t, alice.auth, yuan)).order_id);
    for (const type of ['monthly', 'quarterly']) orderIds.membership.push((await buyMembership(t, alice.auth, type)).json().data.order_id);
    orderIds.pending = (await createRecharge(t, alice.auth, 50, 'wechat')).order_id;
    orderIds.failed = (await createRecharge(t, alice.auth, 60)).order_id;
    await postCallback(t, callbackBody(orderIds.failed, { status: 'failed' }));
  });
  afterAll(() => t?.close());

  it('shows a new user a zero balance and no membership', async () => {
    const res = await get('/api/v1/credit/balance', bob);
    expect(res.json()).toEqual({
      code: 200,
      message: 'success',
      data: { credit_balance: 0, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' },
    });
  });

  it('shows the balance and membership of the caller', async () => {
    // 10 + 20 + … + 230 = 2760 credits, less 99 and 250 for the memberships.
    expect((await get('/api/v1/credit/balance', alice)).json().data).toEqual({
      credit_balance: 2411,
      is_member: true,
      membership_type: 'quarterly',
      membership_end_date: '2026-07-01T12:00:00',
      owed_amount: 0,
      billing_mode: 'prepaid',
    });
  });

  it('pages the movements 20 at a time by default, newest first, with the total', async () => {
    const body = (await get('/api/v1/credit/transactions', alice)).json();
    expect(body).toMatchObject({ code: 200, message: 'success', data: { total: 25, page: 1, page_size: 20 } });
    const items = body.data.items as Txn[];
    expect(items).toHaveLength(20);
    expect(items.slice(0, 2).map((i) => [i.type, i.amount, i.balance_after])).toEqual([
      ['membership', -250, 2411],
      ['membership', -99, 2661],
    ]);
    expect(items[2]).toMatchObject({ type: 'recharge', amount: 230, balance_after: 2760, description: '充值23.00元', reference: orderIds.paid[22] });
  });

  it('chains balance_after: each movement leaves the balance the one before left plus its amount', async () => {
    const items = (await get('/api/v1/credit/transactions?page_size=100', alice)).json().data.items as Txn[];
    expect(items).toHaveLength(25);
    const oldestFirst = [...items].reverse();
    let balance = 0;
    for (const item of oldestFirst) {
      balance += item.amount;
      expect(item.balance_after).toBe(balance);
    }
    expect(new Set(items.map((i) => i.id)).size).toBe(25);
    expect(items.map((i) => i.id)).toEqual([...items.map((i) => i.id)].sort((a, b) => b - a));
  });

  it('serves the next page, and an empty page past the end', async () => {
    const page2 = (await get('/api/v1/credit/transactions?page=2&page_size=20', alice)).json().data;
    expect(page2).toMatchObject({ total: 25, page: 2, page_size: 20 });
    expect(page2.items.map((i: Txn) => i.amount)).toEqual([50, 40, 30, 20, 10]);
    const page9 = (await get('/api/v1/credit/transactions?page=9&page_size=5', alice)).json().data;
    expect(page9).toEqual({ total: 25, page: 9, page_size: 5, items: [] });
  });

  it.each(['page_size=101', 'page_size=0', 'page=0', 'page=-1', 'page=abc', 'page_size=1.5'])('refuses ?%s with 400', async (query) => {
    for (const path of ['transactions', 'recharge/orders', 'membership/orders']) {
      const res = await get(`/api/v1/credit/${path}?${query}`, alice);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.any(String), data: null });
    }
  });

  it('lists the recharge orders of the caller with their state, newest first', async () => {
    const data = (await get('/api/v1/credit/recharge/orders?page_size=100', alice)).json().data;
    expect(data).toMatchObject({ total: 25, page: 1, page_size: 100 });
    const [failed, pending, newestPaid] = data.items;
    expect(failed).toMatchObject({ order_id: orderIds.failed, status: 'failed', payment_url: null, paid_at: null });
    expect(pending).toEqual({
      order_id: orderIds.pending,
      status: 'pending',
      payment_method: 'wechat',
      amount: 50,
      original_amount: 50,
      discount: 0,
      credits: 500,
      bonus_credits: 0,
      membership_type: null,
      payment_url: expect.stringMatching(new RegExp(`^${t.config.publicBaseUrl}/pay/sandbox/${orderIds.pending}\\?payer=`)),
      created_at: '2026-03-01T12:00:00',
      expires_at: '2026-03-01T12:30:00',
      paid_at: null,
    });
    expect(newestPaid).toMatchObject({ order_id: orderIds.paid[22], status: 'paid', amount: 23, credits: 230, paid_at: '2026-03-01T12:00:00' });
    expect(data.items.every((o: { order_id: string }) => o.order_id.startsWith('R'))).toBe(true);
  });

  it('lists the membership orders of the caller', async () => {
    const data = (await get('/api/v1/credit/membership/orders', alice)).json().data;
    expect(data).toMatchObject({ total: 2, page: 1, page_size: 20 });
    expect(data.items.map((o: { order_id: string; membership_type: string; payment_method: string; status: string }) =>
      [o.order_id, o.membership_type, o.payment_method, o.status])).toEqual([
      [orderIds.membership[1], 'quarterly', 'balance', 'paid'],
      [orderIds.membership[0], 'monthly', 'balance', 'paid'],
    ]);
  });

  it("shows another user none of alice's movements or orders", async () => {
    for (const path of ['transactions', 'recharge/orders', 'membership/orders']) {
      expect((await get(`/api/v1/credit/${path}`, bob)).json().data).toEqual({ total: 0, page: 1, page_size: 20, items: [] });
    }
  });

  it("does not let another user's callback-paid order leak into their lists", async () => {
    const { order_id } = await createRecharge(t, bob.auth, 5);
    await payOrder(t, order_id);
    const aliceOrders = (await get('/api/v1/credit/recharge/orders?page_size=100', alice)).json().data;
    expect(aliceOrders.items.map((o: { order_id: string }) => o.order_id)).not.toContain(order_id);
    const bobOrders = (await get('/api/v1/credit/recharge/orders', bob)).json().data;
    expect(bobOrders.items.map((o: { order_id: string }) => o.order_id)).toEqual([order_id]);
  });

  it('answers 401 to every query without a token', async () => {
    for (const path of ['balance', 'transactions', 'recharge/orders', 'membership/orders']) {
      const res = await get(`/api/v1/credit/${path}`, undefined);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 401, message: expect.any(String), data: null });
    }
  });

  it('leaves the books balanced', async () => {
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
});
