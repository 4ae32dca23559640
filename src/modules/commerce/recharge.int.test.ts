import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../test/helpers/database.ts';
import { checkoutApiUrl, ledgerCheck, SANDBOX_ENV, SANDBOX_SECRET } from '../../../test/helpers/payments.ts';
import { orders } from './commerce.tables.ts';

// POST /api/v1/credit/recharge: ¥10 buys 100 credits; the order waits for the provider (the sandbox here, which
// serves alipay and wechat while no real provider is configured). Bad input is refused before anything is written.

const json = { 'content-type': 'application/json' };
const ORDER_NO = /^R\d{20}$/;

describe.each(DB_TIERS)('POST /api/v1/credit/recharge on $name', (tier) => {
  let t: TestApp;
  let user: Awaited<ReturnType<typeof registerUser>>;

  const recharge = (payload: unknown, headers: Record<string, string> = user.auth) =>
    t.request({ method: 'POST', url: '/api/v1/credit/recharge', headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  const orderRows = async () => Number((await t.database.db.select({ n: count() }).from(orders))[0]?.n);

  beforeAll(async () => {
    t = await startTestApp(tier, { env: SANDBOX_ENV });
    user = await registerUser(t);
  });
  afterAll(() => t?.close());

  it('creates a pending order with exactly the spec fields: R + 20 digits, ¥10.00 → 100 credits, a sandbox payment_url', async () => {
    const res = await recharge({ amount: 10.0, payment_method: 'alipay' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      code: 200,
      message: '订单创建成功',
      data: { order_id: expect.stringMatching(ORDER_NO), amount: 10, credits: 100, payment_url: expect.any(String) },
    });
    const { order_id, payment_url } = body.data;
    // A link to our sandbox checkout, signed for the order's owner (see sandbox-page.int.test.ts).
    expect(payment_url).toMatch(new RegExp(`^${t.config.publicBaseUrl}/pay/sandbox/${order_id}\\?payer=${user.id}&expires=\\d+&signature=[0-9a-f]{64}$`));
    const [row] = await t.database.db.select().from(orders);
    expect(row).toMatchObject({ orderNo: order_id, userId: user.id, kind: 'recharge', status: 'pending', provider: 'sandbox', payAmount: 10_000_000n });
  });

  it('stamps the order id with the UTC+8 wall time of its creation', async () => {
    const beijingDay = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10).replace(/-/g, '');
    const before = beijingDay();
    const res = await recharge({ amount: 1, payment_method: 'wechat' });
    expect([before, beijingDay()]).toContain(res.json().data.order_id.slice(1, 9));
  });

  it('serves our own sandbox checkout for the payment_url (the console page calls its API with the link)', async () => {
    const { order_id, payment_url } = (await recharge({ amount: 12.34, payment_method: 'alipay' })).json().data;
    const checkout = await t.request({ method: 'GET', url: checkoutApiUrl(payment_url) });
    expect(checkout.statusCode).toBe(200);
    expect(checkout.json().data).toMatchObject({ order_id, kind: 'recharge', amount: 12.34, status: 'pending' });
  });

  it.each([
    ['the smallest amount, ¥0.01', 0.01, 0.01, 0.1],
    ['the largest amount, ¥50 000', 50000, 50000, 500000],
    ['an amount given as a decimal string', '25.50', 25.5, 255],
  ])('accepts %s', async (_what, amount, shown, credits) => {
    const res = await recharge({ amount, payment_method: 'wechat' });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ amount: shown, credits });
  });

  describe('bad input: 400 in the studio envelope, and no order written', () => {
    it.each([
      ['amount 0', { amount: 0, payment_method: 'alipay' }],
      ['a negative amount', { amount: -1, payment_method: 'alipay' }],
      ['more than 2 decimals', { amount: 10.001, payment_method: 'alipay' }],
      ['more than 2 decimals as a string', { amount: '10.001', payment_method: 'alipay' }],
      ['a non-numeric amount', { amount: 'abc', payment_method: 'alipay' }],
      ['an amount in exponent notation', { amount: '1e3', payment_method: 'alipay' }],
      ['more than ¥50 000', { amount: 50000.01, payment_method: 'alipay' }],
      ['a missing amount', { payment_method: 'alipay' }],
      ['a null amount', { amount: null, payment_method: 'alipay' }],
      ['an unknown payment_method', { amount: 10, payment_method: 'paypal' }],
      ['a missing payment_method', { amount: 10 }],
      ['payment_method balance (credits cannot buy credits)', { amount: 10, payment_method: 'balance' }],
      ['an unknown field', { amount: 10, payment_method: 'alipay', credits: 1000 }],
    ])('refuses %s', async (_what, payload) => {
      const before = await orderRows();
      const res = await recharge(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: expect.any(String), data: null });
      expect(await orderRows()).toBe(before);
    });

    it('refuses a body that is not JSON', async () => {
      const before = await orderRows();
      const res = await t.request({ method: 'POST', url: '/api/v1/credit/recharge', headers: { ...json, ...user.auth }, payload: '{"amount":' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 400, message: 'Request body is not valid JSON', data: null });
      expect(await orderRows()).toBe(before);
    });
  });

  it('answers 401 without a token, or with a bad one, and writes nothing', async () => {
    const before = await orderRows();
    for (const headers of [{}, { authorization: 'Bearer not-a-jwt' }] as Record<string, string>[]) {
      const res = await recharge({ amount: 10, payment_method: 'alipay' }, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: 401, message: expect.any(String), data: null });
    }
    expect(await orderRows()).toBe(before);
  });

  it('moves no money until the order is paid', async () => {
    const balance = await t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: user.auth });
    expect(balance.json().data.credit_balance).toBe(0);
    const txns = await t.request({ method: 'GET', url: '/api/v1/credit/transactions', headers: user.auth });
    expect(txns.json().data).toMatchObject({ total: 0, items: [] });
    expect(await ledgerCheck(t)).toEqual({ balanceMismatches: [], unbalancedTransfers: [] });
  });

  it('never shows the sandbox secret or the master key in a response or a log line', () => {
    const seen = [...t.logs, ...t.responses].join('\n');
    expect(seen).not.toContain(SANDBOX_SECRET);
    expect(seen).not.toContain(t.config.masterKey as string);
  });
});
