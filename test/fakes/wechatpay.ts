import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in for api.mch.weixin.qq.com (API v3) that checks what the real one checks and signs what the real one
// signs, plus a builder for its payment notices. Written independently of src/ so it can check it.

export interface RecordedNativeOrder {
  path: string;
  authorization: string;
  /** The Authorization fields (`mchid`, `nonce_str`, `signature`, `timestamp`, `serial_no`). */
  auth: Record<string, string>;
  rawBody: string;
  body: Record<string, unknown>;
}

export interface FakeWechatPayOptions {
  mchId: string;
  merchantSerialNo: string;
  merchantPublicKey: crypto.KeyObject;
  platformPrivateKey: crypto.KeyObject;
  platformSerialNo: string;
  now?: () => Date;
}

export interface FakeWechatPay {
  baseUrl: string;
  /** Orders whose Authorization verified. */
  orders: RecordedNativeOrder[];
  /** Requests refused with 401. */
  refused: number;
  /** What the next answers get wrong on purpose. */
  misbehave: { badAnswerSignature?: boolean; answerSerial?: string };
  close(): Promise<void>;
}

const nonceText = () => crypto.randomBytes(16).toString('hex').toUpperCase();
const seconds = (now: () => Date) => Math.floor(now().getTime() / 1000).toString();

function platformSign(key: crypto.KeyObject, timestamp: string, nonce: string, body: string): string {
  return crypto.sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`, 'utf8'), key).toString('base64');
}

function parseAuthorization(header: string | undefined): Record<string, string> | undefined {
  const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(header ?? '');
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const part of (m[1] as string).split(',')) {
    const kv = /^(\w+)="([^"]*)"$/.exec(part);
    if (!kv) return undefined;
    fields[kv[1] as string] = kv[2] as string;
  }
  return fields;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeWechatPay(o: FakeWechatPayOptions): Promise<FakeWechatPay> {
  const now = o.now ?? (() => new Date());
  const fake: Omit<FakeWechatPay, 'baseUrl' | 'close'> = { orders: [], refused: 0, misbehave: {} };

  function answer(res: http.ServerResponse, status: number, payload: unknown) {
    const body = JSON.stringify(payload);
    const timestamp = seconds(now);
    const nonce = nonceText();
    const signed = fake.misbehave.badAnswerSignature ? body.replace('weixin', 'weixim') : body;
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'request-id': crypto.randomUUID(),
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-serial': fake.misbehave.answerSerial ?? o.platformSerialNo,
      'wechatpay-signature': platformSign(o.platformPrivateKey, timestamp, nonce, signed),
    });
    res.end(body);
  }

  const server = http.createServer(async (req, res) => {
    const rawBody = await readBody(req);
    if (req.method !== 'POST' || req.url !== '/v3/pay/transactions/native') {
      return answer(res, 404, { code: 'NOT_FOUND', message: 'no such API' });
    }
    const auth = parseAuthorization(req.headers.authorization);
    const message = `POST\n${req.url}\n${auth?.timestamp}\n${auth?.nonce_str}\n${rawBody}\n`;
    const valid =
      auth !== undefined &&
      auth.mchid === o.mchId &&
      auth.serial_no === o.merchantSerialNo &&
      crypto.verify('sha256', Buffer.from(message, 'utf8'), o.merchantPublicKey, Buffer.from(auth.signature ?? '', 'base64'));
    if (!valid) {
      fake.refused += 1;
      return answer(res, 401, { code: 'SIGN_ERROR', message: '签名错误，请检查后再试' });
    }
    const body = JSON.parse(rawBody) as Record<string, unknown>;
    fake.orders.push({ path: req.url, authorization: req.headers.authorization as string, auth, rawBody, body });
    answer(res, 200, { code_url: `weixin://wxpay/bizpayurl?pr=${crypto.randomBytes(6).toString('base64url')}` });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  });
}

/** A decrypted `transaction` resource as WeChat documents it; overrides are shallow. */
export function wechatTransaction(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: 'wxd678efh567hg6787',
    mchid: '1230000109',
    out_trade_no: 'R202601220001',
    transaction_id: '4200001234202601221234567890',
    trade_type: 'NATIVE',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: '2026-01-22T10:00:09+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 1234, payer_total: 1234, currency: 'CNY', payer_currency: 'CNY' },
    ...overrides,
  };
}

export interface WechatNotifyOptions {
  apiV3Key: string;
  platformPrivateKey: crypto.KeyObject;
  platformSerialNo: string;
  transaction: Record<string, unknown>;
  now?: Date;
  /** Flip a bit of the GCM tag, then sign the body anyway: only decryption can catch it. */
  corruptTag?: boolean;
}

/** The headers and raw body of a TRANSACTION.SUCCESS notice, encrypted and signed as WeChat does it. */
export function buildWechatNotify(o: WechatNotifyOptions): { headers: Record<string, string>; rawBody: Buffer } {
  const iv = crypto.randomBytes(6).toString('hex'); // 12 characters, used as their UTF-8 bytes
  const associatedData = 'transaction';
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(o.apiV3Key, 'utf8'), Buffer.from(iv, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(o.transaction), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  if (o.corruptTag) sealed[sealed.length - 1] = (sealed[sealed.length - 1] as number) ^ 0x01;
  const body = JSON.stringify({
    id: crypto.randomUUID(),
    create_time: '2026-01-22T10:00:10+08:00',
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: sealed.toString('base64'),
      associated_data: associatedData,
      nonce: iv,
    },
  });
  const timestamp = Math.floor((o.now ?? new Date()).getTime() / 1000).toString();
  const nonce = nonceText();
  return {
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': nonce,
      'wechatpay-serial': o.platformSerialNo,
      'wechatpay-signature': platformSign(o.platformPrivateKey, timestamp, nonce, body),
    },
    rawBody: Buffer.from(body, 'utf8'),
  };
}
