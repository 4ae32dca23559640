import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser } from '../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { buyMembership, createRecharge, ledgerCheck, rechargeAndPay, SANDBOX_ENV, standing, type RechargeData } from '../../../test/helpers/payments.ts';
import { activities, referrals, type ActivityType } from './operations.tables.ts';

// Every activity type is live from its start second to its end second, both inclusive, read in Beijing time (UTC+8):
// each gets one Beijing day, and is probed one second before it, at its first second, at its last second and one
// second after. What "applies" means differs by type — a credit_gift is joined, a membership_discount and a
// first_purchase price the order opened at that second, a referral_bonus sets the reward of a first order paid at that
// second — but the edges are the same. Read as UTC, every window would open and close eight hours late.

const OPERATOR = { ADMIN_EMAIL: 'windows@example.com', ADMIN_PASSWORD: 'operator pass 1' };
const json = { 'content-type': 'application/json' };
const SECOND = 1000;
type Auth = Record<string, string>;

interface WindowCase {
  type: ActivityType;
  config: Record<string, unknown>;
  /** The Beijing day the activity runs, 00:00:00 to 23:59:59. */
  day: string;
  /** That day's first and last second as UTC instants, written out rather than computed. */
  startsAt: string;
  endsAt: string;
}

const CASES: WindowCase[] = [
  { type: 'credit_gift', config: { credits: 30 }, day: '2026-03-02', startsAt: '2026-03-01T16:00:00Z', endsAt: '2026-03-02T15:59:59Z' },
  { type: 'membership_discount', config: { amount: 2 }, day: '2026-03-03', startsAt: '2026-03-02T16:00:00Z', endsAt: '2026-03-03T15:59:59Z' },
  { type: 'first_purchase', config: { credits: 20 }, day: '2026-03-04', startsAt: '2026-03-03T16:00:00Z', endsAt: '2026-03-04T15:59:59Z' },
  { type: 'referral_bonus', config: { credits: 80 }, day: '2026-03-05', startsAt: '2026-03-04T16:00:00Z', endsAt: '2026-03-05T15:59:59Z' },
];

describe.each(DB_TIERS)('activity windows in Beijing time on $name', (tier) => {
  // 2026-03-01T12:00:00 in UTC+8: every window below is still ahead.
  const clock = fakeClock();
  let t: TestApp;
  let referrer: { id: number; code: string };
  const ids = new Map<ActivityType, number>();
  let seq = 0;

  async function login(username: string, password: string): Promise<Auth> {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: json, payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
    return bearer(res.json().data.access_token);
  }
  /** A new account, registered (with `ref`, when given) and signed in at the clock's time. */
  async function newcomer(ref?: string): Promise<{ id: number; auth: Auth }> {
    if (ref === undefined) return registerUser(t);
    const name = `window${tier.name}${seq++}`;
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/register', headers: json, payload: { username: name, email: `${name}@example.com`, password: 'correct horse 1', ref } });
    if (res.statusCode !== 200) throw new Error(`register failed: ${res.body}`);
    return { id: res.json().data.id, auth: await login(name, 'correct horse 1') };
  }

  /** Whether the activity of `type` applied at the clock's second; anything but its two outcomes fails the test. */
  const applies: Record<ActivityType, () => Promise<boolean>> = {
    async credit_gift() {
      const { auth } = await newcomer();
      const res = await t.request({ method: 'POST', url: `/api/v1/operation/activities/${ids.get('credit_gift')}/participate`, headers: auth });
      const balance = (await standing(t, auth)).credit_balance;
      if (res.statusCode === 200 && res.json().data.reward_credits === 30 && balance === 30) return true;
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 40010, message: expect.stringMatching(/^活动(尚未开始|已结束)$/), data: null });
      expect(balance).toBe(0);
      return false;
    },
    async membership_discount() {
      const order = (await buyMembership(t, (await newcomer()).auth, 'monthly', 'alipay')).json().data;
      expect([{ amount: 7.9, discount: 2 }, { amount: 9.9, discount: 0 }]).toContainEqual({ amount: order.amount, discount: order.discount });
      return order.discount === 2;
    },
    async first_purchase() {
      const { credits, bonus_credits } = (await createRecharge(t, (await newcomer()).auth, 10)) as RechargeData & { bonus_credits: number };
      expect([{ credits: 120, bonus_credits: 20 }, { credits: 100, bonus_credits: 0 }]).toContainEqual({ credits, bonus_credits });
      return bonus_credits === 20;
    },
    async referral_bonus() {
      const friend = await newcomer(referrer.code);
      await rechargeAndPay(t, friend.auth, 10);
      const [row] = await t.database.db.select().from(referrals).where(eq(referrals.referredId, friend.id));
      expect(row?.status).toBe('completed');
      if (row?.reward === 8_000_000n && row.activityId === ids.get('referral_bonus')) return true;
      expect(row).toMatchObject({ reward: 5_000_000n, activityId: null }); // the default reward, 50 credits
      return false;
    },
  };

  beforeAll(async () => {
    t = await startTestApp(tier, { clock, env: { ...SANDBOX_ENV, ...OPERATOR } });
    const admin = await login(OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);
    for (const c of CASES) {
      const res = await t.request({
        method: 'POST', url: '/api/v1/operation/activities', headers: { ...json, ...admin },
        payload: { name: `${c.type} ${c.day}`, type: c.type, config: c.config, start_time: `${c.day}T00:00:00`, end_time: `${c.day}T23:59:59` },
      });
      if (res.statusCode !== 200) throw new Error(`activity create failed: ${res.body}`);
      ids.set(c.type, res.json().data.id);
    }
    const user = await registerUser(t);
    const link = await t.request({ method: 'POST', url: '/api/v1/operation/referral/generate', headers: user.auth });
    referrer = { id: user.id, code: link.json().data.referral_code };
  });
  afterEach(async () => {
    if (t) expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });
  afterAll(() => t?.close());

  /** The activity's status in the list filtered by `status`, or undefined when that filter leaves it out. */
  async function listedAs(id: number, status: string): Promise<string | undefined> {
    const res = await t.request({ method: 'GET', url: `/api/v1/operation/activities?status=${status}&page_size=100`, headers: (await newcomer()).auth });
    return res.json().data.items.find((a: { id: number }) => a.id === id)?.status;
  }

  it.each(CASES)('$type applies from 00:00:00 to 23:59:59 of its Beijing day, not a second before or after', async (c) => {
    const id = ids.get(c.type) as number;
    const [row] = await t.database.db.select().from(activities).where(eq(activities.id, id));
    expect({ startsAt: row?.startsAt, endsAt: row?.endsAt }).toEqual({ startsAt: new Date(c.startsAt), endsAt: new Date(c.endsAt) });

    const start = new Date(c.startsAt).getTime();
    const end = new Date(c.endsAt).getTime();
    const edges = [['a second before the start', start - SECOND, 'upcoming'], ['the start', start, 'active'], ['the end', end, 'active'], ['a second after the end', end + SECOND, 'ended']] as const;
    const seen: Record<string, boolean> = {};
    for (const [edge, at, status] of edges) {
      clock.set(new Date(at));
      seen[edge] = await applies[c.type]();
      // The list's status filter draws the same line.
      expect(await listedAs(id, status), edge).toBe(status);
    }
    expect(seen).toEqual({ 'a second before the start': false, 'the start': true, 'the end': true, 'a second after the end': false });
  });
});
