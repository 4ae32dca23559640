import { useCallback } from 'react';
import { useLocation } from 'react-router-dom';
import { withReturnTo } from '../../api/sandbox-checkout.ts';

// Where the checkout sends the buyer back to. `return_to` arrives in a link anyone can write, so only a path of this
// console is honoured: otherwise the checkout would be a step in a phishing chain (pay, then "back" to a look-alike).

export const DEFAULT_RETURN_TO = '/billing';

/**
 * `return_to` when it is a path on this origin, else /billing. The shapes browsers read as another host (`//evil.com`,
 * `/\evil.com`) are refused as text, and so are control characters: a URL parser drops tabs and line breaks, so
 * `/\t/evil.com` would become `//evil.com` after a text check. What passes must still resolve to this origin.
 */
export function safeReturnTo(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || /[\x00-\x1f\x7f]/.test(raw)) return DEFAULT_RETURN_TO;
  const origin = window.location.origin;
  const url = new URL(raw, origin);
  return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : DEFAULT_RETURN_TO;
}

/** Sends the browser to an order's payment page, telling our sandbox checkout to come back to the current page. */
export function usePaymentHandOff(): (paymentUrl: string) => void {
  const { pathname, search } = useLocation();
  return useCallback((paymentUrl: string) => window.location.assign(withReturnTo(paymentUrl, `${pathname}${search}`)), [pathname, search]);
}
