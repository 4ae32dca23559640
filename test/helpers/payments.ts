import { signSandbox } from '../../src/modules/commerce/payments/sandbox.ts';
import { createLedger } from '../../src/modules/ledger/ledger.service.ts';
import { systemClock } from '../../src/platform/time.ts';
import type { TestApp } from './app.ts';

// Paying orders through the sandbox provider the way a client holding PAYMENT_SANDBOX_SECRET would: the studio
// seed's callback body, signed in X-Signature with the lowercase hex HMAC-SHA256 of the raw body.

export const SANDBOX_SECRET = 'test-sandbox-secret-123';
/** Start the app with this so tests can sign callbacks: `startTestApp(tier, { env: SANDBOX_ENV })`. */
export const SANDBOX_ENV = { PAYMENT_SANDBOX_SECRET: SANDBOX_SECRET };
export const CALLBACK_URL = '/api/v1/credit/payment/callback';

const json = { 'content-type': 'application/json' };
type Headers = Record<string, string>;

export interface SandboxCallbackBody {
  order_id: string;
  payment_method: 'alipay' | 'wechat';
  transaction_id: string;
  status: 'success' | 'failed';
}

/** A successful callback for `orderId`; its transaction id is derived from the order unless overridden. */
export const callbackBody = (orderId: string, overrides: Partial<SandboxCallbackBody> = {}): SandboxCallbackBody => ({
  order_id: orderId,
  payment_method: 'alipay',
  transaction_id: `sbx-${orderId}`,
  status: 'success',
  ...overrides,
});

/**
 * Posts a raw callback. By default the exact bytes sent are signed with SANDBOX_SECRET; `signature` replaces the
 * header value, `null` leaves the header out.
 */
export function postCallback(t: TestApp, body: object | string, opts: { signature?: string | null; secret?: string } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = opts.signature === undefined ? signSandbox(opts.secret ?? SANDBOX_SECRET, raw) : opts.signature;
  return t.request({
    method: 'POST',
    url: CALLBACK_URL,
    headers: { ...json, ...(signature === null ? {} : { 'x-signature': signature }) },
    payload: raw,
  });
}

/** Pays a pending sandbox order with a correctly signed callback; throws unless the callback is accepted. */
export async function payOrder(t: TestApp, orderId: string, overrides: Partial<SandboxCallbackBody> = {}) {
  const res = await postCallback(t, callbackBody(orderId, overrides));
  if (res.statusCode !== 200) throw new Error(`sandbox callback failed: ${res.statusCode} ${res.body}`);
  return res.json() as { code: 200; message: string; data: { order_id: string; status: string } };
}

export interface RechargeData {
  order_id: string;
  amount: number;
  credits: number;
  payment_url: string | null;
}

/**
 * The sandbox checkout's API behind a payment_url, as the console page /pay/sandbox/{order}?payer=…&expires=…&signature=…
 * calls it: /api/v1/payments/sandbox/{order} with the link's parameters.
 */
export function checkoutApiUrl(paymentUrl: string): string {
  const link = new URL(paymentUrl);
  const orderNo = link.pathname.slice('/pay/sandbox/'.length);
  return `/api/v1/payments/sandbox/${orderNo}${link.search}`;
}

/** Pays (or fails) an order on the sandbox checkout, as its page's buttons do, through the signed link. */
export const checkoutPay = (t: TestApp, paymentUrl: string, status: 'success' | 'failed' = 'success', headers: Headers = {}) =>
  t.request({ method: 'POST', url: checkoutApiUrl(paymentUrl), headers: { ...json, ...headers }, payload: { status } });

/** Creates a recharge order of `amount` CNY; throws unless it was created. */
export async function createRecharge(t: TestApp, auth: Headers, amount: number | string, paymentMethod = 'alipay'): Promise<RechargeData> {
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/credit/recharge',
    headers: { ...json, ...auth },
    payload: { amount, payment_method: paymentMethod },
  });
  if (res.statusCode !== 200) throw new Error(`recharge failed: ${res.statusCode} ${res.body}`);
  return res.json().data;
}

/** Recharges `amount` CNY and pays it through the sandbox: the user ends with amount × 10 more credits. */
export async function rechargeAndPay(t: TestApp, auth: Headers, amount: number | string): Promise<RechargeData> {
  const order = await createRecharge(t, auth, amount);
  await payOrder(t, order.order_id);
  return order;
}

/** Buys a membership; returns the raw response (balance payments answer 40001 when credits are short). */
export const buyMembership = (t: TestApp, auth: Headers, membershipType: string, paymentMethod = 'balance') =>
  t.request({
    method: 'POST',
    url: '/api/v1/credit/membership',
    headers: { ...json, ...auth },
    payload: { membership_type: membershipType, payment_method: paymentMethod },
  });

export interface Standing {
  credit_balance: number;
  is_member: boolean;
  membership_type: string | null;
  membership_end_date: string | null;
  /** CNY owed (a prepaid user's debt, a postpaid user's bill). */
  owed_amount: number;
  billing_mode: 'prepaid' | 'postpaid';
}

export async function standing(t: TestApp, auth: Headers): Promise<Standing> {
  const res = await t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: auth });
  if (res.statusCode !== 200) throw new Error(`balance failed: ${res.statusCode} ${res.body}`);
  return res.json().data;
}

/** The reconciliation the ledger job runs: both lists are empty when the books are sound. */
export const ledgerCheck = (t: TestApp) => createLedger({ database: t.database, clock: systemClock }).check();

/** Everything a callback could change for a user: balance, membership, movements, and each order's status. */
export async function walletSnapshot(t: TestApp, auth: Headers) {
  const get = async (url: string) => {
    const res = await t.request({ method: 'GET', url, headers: auth });
    if (res.statusCode !== 200) throw new Error(`${url} failed: ${res.statusCode} ${res.body}`);
    return res.json().data;
  };
  const statuses = (items: { order_id: string; status: string }[]) => Object.fromEntries(items.map((o) => [o.order_id, o.status]));
  return {
    standing: (await get('/api/v1/credit/balance')) as Standing,
    transactions: (await get('/api/v1/credit/transactions?page_size=100')).items as unknown[],
    recharges: statuses((await get('/api/v1/credit/recharge/orders?page_size=100')).items),
    memberships: statuses((await get('/api/v1/credit/membership/orders?page_size=100')).items),
  };
}
