import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { buyMembership, ledgerCheck, payOrder, rechargeAndPay, SANDBOX_ENV, standing, walletSnapshot } from '../../../test/helpers/payments.ts';
import { ledgerTransfers } from '../ledger/ledger.tables.ts';
import { memberships, orders } from './commerce.tables.ts';

// POST /api/v1/credit/membership: monthly ¥9.9, quarterly ¥25, yearly ¥99, paid from credits at once or through a
// provider. A purchase while still a member stacks on the current end date. Dates are UTC+8 `YYYY-MM-DDTHH:mm:ss`.
// The clock starts at 2026-03-01T12:00:00 in UTC+8.

type User = Awaited<ReturnType<typeof registerUser>>;
const DAY = 24 * 3600 * 1000;

describe.each(DB_TIERS)('membership on $name', (tier) => {
  let t: TestApp;
  const clock = fakeClock();

  const me = async (user: User) => (await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).json().data;
  const rows = async () => ({
    orders: Number((await t.database.db.select({ n: count() }).from(orders))[0]?.n),
    transfers: Number((await t.database.db.select({ n: count() }).from(ledgerTransfers))[0]?.n),
    memberships: await t.database.db.select().from(memberships),
  });
  /** A user holding `yuan` × 10 credits. */
  async function userWith(yuan: number): Promise<User> {
    const user = await registerUser(t);
    if (yuan > 0) await rechargeAndPay(t, user.auth, yuan);
    return user;
  }

  /** Moves the clock on; access tokens live 2 h, so the user logs in again. */
  async function later(ms: number, user: User): Promise<User> {
    clock.advance(ms);
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: user.password } });
    return { ...user, auth: { authorization: `Bearer ${res.json().data.access_token}` } };
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV, clock });
  });
  afterAll(() => t?.close());

  it('sells a monthly membership for ¥9.9 of credits at once, visible in /auth/me and /credit/balance', async () => {
    const user = await userWith(10);
    const res = await buyMembership(t, user.auth, 'monthly', 'balance');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      code: 200,
      message: '会员开通成功',
      data: {
        order_id: expect.stringMatching(/^M\d{20}$/),
        membership_type: 'monthly',
        amount: 9.9,
        original_amount: 9.9,
        discount: 0,
        status: 'paid',
        payment_url: null,
        membership_end_date: '2026-04-01T12:00:00',
      },
    });
    const expected = { credit_balance: 1, is_member: true, membership_type: 'monthly', membership_end_date: '2026-04-01T12:00:00' };
    expect(await standing(t, user.auth)).toEqual({ ...expected, owed_amount: 0, billing_mode: 'prepaid' });
    expect(await me(user)).toMatchObject(expected);
    const { transactions } = await walletSnapshot(t, user.auth);
    expect(transactions[0]).toMatchObject({ type: 'membership', amount: -99, balance_after: 1, description: '购买月度会员', reference: res.json().data.order_id });
  });

  it.each([
    ['quarterly', 25, 250, '2026-06-01T12:00:00'],
    ['yearly', 99, 990, '2027-03-01T12:00:00'],
  ])('sells a %s membership for ¥%d (%d credits)', async (type, yuan, credits, end) => {
    const user = await userWith(yuan + 1);
    const res = await buyMembership(t, user.auth, type, 'balance');
    expect(res.json().data).toMatchObject({ membership_type: type, amount: yuan, status: 'paid', membership_end_date: end });
    expect(await standing(t, user.auth)).toEqual({ credit_balance: 10, is_member: true, membership_type: type, membership_end_date: end, owed_amount: 0, billing_mode: 'prepaid' });
    expect((await walletSnapshot(t, user.auth)).transactions[0]).toMatchObject({ type: 'membership', amount: -credits, balance_after: 10 });
  });

  it('refuses a balance payment the credits do not cover with 40001, and writes nothing', async () => {
    const user = await userWith(9.8);
    const before = await rows();
    const res = await buyMembership(t, user.auth, 'monthly', 'balance');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 40001, message: expect.any(String), data: null });
    expect(await rows()).toEqual(before);
    expect(await standing(t, user.auth)).toEqual({ credit_balance: 98, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' });
  });

  it('refuses a balance payment with no credits at all with 40001', async () => {
    const user = await userWith(0);
    const res = await buyMembership(t, user.auth, 'yearly', 'balance');
    expect(res.json().code).toBe(40001);
    expect((await walletSnapshot(t, user.auth)).memberships).toEqual({});
  });

  it('sells a membership through the sandbox: pending until paid, then a member with the credits untouched', async () => {
    const user = await userWith(1);
    const res = await buyMembership(t, user.auth, 'quarterly', 'wechat');
    expect(res.statusCode).toBe(200);
    const data = res.json().data;
    expect(res.json().message).toBe('会员订单创建成功');
    expect(data).toMatchObject({ membership_type: 'quarterly', amount: 25, status: 'pending', membership_end_date: null });
    expect(data.payment_url.startsWith(`${t.config.publicBaseUrl}/pay/sandbox/${data.order_id}?payer=`)).toBe(true);
    expect((await standing(t, user.auth)).is_member).toBe(false);

    await payOrder(t, data.order_id, { payment_method: 'wechat' });
    expect(await standing(t, user.auth)).toEqual({ credit_balance: 10, is_member: true, membership_type: 'quarterly', membership_end_date: '2026-06-01T12:00:00', owed_amount: 0, billing_mode: 'prepaid' });
    const after = await walletSnapshot(t, user.auth);
    expect(after.memberships).toEqual({ [data.order_id]: 'paid' });
    expect(after.transactions).toHaveLength(1);
  });

  it('extends a second purchase from the current end date, not from now', async () => {
    let user = await userWith(40);
    await buyMembership(t, user.auth, 'monthly', 'balance');
    user = await later(10 * DAY, user);
    const res = await buyMembership(t, user.auth, 'quarterly', 'balance');
    expect(res.json().data.membership_end_date).toBe('2026-07-01T12:00:00');
    const expected = { is_member: true, membership_type: 'quarterly', membership_end_date: '2026-07-01T12:00:00' };
    expect(await standing(t, user.auth)).toMatchObject(expected);
    expect(await me(user)).toMatchObject(expected);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: user.password } });
    expect(login.json().data.user).toMatchObject({ credit_balance: 51, is_member: true, membership_type: 'quarterly' });
  });

  it('stacks a sandbox-paid purchase on a balance-paid one', async () => {
    const user = await userWith(10);
    const first = (await buyMembership(t, user.auth, 'monthly', 'balance')).json().data.membership_end_date;
    const pending = (await buyMembership(t, user.auth, 'yearly', 'alipay')).json().data;
    await payOrder(t, pending.order_id);
    const end = (await standing(t, user.auth)).membership_end_date as string;
    expect(end.slice(4)).toBe(first.slice(4));
    expect(Number(end.slice(0, 4))).toBe(Number(first.slice(0, 4)) + 1);
  });

  it('starts from now again once the membership has lapsed', async () => {
    let user = await userWith(20);
    await buyMembership(t, user.auth, 'monthly', 'balance');
    user = await later(40 * DAY, user);
    expect(await standing(t, user.auth)).toMatchObject({ is_member: false, membership_type: null, membership_end_date: null });
    const now = clock.now();
    const res = await buyMembership(t, user.auth, 'monthly', 'balance');
    const start = new Date(now.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 19);
    const end = res.json().data.membership_end_date as string;
    expect(end.slice(8)).toBe(start.slice(8));
    expect(Number(end.slice(5, 7))).toBe((Number(start.slice(5, 7)) % 12) + 1);
  });

  describe('bad input: 400, nothing written', () => {
    it.each([
      ['an unknown membership_type', { membership_type: 'weekly', payment_method: 'balance' }],
      ['a membership_type in another case', { membership_type: 'Monthly', payment_method: 'balance' }],
      ['a missing membership_type', { payment_method: 'balance' }],
      ['an unknown payment_method', { membership_type: 'monthly', payment_method: 'cash' }],
      ['an unknown field', { membership_type: 'monthly', payment_method: 'balance', months: 12 }],
      ['a price of its own', { membership_type: 'monthly', payment_method: 'balance', amount: 0.01 }],
    ])('refuses %s', async (_what, payload) => {
      const user = await userWith(100);
      const before = await rows();
      const res = await t.request({
        method: 'POST',
        url: '/api/v1/credit/membership',
        headers: { 'content-type': 'application/json', ...user.auth },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.any(String), data: null });
      expect(await rows()).toEqual(before);
    });

    it('answers 401 without a token', async () => {
      const before = await rows();
      const res = await buyMembership(t, {}, 'monthly', 'balance');
      expect(res.statusCode).toBe(401);
      expect(await rows()).toEqual(before);
    });
  });

  it('leaves the books balanced', async () => {
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
});
