import crypto from 'node:crypto';
import { request } from 'undici';
import { z } from 'zod';
import { formatStudioTime } from '../../../platform/time.ts';
import { headerValue, NotifyRejected, type NotifyRequest, type PaymentNotice, type PaymentProvider } from './provider.ts';

// WeChat Pay API v3, direct merchant, Native (QR code) payments, platform *public key* mode (a fixed
// platformSerialNo, no certificate download). Requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 …` signed over
// `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`; answers and notices are signed by the platform over
// `TIMESTAMP\nNONCE\nBODY\n`, and a notice's `resource` is AEAD_AES_256_GCM-encrypted under the APIv3 key.

export interface WechatPayOptions {
  mchId: string;
  appId: string;
  merchantSerialNo: string;
  merchantPrivateKeyPem: string;
  /** The APIv3 key: 32 bytes of text. */
  apiV3Key: string;
  platformPublicKeyPem: string;
  platformSerialNo: string;
  /** https://api.mch.weixin.qq.com */
  baseUrl: string;
  now?: () => Date;
  nonce?: () => string;
}

const REQUEST_TIMEOUT_MS = 10_000;
/** WeChat's own SDKs refuse signed messages older (or newer) than five minutes. */
const MAX_SKEW_SECONDS = 300;
const GCM_TAG_BYTES = 16;

const OUTCOMES: Readonly<Record<string, PaymentNotice['outcome']>> = {
  SUCCESS: 'paid',
  CLOSED: 'failed',
  PAYERROR: 'failed',
  REVOKED: 'failed',
  NOTPAY: 'pending',
  USERPAYING: 'pending',
};

const Notification = z.object({
  resource: z.object({
    algorithm: z.literal('AEAD_AES_256_GCM'),
    ciphertext: z.string().min(1),
    nonce: z.string().min(1),
    associated_data: z.string().optional(),
  }),
});

const Transaction = z.object({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().min(1),
  trade_state: z.string(),
  amount: z.object({ total: z.number().int().nonnegative(), currency: z.string().optional() }),
});

const NativeAnswer = z.object({ code_url: z.string().min(1) });

