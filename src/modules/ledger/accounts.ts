// The chart of accounts. Every account is named by a stable code; it is created on first use.

export interface AccountSpec {
  code: string;
  kind: string;
  ownerUserId?: number;
  neverNegative: boolean;
}

const owned = (userId: number, kind: string, neverNegative = true): AccountSpec => ({
  code: `user:${userId}:${kind}`,
  kind,
  ownerUserId: userId,
  neverNegative,
});

const platform = (name: string): AccountSpec => ({ code: `platform:${name}`, kind: `platform_${name}`, neverNegative: false });

export const ACCOUNTS = {
  /** Prepaid credits (µ¥; 1 credit = ¥0.1). */
  userWallet: (userId: number) => owned(userId, 'wallet'),
  /** Postpaid usage: goes negative by what the user owes. */
  userReceivable: (userId: number) => owned(userId, 'receivable', false),
  supplierPending: (userId: number) => owned(userId, 'supplier_pending'),
  supplierAvailable: (userId: number) => owned(userId, 'supplier_available'),
  supplierFrozen: (userId: number) => owned(userId, 'supplier_frozen'),
  supplierWithdrawn: (userId: number) => owned(userId, 'supplier_withdrawn'),
  platformRevenue: platform('revenue'),
  platformFeeIncome: platform('fee_income'),
  /** Gifts, coupons and bonuses the platform pays for. */
  promoExpense: platform('promo_expense'),
  payoutClearing: platform('payout_clearing'),
  withdrawFeeIncome: platform('withdraw_fee_income'),
  /** Money received through a payment provider, until reconciled with the provider's statement. */
  paymentClearing: (provider: string): AccountSpec => ({ code: `clearing:${provider}`, kind: 'payment_clearing', neverNegative: false }),
} as const;

/** The `held` twin of an account that takes holds: reserved funds sit there until settled or released. */
export function heldTwin(account: AccountSpec): AccountSpec {
  return { ...account, code: `${account.code}:held`, kind: `${account.kind}_held`, neverNegative: true };
}
