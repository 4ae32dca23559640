import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { ledgerCheck, rechargeAndPay, SANDBOX_ENV, standing } from '../../../test/helpers/payments.ts';
import { formatStudioTime } from '../../platform/time.ts';

// The operators' referral records, GET /api/v1/admin/referrals: every referrer's referrals newest first with both
// users named in full, filtered by status and by a part of either user's name or email, paged, and the rewards
// paid — the same 50 credits (or a live referral_bonus activity's) that referral.int.test.ts pays. Operators only.
//
// One history, made through the HTTP API in beforeAll: alice_<tag> refers fox (completed: 50) and elk (completed: 50,
// then refunded: clawed back); bob<tag> refers owl (pending) and cat (completed: 80 under a referral_bonus activity).

const OPERATOR = { ADMIN_EMAIL: 'referral-admin@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const json = { 'content-type': 'application/json' };
const MINUTE = 60_000;
type Auth = Record<string, string>;
interface Person { id: number; username: string; auth: Auth }

describe.each(DB_TIERS)('operators’ referral records on $name', (tier) => {
  const clock = fakeClock();
  const tag = Date.now().toString(36);
  let t: TestApp;
  let admin: Auth;
  let alice: Person;
  let bob: Person;
  const friends: Record<'fox' | 'elk' | 'owl' | 'cat', Person> = {} as never;
  const at: Record<string, string> = {};

  async function login(username: string, password: string): Promise<Auth> {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
    return bearer(res.json().data.access_token);
  }
  async function referredBy(referrer: Person, name: string): Promise<Person> {
    const code = (await t.request({ method: 'POST', url: '/api/v1/operation/referral/generate', headers: referrer.auth })).json().data.referral_code;
    const username = `${name}${tag}`;
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username, email: `${username}@example.com`, password: 'correct horse 1', ref: code } });
    if (res.statusCode !== 200) throw new Error(`register failed: ${res.body}`);
    return { id: res.json().data.id, username, auth: await login(username, 'correct horse 1') };
  }
  const list = (query = '', headers: Auth = admin) => t.request({ method: 'GET', url: `/api/v1/admin/referrals${query ? `?${query}` : ''}`, headers });
  async function page(query = '') {
    const res = await list(query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data;
  }
  const ids = (data: { items: { id: number; referred: { id: number } }[] }) => data.items.map((r) => r.referred.id);
  const person = (p: Person) => ({ id: p.id, username: p.username, email: `${p.username}@example.com` });

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { ...SANDBOX_ENV, ...OPERATOR } });
    admin = await login(OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);
    alice = await registerUser(t, `alice_${tag}`);
    bob = await registerUser(t, `bob${tag}`);

    friends.fox = await referredBy(alice, 'fox');
    at.fox = formatStudioTime(clock.now());
    await rechargeAndPay(t, friends.fox.auth, 10);
    at.foxPaid = formatStudioTime(clock.now());

    clock.advance(MINUTE);
    friends.owl = await referredBy(bob, 'owl');
    at.owl = formatStudioTime(clock.now());

    clock.advance(MINUTE);
    friends.cat = await referredBy(bob, 'cat');
    const start = formatStudioTime(clock.now());
    const bonus = await t.request({
      method: 'POST', url: '/api/v1/operation/activities', headers: { ...json, ...admin },
      payload: { name: '推荐翻倍', type: 'referral_bonus', config: { credits: 80 }, start_time: start, end_time: formatStudioTime(new Date(clock.now().getTime() + 5 * MINUTE)) },
    });
    expect(bonus.statusCode, bonus.body).toBe(200);
    await rechargeAndPay(t, friends.cat.auth, 10);
    clock.advance(5 * MINUTE + 1000);

    friends.elk = await referredBy(alice, 'elk');
    at.elk = formatStudioTime(clock.now());
    const elkOrder = await rechargeAndPay(t, friends.elk.auth, 10);
    clock.advance(MINUTE);
    const refund = await t.request({ method: 'POST', url: `/api/v1/admin/orders/${elkOrder.order_id}/refund`, headers: { ...json, ...admin }, payload: { reason: 'customer request' } });
    expect(refund.statusCode, refund.body).toBe(200);
    at.elkRefunded = formatStudioTime(clock.now());
  });
  afterAll(() => t?.close());

  it('lists every referrer’s referrals newest first, both users in full, and the rewards kept: 50 + 80 credits', async () => {
    const data = await page();
    expect(data).toMatchObject({ total: 4, page: 1, page_size: 20, total_rewards: 130 });
    expect(ids(data)).toEqual([friends.elk.id, friends.cat.id, friends.owl.id, friends.fox.id]);
    const [elk, cat, owl, fox] = data.items;
    expect(fox).toEqual({
      id: expect.any(Number), referrer: person(alice), referred: person(friends.fox), status: 'completed', reward_amount: 50, reason: null,
      order_no: expect.stringMatching(/^R\d+$/), created_at: at.fox, rewarded_at: at.foxPaid, clawed_back_at: null,
    });
    expect(owl).toEqual({
      id: expect.any(Number), referrer: person(bob), referred: person(friends.owl), status: 'pending', reward_amount: 0, reason: null,
      order_no: null, created_at: at.owl, rewarded_at: null, clawed_back_at: null,
    });
    expect(cat).toMatchObject({ referrer: person(bob), referred: person(friends.cat), status: 'completed', reward_amount: 80 });
    expect(elk).toMatchObject({ referrer: person(alice), status: 'clawed_back', reward_amount: 50, created_at: at.elk, clawed_back_at: at.elkRefunded });
    expect(data.items.map((r: { id: number }) => r.id)).toEqual([...data.items.map((r: { id: number }) => r.id)].sort((a, b) => b - a));
    expect(JSON.stringify(data)).not.toMatch(/password|\*\*\*/i);
  });

  it('totals what the referrers were paid and keep, as their own records and wallets show', async () => {
    const own = async (p: Person) => (await t.request({ method: 'GET', url: '/api/v1/operation/referral/records', headers: p.auth })).json().data.total_rewards;
    expect([await own(alice), await own(bob)]).toEqual([50, 80]);
    // alice's 50 for fox stayed; elk's 50 was taken back.
    expect((await standing(t, alice.auth)).credit_balance).toBe(50);
    expect((await standing(t, bob.auth)).credit_balance).toBe(80);
    expect((await page()).total_rewards).toBe(50 + 80);
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('filters by status, the total counting only the rewards the filter selects', async () => {
    expect(await page('status=completed')).toMatchObject({ total: 2, total_rewards: 130, items: [{ referred: { id: friends.cat.id } }, { referred: { id: friends.fox.id } }] });
    expect(await page('status=pending')).toMatchObject({ total: 1, total_rewards: 0, items: [{ referred: { id: friends.owl.id }, reward_amount: 0 }] });
    expect(await page('status=clawed_back')).toMatchObject({ total: 1, total_rewards: 0, items: [{ referred: { id: friends.elk.id }, reward_amount: 50 }] });
    expect(await page('status=not_rewarded')).toEqual({ total: 0, page: 1, page_size: 20, total_rewards: 0, items: [] });
    // `rewarded`, the stored name before migration 0015, is no status any more.
    for (const word of ['paid', 'rewarded']) {
      const bad = await list(`status=${word}`);
      expect(bad.statusCode, word).toBe(400);
      expect(bad.json(), word).toMatchObject({ code: 400, data: null });
    }
  });

  it('finds a part of either user’s username or email, case-insensitively, with the status filter too', async () => {
    const byReferrer = await page(`q=${encodeURIComponent(`ALICE_${tag}`)}`);
    expect(ids(byReferrer)).toEqual([friends.elk.id, friends.fox.id]);
    expect(byReferrer.total_rewards).toBe(50);
    expect(ids(await page(`q=${encodeURIComponent(`OWL${tag}`)}`))).toEqual([friends.owl.id]);
    expect(ids(await page(`q=${encodeURIComponent(`cat${tag}@Example.COM`)}`))).toEqual([friends.cat.id]);
    expect(ids(await page(`q=${encodeURIComponent(`bob${tag}`)}&status=completed`))).toEqual([friends.cat.id]);
    expect(await page('q=nobody-here')).toMatchObject({ total: 0, total_rewards: 0, items: [] });
  });

  it('treats %, _ and \\ in a search as themselves', async () => {
    expect(await page('q=%25')).toMatchObject({ total: 0, items: [] });
    expect(await page(`q=${encodeURIComponent(`alice%${tag}`)}`)).toMatchObject({ total: 0 });
    expect(await page('q=%5C')).toMatchObject({ total: 0 });
    // Only alice's name has an underscore: as a LIKE wildcard it would match every referral.
    expect(ids(await page('q=_'))).toEqual([friends.elk.id, friends.fox.id]);
    expect(ids(await page(`q=${encodeURIComponent(`e_${tag}`)}`))).toEqual([friends.elk.id, friends.fox.id]);
  });

  it('pages, and answers a bad page or page size with 400 in the studio envelope', async () => {
    expect(await page('page=2&page_size=1')).toMatchObject({ total: 4, page: 2, page_size: 1, total_rewards: 130, items: [{ referred: { id: friends.cat.id } }] });
    expect((await page('page=3&page_size=2')).items).toEqual([]);
    for (const query of ['page_size=0', 'page_size=101', 'page=0', 'page_size=ten', `q=${'x'.repeat(101)}`, 'q=%20']) {
      const res = await list(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({ code: 400, data: null });
    }
  });

  it('answers 401 without a token and 403 to a buyer, in the studio envelope, as the other admin lists do', async () => {
    const anonymous = await list('', {});
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 401, data: null });
    const buyer = await list('', alice.auth);
    expect(buyer.statusCode).toBe(403);
    expect(buyer.json()).toMatchObject({ code: 403, data: null });
    expect((await t.request({ method: 'GET', url: '/api/v1/admin/users', headers: alice.auth })).statusCode).toBe(403);
  });
});
