import crypto from 'node:crypto';
import { formatStudioTime } from '../../../platform/time.ts';
import { NotifyRejected, parseYuanText, yuanText, type PaymentNotice, type PaymentProvider } from './provider.ts';

// Alipay open platform, "public key" mode (not certificate mode), RSA2 = SHA256withRSA.
// Request signing: every common and business parameter except `sign`, empties dropped, sorted by key, `k=v` joined by
// `&` with the raw (not URL-encoded) values. Notify verification: the same over the URL-decoded form fields, but
// `sign_type` is left out too — Alipay signs its notices without it.

export interface AlipayOptions {
  appId: string;
  privateKeyPem: string;
  alipayPublicKeyPem: string;
  /** e.g. https://openapi.alipay.com/gateway.do */
  gateway: string;
  now?: () => Date;
}

const OUTCOMES: Readonly<Record<string, PaymentNotice['outcome']>> = {
  TRADE_SUCCESS: 'paid',
  TRADE_FINISHED: 'paid',
  TRADE_CLOSED: 'failed',
  WAIT_BUYER_PAY: 'pending',
};

/** The text Alipay signs: pairs sorted by key in code-unit (ASCII) order, empties and `exclude` left out. */
export function alipaySignContent(pairs: Iterable<readonly [string, string]>, exclude: readonly string[]): string {
  return [...pairs]
    .filter(([k, v]) => v !== '' && !exclude.includes(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Alipay's `yyyy-MM-dd HH:mm:ss`, always in UTC+8. */
export const alipayTime = (date: Date) => formatStudioTime(date).replace('T', ' ');

// The Alipay console hands out keys as bare base64 (DER) without PEM armour; accept both. Its key tool writes the
// app private key as PKCS#8 ("for Java") or PKCS#1 ("for other languages", what Alipay's Node SDK expects).
function publicKey(text: string): crypto.KeyObject {
  if (text.includes('-----BEGIN')) return crypto.createPublicKey(text);
  return crypto.createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

function privateKey(text: string): crypto.KeyObject {
  if (text.includes('-----BEGIN')) return crypto.createPrivateKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

function parseForm(rawBody: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(rawBody.toString('utf8'))) {
    // A repeated field would let the signed value and the value we read differ.
    if (fields.has(k)) throw new NotifyRejected(`alipay notify repeats ${k}`);
    fields.set(k, v);
  }
  return fields;
}

function required(fields: Map<string, string>, name: string): string {
  const v = fields.get(name);
  if (v === undefined || v === '') throw new NotifyRejected(`alipay notify lacks ${name}`);
  return v;
}

export function createAlipayProvider(o: AlipayOptions): PaymentProvider {
  const appKey = privateKey(o.privateKeyPem);
  const alipayKey = publicKey(o.alipayPublicKeyPem);
  const now = o.now ?? (() => new Date());

  return {
    name: 'alipay',

    async createPayment(req) {
      if (req.amount <= 0n || req.amount % 10_000n !== 0n) throw new Error('alipay amount must be a positive whole number of fen');
      const params: Record<string, string> = {
        app_id: o.appId,
        method: 'alipay.trade.page.pay',
        format: 'JSON',
        charset: 'utf-8',
        sign_type: 'RSA2',
        timestamp: alipayTime(now()),
        version: '1.0',
        notify_url: req.notifyUrl,
        return_url: req.returnUrl,
        biz_content: JSON.stringify({
          out_trade_no: req.orderNo,
          product_code: 'FAST_INSTANT_TRADE_PAY',
          total_amount: yuanText(req.amount),
          subject: req.subject,
          time_expire: alipayTime(req.expiresAt),
        }),
      };
      const content = alipaySignContent(Object.entries(params), ['sign']);
      const sign = crypto.sign('sha256', Buffer.from(content, 'utf8'), appKey).toString('base64');
      const query = Object.entries({ ...params, sign })
        .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
        .join('&');
      return { paymentUrl: `${o.gateway}${o.gateway.includes('?') ? '&' : '?'}${query}` };
    },

    async verifyNotify({ rawBody }) {
      const fields = parseForm(rawBody);
      const sign = required(fields, 'sign');
      const signType = fields.get('sign_type');
      if (signType !== undefined && signType !== 'RSA2') throw new NotifyRejected('alipay notify is not RSA2-signed');
      const charset = fields.get('charset');
      if (charset !== undefined && charset.toLowerCase() !== 'utf-8') throw new NotifyRejected('alipay notify is not utf-8');

      const content = Buffer.from(alipaySignContent(fields, ['sign', 'sign_type']), 'utf8');
      let valid = false;
      try {
        valid = crypto.verify('sha256', content, alipayKey, Buffer.from(sign, 'base64'));
      } catch {
        valid = false;
      }
      if (!valid) throw new NotifyRejected('bad alipay signature');
      if (required(fields, 'app_id') !== o.appId) throw new NotifyRejected('alipay notify is for another app');

      const status = required(fields, 'trade_status');
      const outcome = OUTCOMES[status];
      if (!outcome) throw new NotifyRejected(`unhandled alipay trade_status ${status}`);
      const amount = parseYuanText(required(fields, 'total_amount'));
      if (amount === undefined) throw new NotifyRejected('alipay total_amount is not an amount');
      return {
        orderNo: required(fields, 'out_trade_no'),
        providerTxnId: required(fields, 'trade_no'),
        amount,
        outcome,
      };
    },

    ack: () => ({ status: 200, contentType: 'text/plain', body: 'success' }),
    // Anything but `success` makes Alipay resend (2m, 10m, 10m, 1h, 2h, 6h, 15h); `fail` is its documented word.
    nack: () => ({ status: 200, contentType: 'text/plain', body: 'fail' }),
  };
}
