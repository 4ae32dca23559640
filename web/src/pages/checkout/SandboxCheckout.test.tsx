import { fireEvent, screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SANDBOX_CHECKOUT_PATH, withReturnTo, type SandboxCheckoutOrder } from '../../api/sandbox-checkout.ts';
import type { Locale } from '../../i18n/i18n.tsx';
import { checkout } from '../../i18n/messages/checkout.ts';
import { json, renderPage, stubApi } from '../../test/render.tsx';
import { safeReturnTo } from './returnTo.ts';
import SandboxCheckout from './SandboxCheckout.tsx';

// The sandbox checkout page against a stubbed API in the server's studio envelope, signed out (the link is the
// credential): what is bought in words, in both languages; paying and failing; and where "back" leads.

const ORDER_NO = 'R20261126100000000001';
const LINK = `payer=7&expires=1790000000&signature=${'ab'.repeat(32)}`;

const recharge: SandboxCheckoutOrder = {
  order_id: ORDER_NO, kind: 'recharge', status: 'pending', payment_method: 'alipay', membership_type: null, amount: 100, original_amount: 100,
  discount: 0, credits: 1000, bonus_credits: 0, expires_at: '2026-11-26T10:00:00', paid_at: null,
};
const membership: SandboxCheckoutOrder = {
  ...recharge, order_id: 'M20261126100000000002', kind: 'membership', payment_method: 'wechat', membership_type: 'quarterly', amount: 25,
  original_amount: 25, credits: 0,
};

const envelope = (status: number, data: unknown, message = 'success') => json({ code: status, message, data }, status);

/** Answers GET with `order`, and POST by applying the posted status, as the server does for a pending order. */
function stubCheckout(order: SandboxCheckoutOrder | { status: number; message: string }) {
  return stubApi((_url, { method, body }) => {
    if ('message' in order) return envelope(order.status, null, order.message);
    if (method !== 'POST') return envelope(200, order);
    const paid = (body as { status: string }).status === 'success';
    return envelope(200, { ...order, status: paid ? 'paid' : 'failed', outcome: paid ? 'paid' : 'failed' });
  });
}

