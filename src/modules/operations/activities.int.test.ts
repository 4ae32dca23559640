import { and, count, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { buyMembership, createRecharge, ledgerCheck, payOrder, SANDBOX_ENV, standing } from '../../../test/helpers/payments.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { orders } from '../commerce/commerce.tables.ts';
import { ledgerAccounts, ledgerPostings, ledgerTransfers } from '../ledger/ledger.tables.ts';
import { activities, activityParticipations } from './operations.tables.ts';

// /api/v1/operation/activities: operators create them, everyone signed in lists them, and a credit_gift is joined
// once per user inside its window (UTC+8), 40010 outside it. Membership discounts and first-purchase offers price
// real orders; a registration gift arrives with the account. The clock starts at 2026-03-01T12:00:00 UTC+8 and only
// moves forward; every test leaves the ledger check clean.

const OPERATOR = { ADMIN_EMAIL: 'activities@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const json = { 'content-type': 'application/json' };
const SECOND = 1000;
const MINUTE = 60 * SECOND;
type User = Awaited<ReturnType<typeof registerUser>>;

describe.each(DB_TIERS)('activities on $name', (tier) => {
  const clock = fakeClock();
  let t: TestApp;
  let admin: Record<string, string>;

  /** The studio time `ms` from now. */
  const at = (ms: number) => formatStudioTime(new Date(clock.now().getTime() + ms));
  const create = (payload: unknown, headers: Record<string, string> = admin) =>
    t.request({ method: 'POST', url: '/api/v1/operation/activities', headers: { ...json, ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
  async function activity(over: Record<string, unknown>): Promise<number> {
    const res = await create({ name: '活动', type: 'credit_gift', config: { credits: 100 }, start_time: at(-MINUTE), end_time: at(10 * MINUTE), ...over });
    if (res.statusCode !== 200) throw new Error(`activity create failed: ${res.body}`);
    return res.json().data.id;
  }
  const participate = (id: number | string, headers: Record<string, string>) =>
    t.request({ method: 'POST', url: `/api/v1/operation/activities/${id}/participate`, headers });
  const list = (query: string, headers: Record<string, string>) => t.request({ method: 'GET', url: `/api/v1/operation/activities?${query}`, headers });
  const activityCount = async () => Number((await t.database.db.select({ n: count() }).from(activities))[0]?.n);
  const transfersOf = async (kind: string, reference: string) =>
    t.database.db.select().from(ledgerTransfers).where(and(eq(ledgerTransfers.kind, kind), eq(ledgerTransfers.reference, reference)));
  /** The postings of the one transfer of `kind` for `reference`, by account code. */
  async function postingsOf(kind: string, reference: string) {
    const rows = await t.database.db
      .select({ code: ledgerAccounts.code, amount: ledgerPostings.amount })
      .from(ledgerPostings)
      .innerJoin(ledgerTransfers, eq(ledgerTransfers.id, ledgerPostings.transferId))
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerPostings.accountId))
      .where(and(eq(ledgerTransfers.kind, kind), eq(ledgerTransfers.reference, reference)));
    return Object.fromEntries(rows.map((r) => [r.code, r.amount]));
  }
  const orderRow = async (orderNo: string) => (await t.database.db.select().from(orders).where(eq(orders.orderNo, orderNo)))[0];

  async function login(username: string, password: string) {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
    return bearer(res.json().data.access_token);
  }
  /** Moves the clock on; sessions last 2 h, so the operator signs in again. */
  async function advance(ms: number) {
    clock.advance(ms);
    admin = await login(OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { ...SANDBOX_ENV, ...OPERATOR } });
    admin = await login(OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);
  });
  afterEach(async () => {
    if (t) expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
  afterAll(() => t?.close());

  describe('create', () => {
    const body = { name: '新用户注册送积分', type: 'credit_gift', description: '新用户注册即送100积分', config: { credits: 100 }, start_time: '2026-03-01T00:00:00', end_time: '2026-03-31T23:59:59' };

    it('creates an activity for an operator and answers the spec shape', async () => {
      const res = await create(body);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ code: 200, message: '活动创建成功', data: { id: expect.any(Number), name: '新用户注册送积分', status: 'active' } });
      const [row] = await t.database.db.select().from(activities).where(eq(activities.id, res.json().data.id));
      // The spec's times are UTC+8: midnight on 1 March there is 16:00 UTC the day before.
      expect(row).toMatchObject({ type: 'credit_gift', config: { credits: 100, on: 'participate' }, startsAt: new Date('2026-02-28T16:00:00Z'), endsAt: new Date('2026-03-31T15:59:59Z') });
    });

    it('refuses everyone but operators: 401 without a session, 403 for a user, nothing written', async () => {
      const user = await registerUser(t);
      const before = await activityCount();
      const anonymous = await create(body, {});
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ code: 401, data: null });
      const forbidden = await create(body, user.auth);
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toMatchObject({ code: 403, data: null });
      expect(await activityCount()).toBe(before);
    });

    it.each([
      ['a NUL byte in the name', JSON.stringify({ ...body, name: 'a\u0000b' })],
      ['a NUL byte in the description', JSON.stringify({ ...body, description: 'x\u0000' })],
      ['an unknown type', { ...body, type: 'lottery' }],
      ['credits as a string', { ...body, config: { credits: '100' } }],
      ['fractional credits', { ...body, config: { credits: 1.5 } }],
      ['zero credits', { ...body, config: { credits: 0 } }],
      ['a config of another type', { ...body, config: { percent: 10 } }],
      ['an unknown config field', { ...body, config: { credits: 10, bonus: 1 } }],
      ['a gift given on an unknown event', { ...body, config: { credits: 10, on: 'login' } }],
      ['a 100 % membership discount', { ...body, type: 'membership_discount', config: { percent: 100 } }],
      ['a fractional percent', { ...body, type: 'first_purchase', config: { percent: 12.5 } }],
      ['a discount amount with 3 decimals', { ...body, type: 'membership_discount', config: { amount: 1.005 } }],
      ['both percent and credits', { ...body, type: 'first_purchase', config: { percent: 10, credits: 10 } }],
      ['an empty name', { ...body, name: '  ' }],
      ['a day that does not exist', { ...body, start_time: '2026-02-30T00:00:00' }],
      ['a time that is not one', { ...body, end_time: 'tomorrow' }],
      ['the end before the start', { ...body, start_time: '2026-03-02T00:00:00', end_time: '2026-03-01T00:00:00' }],
      ['the end at the start', { ...body, end_time: body.start_time }],
      ['an unknown field', { ...body, priority: 1 }],
      ['no config', { ...body, config: undefined }],
    ])('answers 400 in the studio envelope for %s, and writes nothing', async (_what, payload) => {
      const before = await activityCount();
      const res = await create(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.any(String), data: null });
      expect(await activityCount()).toBe(before);
    });
  });

  describe('list', () => {
    it('filters by status computed from the window, pages newest first, and needs a session', async () => {
      const user = await registerUser(t);
      const totals = async () =>
        Object.fromEntries(await Promise.all(['active', 'upcoming', 'ended'].map(async (s) => [s, (await list(`status=${s}`, user.auth)).json().data.total])));
      const before = await totals();
      const upcoming = await activity({ name: '即将开始', start_time: at(60 * MINUTE), end_time: at(120 * MINUTE) });
      const ended = await activity({ name: '已结束', start_time: '2026-01-01T00:00:00', end_time: '2026-02-01T00:00:00' });
      const active = await activity({ name: '进行中', type: 'membership_discount', config: { amount: 2.5 } });
      expect(await totals()).toEqual({ active: before.active + 1, upcoming: before.upcoming + 1, ended: before.ended + 1 });

      const activeItems = (await list('status=active&page_size=100', user.auth)).json().data.items;
      expect(activeItems.map((a: { status: string }) => a.status).every((s: string) => s === 'active')).toBe(true);
      expect(activeItems.find((a: { id: number }) => a.id === active)).toEqual({
        id: active, name: '进行中', type: 'membership_discount', description: '', config: { amount: 2.5 },
        start_time: at(-MINUTE), end_time: at(10 * MINUTE), status: 'active', participated: false, created_at: at(0),
      });
      expect((await list('status=upcoming&page_size=100', user.auth)).json().data.items.map((a: { id: number }) => a.id)).toContain(upcoming);
      expect((await list('status=ended&page_size=100', user.auth)).json().data.items.map((a: { id: number }) => a.id)).toContain(ended);

      const all = (await list('page_size=100', user.auth)).json().data;
      const first = (await list('page=1&page_size=2', user.auth)).json().data;
      const second = (await list('page=2&page_size=2', user.auth)).json().data;
      expect(first).toMatchObject({ total: all.total, page: 1, page_size: 2 });
      expect(first.items.map((a: { id: number }) => a.id)).toEqual([active, ended]);
      expect(second.items.map((a: { id: number }) => a.id)).toEqual(all.items.slice(2, 4).map((a: { id: number }) => a.id));

      expect((await list('', {})).statusCode).toBe(401);
      expect((await list('status=running', user.auth)).statusCode).toBe(400);
      expect((await list('page_size=101', user.auth)).statusCode).toBe(400);
    });
  });

  describe('participate', () => {
    it('pays a credit_gift once to a user who sends 50 requests at once: one reward, one transfer from promo expense', async () => {
      const id = await activity({ name: '签到送积分', config: { credits: 100 } });
      const user = await registerUser(t);
      const answers = await Promise.all(Array.from({ length: 50 }, () => participate(id, user.auth)));
      const ok = answers.filter((r) => r.statusCode === 200);
      expect(ok).toHaveLength(1);
      expect(ok[0]?.json()).toEqual({ code: 200, message: '参与成功', data: { activity_id: id, type: 'credit_gift', status: 'completed', reward_credits: 100 } });
      expect(answers.filter((r) => r.statusCode === 409)).toHaveLength(49);
      expect((await standing(t, user.auth)).credit_balance).toBe(100);
      const rows = await t.database.db.select().from(activityParticipations).where(eq(activityParticipations.activityId, id));
      expect(rows).toMatchObject([{ userId: user.id, status: 'completed', reward: 10_000_000n }]);
      expect(await transfersOf('gift', `activity:${id}`)).toHaveLength(1);
      const mine = (await list('status=active&page_size=100', user.auth)).json().data.items.find((a: { id: number }) => a.id === id);
      expect(mine.participated).toBe(true);
    });

    it('pays each of 20 users who join at once', async () => {
      const id = await activity({ config: { credits: 7 } });
      const users = await Promise.all(Array.from({ length: 20 }, () => registerUser(t)));
      const answers = await Promise.all(users.map((u) => participate(id, u.auth)));
      expect(answers.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      expect(await transfersOf('gift', `activity:${id}`)).toHaveLength(20);
      for (const u of users.slice(0, 3)) expect((await standing(t, u.auth)).credit_balance).toBe(7);
    });

    // The window's edges in Beijing time, for every activity type: activity-windows.int.test.ts.

    it('refuses what cannot be joined: automatic activities and registration gifts 400, unknown 404, no session 401', async () => {
      const user = await registerUser(t);
      for (const over of [
        { type: 'membership_discount', config: { percent: 10 } },
        { type: 'first_purchase', config: { credits: 10 } },
        { type: 'referral_bonus', config: { credits: 10 } },
        { type: 'credit_gift', config: { credits: 10, on: 'register' } },
      ]) {
        const id = await activity({ ...over, start_time: at(-MINUTE), end_time: at(MINUTE) });
        const res = await participate(id, user.auth);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 400, data: null });
      }
      expect((await participate(99_999_999, user.auth)).json()).toMatchObject({ code: 404, data: null });
      expect((await participate('1e3', user.auth)).statusCode).toBe(400);
      expect((await participate(1, {})).statusCode).toBe(401);
      expect((await standing(t, user.auth)).credit_balance).toBe(0);
      await advance(2 * MINUTE);
    });
  });

  describe('orders', () => {
    it('prices membership orders with the best live membership discount and records it; recharges are not discounted', async () => {
      const percent = await activity({ type: 'membership_discount', config: { percent: 20 } });
      const amount = await activity({ type: 'membership_discount', config: { amount: 5 } });
      const user = await registerUser(t);

      // ¥9.9: ¥5 off beats 20 % (¥1.98). ¥99: 20 % (¥19.80) beats ¥5.
      const monthly = await buyMembership(t, user.auth, 'monthly', 'alipay');
      expect(monthly.json().data).toMatchObject({ amount: 4.9, original_amount: 9.9, discount: 5, status: 'pending' });
      const yearly = await buyMembership(t, user.auth, 'yearly', 'alipay');
      expect(yearly.json().data).toMatchObject({ amount: 79.2, original_amount: 99, discount: 19.8 });
      expect(await orderRow(monthly.json().data.order_id)).toMatchObject({ activityId: amount, payAmount: 4_900_000n, discount: 5_000_000n });
      expect(await orderRow(yearly.json().data.order_id)).toMatchObject({ activityId: percent });

      await payOrder(t, monthly.json().data.order_id);
      const after = await standing(t, user.auth);
      expect(after).toMatchObject({ is_member: true, membership_type: 'monthly' });
      // The ¥5 is the platform's: promo expense pays it to revenue alongside the ¥4.90 the member paid.
      expect(await postingsOf('membership', monthly.json().data.order_id)).toEqual({
        'clearing:sandbox': -4_900_000n, 'platform:promo_expense': -5_000_000n, 'platform:revenue': 9_900_000n,
      });

      const recharge = await createRecharge(t, user.auth, 10);
      expect(recharge).toMatchObject({ amount: 10, credits: 100 });
      expect((await orderRow(recharge.order_id))?.activityId).toBeNull();

      await advance(11 * MINUTE);
      const user2 = await login(user.username, user.password);
      expect((await buyMembership(t, user2, 'monthly', 'alipay')).json().data).toMatchObject({ amount: 9.9, discount: 0 });
    });

    // The issue: a membership discount "applies to membership orders in its window" — all of them, unlike the
    // once-per-user gifts and first-purchase offers. The participation row stays one per user.
    it('discounts every membership order a user pays in its window, not only the first; one participation row names the first', async () => {
      const id = await activity({ type: 'membership_discount', config: { amount: 3 } });
      const user = await registerUser(t);
      const buy = async () => (await buyMembership(t, user.auth, 'monthly', 'alipay')).json().data;
      const first = await buy();
      await payOrder(t, first.order_id);
      const more = await Promise.all([buy(), buy(), buy()]);
      await Promise.all(more.map((o) => payOrder(t, o.order_id)));
      for (const o of [first, ...more]) {
        expect(o).toMatchObject({ amount: 6.9, original_amount: 9.9, discount: 3 });
        expect((await orderRow(o.order_id))?.activityId).toBe(id);
        expect(await postingsOf('membership', o.order_id)).toEqual({ 'clearing:sandbox': -6_900_000n, 'platform:promo_expense': -3_000_000n, 'platform:revenue': 9_900_000n });
      }
      const parts = await t.database.db.select().from(activityParticipations).where(eq(activityParticipations.activityId, id));
      expect(parts).toMatchObject([{ userId: user.id, status: 'completed', orderNo: first.order_id, reward: 0n }]);
      expect((await list('status=active&page_size=100', user.auth)).json().data.items.find((a: { id: number }) => a.id === id).participated).toBe(true);
      await advance(11 * MINUTE);
    });

    it('gives a first-purchase bonus on the first order only, paid with the order from promo expense', async () => {
      const id = await activity({ type: 'first_purchase', config: { credits: 20 } });
      const user = await registerUser(t);
      const first = await createRecharge(t, user.auth, 10);
      expect(first).toMatchObject({ amount: 10, credits: 120, bonus_credits: 20 });
      await payOrder(t, first.order_id);
      expect((await standing(t, user.auth)).credit_balance).toBe(120);
      // One transfer: the ¥10 paid buys 100 credits, promo expense gives the 20 bonus credits (¥2) beside them.
      expect(await postingsOf('recharge', first.order_id)).toEqual({
        'clearing:sandbox': -10_000_000n, 'platform:promo_expense': -2_000_000n, [`user:${user.id}:wallet`]: 12_000_000n,
      });
      const second = await createRecharge(t, user.auth, 10);
      expect(second).toMatchObject({ credits: 100, bonus_credits: 0 });
      await payOrder(t, second.order_id);
      expect((await standing(t, user.auth)).credit_balance).toBe(220);
      expect(await postingsOf('recharge', second.order_id)).toEqual({ 'clearing:sandbox': -10_000_000n, [`user:${user.id}:wallet`]: 10_000_000n });
      const parts = await t.database.db.select().from(activityParticipations).where(eq(activityParticipations.activityId, id));
      expect(parts).toMatchObject([{ userId: user.id, status: 'completed', orderNo: first.order_id, reward: 2_000_000n }]);
      await advance(11 * MINUTE);
    });

    it('holds a first-purchase discount for one pending order at a time, and lets a new order take it once that one lapses', async () => {
      const id = await activity({ type: 'first_purchase', config: { percent: 50 }, end_time: at(2 * 3600 * SECOND) });
      const user = await registerUser(t);
      const first = await createRecharge(t, user.auth, 10);
      expect(first).toMatchObject({ amount: 5, credits: 100 });
      // While the first order can still be paid, a second one pays the full price.
      expect(await createRecharge(t, user.auth, 10)).toMatchObject({ amount: 10 });

      clock.advance(31 * MINUTE);
      const auth = await login(user.username, user.password);
      const third = await createRecharge(t, auth, 20);
      expect(third).toMatchObject({ amount: 10, credits: 200 });
      await payOrder(t, third.order_id);
      expect((await standing(t, auth)).credit_balance).toBe(200);
      expect(await createRecharge(t, auth, 10)).toMatchObject({ amount: 10 });
      const parts = await t.database.db.select().from(activityParticipations).where(eq(activityParticipations.activityId, id));
      expect(parts).toMatchObject([{ userId: user.id, status: 'completed', orderNo: third.order_id }]);
      expect((await orderRow(third.order_id))?.activityId).toBe(id);
    });

    it('discounts one of 20 orders a new user opens at once', async () => {
      await activity({ type: 'first_purchase', config: { percent: 50 } });
      const user = await registerUser(t);
      const opened = await Promise.all(Array.from({ length: 20 }, () => createRecharge(t, user.auth, 10)));
      expect(opened.filter((o) => o.amount === 5)).toHaveLength(1);
      expect(opened.filter((o) => o.amount === 10)).toHaveLength(19);
      await Promise.all(opened.map((o) => payOrder(t, o.order_id)));
      expect((await standing(t, user.auth)).credit_balance).toBe(2000);
    });

    it('offers nothing to a user who has paid an order before the first-purchase activity began', async () => {
      const user = await registerUser(t);
      await payOrder(t, (await createRecharge(t, user.auth, 1)).order_id);
      await activity({ type: 'first_purchase', config: { percent: 30 } });
      expect(await createRecharge(t, user.auth, 10)).toMatchObject({ amount: 10, credits: 100, bonus_credits: 0 });
      await advance(3 * 3600 * SECOND);
    });
  });

  it('documents its routes in the OpenAPI document', async () => {
    const paths = Object.keys((await t.request({ method: 'GET', url: '/openapi.json' })).json().paths);
    expect(paths).toEqual(expect.arrayContaining([
      '/api/v1/operation/activities', '/api/v1/operation/activities/{activity_id}/participate',
      '/api/v1/operation/referral/generate', '/api/v1/operation/referral/records',
    ]));
  });

  describe('registration gifts', () => {
    it('credits a credit_gift given on registration with the new account, once, and not after the activity ends', async () => {
      const id = await activity({ name: '注册礼', config: { credits: 30, on: 'register' }, end_time: at(5 * MINUTE) });
      const name = `gifted${Date.now().toString(36)}`;
      const reg = await t.request({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: name, email: `${name}@example.com`, password: 'correct horse 1' } });
      expect(reg.statusCode).toBe(200);
      expect(reg.json().data.credit_balance).toBe(30);
      const auth = await login(name, 'correct horse 1');
      const tx = (await t.request({ method: 'GET', url: '/api/v1/credit/transactions', headers: auth })).json().data.items;
      expect(tx).toMatchObject([{ type: 'gift', amount: 30, balance_after: 30, description: '活动赠送：注册礼' }]);
      expect(await transfersOf('gift', `activity:${id}`)).toHaveLength(1);
      // Joining by hand is not how it is given.
      expect((await participate(id, auth)).statusCode).toBe(400);
      expect((await standing(t, auth)).credit_balance).toBe(30);

      clock.advance(5 * MINUTE + SECOND);
      const late = await registerUser(t);
      expect((await standing(t, late.auth)).credit_balance).toBe(0);
    });
  });
});
