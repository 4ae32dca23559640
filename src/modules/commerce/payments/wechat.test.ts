import crypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildWechatNotify, startFakeWechatPay, wechatTransaction, type FakeWechatPay } from '../../../../test/fakes/wechatpay.ts';
import { NotifyRejected, type PaymentRequest } from './provider.ts';
import { createWechatPayProvider, type WechatPayOptions } from './wechat.ts';

const pem = (k: crypto.KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();
const merchantKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const platformKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const strangerKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

const NOW = new Date('2026-01-22T02:00:00Z'); // 10:00:00 in UTC+8
const API_V3_KEY = 'k8Vd2mQx7RtY4pLs9WzN3bHc6FgJ5aEu'; // 32 bytes
const PLATFORM_SERIAL = 'PUB_KEY_ID_0112345678902026012200112233440000';
const base: Omit<WechatPayOptions, 'baseUrl'> = {
  mchId: '1230000109',
  appId: 'wxd678efh567hg6787',
  merchantSerialNo: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  merchantPrivateKeyPem: pem(merchantKeys.privateKey, 'pkcs8'),
  apiV3Key: API_V3_KEY,
  platformPublicKeyPem: pem(platformKeys.publicKey, 'spki'),
  platformSerialNo: PLATFORM_SERIAL,
  now: () => NOW,
  nonce: () => '593BEC0C930BF1AFEB40B4A08C8FB242',
};

const order: PaymentRequest = {
  orderNo: 'R202601220001',
  payerUserId: 7,
  amount: 12_340_000n,
  subject: 'Tollgate 充值 12.34 元',
  expiresAt: new Date('2026-01-22T02:30:00Z'),
  notifyUrl: 'https://pay.example.com/api/v1/payments/wechat/notify',
  returnUrl: 'https://studio.example.com/recharge/done',
};

let fake: FakeWechatPay;
beforeAll(async () => {
  fake = await startFakeWechatPay({
    mchId: base.mchId,
    merchantSerialNo: base.merchantSerialNo,
    merchantPublicKey: merchantKeys.publicKey,
    platformPrivateKey: platformKeys.privateKey,
    platformSerialNo: PLATFORM_SERIAL,
    now: () => NOW,
  });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.orders.length = 0;
  fake.refused = 0;
  fake.misbehave = {};
});

const provider = () => createWechatPayProvider({ ...base, baseUrl: fake.baseUrl });

describe('wechat native order', () => {
  it('returns the code_url, and the fake verified the merchant signature', async () => {
    const { paymentUrl } = await provider().createPayment(order);
    expect(paymentUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(fake.orders).toHaveLength(1);
    expect(fake.refused).toBe(0);
    expect(fake.orders[0]?.body).toEqual({
      appid: base.appId,
      mchid: base.mchId,
      description: order.subject,
      out_trade_no: order.orderNo,
      time_expire: '2026-01-22T10:30:00+08:00',
      notify_url: order.notifyUrl,
      amount: { total: 1234, currency: 'CNY' },
    });
  });

  it('signs the documented five-line message, built here step by step', async () => {
    await provider().createPayment(order);
    const seen = fake.orders[0];
    const body =
      '{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Tollgate 充值 12.34 元",' +
      '"out_trade_no":"R202601220001","time_expire":"2026-01-22T10:30:00+08:00",' +
      '"notify_url":"https://pay.example.com/api/v1/payments/wechat/notify","amount":{"total":1234,"currency":"CNY"}}';
    expect(seen?.rawBody).toBe(body);
    const message = 'POST\n' + '/v3/pay/transactions/native\n' + '1769047200\n' + '593BEC0C930BF1AFEB40B4A08C8FB242\n' + body + '\n';
    const signature = Buffer.from(seen?.auth.signature ?? '', 'base64');
    expect(crypto.verify('sha256', Buffer.from(message, 'utf8'), merchantKeys.publicKey, signature)).toBe(true);
    expect(seen?.authorization).toBe(
      'WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",' +
        `signature="${seen?.auth.signature}",timestamp="1769047200",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"`,
    );
  });

  it('rejects an answer whose Wechatpay-Signature does not verify', async () => {
    fake.misbehave.badAnswerSignature = true;
    await expect(provider().createPayment(order)).rejects.toThrow(/not trusted: bad Wechatpay-Signature/);
  });

  it('rejects an answer signed under another platform serial', async () => {
    fake.misbehave.answerSerial = 'PUB_KEY_ID_SOMEONE_ELSE';
    await expect(provider().createPayment(order)).rejects.toThrow(/unknown platform key serial/);
  });

  it('surfaces a 401 from WeChat with its status and code, never the key', async () => {
    const wrongKey = createWechatPayProvider({ ...base, baseUrl: fake.baseUrl, merchantPrivateKeyPem: pem(strangerKeys.privateKey, 'pkcs8') });
    const err = (await wrongKey.createPayment(order).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('WeChat Pay native order failed: HTTP 401 SIGN_ERROR');
    expect(fake.refused).toBe(1);
    expect(fake.orders).toHaveLength(0);
  });

  it('refuses an apiV3Key that is not 32 bytes', () => {
    expect(() => createWechatPayProvider({ ...base, baseUrl: fake.baseUrl, apiV3Key: 'short' })).toThrow(/32 bytes/);
  });
});

describe('wechat notify', () => {
  const built = (o: { transaction?: Record<string, unknown>; now?: Date; corruptTag?: boolean; apiV3Key?: string } = {}) =>
    buildWechatNotify({
      apiV3Key: o.apiV3Key ?? API_V3_KEY,
      platformPrivateKey: platformKeys.privateKey,
      platformSerialNo: PLATFORM_SERIAL,
      transaction: o.transaction ?? wechatTransaction(),
      now: o.now ?? NOW,
      corruptTag: o.corruptTag,
    });
  const verify = (n: { headers: Record<string, string>; rawBody: Buffer }) => provider().verifyNotify(n);
  const rejected = async (n: { headers: Record<string, string>; rawBody: Buffer }, reason: RegExp) => {
    const err = await verify(n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyRejected);
    expect((err as Error).message).toMatch(reason);
  };

  it('accepts a signed, encrypted notice and maps it', async () => {
    await expect(verify(built())).resolves.toEqual({
      orderNo: 'R202601220001',
      providerTxnId: '4200001234202601221234567890',
      amount: 12_340_000n,
      outcome: 'paid',
    });
  });

  it('decodes the same notice twice to the same result (the caller deduplicates)', async () => {
    const n = built();
    expect(await verify(n)).toEqual(await verify(n));
  });

  it.each([
    ['SUCCESS', 'paid'],
    ['CLOSED', 'failed'],
    ['PAYERROR', 'failed'],
    ['REVOKED', 'failed'],
    ['NOTPAY', 'pending'],
    ['USERPAYING', 'pending'],
  ])('maps trade_state %s to %s', async (state, outcome) => {
    await expect(verify(built({ transaction: wechatTransaction({ trade_state: state }) }))).resolves.toMatchObject({ outcome });
  });

  it('accepts a timestamp just inside five minutes', async () => {
    await expect(verify(built({ now: new Date(NOW.getTime() - 299_000) }))).resolves.toMatchObject({ outcome: 'paid' });
  });

  it('rejects a tampered signature', () => {
    const n = built();
    const sig = Buffer.from(n.headers['wechatpay-signature'] ?? '', 'base64');
    sig[7] = (sig[7] ?? 0) ^ 1;
    return rejected({ ...n, headers: { ...n.headers, 'wechatpay-signature': sig.toString('base64') } }, /bad Wechatpay-Signature/);
  });

  it('rejects a body changed after signing', () => {
    const n = built();
    const body = n.rawBody.toString('utf8').replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCESs');
    return rejected({ ...n, rawBody: Buffer.from(body, 'utf8') }, /bad Wechatpay-Signature/);
  });

  it('rejects a notice signed by a key other than the platform’s', () => {
    const n = buildWechatNotify({ apiV3Key: API_V3_KEY, platformPrivateKey: strangerKeys.privateKey, platformSerialNo: PLATFORM_SERIAL, transaction: wechatTransaction(), now: NOW });
    return rejected(n, /bad Wechatpay-Signature/);
  });

  it('rejects a wrong Wechatpay-Serial', () => {
    const n = built();
    return rejected({ ...n, headers: { ...n.headers, 'wechatpay-serial': 'PUB_KEY_ID_OTHER' } }, /unknown platform key serial/);
  });

  it('rejects missing signature headers', () => {
    const { 'wechatpay-nonce': _dropped, ...headers } = built().headers;
    return rejected({ ...built(), headers }, /missing Wechatpay/);
  });

  it('rejects a stale timestamp', () => rejected(built({ now: new Date(NOW.getTime() - 301_000) }), /stale/));
  it('rejects a timestamp from the future', () => rejected(built({ now: new Date(NOW.getTime() + 301_000) }), /stale/));
  it('rejects a bad GCM tag even when the body is signed', () => rejected(built({ corruptTag: true }), /does not decrypt/));
  it('rejects a resource encrypted under another APIv3 key', () =>
    rejected(built({ apiV3Key: 'Z'.repeat(32) }), /does not decrypt/));
  it('rejects a transaction for another mchid', () =>
    rejected(built({ transaction: wechatTransaction({ mchid: '1900000001' }) }), /another merchant/));
  it('rejects a transaction for another appid', () =>
    rejected(built({ transaction: wechatTransaction({ appid: 'wx0000000000000000' }) }), /another merchant/));
  it('rejects a transaction without an amount', () =>
    rejected(built({ transaction: wechatTransaction({ amount: undefined }) }), /wrong shape/));
  it('rejects an unknown trade_state', () =>
    rejected(built({ transaction: wechatTransaction({ trade_state: 'REFUND' }) }), /unhandled/));
});

describe('wechat answers', () => {
  it('acknowledges with 200 SUCCESS JSON and refuses with 400 FAIL JSON', () => {
    const p = createWechatPayProvider({ ...base, baseUrl: 'https://api.mch.weixin.qq.com' });
    expect(p.ack()).toEqual({ status: 200, contentType: 'application/json', body: '{"code":"SUCCESS","message":"成功"}' });
    expect(p.nack('wrong amount')).toEqual({ status: 400, contentType: 'application/json', body: '{"code":"FAIL","message":"wrong amount"}' });
  });
});
