import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWechatNotify, startFakeWechatPay, wechatTransaction, type FakeWechatPay, type WechatNotifyOptions,
} from '../../../../test/fakes/wechatpay.ts';
import { registerUser } from '../../../../test/helpers/actors.ts';
import { startTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { DB_TIERS } from '../../../../test/helpers/database.ts';
import {
  expectNoSecretIn, paymentEnv, paymentKeys, startSiblingApp, walletOf, WECHAT,
} from '../../../../test/helpers/payment-providers.ts';
import { callbackBody, createRecharge, postCallback, type RechargeData } from '../../../../test/helpers/payments.ts';
import { ConfigError, loadConfig } from '../../../config.ts';

// The WeChat Pay API v3 wire format end to end: POST /api/v1/credit/recharge with payment_method wechat places a
// signed Native order at (a fake of) api.mch.weixin.qq.com and answers its code_url; POST
// /api/v1/payments/wechat/notify pays the order only for a notice signed by the platform key within five minutes,
// sealed under the APIv3 key, for this merchant and the order's exact amount — once. WeChat reads the HTTP status:
// 200 {"code":"SUCCESS"} is handled, 4xx {"code":"FAIL"} makes it resend.

const keys = paymentKeys();
const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const NOTIFY_URL = '/api/v1/payments/wechat/notify';
const UNKNOWN_ORDER = 'R20260101000000999999';
const MINUTE = 60_000;

interface Notice {
  headers: Record<string, string>;
  rawBody: Buffer;
}

let txnSeq = 0;
const transactionId = () => `4200001234202601${(++txnSeq).toString().padStart(12, '0')}`;
const fen = (yuan: number) => Math.round(yuan * 100);

/** A notice for `order` as WeChat seals and signs it; `transaction` overrides apply before sealing. */
const signedNotice = (order: RechargeData, transaction: Record<string, unknown> = {}, options: Partial<WechatNotifyOptions> = {}): Notice =>
  buildWechatNotify({
    apiV3Key: keys.apiV3Key,
    platformPrivateKey: keys.wechatPlatform.privateKey,
    platformSerialNo: WECHAT.platformSerialNo,
    transaction: wechatTransaction({
      appid: WECHAT.appId,
      mchid: WECHAT.mchId,
      out_trade_no: order.order_id,
      transaction_id: transactionId(),
      amount: { total: fen(order.amount), payer_total: fen(order.amount), currency: 'CNY', payer_currency: 'CNY' },
      ...transaction,
    }),
    ...options,
  });

const withHeaders = (n: Notice, change: (h: Record<string, string>) => void): Notice => {
  const headers = { ...n.headers };
  change(headers);
  return { ...n, headers };
};

const flipSignatureBit = (n: Notice) =>
  withHeaders(n, (h) => {
    const sig = Buffer.from(h['wechatpay-signature'] as string, 'base64');
    sig[10] = (sig[10] as number) ^ 0x01;
    h['wechatpay-signature'] = sig.toString('base64');
  });

describe('WeChat Pay settings', () => {
  it('refuses PAYMENT_PROVIDERS=wechat without the WECHATPAY_* variables, naming each one', () => {
    const load = () => loadConfig({ PAYMENT_PROVIDERS: 'wechat', WECHATPAY_MCH_ID: WECHAT.mchId });
    expect(load).toThrow(ConfigError);
    for (const name of ['APP_ID', 'SERIAL_NO', 'PRIVATE_KEY', 'APIV3_KEY', 'PLATFORM_PUBLIC_KEY', 'PLATFORM_SERIAL']) {
      expect(load).toThrow(`WECHATPAY_${name}: required when PAYMENT_PROVIDERS includes wechat`);
    }
    expect(() => loadConfig({ ...paymentEnv(keys, 'https://api.mch.weixin.qq.com'), WECHATPAY_APIV3_KEY: 'short' })).toThrow(
      /WECHATPAY_APIV3_KEY: must be 32 characters/,
    );
  });
});

describe.each(DB_TIERS)('WeChat Pay recharge and notify on $name', (tier) => {
  let t: TestApp;
  let fake: FakeWechatPay;
  let payer: Record<string, string>;
  let bystander: Record<string, string>;
  const newUser = async () => (await registerUser(t)).auth;

  const notify = (n: Notice) => t.request({ method: 'POST', url: NOTIFY_URL, headers: n.headers, payload: n.rawBody });
  const expectAnswer = (res: Awaited<ReturnType<typeof notify>>, code: 'SUCCESS' | 'FAIL') => {
    expect(res.statusCode).toBe(code === 'SUCCESS' ? 200 : 400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ code });
  };

  beforeAll(async () => {
    fake = await startFakeWechatPay({
      mchId: WECHAT.mchId,
      merchantSerialNo: WECHAT.merchantSerialNo,
      merchantPublicKey: keys.wechatMerchant.publicKey,
      platformPrivateKey: keys.wechatPlatform.privateKey,
      platformSerialNo: WECHAT.platformSerialNo,
    });
    t = await startTestApp(tier, { env: paymentEnv(keys, fake.baseUrl) });
    payer = await newUser();
    bystander = await newUser();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('answers payment_method wechat with the code_url of a Native order signed by the merchant key, in fen', async () => {
    const seen = fake.orders.length;
    const order = await createRecharge(t, bystander, 12.34, 'wechat');
    expect(order.payment_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=[\w-]+$/);
    expect(fake.refused).toBe(0);
    expect(fake.orders).toHaveLength(seen + 1);
    const placed = fake.orders[seen];
    expect(placed?.body).toEqual({
      appid: WECHAT.appId,
      mchid: WECHAT.mchId,
      description: expect.stringContaining('12.34'),
      out_trade_no: order.order_id,
      time_expire: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
      notify_url: `${t.config.publicBaseUrl}${NOTIFY_URL}`,
      amount: { total: 1234, currency: 'CNY' },
    });
    const auth = placed?.auth ?? {};
    expect(auth).toMatchObject({ mchid: WECHAT.mchId, serial_no: WECHAT.merchantSerialNo });
    const message = `POST\n/v3/pay/transactions/native\n${auth.timestamp}\n${auth.nonce_str}\n${placed?.rawBody}\n`;
    const signature = Buffer.from(auth.signature ?? '', 'base64');
    expect(crypto.verify('sha256', Buffer.from(message, 'utf8'), keys.wechatMerchant.publicKey, signature)).toBe(true);
    expect(Math.abs(Number(auth.timestamp) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('fails the order with 40005 when the platform’s answer does not verify', async () => {
    const user = await newUser();
    fake.misbehave = { badAnswerSignature: true };
    const res = await t
      .request({
        method: 'POST',
        url: '/api/v1/credit/recharge',
        headers: { 'content-type': 'application/json', ...user },
        payload: { amount: 12.34, payment_method: 'wechat' },
      })
      .finally(() => void (fake.misbehave = {}));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 40005, data: null });
    const wallet = await walletOf(t, user);
    expect(wallet).toMatchObject({ balance: 0, transactions: 0 });
    expect(Object.values(wallet.orders)).toEqual(['failed']);
  });

  describe('a genuine SUCCESS notice', () => {
    let order: RechargeData;
    let notice: Notice;
    const PAID_TXN = '4200001234202601229999999999';

    beforeAll(async () => {
      order = await createRecharge(t, payer, 12.34, 'wechat');
      notice = signedNotice(order, { transaction_id: PAID_TXN });
    });

    it('pays the order: 200 SUCCESS, the credits on the balance, the order paid', async () => {
      expect((await walletOf(t, payer)).orders[order.order_id]).toBe('pending');
      expectAnswer(await notify(notice), 'SUCCESS');
      expect(await walletOf(t, payer)).toEqual({ balance: 123.4, transactions: 1, orders: { [order.order_id]: 'paid' } });
    });

    it('answers the same notice again with 200 SUCCESS and changes nothing', async () => {
      const before = await walletOf(t, payer);
      for (let i = 0; i < 3; i++) expectAnswer(await notify(notice), 'SUCCESS');
      expect(await walletOf(t, payer)).toEqual(before);
    });

    it('refuses a second payment of the paid order under another transaction_id and changes nothing', async () => {
      const before = await walletOf(t, payer);
      expectAnswer(await notify(signedNotice(order)), 'FAIL');
      expect(await walletOf(t, payer)).toEqual(before);
    });

    it('refuses a notice paying another order under the transaction_id that paid this one, and changes nothing', async () => {
      const other = await createRecharge(t, payer, 12.34, 'wechat');
      const before = await walletOf(t, payer);
      expectAnswer(await notify(signedNotice(other, { transaction_id: PAID_TXN })), 'FAIL');
      expect(await walletOf(t, payer)).toEqual(before);
      expect(before.orders[other.order_id]).toBe('pending');
    });
  });

  it('pays once when the same notice arrives five times at once', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'wechat');
    const notice = signedNotice(order);
    const answers = await Promise.all(Array.from({ length: 5 }, () => notify(notice)));
    for (const res of answers) expectAnswer(res, 'SUCCESS');
    expect(await walletOf(t, user)).toEqual({ balance: 123.4, transactions: 1, orders: { [order.order_id]: 'paid' } });
  });

  // Each case: a new user's ¥12.34 order, which after the notice must still be pending with the balance still 0.
  it.each<[string, (o: RechargeData) => Notice]>([
    ['a flipped signature bit', (o) => flipSignatureBit(signedNotice(o))],
    ['no Wechatpay-Signature', (o) => withHeaders(signedNotice(o), (h) => delete h['wechatpay-signature'])],
    ['a signature by another key under the platform serial', (o) => signedNotice(o, {}, { platformPrivateKey: stranger.privateKey })],
    ['the full amount’s body under a 1-fen notice’s signature', (o) => ({ ...signedNotice(o, { amount: { total: 1, currency: 'CNY' } }), rawBody: signedNotice(o).rawBody })],
    ['a byte of the body changed after signing', (o) => {
      const n = signedNotice(o);
      return { ...n, rawBody: Buffer.from(n.rawBody.toString('utf8').replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESs')) };
    }],
    ['a resource whose GCM tag was altered before signing', (o) => signedNotice(o, {}, { corruptTag: true })],
    ['a resource sealed under another APIv3 key', (o) => signedNotice(o, {}, { apiV3Key: crypto.randomBytes(16).toString('hex') })],
    ['another merchant’s mchid', (o) => signedNotice(o, { mchid: '1900000109' })],
    ['another app’s appid', (o) => signedNotice(o, { appid: 'wx0000000000000000' })],
    ['a Wechatpay-Timestamp six minutes old', (o) => signedNotice(o, {}, { now: new Date(Date.now() - 6 * MINUTE) })],
    ['a Wechatpay-Timestamp six minutes ahead', (o) => signedNotice(o, {}, { now: new Date(Date.now() + 6 * MINUTE) })],
    ['an unknown Wechatpay-Serial', (o) => signedNotice(o, {}, { platformSerialNo: 'PUB_KEY_ID_0119999999992026012200112233449999' })],
    ['a correctly signed amount below the order’s', (o) => signedNotice(o, { amount: { total: fen(o.amount) - 1, currency: 'CNY' } })],
    ['a correctly signed amount above the order’s', (o) => signedNotice(o, { amount: { total: fen(o.amount) * 100, currency: 'CNY' } })],
    ['a correctly signed amount in another currency', (o) => signedNotice(o, { amount: { total: fen(o.amount), currency: 'USD' } })],
    ['an unhandled trade_state, correctly signed', (o) => signedNotice(o, { trade_state: 'REFUND' })],
  ])('refuses %s with 400 FAIL and changes nothing', async (_what, forge) => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'wechat');
    const before = await walletOf(t, user);
    expect(before).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
    expectAnswer(await notify(forge(order)), 'FAIL');
    expect(await walletOf(t, user)).toEqual(before);
  });

  it('acknowledges a genuine notice for an unknown order with 200 SUCCESS, logs it, and changes nothing', async () => {
    const before = [await walletOf(t, payer), await walletOf(t, bystander)];
    expectAnswer(await notify(signedNotice({ order_id: UNKNOWN_ORDER, amount: 12.34 } as RechargeData)), 'SUCCESS');
    expect([await walletOf(t, payer), await walletOf(t, bystander)]).toEqual(before);
    expect(t.logs.some((l) => l.includes('payment notice refused') && l.includes(UNKNOWN_ORDER) && l.includes('unknown_order'))).toBe(true);
  });

  it('acknowledges NOTPAY with 200 SUCCESS and leaves the order pending', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'wechat');
    expectAnswer(await notify(signedNotice(order, { trade_state: 'NOTPAY' })), 'SUCCESS');
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
  });

  it('fails the order on CLOSED, answering 200 SUCCESS, and a later SUCCESS notice still pays it', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'wechat');
    expectAnswer(await notify(signedNotice(order, { trade_state: 'CLOSED' })), 'SUCCESS');
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'failed' } });

    // The payer's money arrived after all: the order is honoured rather than the money kept.
    expectAnswer(await notify(signedNotice(order)), 'SUCCESS');
    expect(await walletOf(t, user)).toEqual({ balance: 123.4, transactions: 1, orders: { [order.order_id]: 'paid' } });
  });

  it('does not pay an order the sandbox served from a WeChat notice (to WeChat it is an unknown order)', async () => {
    // Opened while PAYMENT_PROVIDERS was still `sandbox`: payment_method wechat went through the sandbox.
    const user = await newUser();
    const earlier = await startSiblingApp(t, tier, { PAYMENT_PROVIDERS: 'sandbox' });
    const order = await createRecharge(earlier, user, 12.34, 'wechat').finally(() => earlier.close());
    expect(order.payment_url).toMatch(/\/pay\/sandbox\/R\d{20}\?payer=\d+&expires=\d+&signature=[0-9a-f]{64}$/);
    expectAnswer(await notify(signedNotice(order)), 'SUCCESS');
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
    expect(t.logs.some((l) => l.includes('payment notice refused') && l.includes(order.order_id) && l.includes('unknown_order'))).toBe(true);
  });

  it('does not pay a WeChat Pay order from a sandbox callback, however well signed (40004)', async () => {
    const user = await newUser();
    const order = await createRecharge(t, user, 12.34, 'wechat');
    const res = await postCallback(t, callbackBody(order.order_id, { payment_method: 'wechat' }), { secret: keys.sandboxSecret });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 40004, data: null });
    expect(await walletOf(t, user)).toEqual({ balance: 0, transactions: 0, orders: { [order.order_id]: 'pending' } });
  });

  it('never writes a private key, the APIv3 key or the sandbox secret to a log or a response', () => {
    expectNoSecretIn(t, keys);
  });
});
