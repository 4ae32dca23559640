import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alipayNotifyFields, corruptAlipaySign, signAlipayNotify, tamperAlipayNotify } from '../../../../test/fakes/alipay.ts';
import { alipaySignContent, createAlipayProvider } from './alipay.ts';
import { NotifyRejected, type PaymentRequest } from './provider.ts';

const pem = (k: crypto.KeyObject, type: 'pkcs8' | 'spki') =>
  k.export({ type, format: 'pem' }).toString();
const appKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const alipayKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

const APP_ID = '2021000000000001';
const GATEWAY = 'https://openapi.alipay.com/gateway.do';
const provider = createAlipayProvider({
  appId: APP_ID,
  privateKeyPem: pem(appKeys.privateKey, 'pkcs8'),
  alipayPublicKeyPem: pem(alipayKeys.publicKey, 'spki'),
  gateway: GATEWAY,
  now: () => new Date('2026-01-22T02:00:00Z'), // 10:00:00 in UTC+8
});

const order: PaymentRequest = {
  orderNo: 'R202601220001',
  payerUserId: 7,
  amount: 12_340_000n,
  subject: '充值 12.34 元 & more',
  expiresAt: new Date('2026-01-22T02:30:00Z'),
  notifyUrl: 'https://pay.example.com/api/v1/payments/alipay/notify',
  returnUrl: 'https://studio.example.com/recharge/done?order=R202601220001',
};

const notify = (body: string) => provider.verifyNotify({ rawBody: Buffer.from(body, 'utf8'), headers: {} });
const signed = (overrides: Record<string, string | undefined> = {}) =>
  signAlipayNotify(alipayNotifyFields(overrides), alipayKeys.privateKey);

describe('alipay signing content', () => {
  it('sorts by key in ASCII order, drops empties and excluded keys, and keeps values raw', () => {
    const pairs: [string, string][] = [
      ['b', '2'],
      ['sign', 'xyz'],
      ['a_b', 'x y&z'],
      ['A', 'upper'],
      ['a', '1'],
      ['empty', ''],
    ];
    expect(alipaySignContent(pairs, ['sign'])).toBe('A=upper&a=1&a_b=x y&z&b=2');
  });
});

