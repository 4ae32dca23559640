import crypto from 'node:crypto';
import { z } from 'zod';
import { headerValue, NotifyRejected, type PaymentProvider } from './provider.ts';

// The development and test provider. Its callback is the studio seed's `POST /api/v1/credit/payment/callback`
// body, signed in `X-Signature` with the lowercase hex HMAC-SHA256 of the raw body under PAYMENT_SANDBOX_SECRET,
// so any client holding the secret can drive it. The amount is our own order's: the body carries none.

export const SandboxCallback = z.strictObject({
  order_id: z.string().min(1).max(64),
  payment_method: z.enum(['alipay', 'wechat']),
  transaction_id: z.string().min(1).max(128),
  status: z.enum(['success', 'failed']),
});

export const signSandbox = (secret: string, rawBody: Buffer | string) =>
  crypto.createHmac('sha256', secret).update(rawBody).digest('hex');

export function createSandboxProvider(o: { secret: string; publicBaseUrl: string }): PaymentProvider {
  return {
    name: 'sandbox',
    async createPayment(req) {
      return { paymentUrl: `${o.publicBaseUrl}/pay/sandbox/${encodeURIComponent(req.orderNo)}` };
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