/** The five-line message a merchant signs for a request. */
export const wechatRequestMessage = (method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string) =>
  `${method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;

/** The three-line message the platform signs for an answer or a notice, over the body's exact bytes. */
export const wechatAnswerMessage = (timestamp: string, nonce: string, body: Buffer) =>
  Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), body, Buffer.from('\n', 'utf8')]);

/** WeChat's RFC 3339 time, always written in UTC+8. */
export const wechatTime = (date: Date) => `${formatStudioTime(date)}+08:00`;

/** Why a platform-signed message cannot be trusted, or undefined when it can. */
function platformSignatureProblem(
  headers: NotifyRequest['headers'],
  body: Buffer,
  o: { platformKey: crypto.KeyObject; platformSerialNo: string; nowMs: number },
): string | undefined {
  const serial = headerValue(headers, 'wechatpay-serial');
  const timestamp = headerValue(headers, 'wechatpay-timestamp');
  const nonce = headerValue(headers, 'wechatpay-nonce');
  const signature = headerValue(headers, 'wechatpay-signature');
  if (!serial || !timestamp || !nonce || !signature) return 'missing Wechatpay-* signature headers';
  if (serial !== o.platformSerialNo) return 'signed with an unknown platform key serial';
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed Wechatpay-Timestamp';
  if (Math.abs(o.nowMs / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return 'stale Wechatpay-Timestamp';
  try {
    const message = wechatAnswerMessage(timestamp, nonce, body);
    if (crypto.verify('sha256', message, o.platformKey, Buffer.from(signature, 'base64'))) return undefined;
  } catch {
    // A malformed signature is just a bad one.
  }
  return 'bad Wechatpay-Signature';
}

function decryptResource(key: Buffer, resource: z.infer<typeof Notification>['resource']): Buffer {
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length <= GCM_TAG_BYTES) throw new NotifyRejected('wechat resource is too short');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(resource.nonce, 'utf8'), {
      authTagLength: GCM_TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch {
    throw new NotifyRejected('wechat resource does not decrypt under the APIv3 key');
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function createWechatPayProvider(o: WechatPayOptions): PaymentProvider {
  const merchantKey = crypto.createPrivateKey(o.merchantPrivateKeyPem);
  const platformKey = crypto.createPublicKey(o.platformPublicKeyPem);
  const aesKey = Buffer.from(o.apiV3Key, 'utf8');
  if (aesKey.length !== 32) throw new Error('WeChat Pay apiV3Key must be 32 bytes');
  const now = o.now ?? (() => new Date());
  const nonce = o.nonce ?? (() => crypto.randomBytes(16).toString('hex').toUpperCase());
  const trust = () => ({ platformKey, platformSerialNo: o.platformSerialNo, nowMs: now().getTime() });

  function authorization(method: string, pathAndQuery: string, body: string): string {
    const timestamp = Math.floor(now().getTime() / 1000).toString();
    const nonceStr = nonce();
    const message = wechatRequestMessage(method, pathAndQuery, timestamp, nonceStr, body);
    const signature = crypto.sign('sha256', Buffer.from(message, 'utf8'), merchantKey).toString('base64');
    return (
      `WECHATPAY2-SHA256-RSA2048 mchid="${o.mchId}",nonce_str="${nonceStr}",signature="${signature}",` +
      `timestamp="${timestamp}",serial_no="${o.merchantSerialNo}"`
    );
  }

  return {
    name: 'wechat',

    async createPayment(req) {
      if (req.amount <= 0n || req.amount % 10_000n !== 0n) throw new Error('wechat amount must be a positive whole number of fen');
      const url = new URL(`${o.baseUrl.replace(/\/+$/, '')}/v3/pay/transactions/native`);
      const body = JSON.stringify({
        appid: o.appId,
        mchid: o.mchId,
        description: req.subject,
        out_trade_no: req.orderNo,
        time_expire: wechatTime(req.expiresAt),
        notify_url: req.notifyUrl,
        amount: { total: Number(req.amount / 10_000n), currency: 'CNY' },
      });
      const res = await request(url, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'user-agent': 'tollgate (+wechatpay-v3)',
          authorization: authorization('POST', `${url.pathname}${url.search}`, body),
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const answer = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const code = (parseJson(answer) as { code?: unknown } | undefined)?.code;
        throw new Error(`WeChat Pay native order failed: HTTP ${res.statusCode}${typeof code === 'string' ? ` ${code}` : ''}`);
      }
      const problem = platformSignatureProblem(res.headers, answer, trust());
      if (problem) throw new Error(`WeChat Pay answer not trusted: ${problem}`);
      const parsed = NativeAnswer.safeParse(parseJson(answer));
      if (!parsed.success) throw new Error('WeChat Pay answer has no code_url');
      return { paymentUrl: parsed.data.code_url };
    },

    async verifyNotify({ rawBody, headers }) {
      const problem = platformSignatureProblem(headers, rawBody, trust());
      if (problem) throw new NotifyRejected(`wechat notify: ${problem}`);
      const notification = Notification.safeParse(parseJson(rawBody));
      if (!notification.success) throw new NotifyRejected('wechat notify has the wrong shape');
      const txn = Transaction.safeParse(parseJson(decryptResource(aesKey, notification.data.resource)));
      if (!txn.success) throw new NotifyRejected('wechat transaction has the wrong shape');
      const t = txn.data;
      if (t.mchid !== o.mchId || t.appid !== o.appId) throw new NotifyRejected('wechat notify is for another merchant');
      if (t.amount.currency !== undefined && t.amount.currency !== 'CNY') throw new NotifyRejected('wechat notify is not in CNY');
      const outcome = OUTCOMES[t.trade_state];
      if (!outcome) throw new NotifyRejected(`unhandled wechat trade_state ${t.trade_state}`);
      return {
        orderNo: t.out_trade_no,
        providerTxnId: t.transaction_id,
        amount: BigInt(t.amount.total) * 10_000n,
        outcome,
      };
    },

    // v3 reads the HTTP status first: 200/204 is "handled", 4xx/5xx makes WeChat resend.
    ack: () => ({ status: 200, contentType: 'application/json', body: JSON.stringify({ code: 'SUCCESS', message: '成功' }) }),
    nack: (reason) => ({ status: 400, contentType: 'application/json', body: JSON.stringify({ code: 'FAIL', message: reason }) }),
  };
}
