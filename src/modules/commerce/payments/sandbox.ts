import crypto from 'node:crypto';
import { z } from 'zod';
import { headerValue, NotifyRejected, type PaymentProvider } from './provider.ts';

// The development and test provider. Its callback is the studio seed's `POST /api/v1/credit/payment/callback`
// body, signed in `X-Signature` with the lowercase hex HMAC-SHA256 of the raw body under PAYMENT_SANDBOX_SECRET,
// so any client holding the secret can drive it. The amount is our own order's: the body carries none.
// Its checkout page (/pay/sandbox/{order}) marks orders paid without money, so only the order's owner may open it:
// the payment_url is a link signed for the owner that expires with the order (or the owner's session on the page).

export const SandboxCallback = z.strictObject({
  order_id: z.string().min(1).max(64),
  payment_method: z.enum(['alipay', 'wechat']),
  transaction_id: z.string().min(1).max(128),
  status: z.enum(['success', 'failed']),
});

export const signSandbox = (secret: string, rawBody: Buffer | string) =>
  crypto.createHmac('sha256', secret).update(rawBody).digest('hex');

const payLinkMac = (secret: string, orderNo: string, payer: string, expires: string) =>
  crypto.createHmac('sha256', secret).update(`sandbox-pay-page\n${orderNo}\n${payer}\n${expires}`).digest('hex');

/** `/pay/sandbox/{order}?payer=…&expires=…&signature=…`: the checkout page of one order, for its owner, until `expiresAt`. */
export function sandboxPayLink(secret: string, orderNo: string, payerUserId: number, expiresAt: Date): string {
  const expires = String(Math.floor(expiresAt.getTime() / 1000));
  const query = new URLSearchParams({ payer: String(payerUserId), expires, signature: payLinkMac(secret, orderNo, String(payerUserId), expires) });
  return `/pay/sandbox/${encodeURIComponent(orderNo)}?${query}`;
}

/** The owner a pay link was signed for; undefined when it is not ours, was altered, or has expired. */
export function verifySandboxPayLink(secret: string, orderNo: string, q: { payer?: string; expires?: string; signature?: string }, now: Date): number | undefined {
  const { payer, expires, signature } = q;
  if (!payer || !expires || !signature || !/^\d{1,15}$/.test(payer) || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return undefined;
  const expected = payLinkMac(secret, orderNo, payer, expires);
  if (!crypto.timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(expected, 'hex'))) return undefined;
  return now.getTime() <= Number(expires) * 1000 ? Number(payer) : undefined;
}

export function createSandboxProvider(o: { secret: string; publicBaseUrl: string }): PaymentProvider {
  return {
    name: 'sandbox',
    async createPayment(req) {
      return { paymentUrl: `${o.publicBaseUrl}${sandboxPayLink(o.secret, req.orderNo, req.payerUserId, req.expiresAt)}` };
    },
    async verifyNotify({ rawBody, headers }) {
      const given = headerValue(headers, 'x-signature') ?? '';
      const expected = signSandbox(o.secret, rawBody);
      if (!/^[0-9a-f]{64}$/.test(given) || !crypto.timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'))) {
        throw new NotifyRejected('bad sandbox signature');
      }
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new NotifyRejected('sandbox callback is not JSON');
      }
      const parsed = SandboxCallback.safeParse(body);
      if (!parsed.success) throw new NotifyRejected('sandbox callback has the wrong shape');
      return {
        orderNo: parsed.data.order_id,
        providerTxnId: parsed.data.transaction_id,
        amount: undefined,
        outcome: parsed.data.status === 'success' ? 'paid' : 'failed',
      };
    },
    ack: () => ({ status: 200, contentType: 'application/json', body: JSON.stringify({ code: 200, message: 'success', data: null }) }),
    nack: (reason) => ({ status: 400, contentType: 'application/json', body: JSON.stringify({ code: 40005, message: reason, data: null }) }),
  };
}
