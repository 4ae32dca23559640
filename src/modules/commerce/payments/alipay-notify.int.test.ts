import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipayNotifyFields, corruptAlipaySign, signAlipayNotify, tamperAlipayNotify } from '../../../../test/fakes/alipay.ts';
import { registerUser } from '../../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../../test/helpers/database.ts';
import {
  ALIPAY, expectNoSecretIn, paymentEnv, paymentKeys, startSiblingApp, walletOf,
} from '../../../../test/helpers/payment-providers.ts';
import { callbackBody, createRecharge, postCallback, type RechargeData } from '../../../../test/helpers/payments.ts';
import { ConfigError, loadConfig } from '../../../config.ts';

// The Alipay wire format end to end: POST /api/v1/credit/recharge with payment_method alipay answers a signed
// page-pay URL, and POST /api/v1/payments/alipay/notify pays the order only for a notice signed with Alipay's key,
// for this app, for the order's exact amount — once. Alipay reads the plain text `success`; anything else (`fail`)
// makes it resend.

const keys = paymentKeys();
const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const NOTIFY_URL = '/api/v1/payments/alipay/notify';
const UNKNOWN_ORDER = 'R20260101000000999999';

let tradeSeq = 0;
const tradeNo = () => `20260122220014030305${(++tradeSeq).toString().padStart(8, '0')}`;

/** A notice for `order` as Alipay signs it; overrides change fields before signing (`undefined` removes one). */
const signedNotice = (order: RechargeData, overrides: Record<string, string | undefined> = {}, key = keys.alipayPlatform.privateKey) =>
  signAlipayNotify(
    alipayNotifyFields({
      app_id: ALIPAY.appId,
      auth_app_id: ALIPAY.appId,
      out_trade_no: order.order_id,
      total_amount: order.amount.toFixed(2),
      invoice_amount: order.amount.toFixed(2),
      receipt_amount: order.amount.toFixed(2),
      buyer_pay_amount: order.amount.toFixed(2),
      trade_no: tradeNo(),
      ...overrides,
    }),
    key,
  );

