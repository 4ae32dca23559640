// How a withdrawal's money reaches the supplier once an operator processes it. One small interface per way of
// paying (DESIGN.md rule 7); a bank or Alipay transfer API would be another provider here.

export const PAYOUT_PROVIDERS = ['manual', 'sandbox'] as const;
export type PayoutProviderName = (typeof PAYOUT_PROVIDERS)[number];

export interface PayoutOrder {
  settlementNo: string;
  /** µ¥ the supplier receives (the withdrawal less its fee). */
  netAmount: bigint;
  paymentMethod: string;
  paymentAccount: string;
  /** The provider's reference from `submit`, when it gave one. */
  reference?: string | null;
}

export type PayoutState = { state: 'processing' } | { state: 'paid'; reference: string } | { state: 'failed'; reason: string };

export interface PayoutProvider {
  readonly name: PayoutProviderName;
  /** Whether the `supply.payouts` job asks it for outcomes; otherwise an operator completes or fails by hand. */
  readonly polled: boolean;
  /** Hands the payout over, after the settlement is committed as `processing`. */
  submit(order: PayoutOrder): Promise<{ reference?: string }>;
  status(order: PayoutOrder): Promise<PayoutState>;
}

/** An operator pays outside Tollgate and then records the outcome (complete with the bank's reference, or fail). */
const manual: PayoutProvider = {
  name: 'manual',
  polled: false,
  submit: async () => ({}),
  status: async () => ({ state: 'processing' }),
};

/**
 * Development and tests: "pays" at the next poll. An account starting with `sandbox-fail` is refused, so the failure
 * path can be exercised end to end.
 */
const sandbox: PayoutProvider = {
  name: 'sandbox',
  polled: true,
  submit: async (o) => ({ reference: `SBX${o.settlementNo}` }),
  status: async (o) =>
    o.paymentAccount.startsWith('sandbox-fail') ? { state: 'failed', reason: 'sandbox: the receiving account refused the transfer' } : { state: 'paid', reference: o.reference ?? `SBX${o.settlementNo}` },
};

export function createPayoutProviders(): Record<PayoutProviderName, PayoutProvider> {
  return { manual, sandbox };
}