function renderCheckout(path: string, locale: Locale = 'en') {
  return renderPage(
    <Routes>
      <Route path={SANDBOX_CHECKOUT_PATH} element={<SandboxCheckout dark={false} onDark={() => undefined} />} />
    </Routes>,
    { locale, path },
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('checkout messages', () => {
  const sources = import.meta.glob(['./**/*.tsx', '!./**/*.test.tsx'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

  it('has every key in both languages, and every key the page names or builds', () => {
    expect(Object.keys(checkout.en).sort()).toEqual(Object.keys(checkout['zh-CN']).sort());
    const used = new Set<string>();
    for (const text of Object.values(sources)) for (const m of text.matchAll(/'(checkout\.[\w.]+)'/g)) used.add(m[1] as string);
    for (const shown of ['success', 'failed', 'expired', 'alreadyPaid', 'refunded']) used.add(`checkout.result.${shown}`).add(`checkout.result.${shown}Hint`);
    for (const plan of ['monthly', 'quarterly', 'yearly']) used.add(`checkout.item.membership.${plan}`);
    expect(used.size).toBeGreaterThan(25);
    expect([...used].filter((k) => !(k in checkout.en) || !(k in checkout['zh-CN']))).toEqual([]);
  });
});

describe('the sandbox checkout page', () => {
  it('shows a recharge in words (en), with the sandbox banner, and passes only the link’s parameters to the API', async () => {
    const calls = stubCheckout(recharge);
    renderCheckout(`/pay/sandbox/${ORDER_NO}?${LINK}&return_to=%2Fbilling`);
    expect(await screen.findByText('Recharge ¥100.00 (1,000 credits)')).toBeTruthy();
    expect(screen.getByText('Sandbox — no real money moves')).toBeTruthy();
    expect(screen.getByText('Alipay (sandbox)')).toBeTruthy();
    expect(screen.getByTestId('checkout-amount').textContent).toBe('¥100.00');
    expect(screen.getByTestId('checkout-pay').textContent).toBe('Pay ¥100.00');
    expect(screen.getByTestId('checkout-fail').textContent).toBe('Simulate a failed payment');
    expect(screen.queryByText(/recharge$|pending/)).toBeNull();
    const get = calls[0] as { url: URL };
    expect(get.url.pathname).toBe(`/api/v1/payments/sandbox/${ORDER_NO}`);
    expect(Object.fromEntries(get.url.searchParams)).toEqual(Object.fromEntries(new URLSearchParams(LINK)));
  });

  it('shows a membership by its plan (zh-CN)', async () => {
    stubCheckout(membership);
    renderCheckout(`/pay/sandbox/${membership.order_id}?${LINK}`, 'zh-CN');
    expect(await screen.findByText('季度会员（3 个月）')).toBeTruthy();
    expect(screen.getByText('沙箱支付：不会产生真实扣款')).toBeTruthy();
    expect(screen.getByText('微信支付（沙箱）')).toBeTruthy();
    expect(screen.getByTestId('checkout-pay').textContent).toBe('支付 ¥25.00');
    expect(screen.getByTestId('checkout-fail').textContent).toBe('模拟支付失败');
  });

  it('pays: posts success with the link, then shows the success result and a way back to where the payment started', async () => {
    const calls = stubCheckout(membership);
    renderCheckout(`/pay/sandbox/${membership.order_id}?${LINK}&return_to=${encodeURIComponent('/billing?tab=membership')}`);
    fireEvent.click(await screen.findByTestId('checkout-pay'));
    const result = await screen.findByTestId('checkout-result');
    expect(result.getAttribute('data-result')).toBe('success');
    expect(within(result).getByText('Payment complete')).toBeTruthy();
    expect(within(result).getByText(/Quarterly membership \(3 months\)/)).toBeTruthy();
    const post = calls.find((c) => c.init.method === 'POST');
    expect(JSON.parse(String(post?.init.body))).toEqual({ status: 'success' });
    expect(post?.url.searchParams.get('signature')).toBe('ab'.repeat(32));
    expect(post?.url.searchParams.has('return_to')).toBe(false);
    expect(screen.getByTestId('checkout-back').getAttribute('href')).toBe('/billing?tab=membership');
  });

  it('simulates a failed payment and says so (zh-CN)', async () => {
    stubCheckout(recharge);
    renderCheckout(`/pay/sandbox/${ORDER_NO}?${LINK}`, 'zh-CN');
    fireEvent.click(await screen.findByTestId('checkout-fail'));
    const result = await screen.findByTestId('checkout-result');
    expect(result.getAttribute('data-result')).toBe('failed');
    expect(within(result).getByText('支付失败')).toBeTruthy();
    expect(screen.getByTestId('checkout-back').textContent).toBe('返回控制台');
  });

  it.each([
    ['paid', 'alreadyPaid', 'This order is already paid'],
    ['expired', 'expired', 'This order has expired'],
    ['failed', 'failed', 'Payment failed'],
    ['refunded', 'refunded', 'This order was refunded'],
  ] as const)('opens a %s order on its result, with no button to pay', async (status, shown, title) => {
    stubCheckout({ ...recharge, status });
    renderCheckout(`/pay/sandbox/${ORDER_NO}?${LINK}`);
    const result = await screen.findByTestId('checkout-result');
    expect(result.getAttribute('data-result')).toBe(shown);
    expect(within(result).getByText(title)).toBeTruthy();
    expect(screen.queryByTestId('checkout-pay')).toBeNull();
  });

  it.each([
    [401, 'This payment link is not valid or has expired'],
    [404, 'Order not found'],
  ])('explains a %s from the API on the page, with the way back', async (status, title) => {
    stubCheckout({ status, message: 'refused' });
    renderCheckout(`/pay/sandbox/${ORDER_NO}?${LINK}&return_to=%2Fkeys`);
    const refused = await screen.findByTestId('checkout-refused');
    expect(within(refused).getByText(title)).toBeTruthy();
    expect(screen.getByTestId('checkout-back').getAttribute('href')).toBe('/keys');
  });

  it.each(['https://evil.com', '//evil.com'])('refuses return_to=%s: back leads to /billing', async (target) => {
    stubCheckout({ ...recharge, status: 'paid' });
    renderCheckout(`/pay/sandbox/${ORDER_NO}?${LINK}&return_to=${encodeURIComponent(target)}`);
    await screen.findByTestId('checkout-result');
    expect(screen.getByTestId('checkout-back').getAttribute('href')).toBe('/billing');
  });
});

describe('return_to', () => {
  it('honours paths of this console only', () => {
    expect(safeReturnTo('/billing?tab=membership')).toBe('/billing?tab=membership');
    expect(safeReturnTo('/supply/packages#new')).toBe('/supply/packages#new');
    for (const outside of ['https://evil.com', '//evil.com', '/\\evil.com', '/\t/evil.com', '/\n/evil.com', 'javascript:alert(1)', 'billing', '', null, undefined]) {
      expect(safeReturnTo(outside), String(outside)).toBe('/billing');
    }
  });

  it('is added to our sandbox checkout’s payment_url only: a provider’s signed URL is left as it is', () => {
    const sandbox = `http://console.test/pay/sandbox/${ORDER_NO}?${LINK}`;
    const back = new URL(withReturnTo(sandbox, '/billing?tab=membership'));
    expect(back.searchParams.get('return_to')).toBe('/billing?tab=membership');
    expect(back.searchParams.get('signature')).toBe('ab'.repeat(32));
    const alipay = 'https://openapi.alipay.com/gateway.do?app_id=1&sign=abc%2B%3D';
    expect(withReturnTo(alipay, '/billing')).toBe(alipay);
    expect(withReturnTo('weixin://wxpay/bizpayurl?pr=x', '/billing')).toBe('weixin://wxpay/bizpayurl?pr=x');
  });
});