/** The text Alipay's request signature covers: every parameter but `sign`, empties dropped, sorted, raw values. */
function pagePayContent(params: URLSearchParams): string {
  return [...params]
    .filter(([k, v]) => k !== 'sign' && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

describe('Alipay settings', () => {
  it('refuses PAYMENT_PROVIDERS=alipay without the ALIPAY_* variables, naming each one', () => {
    const load = () => loadConfig({ PAYMENT_PROVIDERS: 'sandbox,alipay', ALIPAY_APP_ID: ALIPAY.appId });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/ALIPAY_PRIVATE_KEY: required when PAYMENT_PROVIDERS includes alipay/);
    expect(load).toThrow(/ALIPAY_PUBLIC_KEY: required when PAYMENT_PROVIDERS includes alipay/);
    expect(() => loadConfig({ PAYMENT_PROVIDERS: 'alipay' })).toThrow(/ALIPAY_APP_ID.*\n.*ALIPAY_PRIVATE_KEY.*\n.*ALIPAY_PUBLIC_KEY/);
  });
});

describe.each(DB_TIERS)('Alipay recharge and notify on $name', (tier) => {
  let t: TestApp;
  let payer: Record<string, string>;
  let bystander: Record<string, string>;
  const newUser = async () => (await registerUser(t)).auth;

  const notify = (body: string) =>
    t.request({
      method: 'POST',
      url: NOTIFY_URL,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      payload: body,
    });
  const expectAnswer = (res: Awaited<ReturnType<typeof notify>>, word: 'success' | 'fail') => {
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe(word);
  };

  beforeAll(async () => {
    // The WeChat base URL is never called here: only Alipay orders are opened.
    t = await startTestApp(tier, { env: paymentEnv(keys, 'https://api.mch.weixin.qq.com') });
    payer = await newUser();
    bystander = await newUser();
  });
  afterAll(() => t?.close());

  it('answers payment_method alipay with a page-pay URL signed by the app key for the order and its amount', async () => {
    const order = await createRecharge(t, bystander, 12.34, 'alipay');
    const url = new URL(order.payment_url as string);
    expect(`${url.origin}${url.pathname}`).toBe(ALIPAY.gateway);
    const params = url.searchParams;
    const signature = Buffer.from(params.get('sign') ?? '', 'base64');
    expect(crypto.verify('sha256', Buffer.from(pagePayContent(params), 'utf8'), keys.alipayApp.publicKey, signature)).toBe(true);
    expect(Object.fromEntries([...params].filter(([k]) => k !== 'sign' && k !== 'biz_content' && k !== 'timestamp'))).toEqual({
      app_id: ALIPAY.appId,
      method: 'alipay.trade.page.pay',
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      version: '1.0',
      notify_url: `${t.config.publicBaseUrl}${NOTIFY_URL}`,
      return_url: `${t.config.publicBaseUrl}/`,
    });
    expect(params.get('timestamp')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(JSON.parse(params.get('biz_content') as string)).toMatchObject({
      out_trade_no: order.order_id,
      product_code: 'FAST_INSTANT_TRADE_PAY',
      total_amount: '12.34',
    });
    expect(order).toMatchObject({ amount: 12.34, credits: 123.4 });
  });

  describe('a genuine TRADE_SUCCESS notice', () => {
    let order: RechargeData;
    let notice: string;

    beforeAll(async () => {
      order = await createRecharge(t, payer, 12.34, 'alipay');
      notice = signedNotice(order);
    });

    it('pays the order: success, the credits on the balance, the order paid', async () => {
      expect((await walletOf(t, payer)).orders[order.order_id]).toBe('pending');
      expectAnswer(await notify(notice), 'success');
      const after = await walletOf(t, payer);
      expect(after).toEqual({ balance: 123.4, transactions: 1, orders: { [order.order_id]: 'paid' } });
    });

    it('answers the same notice again with success and changes nothing', async () => {
      const before = await walletOf(t, payer);
      for (let i = 0; i < 3; i++) expectAnswer(await notify(notice), 'success');
      expect(await walletOf(t, payer)).toEqual(before);
    });

    it('refuses a second payment of the paid order under another trade_no and changes nothing', async () => {
      const before = await walletOf(t, payer);
      expectAnswer(await notify(signedNotice(order)), 'fail');
      expect(await walletOf(t, payer)).toEqual(before);
    });

    it('refuses a notice paying another order under the trade_no that paid this one, and changes nothing', async () => {
      const other = await createRecharge(t, payer, 12.34, 'alipay');
      const before = await walletOf(t, payer);
      const reused = signedNotice(other, { trade_no: new URLSearchParams(notice).get('trade_no') as string });
      expectAnswer(await notify(reused), 'fail');
      expect(await walletOf(t, payer)).toEqual(before);
      expect(before.orders[other.order_id]).toBe('pending');
    });
  });

  it('pays once when the same notice arrives five times at once', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'alipay');
    const notice = signedNotice(order);
    const answers = await Promise.all(Array.from({ length: 5 }, () => notify(notice)));
    for (const res of answers) expectAnswer(res, 'success');
    expect(await walletOf(t, user)).toEqual({ balance: 123.4, transactions: 1, orders: { [order.order_id]: 'paid' } });
  });

  // Each case: a new user's ¥12.34 order, which after the notice must still be pending with the balance still 0.
  it.each<[string, (o: RechargeData) => string]>([
    ['a flipped signature bit', (o) => corruptAlipaySign(signedNotice(o))],
    ['no signature', (o) => tamperAlipayNotify(signedNotice(o), 'sign', '')],
    ['a signature by another key', (o) => signedNotice(o, {}, stranger.privateKey)],
    ['total_amount raised to the order’s after signing 0.01', (o) => tamperAlipayNotify(signedNotice(o, { total_amount: '0.01' }), 'total_amount', o.amount.toFixed(2))],
    ['out_trade_no switched after signing', (o) => tamperAlipayNotify(signedNotice(o, { out_trade_no: UNKNOWN_ORDER }), 'out_trade_no', o.order_id)],
    ['trade_status upgraded after signing', (o) => tamperAlipayNotify(signedNotice(o, { trade_status: 'WAIT_BUYER_PAY' }), 'trade_status', 'TRADE_SUCCESS')],
    ['a field repeated after signing', (o) => `${signedNotice(o, { total_amount: '0.01' })}&total_amount=${o.amount.toFixed(2)}`],
    ['sign_type RSA (SHA1)', (o) => tamperAlipayNotify(signedNotice(o), 'sign_type', 'RSA')],
    ['another app’s app_id, correctly signed', (o) => signedNotice(o, { app_id: '2021000000009999' })],
    ['an unhandled trade_status, correctly signed', (o) => signedNotice(o, { trade_status: 'TRADE_REFUNDED' })],
    ['a correctly signed total_amount below the order’s', (o) => signedNotice(o, { total_amount: '12.33' })],
    ['a correctly signed total_amount above the order’s', (o) => signedNotice(o, { total_amount: '1234.00' })],
    ['a correctly signed total_amount that is not an amount', (o) => signedNotice(o, { total_amount: '12.340' })],
  ])('refuses %s with fail and changes nothing', async (_what, forge) => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'alipay');
    const before = await walletOf(t, user);
    expect(before).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
    expectAnswer(await notify(forge(order)), 'fail');
    expect(await walletOf(t, user)).toEqual(before);
  });

  it('acknowledges a genuine notice for an unknown order with success, logs it, and changes nothing', async () => {
    const before = [await walletOf(t, payer), await walletOf(t, bystander)];
    const stub = { order_id: UNKNOWN_ORDER, amount: 12.34 } as RechargeData;
    expectAnswer(await notify(signedNotice(stub)), 'success');
    expect([await walletOf(t, payer), await walletOf(t, bystander)]).toEqual(before);
    expect(t.logs.some((l) => l.includes('payment notice refused') && l.includes(UNKNOWN_ORDER) && l.includes('unknown_order'))).toBe(true);
  });

  it('acknowledges WAIT_BUYER_PAY with success and leaves the order pending', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'alipay');
    expectAnswer(await notify(signedNotice(order, { trade_status: 'WAIT_BUYER_PAY' })), 'success');
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
  });

  it('fails the order on TRADE_CLOSED, answering success, and a later success notice still pays it', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'alipay');
    expectAnswer(await notify(signedNotice(order, { trade_status: 'TRADE_CLOSED' })), 'success');
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'failed' } });

    // The payer's money arrived after all: the order is honoured rather than the money kept.
    expectAnswer(await notify(signedNotice(order)), 'success');
    expect(await walletOf(t, user)).toEqual({ balance: 123.4, transactions: 1, orders: { [order.order_id]: 'paid' } });
  });

  it('does not pay an order the sandbox served from an Alipay notice (to Alipay it is an unknown order)', async () => {
    // Opened while PAYMENT_PROVIDERS was still `sandbox`: payment_method alipay went through the sandbox.
    const user = await newUser();
    const earlier = await startSiblingApp(t, tier, { PAYMENT_PROVIDERS: 'sandbox' });
    const order = await createRecharge(earlier, user, 12.34, 'alipay').finally(() => earlier.close());
    expect(order.payment_url).toMatch(/\/pay\/sandbox\/R\d{20}\?payer=\d+&expires=\d+&signature=[0-9a-f]{64}$/);
    expectAnswer(await notify(signedNotice(order)), 'success');
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
    expect(t.logs.some((l) => l.includes('payment notice refused') && l.includes(order.order_id) && l.includes('unknown_order'))).toBe(true);
  });

  it('does not pay an Alipay order from a sandbox callback, however well signed (40004)', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'alipay');
    const res = await postCallback(t, callbackBody(order.order_id, { payment_method: 'alipay' }), { secret: keys.sandboxSecret });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 40004, data: null });
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
  });

  it('never writes a private key, the APIv3 key or the sandbox secret to a log or a response', () => {
    expectNoSecretIn(t, keys);
  });
});
