import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../../test/helpers/actors.ts';
import { fakeClock, startTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../../test/helpers/database.ts';
import { buyMembership, checkoutApiUrl, checkoutPay, createRecharge, SANDBOX_ENV, walletSnapshot } from '../../../../test/helpers/payments.ts';
import { ORDER_TTL_MS } from '../orders.service.ts';

// GET/POST /api/v1/payments/sandbox/{order}: the API of the sandbox checkout page, which marks an order paid without
// money, so it serves only the order's owner — through the payment_url signed for them (what the console opens; the
// page passes its parameters on), or their session. No credential → 401, another user's order → 404, an altered or
// expired link → 401; a refused request pays nothing. Bad input is in sandbox-page-input.int.test.ts.

type User = Awaited<ReturnType<typeof registerUser>>;

describe.each(DB_TIERS)('sandbox checkout API on $name', (tier) => {
  let t: TestApp;
  let owner: User;
  let other: User;
  const clock = fakeClock(new Date());

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV, clock });
    owner = await registerUser(t);
    other = await registerUser(t);
  });
  afterAll(() => t?.close());

  /** A new pending ¥3 recharge of the owner: its id, its payment_url, the API behind it with and without the link. */
  async function order() {
    const o = await createRecharge(t, owner.auth, 3);
    const paymentUrl = o.payment_url as string;
    const api = checkoutApiUrl(paymentUrl);
    return { id: o.order_id, paymentUrl, api, bare: api.split('?')[0] as string, query: new URL(paymentUrl).searchParams };
  }
  const get = (url: string, headers: Record<string, string> = {}) => t.request({ method: 'GET', url, headers });
  const post = (url: string, headers: Record<string, string> = {}) =>
    t.request({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: { status: 'success' } });
  const statusOf = async (id: string) => (await walletSnapshot(t, owner.auth)).recharges[id];

  it('shows the owner the order through the signed link, without echoing the link', async () => {
    const o = await order();
    const res = await get(o.api);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      code: 200,
      message: 'success',
      data: {
        order_id: o.id, kind: 'recharge', status: 'pending', payment_method: 'alipay', amount: 3, original_amount: 3, discount: 0, credits: 30,
        bonus_credits: 0, membership_type: null, expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/), paid_at: null,
      },
    });
    expect(res.body).not.toContain(o.query.get('signature'));
  });

  it('pays once through the link: the order is paid, a second attempt changes nothing and credits nothing', async () => {
    const o = await order();
    const before = (await walletSnapshot(t, owner.auth)).standing.credit_balance;
    const paid = await checkoutPay(t, o.paymentUrl);
    expect(paid.statusCode).toBe(200);
    expect(paid.json().data).toMatchObject({ order_id: o.id, status: 'paid', outcome: 'paid', paid_at: expect.any(String) });
    const again = await checkoutPay(t, o.paymentUrl);
    expect(again.json().data).toMatchObject({ status: 'paid', outcome: 'unchanged' });
    expect((await get(o.api)).json().data.status).toBe('paid');
    const after = await walletSnapshot(t, owner.auth);
    expect(after.recharges[o.id]).toBe('paid');
    expect(after.standing.credit_balance).toBe(before + 30);
  });

  it('simulates a failed payment: the order fails, and cannot be paid on the checkout afterwards', async () => {
    const o = await order();
    const failed = await checkoutPay(t, o.paymentUrl, 'failed');
    expect(failed.json().data).toMatchObject({ status: 'failed', outcome: 'failed' });
    expect((await checkoutPay(t, o.paymentUrl)).json().data).toMatchObject({ status: 'failed', outcome: 'unchanged' });
    expect(await statusOf(o.id)).toBe('failed');
  });

  it('names a membership order by its plan', async () => {
    const res = await buyMembership(t, owner.auth, 'quarterly', 'wechat');
    const { order_id, payment_url } = res.json().data;
    const view = (await get(checkoutApiUrl(payment_url))).json().data;
    expect(view).toMatchObject({ order_id, kind: 'membership', membership_type: 'quarterly', payment_method: 'wechat', amount: 25, status: 'pending' });
  });

  it('serves the owner’s session too (Authorization: Bearer)', async () => {
    const o = await order();
    expect((await get(o.bare, owner.auth)).statusCode).toBe(200);
    const paid = await post(o.bare, owner.auth);
    expect(paid.statusCode).toBe(200);
    expect(paid.json().data.outcome).toBe('paid');
    expect(await statusOf(o.id)).toBe('paid');
  });

  it('refuses a caller with no link and no session (401 in the studio envelope), paying nothing', async () => {
    const o = await order();
    const res = await get(o.bare);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 401, data: null });
    expect((await post(o.bare)).statusCode).toBe(401);
    expect(await statusOf(o.id)).toBe('pending');
  });

  it('answers 404 to another user’s session, paying nothing', async () => {
    const o = await order();
    expect((await get(o.bare, other.auth)).statusCode).toBe(404);
    expect((await post(o.bare, other.auth)).statusCode).toBe(404);
    expect(await statusOf(o.id)).toBe('pending');
  });

  it('refuses a link altered to another payer or another order, or signed with garbage (401), paying nothing', async () => {
    const o = await order();
    const mine = await createRecharge(t, other.auth, 1);
    const otherLink = new URL(mine.payment_url as string);
    const withQuery = (q: Record<string, string>) => `${o.bare}?${new URLSearchParams({ ...Object.fromEntries(o.query), ...q })}`;
    const tampered = [
      withQuery({ payer: String(other.id) }),
      `${o.bare}${otherLink.search}`,
      withQuery({ signature: 'f'.repeat(64) }),
      withQuery({ expires: String(Number(o.query.get('expires')) + 3600) }),
    ];
    for (const url of tampered) {
      expect((await get(url)).statusCode, url).toBe(401);
      expect((await post(url)).statusCode, url).toBe(401);
      // A session does not rescue a bad link: the link, when given, is the credential.
      expect((await post(url, owner.auth)).statusCode, url).toBe(401);
    }
    expect(await statusOf(o.id)).toBe('pending');
  });

  it('refuses a link once its order’s payment window has passed (401); the owner’s session sees it expired and cannot pay it', async () => {
    const o = await order();
    clock.advance(ORDER_TTL_MS + 60_000);
    expect((await get(o.api)).statusCode).toBe(401);
    expect((await checkoutPay(t, o.paymentUrl)).statusCode).toBe(401);
    expect((await get(o.bare, owner.auth)).json().data.status).toBe('expired');
    expect((await post(o.bare, owner.auth)).json().data).toMatchObject({ status: 'expired', outcome: 'unchanged' });
    expect(['pending', 'expired']).toContain(await statusOf(o.id));
  });
});
