// One small interface per payment provider (STYLE.md rule 7): adding one is a new file.

export interface PaymentRequest {
  orderNo: string;
  /** The order's owner: the sandbox's checkout page is theirs alone. */
  payerUserId: number;
  /** µ¥, a whole number of fen. */
  amount: bigint;
  subject: string;
  expiresAt: Date;
  /** Where the provider posts its asynchronous notice. */
  notifyUrl: string;
  /** Where the payer's browser returns (page-pay providers). */
  returnUrl: string;
  clientIp?: string;
}

export interface PaymentNotice {
  orderNo: string;
  providerTxnId: string;
  /** µ¥ the provider says was paid; undefined only for the sandbox, whose callback carries no amount. */
  amount: bigint | undefined;
  /** `pending` notices (e.g. Alipay WAIT_BUYER_PAY) are acknowledged and change nothing. */
  outcome: 'paid' | 'failed' | 'pending';
}

export interface NotifyRequest {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface ProviderAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface PaymentProvider {
  readonly name: string;
  /** Where the payer goes: a signed page-pay URL, a QR `code_url`, or the sandbox page. Called outside any transaction. */
  createPayment(req: PaymentRequest): Promise<{ paymentUrl: string }>;
  /** Verifies the provider's signature and decodes the notice; throws NotifyRejected when it cannot be trusted. */
  verifyNotify(req: NotifyRequest): Promise<PaymentNotice>;
  /** The answer that tells the provider the notice was handled. */
  ack(): ProviderAnswer;
  /** The answer for a notice that was refused (forged, wrong amount, …), in the provider's own format. */
  nack(reason: string): ProviderAnswer;
}

/** A notice that failed verification: nothing may change because of it. */
export class NotifyRejected extends Error {
  override name = 'NotifyRejected';
}

/** µ¥ → the `12.34` text providers use for amounts. */
export function yuanText(micros: bigint): string {
  const fen = micros / 10_000n;
  return `${fen / 100n}.${(fen % 100n).toString().padStart(2, '0')}`;
}

/** `12.34` → µ¥; undefined unless it is a plain amount with at most 2 decimals. */
export function parseYuanText(text: string): bigint | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  return BigInt(m[1] as string) * 1_000_000n + BigInt((m[2] ?? '').padEnd(2, '0')) * 10_000n;
}

export function headerValue(headers: NotifyRequest['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
