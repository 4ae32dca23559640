import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Balance } from '../../api/buyer.ts';
import Billing from './Billing.tsx';
import { MembershipCard } from './Billing/MembershipCard.tsx';
import Dashboard from './Dashboard.tsx';
import { ok, page, renderPage, stubApi } from '../../test/render.tsx';

// Money as a buyer sees it: balances cut to the fen and whole credits (the API sends 5 and 6 decimals), and a
// membership paid from credits only when the credits cover it.

const standing: Balance = { credit_balance: 0, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' };

function billingApi(balance: Partial<Balance>) {
  return stubApi((url, init) => {
    if (url.pathname === '/api/v1/credit/balance') return ok({ ...standing, ...balance });
    if (url.pathname.endsWith('/orders')) return ok(page([]));
    if (url.pathname === '/api/v1/operation/my-coupons') return ok({ total: 0, items: [] });
    if (url.pathname === '/api/v1/operation/coupons') return ok(page([]));
    if (url.pathname === '/api/v1/usage/daily') return ok({ start_date: '2026-10-28', end_date: '2026-11-26', days: [], by_model: [] });
    if (url.pathname === '/api/v1/credit/membership' && init.method === 'POST') {
      return ok({ order_id: 'M1', membership_type: 'monthly', amount: 9.9, original_amount: 9.9, discount: 0, status: 'pending', payment_url: null, membership_end_date: null });
    }
    return undefined;
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** The page loads its balance, orders and coupons first: on a busy machine that takes more than waitFor's 1 s. */
const SLOW = { timeout: 10_000 };

const methods = () => within(screen.getByTestId('membership-method'));

describe('amounts on the buyer pages', () => {
  it('shows a balance of 123.45678 credits as ¥12.34 and 123 credits, and a debt of ¥12.345678 as ¥12.35', async () => {
    billingApi({ credit_balance: 123.45678, owed_amount: 12.345678 });
    renderPage(<Billing />);
    await waitFor(() => expect(screen.getByTestId('billing-credits').textContent).toContain('123'), SLOW);
    const text = document.body.textContent ?? '';
    expect(text).toContain('¥12.34');
    expect(text).toContain('Owed: ¥12.35');
    expect(text).not.toMatch(/12\.345|123\.4/);
    expect(screen.getByTestId('membership-form').textContent).toContain('¥9.90');
  }, 20_000);

  it('shows the same on the dashboard', async () => {
    billingApi({ credit_balance: 123.45678 });
    renderPage(<Dashboard />);
    await waitFor(() => expect(screen.getByTestId('balance-credits').textContent).toBe('123 credits'), SLOW);
    expect(screen.getByTestId('balance-card').textContent).toContain('¥12.34');
  }, 20_000);
});

describe('paying for a membership', () => {
  it('starts on a payment provider when the credits do not cover the plan, and explains why credits are off', async () => {
    const calls = billingApi({});
    renderPage(<MembershipCard balance={{ ...standing, credit_balance: 0 }} />);
    await waitFor(() => expect((methods().getByRole('radio', { name: 'Alipay' }) as HTMLInputElement).checked).toBe(true), SLOW);
    expect((methods().getByRole('radio', { name: 'Credit balance' }) as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByTestId('membership-form').textContent).toContain('Your 0 credits do not cover this plan (99 credits)');

    fireEvent.click(screen.getByTestId('membership-submit'));
    await waitFor(() => expect(calls.some((c) => c.url.pathname === '/api/v1/credit/membership')).toBe(true), SLOW);
    const post = calls.find((c) => c.url.pathname === '/api/v1/credit/membership');
    expect(JSON.parse(String(post?.init.body))).toMatchObject({ membership_type: 'monthly', payment_method: 'alipay' });
  }, 30_000);

  it('starts on the credits when they cover the plan, and leaves them for a plan they do not cover', async () => {
    billingApi({});
    renderPage(<MembershipCard balance={{ ...standing, credit_balance: 150 }} />);
    await waitFor(() => expect((methods().getByRole('radio', { name: 'Credit balance' }) as HTMLInputElement).checked).toBe(true), SLOW);
    // The note follows the radio by one render: wait for it too (a loaded CI machine sees the gap).
    await waitFor(() => expect(screen.getByTestId('membership-form').textContent).toContain('Paid from your credits (you have 150)'), SLOW);

    fireEvent.click(within(screen.getByTestId('membership-plan')).getByRole('radio', { name: /Yearly/ }));
    await waitFor(() => expect((methods().getByRole('radio', { name: 'Alipay' }) as HTMLInputElement).checked).toBe(true), SLOW);
    expect((methods().getByRole('radio', { name: 'Credit balance' }) as HTMLInputElement).disabled).toBe(true);
  }, 30_000);
});
