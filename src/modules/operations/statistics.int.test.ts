import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { payOrder, SANDBOX_ENV } from '../../../test/helpers/payments.ts';
import { parseStudioTime } from '../../platform/time.ts';
import { users } from '../identity/identity.tables.ts';
import { createUserService } from '../identity/users.service.ts';
import { ledgerAccounts, ledgerPostings } from '../ledger/ledger.tables.ts';

// GET /api/v1/operation/statistics against a seeded history whose figures are worked out by hand below. Every time
// is UTC+8. Orders go through the real flows (sandbox payments, operator refunds, coupons, memberships) on a fake
// clock; registration times are set on the rows, since users.created_at is the database's clock.
//
//   user    registered          deleted        orders (paid with money unless said)
//   op      03-01 10:00         -              (the operator)
//   system  03-10 12:00         -              (the platform's own buyer: never counted)
//   A       03-05 10:00         -              R ¥10 paid 03-09 23:59:59, refunded 03-12 12:00;
//                                              R ¥20 + 10 bonus credits paid 03-10 00:00:00; R ¥40 left pending
//   B       03-10 09:00         -              R ¥50 paid 03-10 23:59:59, refunded 03-11 00:00:00
//   C       03-11 08:00         -              monthly ¥9.90 − ¥2 coupon = ¥7.90 paid 03-11 10:00 (member to 04-11)
//   D       03-12 23:59:59      -
//   E       03-13 00:00:00      -              R ¥30 paid 03-13 00:00:00
//   F       02-01 10:00         -              monthly ¥9.90 paid 02-11 12:00 (member until 03-11 12:00)
//   G       03-10 10:00         03-11 12:00
//   H       03-02 10:00         03-13 00:00:00
//   I       03-01 12:00         03-05 12:00
//   J       03-03 10:00         -              R ¥99 paid 03-03 10:30; yearly from credits 03-11 14:00 (member to 2027)
//   K       03-01 11:00         -              monthly ¥9.90 paid 03-12 20:00, refunded 03-12 21:00 (membership ends then)
//   L       03-12 10:00         -              R ¥0.10 paid 03-12 10:30
//   M       03-11 23:59:59      -

