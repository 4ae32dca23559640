import crypto from 'node:crypto';

// Builds Alipay's asynchronous payment notice the way Alipay does: a form-encoded POST whose `sign` is the RSA2
// (SHA256withRSA) signature, under Alipay's private key, of every other field except `sign_type`, empties dropped,
// sorted by key, `k=v` joined by `&` over the raw values. Written independently of src/ so it can check it.

export type AlipayFields = Record<string, string>;

/** A TRADE_SUCCESS notice shaped like Alipay's documented example; `undefined` in overrides removes a field. */
export function alipayNotifyFields(overrides: Record<string, string | undefined> = {}): AlipayFields {
  const fields: Record<string, string | undefined> = {
    gmt_create: '2026-01-22 10:00:05',
    charset: 'utf-8',
    seller_email: 'merchant@example.com',
    subject: '充值 12.34 元 (100+ credits)',
    buyer_id: '2088102116773037',
    invoice_amount: '12.34',
    notify_id: '2026012200222100010069871234567890',
    fund_bill_list: '[{"amount":"12.34","fundChannel":"ALIPAYACCOUNT"}]',
    notify_type: 'trade_status_sync',
    trade_status: 'TRADE_SUCCESS',
    receipt_amount: '12.34',
    app_id: '2021000000000001',
    buyer_pay_amount: '12.34',
    seller_id: '2088102119685838',
    gmt_payment: '2026-01-22 10:00:09',
    notify_time: '2026-01-22 10:00:10',
    passback_params: '',
    version: '1.0',
    out_trade_no: 'R202601220001',
    total_amount: '12.34',
    trade_no: '2026012222001403030500123456',
    auth_app_id: '2021000000000001',
    point_amount: '0.00',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

function signingText(fields: AlipayFields): string {
  const keys = Object.keys(fields)
    .filter((k) => k !== 'sign' && k !== 'sign_type' && fields[k] !== '')
    .sort();
  return keys.map((k) => `${k}=${fields[k]}`).join('&');
}

/** The form body Alipay posts: the fields plus `sign_type=RSA2` and `sign`, form-urlencoded. */
export function signAlipayNotify(fields: AlipayFields, alipayPrivateKey: crypto.KeyObject): string {
  const sign = crypto.sign('sha256', Buffer.from(signingText(fields), 'utf8'), alipayPrivateKey).toString('base64');
  return new URLSearchParams({ ...fields, sign_type: 'RSA2', sign }).toString();
}

/** Changes one field of an already signed body without re-signing it (what a forger can do). */
export function tamperAlipayNotify(body: string, field: string, value: string): string {
  const params = new URLSearchParams(body);
  params.set(field, value);
  return params.toString();
}

/** Flips one bit of the signature while keeping it valid base64. */
export function corruptAlipaySign(body: string): string {
  const params = new URLSearchParams(body);
  const sig = Buffer.from(params.get('sign') ?? '', 'base64');
  sig[10] = (sig[10] ?? 0) ^ 0x01;
  params.set('sign', sig.toString('base64'));
  return params.toString();
}
