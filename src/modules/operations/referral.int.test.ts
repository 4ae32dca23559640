import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { buyMembership, callbackBody, createRecharge, ledgerCheck, payOrder, postCallback, rechargeAndPay, SANDBOX_ENV, standing } from '../../../test/helpers/payments.ts';
import { formatStudioTime } from '../../platform/time.ts';
import { createAuditLog } from '../admin/audit.service.ts';
import { createWalletService } from '../commerce/wallet.service.ts';
import { createUserService } from '../identity/users.service.ts';
import { createLedger } from '../ledger/ledger.service.ts';
import { ledgerAccounts, ledgerPostings, ledgerTransfers } from '../ledger/ledger.tables.ts';
import { referrals } from './operations.tables.ts';
import * as repo from './referral.repo.ts';
import { createReferralService, maskName } from './referral.service.ts';

// Referral: a user's code and link; a friend who registers with `ref` is recorded; the friend's first order paid
// with money pays the referrer 50 credits (or a live referral_bonus activity's credits) from promo expense — once,
// at most 20 a Beijing day per referrer — and a refund of that order takes the reward back. The clock starts at
// 2026-03-01T12:00:00 UTC+8 and only moves forward; every test leaves the ledger check clean.

const OPERATOR = { ADMIN_EMAIL: 'referral@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const json = { 'content-type': 'application/json' };
const SECOND = 1000;
const MINUTE = 60 * SECOND;
type Auth = Record<string, string>;
interface Account { id: number; username: string; password: string; auth: Auth }

describe.each(DB_TIERS)('referral on $name', (tier) => {
  const clock = fakeClock();
  let t: TestApp;
  let admin: Auth;
  let seq = 0;

  async function login(username: string, password: string): Promise<Auth> {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
    return bearer(res.json().data.access_token);
  }
  /** Registers a friend, with `ref` when given, and signs them in. */
  async function registerWith(ref: string | undefined, name = `friend${Date.now().toString(36)}${seq++}`): Promise<Account> {
    const password = 'correct horse 1';
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: name, email: `${name}@example.com`, password, ...(ref === undefined ? {} : { ref }) } });
    if (res.statusCode !== 200) throw new Error(`register failed: ${res.body}`);
    return { id: res.json().data.id, username: name, password, auth: await login(name, password) };
  }
  const link = (auth: Auth) => t.request({ method: 'POST', url: '/api/v1/operation/referral/generate', headers: auth });
  const codeOf = async (auth: Auth) => (await link(auth)).json().data.referral_code as string;
  const records = async (auth: Auth, query = 'page_size=100') => {
    const res = await t.request({ method: 'GET', url: `/api/v1/operation/referral/records?${query}`, headers: auth });
    if (res.statusCode !== 200) throw new Error(`records failed: ${res.body}`);
    return res.json().data;
  };
  const credits = async (auth: Auth) => (await standing(t, auth)).credit_balance;
  /** An operator's refund; the operator signs in first, as the clock may have moved past their session. */
  async function refund(orderId: string) {
    admin = await login(OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);
    return t.request({ method: 'POST', url: `/api/v1/admin/orders/${orderId}/refund`, headers: { ...json, ...admin }, payload: { reason: 'customer request' } });
  }
  const referralOf = async (referredId: number) => (await t.database.db.select().from(referrals).where(eq(referrals.referredId, referredId)))[0];
  /** Every posting of the transfers of `kind` for `reference`, by account code. */
  async function postingsOf(kind: string, reference: string) {
    const rows = await t.database.db
      .select({ code: ledgerAccounts.code, amount: ledgerPostings.amount })
      .from(ledgerPostings)
      .innerJoin(ledgerTransfers, eq(ledgerTransfers.id, ledgerPostings.transferId))
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerPostings.accountId))
      .where(and(eq(ledgerTransfers.kind, kind), eq(ledgerTransfers.reference, reference)));
    return rows.map((r) => [r.code, r.amount]);
  }
  /** A referrer and a friend registered with the referrer's code. */
  async function pair(): Promise<{ referrer: Account; friend: Account }> {
    const u = await registerUser(t);
    const referrer = { id: u.id, username: u.username, password: u.password, auth: u.auth };
    return { referrer, friend: await registerWith(await codeOf(referrer.auth)) };
  }

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { ...SANDBOX_ENV, ...OPERATOR } });
    admin = await login(OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);
  });
  afterEach(async () => {
    if (t) expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
  afterAll(() => t?.close());

  it('gives a user the same code and link every time: the code /auth/me shows, at PUBLIC_BASE_URL/register?ref=', async () => {
    const user = await registerUser(t);
    const first = await link(user.auth);
    expect(first.statusCode).toBe(200);
    const me = (await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).json().data;
    expect(first.json()).toEqual({
      code: 200, message: '推荐码已生成',
      data: { referral_code: me.referral_code, referral_url: `${t.config.publicBaseUrl}/register?ref=${me.referral_code}` },
    });
    expect((await link(user.auth)).json()).toEqual(first.json());
    expect((await link({})).statusCode).toBe(401);
    expect((await t.request({ method: 'GET', url: '/api/v1/operation/referral/records' })).statusCode).toBe(401);
  });

  it('records a friend who registers with ref (any case) as pending, masked; an unknown code registers without a referrer', async () => {
    const referrer = await registerUser(t);
    const code = await codeOf(referrer.auth);
    const friend = await registerWith(code.toLowerCase(), 'friendly_fox');
    const stranger = await registerWith('NOSUCHCODE');
    const blank = await registerWith('');
    expect(await referralOf(stranger.id)).toBeUndefined();
    expect(await referralOf(blank.id)).toBeUndefined();
    expect(await records(referrer.auth)).toEqual({
      total: 1, page: 1, page_size: 100, total_rewards: 0,
      items: [{
        id: expect.any(Number), referred_user: 'fr***x', status: 'pending', reward_amount: 0, reason: null,
        created_at: formatStudioTime(clock.now()), registered_at: formatStudioTime(clock.now()), rewarded_at: null,
      }],
    });
    expect((await referralOf(friend.id))?.referrerId).toBe(referrer.id);
    // A code longer than any code is refused as input, not ignored.
    const long = await t.request({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: 'toolong', email: 'toolong@example.com', password: 'correct horse 1', ref: 'X'.repeat(65) } });
    expect(long.statusCode).toBe(400);
  });

  it('pays 50 credits from promo expense when the friend\'s first order is paid, and nothing for the second', async () => {
    const { referrer, friend } = await pair();
    const first = await rechargeAndPay(t, friend.auth, 10);
    expect(await credits(referrer.auth)).toBe(50);
    const referral = await referralOf(friend.id);
    expect(referral).toMatchObject({ status: 'completed', reward: 5_000_000n, orderNo: first.order_id, activityId: null, rewardedAt: clock.now() });
    expect(await postingsOf('bonus', `referral:${referral?.id}`)).toEqual(expect.arrayContaining([
      ['platform:promo_expense', -5_000_000n], [`user:${referrer.id}:wallet`, 5_000_000n],
    ]));
    const tx = (await t.request({ method: 'GET', url: '/api/v1/credit/transactions', headers: referrer.auth })).json().data.items;
    expect(tx).toMatchObject([{ type: 'bonus', amount: 50, balance_after: 50 }]);

    await rechargeAndPay(t, friend.auth, 20);
    expect(await credits(referrer.auth)).toBe(50);
    expect(await referralOf(friend.id)).toMatchObject({ status: 'completed', orderNo: first.order_id });
    expect(await records(referrer.auth)).toMatchObject({ total: 1, total_rewards: 50, items: [{ status: 'completed', reward_amount: 50, rewarded_at: formatStudioTime(clock.now()) }] });
  });

  it('rewards once when 50 first orders of one friend are paid at once, with every notice sent twice', async () => {
    const { referrer, friend } = await pair();
    const orders = [];
    for (let i = 0; i < 50; i++) orders.push((await createRecharge(t, friend.auth, 1)).order_id);
    const answers = await Promise.all(orders.flatMap((o) => [postCallback(t, callbackBody(o)), postCallback(t, callbackBody(o))]));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(100).fill(200));
    expect(await credits(friend.auth)).toBe(500);
    expect(await credits(referrer.auth)).toBe(50);
    const referral = await referralOf(friend.id);
    expect(referral?.status).toBe('completed');
    expect(orders).toContain(referral?.orderNo);
    expect(await postingsOf('bonus', `referral:${referral?.id}`)).toHaveLength(2);
  });

  it('pays the credits of a live referral_bonus activity instead, decided at the time of payment', async () => {
    const { referrer, friend } = await pair();
    const at = (ms: number) => formatStudioTime(new Date(clock.now().getTime() + ms));
    const created = await t.request({
      method: 'POST', url: '/api/v1/operation/activities', headers: { ...json, ...admin },
      payload: { name: '推荐翻倍', type: 'referral_bonus', config: { credits: 80 }, start_time: at(0), end_time: at(5 * MINUTE) },
    });
    expect(created.statusCode).toBe(200);
    await rechargeAndPay(t, friend.auth, 10);
    expect(await credits(referrer.auth)).toBe(80);
    expect(await referralOf(friend.id)).toMatchObject({ status: 'completed', reward: 8_000_000n, activityId: created.json().data.id });

    clock.advance(5 * MINUTE + SECOND);
    const later = await pair();
    await rechargeAndPay(t, later.friend.auth, 10);
    expect(await credits(later.referrer.auth)).toBe(50);
  });

  it('rewards at most 20 friends a Beijing day per referrer, even when 21 first orders are paid at once, and again from midnight UTC+8', async () => {
    const u = await registerUser(t);
    const code = await codeOf(u.auth);
    const friends: Account[] = [];
    for (let i = 0; i < 22; i += 11) friends.push(...(await Promise.all(Array.from({ length: 11 }, () => registerWith(code)))));
    const [spare, ...first21] = friends;
    const orders = await Promise.all(first21.map((f) => createRecharge(t, f.auth, 1)));
    await Promise.all(orders.map((o) => payOrder(t, o.order_id)));
    expect(await credits(u.auth)).toBe(20 * 50);
    const list = await records(u.auth);
    expect(list.total).toBe(22);
    expect(list.total_rewards).toBe(1000);
    const refused = list.items.filter((r: { status: string }) => r.status === 'not_rewarded');
    expect(refused).toEqual([expect.objectContaining({ reward_amount: 0, reason: expect.stringContaining('daily_limit'), rewarded_at: null })]);
    expect(list.items.filter((r: { status: string }) => r.status === 'completed')).toHaveLength(20);

    // Midnight in UTC+8 (16:00 UTC) starts the referrer's next day.
    clock.set(new Date('2026-03-01T15:59:59Z'));
    const spareAuth = await login((spare as Account).username, (spare as Account).password);
    const late = await createRecharge(t, spareAuth, 1);
    clock.set(new Date('2026-03-01T16:00:00Z'));
    await payOrder(t, late.order_id);
    const auth = await login(u.username, u.password);
    expect(await credits(auth)).toBe(21 * 50);
    expect(await referralOf((spare as Account).id)).toMatchObject({ status: 'completed' });
  });

  it('keeps to the limit on the day itself: a friend whose first order is paid at 23:59:59 UTC+8 after 20 rewards gets none', async () => {
    clock.set(new Date('2026-03-02T15:00:00Z'));
    const u = await registerUser(t);
    const code = await codeOf(u.auth);
    const friends = await Promise.all(Array.from({ length: 21 }, () => registerWith(code)));
    for (const f of friends.slice(0, 20)) await rechargeAndPay(t, f.auth, 1);
    clock.set(new Date('2026-03-02T15:59:59Z'));
    const lastAuth = await login((friends[20] as Account).username, (friends[20] as Account).password);
    await rechargeAndPay(t, lastAuth, 1);
    expect(await referralOf((friends[20] as Account).id)).toMatchObject({ status: 'not_rewarded', reward: 0n });
    expect(await credits(await login(u.username, u.password))).toBe(1000);
  });

  it('claws the reward back when the first order is refunded, and a later order brings none', async () => {
    const { referrer, friend } = await pair();
    const first = await rechargeAndPay(t, friend.auth, 10);
    expect(await credits(referrer.auth)).toBe(50);
    expect((await refund(first.order_id)).statusCode).toBe(200);
    expect(await credits(referrer.auth)).toBe(0);
    const referral = await referralOf(friend.id);
    expect(referral).toMatchObject({ status: 'clawed_back', clawedBackAt: clock.now() });
    expect(await postingsOf('clawback', `referral:${referral?.id}`)).toEqual(expect.arrayContaining([
      [`user:${referrer.id}:wallet`, -5_000_000n], ['platform:promo_expense', 5_000_000n],
    ]));
    expect(await records(referrer.auth)).toMatchObject({ total_rewards: 0, items: [{ status: 'clawed_back', reward_amount: 50 }] });

    await rechargeAndPay(t, friend.auth, 10);
    expect(await credits(referrer.auth)).toBe(0);
    // Refunding an order that did not bring the reward takes nothing.
    const other = await pair();
    await rechargeAndPay(t, other.friend.auth, 10);
    const second = await rechargeAndPay(t, other.friend.auth, 10);
    expect((await refund(second.order_id)).statusCode).toBe(200);
    expect(await credits(other.referrer.auth)).toBe(50);
  });

  it('takes back a reward already spent as far as the wallet goes, and the rest as debt the next credit pays first', async () => {
    const { referrer, friend } = await pair();
    const first = await rechargeAndPay(t, friend.auth, 10);
    await rechargeAndPay(t, referrer.auth, 5);
    expect((await buyMembership(t, referrer.auth, 'monthly', 'balance')).statusCode).toBe(200);
    expect(await credits(referrer.auth)).toBe(1);

    expect((await refund(first.order_id)).statusCode).toBe(200);
    expect(await standing(t, referrer.auth)).toMatchObject({ credit_balance: 0, owed_amount: 4.9 });
    await rechargeAndPay(t, referrer.auth, 10);
    expect(await standing(t, referrer.auth)).toMatchObject({ credit_balance: 51, owed_amount: 0 });
  });

  it('shows each referrer only their own records, paged newest first', async () => {
    const { referrer, friend } = await pair();
    const second = await registerWith(await codeOf(referrer.auth));
    const outsider = await registerUser(t);
    expect(await records(outsider.auth)).toEqual({ total: 0, page: 1, page_size: 100, total_rewards: 0, items: [] });
    expect((await records(friend.auth)).total).toBe(0);
    const page1 = await records(referrer.auth, 'page=1&page_size=1');
    const page2 = await records(referrer.auth, 'page=2&page_size=1');
    expect(page1).toMatchObject({ total: 2, page: 1, page_size: 1, items: [{ referred_user: maskName(second.username) }] });
    expect(page2.items).toMatchObject([{ referred_user: maskName(friend.username) }]);
    expect((await t.request({ method: 'GET', url: '/api/v1/operation/referral/records?page_size=0', headers: referrer.auth })).statusCode).toBe(400);
  });

  it('never records a referral of a user by themselves: the service ignores it and the database refuses it', async () => {
    const user = await registerUser(t);
    const ledger = createLedger({ database: t.database, clock });
    const users = createUserService({ database: t.database, clock });
    const service = createReferralService({
      database: t.database, clock, ledger, users, publicBaseUrl: t.config.publicBaseUrl,
      wallet: createWalletService({ database: t.database, ledger, audit: createAuditLog(), billingMode: users.billingMode }),
      activities: { referralBonus: async () => undefined }, log: { info() {}, warn() {} },
    });
    const row = await users.getLive(user.id);
    await t.database.transaction((tx) => service.onRegistered(tx, row, row.referralCode));
    expect(await referralOf(user.id)).toBeUndefined();
    await expect(repo.insertReferral(t.database.db, { referrerId: user.id, referredId: user.id, createdAt: clock.now() })).rejects.toThrow();
    expect(await referralOf(user.id)).toBeUndefined();
  });

  it('masks names so a referrer recognises a friend without learning the whole name', () => {
    expect(maskName('user123')).toBe('us***3');
    expect(maskName('abcd')).toBe('a***d');
    expect(maskName('ab')).toBe('a***');
    expect(maskName('张三丰老师')).toBe('张三***师');
  });
});