const json = { 'content-type': 'application/json' };
const OPERATOR = { ADMIN_EMAIL: 'statistics.ops@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const URL = '/api/v1/operation/statistics';
const at = (beijing: string) => parseStudioTime(beijing) as Date;

type Headers = Record<string, string>;
type Person = { id: number; username: string; password: string };

describe.each(DB_TIERS)('operator statistics on $name', (tier) => {
  const clock = fakeClock(at('2026-01-15T10:00:00'));
  let t: TestApp;
  const people: Record<string, Person> = {};

  /** A fresh session at the clock's current time (access tokens live 2 hours; the seeding spans weeks). */
  async function signIn(username: string, password: string): Promise<Headers> {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
    return { authorization: `Bearer ${res.json().data.access_token}` };
  }
  const as = (name: string) => signIn(people[name]!.username, people[name]!.password);
  const asOperator = () => signIn(OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);

  async function post(url: string, auth: Headers, payload: object) {
    const res = await t.request({ method: 'POST', url, headers: { ...json, ...auth }, payload });
    if (res.statusCode !== 200) throw new Error(`${url} failed: ${res.statusCode} ${res.body}`);
    return res.json().data;
  }

  /** Opens an order a minute before `paidAt` (orders expire after 30 minutes) and pays it at `paidAt`. */
  async function paidOrder(name: string, paidAt: string, url: string, payload: object): Promise<string> {
    clock.set(new Date(at(paidAt).getTime() - 60_000));
    const { order_id } = await post(url, await as(name), { payment_method: 'alipay', ...payload });
    clock.set(at(paidAt));
    await payOrder(t, order_id);
    return order_id;
  }
  const recharge = (name: string, paidAt: string, amount: number, coupon?: string) =>
    paidOrder(name, paidAt, '/api/v1/credit/recharge', { amount, ...(coupon ? { coupon_code: coupon } : {}) });
  const monthly = (name: string, paidAt: string, coupon?: string) =>
    paidOrder(name, paidAt, '/api/v1/credit/membership', { membership_type: 'monthly', ...(coupon ? { coupon_code: coupon } : {}) });

  async function refund(orderId: string, when: string) {
    clock.set(at(when));
    await post(`/api/v1/admin/orders/${orderId}/refund`, await asOperator(), { reason: 'statistics history' });
  }
  async function remove(name: string, when: string) {
    clock.set(at(when));
    await createUserService({ database: t.database, clock }).remove(people[name]!.id);
  }
  const registeredAt = (id: number, when: string) => t.database.db.update(users).set({ createdAt: at(when) }).where(eq(users.id, id));

  const statistics = (query: string, auth: Headers) => t.request({ method: 'GET', url: `${URL}?${query}`, headers: auth });
  async function figures(start: string, end: string) {
    const res = await statistics(`start_date=${start}&end_date=${end}`, await asOperator());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ code: 200, message: 'success' });
    return res.json().data;
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { ...SANDBOX_ENV, ...OPERATOR } });
    const registered: Record<string, string> = {
      A: '2026-03-05T10:00:00', B: '2026-03-10T09:00:00', C: '2026-03-11T08:00:00', D: '2026-03-12T23:59:59', E: '2026-03-13T00:00:00',
      F: '2026-02-01T10:00:00', G: '2026-03-10T10:00:00', H: '2026-03-02T10:00:00', I: '2026-03-01T12:00:00', J: '2026-03-03T10:00:00',
      K: '2026-03-01T11:00:00', L: '2026-03-12T10:00:00', M: '2026-03-11T23:59:59',
    };
    for (const [name, when] of Object.entries(registered)) {
      people[name] = await registerUser(t, `stats${name}${tier.name}`);
      await registeredAt(people[name]!.id, when);
    }
    const [operator] = await t.database.db.select({ id: users.id }).from(users).where(eq(users.email, OPERATOR.ADMIN_EMAIL));
    await registeredAt(operator!.id, '2026-03-01T10:00:00');
    await registeredAt((await createUserService({ database: t.database, clock }).systemUser()).id, '2026-03-10T12:00:00');

    const coupon = async (code: string, type: string, value: number) => {
      const { id } = await post('/api/v1/operation/coupons', await asOperator(), {
        code, name: code, type, value, max_usage: 10, valid_from: '2026-01-01T00:00:00', valid_until: '2026-12-31T23:59:59',
      });
      return id as number;
    };
    const bonus = await coupon('STATSBONUS10', 'credit_bonus', 10);
    const off = await coupon('STATSOFF2', 'deduction', 2);
    await post(`/api/v1/operation/coupons/${bonus}/claim`, await as('A'), {});
    await post(`/api/v1/operation/coupons/${off}/claim`, await as('C'), {});

    await monthly('F', '2026-02-11T12:00:00');
    await recharge('J', '2026-03-03T10:30:00', 99);
    await remove('I', '2026-03-05T12:00:00');
    const aTen = await recharge('A', '2026-03-09T23:59:59', 10);
    await recharge('A', '2026-03-10T00:00:00', 20, 'STATSBONUS10');
    const bFifty = await recharge('B', '2026-03-10T23:59:59', 50);
    await refund(bFifty, '2026-03-11T00:00:00');
    await monthly('C', '2026-03-11T10:00:00', 'STATSOFF2');
    await remove('G', '2026-03-11T12:00:00');
    clock.set(at('2026-03-11T14:00:00'));
    expect(await post('/api/v1/credit/membership', await as('J'), { membership_type: 'yearly', payment_method: 'balance' })).toMatchObject({ status: 'paid' });
    clock.set(at('2026-03-11T15:00:00'));
    await post('/api/v1/credit/recharge', await as('A'), { amount: 40, payment_method: 'alipay' });
    await recharge('L', '2026-03-12T10:30:00', 0.1);
    await refund(aTen, '2026-03-12T12:00:00');
    const kMonth = await monthly('K', '2026-03-12T20:00:00');
    await refund(kMonth, '2026-03-12T21:00:00');
    await recharge('E', '2026-03-13T00:00:00', 30);
    await remove('H', '2026-03-13T00:00:00');
    clock.set(at('2026-03-20T09:00:00'));
  }, 120_000);
  afterAll(() => t?.close());

  it('answers the range 03-10…03-12 with every figure and one entry per day', async () => {
    expect(await figures('2026-03-10', '2026-03-12')).toEqual({
      start_date: '2026-03-10',
      end_date: '2026-03-12',
      // op A B C D F H J K L M: not the system user, not E (registered 03-13 00:00:00), not G or I (deleted by then);
      // H was deleted at 03-13 00:00:00, after the range.
      total_users: 11,
      // B G | C M | L D
      new_users: 6,
      // 20 + 50 | −50 + 7.90 | 0.10 − 10 + 9.90 − 9.90; J's yearly was paid from credits
      total_revenue: 18,
      // 200 (not A's 10 bonus credits) + 500 | −500 | 1 − 100
      total_credits_sold: 101,
      paid_orders: 5,
      // C and J; F's ended 03-11 12:00, K's with its refund at 03-12 21:00
      active_members: 2,
      // A (its ¥20), C, L; B and K were refunded within the range
      paying_users: 3,
      // C and L of the 6 new users
      conversion_rate: 0.3333,
      daily: [
        { date: '2026-03-10', new_users: 2, revenue: 70, credits_sold: 700, paid_orders: 2 },
        { date: '2026-03-11', new_users: 2, revenue: -42.1, credits_sold: -500, paid_orders: 1 },
        { date: '2026-03-12', new_users: 2, revenue: -9.9, credits_sold: -99, paid_orders: 2 },
      ],
    });
  });

  it('puts a payment at 23:59:59 on its own day and a refund at 00:00:00 on the next', async () => {
    expect(await figures('2026-03-09', '2026-03-09')).toEqual({
      start_date: '2026-03-09', end_date: '2026-03-09',
      total_users: 6, // op A F H J K (I was deleted 03-05)
      new_users: 0, total_revenue: 10, total_credits_sold: 100, paid_orders: 1,
      active_members: 1, // F
      paying_users: 1, // A: its refund on 03-12 comes after this range
      conversion_rate: 0,
      daily: [{ date: '2026-03-09', new_users: 0, revenue: 10, credits_sold: 100, paid_orders: 1 }],
    });
    expect(await figures('2026-03-10', '2026-03-10')).toEqual({
      start_date: '2026-03-10', end_date: '2026-03-10',
      total_users: 8, // op A B F G H J K: G was deleted on 03-11
      new_users: 2, total_revenue: 70, total_credits_sold: 700, paid_orders: 2,
      active_members: 1, // F, until 03-11 12:00
      paying_users: 2, // A and B: B's refund at 03-11 00:00:00 is after this range
      conversion_rate: 0.5, // B of B and G
      daily: [{ date: '2026-03-10', new_users: 2, revenue: 70, credits_sold: 700, paid_orders: 2 }],
    });
    expect(await figures('2026-03-13', '2026-03-13')).toEqual({
      start_date: '2026-03-13', end_date: '2026-03-13',
      total_users: 11, // the 11 of 03-12, less H (deleted 03-13 00:00:00), plus E
      new_users: 1, total_revenue: 30, total_credits_sold: 300, paid_orders: 1,
      active_members: 2, paying_users: 1, conversion_rate: 1,
      daily: [{ date: '2026-03-13', new_users: 1, revenue: 30, credits_sold: 300, paid_orders: 1 }],
    });
  });

  it('agrees with the ledger: revenue is what the payment clearing accounts received in the range', async () => {
    const [row] = await t.database.db
      .select({ received: sql<string>`(-coalesce(sum(${ledgerPostings.amount}), 0))::text` })
      .from(ledgerPostings)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerPostings.accountId))
      .where(
        and(eq(ledgerAccounts.kind, 'payment_clearing'), gte(ledgerPostings.createdAt, at('2026-03-10T00:00:00')), lt(ledgerPostings.createdAt, at('2026-03-13T00:00:00'))),
      );
    expect(BigInt(row!.received)).toBe(18_000_000n);
    expect((await figures('2026-03-10', '2026-03-12')).total_revenue).toBe(18);
  });

  it('counts members now, not at midnight, while the range has not ended', async () => {
    clock.set(at('2026-03-11T13:00:00'));
    try {
      // C only: F's membership ended at 12:00, J's starts at 14:00.
      expect((await figures('2026-03-10', '2026-03-12')).active_members).toBe(1);
    } finally {
      clock.set(at('2026-03-20T09:00:00'));
    }
  });

  it('lists every day of a quiet range with zeros', async () => {
    expect(await figures('2026-01-01', '2026-01-03')).toEqual({
      start_date: '2026-01-01', end_date: '2026-01-03',
      total_users: 0, new_users: 0, total_revenue: 0, total_credits_sold: 0, paid_orders: 0, active_members: 0, paying_users: 0, conversion_rate: 0,
      daily: ['2026-01-01', '2026-01-02', '2026-01-03'].map((date) => ({ date, new_users: 0, revenue: 0, credits_sold: 0, paid_orders: 0 })),
    });
  });

  it('covers up to 366 days: the whole history at once', async () => {
    const all = await figures('2025-03-13', '2026-03-13');
    expect(all.daily).toHaveLength(366);
    expect([all.daily[0].date, all.daily[365].date]).toEqual(['2025-03-13', '2026-03-13']);
    expect(all).toMatchObject({
      total_users: 11, // the 13 people and the operator, less G, H and I
      new_users: 14,
      // paid 9.90 + 99 + 10 + 20 + 50 + 7.90 + 0.10 + 9.90 + 30, refunded 50 + 10 + 9.90
      total_revenue: 166.9,
      // 990 + 100 + 200 + 500 + 1 + 300, refunded 500 + 100
      total_credits_sold: 1491,
      paid_orders: 9,
      paying_users: 6, // A C E F J L
      conversion_rate: 0.4286, // 6 of 14, rounded half up
    });
  });

  it('refuses a bad range with 400 naming the field', async () => {
    const auth = await asOperator();
    const cases: [string, RegExp][] = [
      ['end_date=2026-03-12', /query\.start_date/],
      ['start_date=2026-03-10', /query\.end_date/],
      ['start_date=2026-02-30&end_date=2026-03-12', /query\.start_date/],
      ['start_date=2026/03/10&end_date=2026-03-12', /query\.start_date/],
      ['start_date=2026-03-10&end_date=20260312', /query\.end_date/],
      ['start_date=2026-03-12&end_date=2026-03-11', /query\.end_date.*before start_date/],
      ['start_date=2025-03-13&end_date=2026-03-14', /query\.end_date.*366 days/],
      ['start_date=2026-03-10&end_date=2026-03-12&user_id=1', /user_id/],
    ];
    for (const [query, message] of cases) {
      const res = await statistics(query, auth);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toEqual({ code: 400, message: expect.stringMatching(message), data: null });
    }
  });

  it('answers 401 without a session and 403 to a user who is not an operator', async () => {
    const query = 'start_date=2026-03-10&end_date=2026-03-12';
    const anonymous = await statistics(query, {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 401, data: null });
    const user = await statistics(query, await as('A'));
    expect(user.statusCode).toBe(403);
    expect(user.json()).toMatchObject({ code: 403, data: null });
  });
});