describe('alipay page-pay URL', () => {
  it('signs the documented string with the app key, built here step by step', async () => {
    const { paymentUrl } = await provider.createPayment(order);
    const expected = [
      `app_id=${APP_ID}`,
      'biz_content={"out_trade_no":"R202601220001","product_code":"FAST_INSTANT_TRADE_PAY","total_amount":"12.34",' +
        '"subject":"充值 12.34 元 & more","time_expire":"2026-01-22 10:30:00"}',
      'charset=utf-8',
      'format=JSON',
      'method=alipay.trade.page.pay',
      'notify_url=https://pay.example.com/api/v1/payments/alipay/notify',
      'return_url=https://studio.example.com/recharge/done?order=R202601220001',
      'sign_type=RSA2',
      'timestamp=2026-01-22 10:00:00',
      'version=1.0',
    ].join('&');
    const sign = new URL(paymentUrl).searchParams.get('sign') ?? '';
    expect(crypto.verify('sha256', Buffer.from(expected, 'utf8'), appKeys.publicKey, Buffer.from(sign, 'base64'))).toBe(true);
  });

  it('is a GET to the gateway carrying every common parameter, URL-encoded', async () => {
    const { paymentUrl } = await provider.createPayment(order);
    expect(paymentUrl.startsWith(`${GATEWAY}?`)).toBe(true);
    expect(paymentUrl).not.toMatch(/[ {}"]/);
    expect(paymentUrl).toContain('timestamp=2026-01-22%2010%3A00%3A00');
    const q = new URL(paymentUrl).searchParams;
    expect(Object.fromEntries([...q].filter(([k]) => k !== 'sign' && k !== 'biz_content'))).toEqual({
      app_id: APP_ID,
      method: 'alipay.trade.page.pay',
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: '2026-01-22 10:00:00',
      version: '1.0',
      notify_url: order.notifyUrl,
      return_url: order.returnUrl,
    });
    expect(JSON.parse(q.get('biz_content') ?? '')).toEqual({
      out_trade_no: 'R202601220001',
      product_code: 'FAST_INSTANT_TRADE_PAY',
      total_amount: '12.34',
      subject: order.subject,
      time_expire: '2026-01-22 10:30:00',
    });
  });

  it.each(['pkcs8', 'pkcs1'] as const)('takes the app key as the bare %s base64 Alipay’s key tool writes', async (type) => {
    const bare = appKeys.privateKey.export({ type, format: 'der' }).toString('base64');
    const { paymentUrl } = await createAlipayProvider({
      appId: APP_ID,
      privateKeyPem: bare,
      alipayPublicKeyPem: alipayKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      gateway: GATEWAY,
    }).createPayment(order);
    const q = new URL(paymentUrl).searchParams;
    const content = alipaySignContent(q, ['sign']);
    expect(crypto.verify('sha256', Buffer.from(content, 'utf8'), appKeys.publicKey, Buffer.from(q.get('sign') ?? '', 'base64'))).toBe(true);
  });

  it('refuses an amount that is not a positive whole number of fen', async () => {
    await expect(provider.createPayment({ ...order, amount: 0n })).rejects.toThrow(/fen/);
    await expect(provider.createPayment({ ...order, amount: 12_345n })).rejects.toThrow(/fen/);
  });
});

describe('alipay notify', () => {
  it('accepts a notice signed by Alipay and maps it', async () => {
    await expect(notify(signed())).resolves.toEqual({
      orderNo: 'R202601220001',
      providerTxnId: '2026012222001403030500123456',
      amount: 12_340_000n,
      outcome: 'paid',
    });
  });

  it('decodes the same notice twice to the same result (the caller deduplicates)', async () => {
    const body = signed();
    expect(await notify(body)).toEqual(await notify(body));
  });

  it.each([
    ['TRADE_SUCCESS', 'paid'],
    ['TRADE_FINISHED', 'paid'],
    ['TRADE_CLOSED', 'failed'],
    ['WAIT_BUYER_PAY', 'pending'],
  ])('maps trade_status %s to %s', async (status, outcome) => {
    await expect(notify(signed({ trade_status: status }))).resolves.toMatchObject({ outcome });
  });

  it('verifies over URL-decoded values (spaces, "+", Chinese and JSON in fields)', async () => {
    const body = signed({ subject: 'a+b c 充值', body: '{"k":"v&w=1"}' });
    expect(body).toContain('subject=a%2Bb+c+');
    await expect(notify(body)).resolves.toMatchObject({ outcome: 'paid' });
  });

  const rejected = async (body: string, reason: RegExp) => {
    const err = await notify(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyRejected);
    expect((err as Error).message).toMatch(reason);
  };

  it('rejects a tampered signature', () => rejected(corruptAlipaySign(signed()), /signature/));
  it('rejects a tampered total_amount', () => rejected(tamperAlipayNotify(signed(), 'total_amount', '1234.00'), /signature/));
  it('rejects a tampered trade_status', () => rejected(tamperAlipayNotify(signed({ trade_status: 'WAIT_BUYER_PAY' }), 'trade_status', 'TRADE_SUCCESS'), /signature/));
  it('rejects a field added after signing', () => rejected(tamperAlipayNotify(signed(), 'refund_fee', '12.34'), /signature/));
  it('rejects a notice signed with a key other than Alipay’s', () =>
    rejected(signAlipayNotify(alipayNotifyFields(), appKeys.privateKey), /signature/));
  it('rejects a notice without a signature', () => rejected(new URLSearchParams(alipayNotifyFields()).toString(), /lacks sign/));
  it('rejects a correctly signed notice for another app_id', () => rejected(signed({ app_id: '2021000000009999' }), /another app/));
  it('rejects a correctly signed notice missing trade_no', () => rejected(signed({ trade_no: undefined }), /lacks trade_no/));
  it('rejects a correctly signed notice missing out_trade_no', () => rejected(signed({ out_trade_no: undefined }), /lacks out_trade_no/));
  it('rejects an unparseable total_amount', () => rejected(signed({ total_amount: '12.345' }), /not an amount/));
  it('rejects an unknown trade_status', () => rejected(signed({ trade_status: 'TRADE_PENDING' }), /unhandled/));
  it('rejects a repeated field', () => rejected(`${signed()}&total_amount=0.01`, /repeats total_amount/));
  it('rejects a sign_type other than RSA2', () => rejected(tamperAlipayNotify(signed(), 'sign_type', 'RSA'), /RSA2/));
});

describe('alipay answers', () => {
  it('acknowledges with the plain text success and refuses with fail', () => {
    expect(provider.ack()).toEqual({ status: 200, contentType: 'text/plain', body: 'success' });
    expect(provider.nack('wrong amount')).toEqual({ status: 200, contentType: 'text/plain', body: 'fail' });
  });
});
