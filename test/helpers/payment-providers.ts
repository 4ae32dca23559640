import crypto from 'node:crypto';
import { expect } from 'vitest';
import { startTestApp, type TestApp } from './app.ts';
import type { DbTier } from './database.ts';

// What the Alipay and WeChat Pay suites share: keys and settings as an operator would write them, what a user can
// see of their money, a second app on the same database (a restart with other settings), and a leak check.

const rsaKeyPair = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Fresh keys for every provider, made the way their consoles make them (2048-bit RSA; a 32-character APIv3 key). */
export function paymentKeys() {
  return {
    alipayApp: rsaKeyPair(),
    alipayPlatform: rsaKeyPair(),
    wechatMerchant: rsaKeyPair(),
    wechatPlatform: rsaKeyPair(),
    apiV3Key: crypto.randomBytes(16).toString('hex'),
    sandboxSecret: crypto.randomBytes(24).toString('base64url'),
  };
}
export type PaymentKeys = ReturnType<typeof paymentKeys>;

export const ALIPAY = { appId: '2021000000000001', gateway: 'https://openapi-sandbox.dl.alipaydev.com/gateway.do' };
export const WECHAT = {
  mchId: '1230000109',
  appId: 'wxd678efh567hg6787',
  merchantSerialNo: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
  platformSerialNo: 'PUB_KEY_ID_0112345678902026012200112233440000',
};

export const pkcs8Pem = (key: crypto.KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
export const spkiPem = (key: crypto.KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
/** A PEM as it sits in a one-line environment variable: literal `\n`s. */
const oneLine = (pem: string) => pem.trim().replace(/\n/g, '\\n');

/**
 * PAYMENT_PROVIDERS=sandbox,alipay,wechat as an operator would write it: private keys as one-line PEMs with literal
 * `\n`, Alipay's public key as the bare base64 its console shows, WeChat's platform key as a multi-line PEM.
 */
export function paymentEnv(k: PaymentKeys, wechatBaseUrl: string): Record<string, string> {
  return {
    PAYMENT_PROVIDERS: 'sandbox,alipay,wechat',
    PAYMENT_SANDBOX_SECRET: k.sandboxSecret,
    ALIPAY_APP_ID: ALIPAY.appId,
    ALIPAY_PRIVATE_KEY: oneLine(pkcs8Pem(k.alipayApp.privateKey)),
    ALIPAY_PUBLIC_KEY: k.alipayPlatform.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    ALIPAY_GATEWAY: ALIPAY.gateway,
    WECHATPAY_MCH_ID: WECHAT.mchId,
    WECHATPAY_APP_ID: WECHAT.appId,
    WECHATPAY_SERIAL_NO: WECHAT.merchantSerialNo,
    WECHATPAY_PRIVATE_KEY: oneLine(pkcs8Pem(k.wechatMerchant.privateKey)),
    WECHATPAY_APIV3_KEY: k.apiV3Key,
    WECHATPAY_PLATFORM_PUBLIC_KEY: spkiPem(k.wechatPlatform.publicKey),
    WECHATPAY_PLATFORM_SERIAL: WECHAT.platformSerialNo,
    WECHATPAY_BASE_URL: wechatBaseUrl,
  };
}

/** Every full line of a private key's PEM body: what identifies the key in any rendering. */
const pemBodyLines = (key: crypto.KeyObject) =>
  pkcs8Pem(key).split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----'));

/** Proves that no private key, the APIv3 key or the sandbox secret reached a log line or a response. */
export function expectNoSecretIn(t: TestApp, k: PaymentKeys) {
  const secrets = [
    ...[k.alipayApp, k.alipayPlatform, k.wechatMerchant, k.wechatPlatform].flatMap((pair) => pemBodyLines(pair.privateKey)),
    k.apiV3Key,
    k.sandboxSecret,
  ];
  const seen = [...t.logs, ...t.responses].join('\n');
  expect(t.logs.length).toBeGreaterThan(0);
  expect(t.responses.length).toBeGreaterThan(0);
  expect(secrets.filter((s) => seen.includes(s)).map((s) => `${s.slice(0, 6)}…`)).toEqual([]);
}

/** Everything a notice could change for a user: balance, number of movements, each recharge order's status. */
export async function walletOf(t: TestApp, auth: Record<string, string>) {
  const get = async (url: string) => {
    const res = await t.request({ method: 'GET', url, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data;
  };
  const balance = await get('/api/v1/credit/balance');
  const transactions = await get('/api/v1/credit/transactions?page_size=100');
  const orders = await get('/api/v1/credit/recharge/orders?page_size=100');
  return {
    balance: balance.credit_balance as number,
    transactions: transactions.total as number,
    orders: Object.fromEntries((orders.items as { order_id: string; status: string }[]).map((o) => [o.order_id, o.status])),
  };
}

/** A second app on `t`'s database with other settings, as after a restart; closing it leaves the database open. */
export function startSiblingApp(t: TestApp, tier: DbTier, env: Record<string, string>): Promise<TestApp> {
  const shared: DbTier = { name: tier.name, open: async () => ({ ...t.database, close: async () => undefined }) };
  return startTestApp(shared, {
    env: { MASTER_KEY: t.config.masterKey as string, JWT_SECRET: t.config.jwtSecret as string, ...env },
  });
}
