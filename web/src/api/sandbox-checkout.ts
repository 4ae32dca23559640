import { api } from './client.ts';
import type { MembershipType, Order, OrderKind, PaymentMethod } from './buyer.ts';

// The sandbox checkout: development's stand-in for a payment provider's page, where a sandbox order's payment_url
// leads (src/modules/commerce/payments/sandbox.ts). The buyer's orders themselves are in buyer.ts.

/** Our own checkout page: where a sandbox order's payment_url leads. */
export const SANDBOX_CHECKOUT_PATH = '/pay/sandbox/:orderNo';

/**
 * The payment_url with where to come back to after paying, which our sandbox checkout reads from `return_to`. A real
 * provider's URL is left as it is: Alipay signs every parameter of it, so one more would void the signature.
 */
export function withReturnTo(paymentUrl: string, returnTo: string): string {
  const url = new URL(paymentUrl, window.location.origin);
  if (!/^\/pay\/sandbox\/[^/]+$/.test(url.pathname)) return paymentUrl;
  url.searchParams.set('return_to', returnTo);
  return url.toString();
}

/** The signed payment_url's parameters: the credential of a caller without a session. */
export interface SandboxPayLink {
  payer?: string;
  expires?: string;
  signature?: string;
}

export interface SandboxCheckoutOrder {
  order_id: string;
  kind: OrderKind;
  /** A pending order past its payment window reads `expired`. */
  status: Order['status'];
  payment_method: Exclude<PaymentMethod, 'balance'>;
  membership_type: MembershipType | null;
  amount: number;
  original_amount: number;
  discount: number;
  credits: number;
  bonus_credits: number;
  expires_at: string;
  paid_at: string | null;
}

export interface SandboxCheckoutDone extends SandboxCheckoutOrder {
  /** What this request did: paid the order, failed it, or nothing (it was no longer pending). */
  outcome: 'paid' | 'failed' | 'unchanged';
}

const checkoutPath = (orderNo: string) => `/api/v1/payments/sandbox/${encodeURIComponent(orderNo)}`;
export const getSandboxCheckout = (orderNo: string, link: SandboxPayLink) => api.get<SandboxCheckoutOrder>(checkoutPath(orderNo), { ...link });
/** Sends what the provider would report: the payment went through, or it failed. */
export const completeSandboxCheckout = (orderNo: string, link: SandboxPayLink, status: 'success' | 'failed') =>
  api.post<SandboxCheckoutDone>(checkoutPath(orderNo), { status }, { query: { ...link } });
