import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buyer } from '../../i18n/messages/buyer.ts';
import Billing from './Billing.tsx';
import Dashboard from './Dashboard.tsx';
import { dailySeries, spendSince } from './Dashboard/spend.ts';
import Keys from './Keys.tsx';
import { isIpRule } from './Keys/KeyFormModal.tsx';
import { ok, page, renderPage, stubApi } from '../../test/render.tsx';

// The buyer pages against a stubbed fetch that answers in the server's envelopes.

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('buyer messages', () => {
  const sources = import.meta.glob('./**/*.tsx', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

  it('has every key in both languages', () => {
    expect(Object.keys(buyer.en).sort()).toEqual(Object.keys(buyer['zh-CN']).sort());
  });

  it('defines every buyer key the pages use, the computed status, plan and method keys included', () => {
    const used = new Set<string>();
    for (const [file, text] of Object.entries(sources)) {
      if (file.endsWith('.test.tsx')) continue;
      for (const m of text.matchAll(/t\(\s*'(buyer\.[\w.]+)'/g)) used.add(m[1] as string);
    }
    for (const s of ['success', 'error', 'aborted', 'pending', 'paid', 'failed', 'expired', 'refunded', 'unused', 'used', 'active', 'disabled']) used.add(`buyer.status.${s}`);
    for (const p of ['monthly', 'quarterly', 'yearly']) used.add(`buyer.plan.${p}`);
    for (const m of ['alipay', 'wechat', 'balance']) used.add(`buyer.method.${m}`);
    const missing = [...used].filter((k) => !(k in buyer['zh-CN']) || !(k in buyer.en));
    expect(missing).toEqual([]);
  });
});

describe('spend over the usage summary', () => {
  const daily = {
    start_date: '2026-10-28',
    end_date: '2026-11-26',
    days: [
      { date: '2026-10-28', requests: 1, prompt_tokens: 1, completion_tokens: 1, cost: 1, success: 1, errors: 0, aborted: 0 },
      { date: '2026-11-20', requests: 2, prompt_tokens: 1, completion_tokens: 1, cost: 0.1, success: 2, errors: 0, aborted: 0 },
      { date: '2026-11-26', requests: 3, prompt_tokens: 1, completion_tokens: 1, cost: 0.2, success: 3, errors: 0, aborted: 0 },
    ],
    by_model: [],
  };

  it('fills the days the server left out with zeros', () => {
    const series = dailySeries(daily);
    expect(series).toHaveLength(30);
    expect(series[0]).toEqual({ date: '2026-10-28', cost: 1, requests: 1 });
    expect(series[1]).toEqual({ date: '2026-10-29', cost: 0, requests: 0 });
    expect(series.at(-1)).toEqual({ date: '2026-11-26', cost: 0.2, requests: 3 });
  });

  it('sums today, the last 7 and the last 30 days without float noise', () => {
    expect(spendSince(daily, 1)).toBe(0.2);
    expect(spendSince(daily, 7)).toBe(0.3);
    expect(spendSince(daily, 30)).toBe(1.3);
  });
});

describe('IP allow-list rules', () => {
  it('accepts addresses and CIDR ranges as the server does', () => {
    for (const ok of ['203.0.113.7', '10.0.0.0/8', '0.0.0.0/0', '::1', '2001:db8::/32', '::/0']) expect(isIpRule(ok), ok).toBe(true);
    for (const bad of ['999.1.1.1', '10.0.0.0/33', '2001:db8::/129', 'example.com', '10.0.0.0/8/1', '1.2.3', '']) expect(isIpRule(bad), bad).toBe(false);
  });
});

describe('the API keys page', () => {
  it('creates a key and shows it once', async () => {
    const created = { id: 7, name: 'ci', key_mask: 'sk-…abcd', enabled: true, expires_at: null, allowed_models: null, allowed_ips: null, spend_limit: null, spent: 0, rate_limit_rpm: null, last_used_at: null, created_at: '2026-11-26T09:00:00' };
    const calls = stubApi((url, init) => {
      if (url.pathname === '/api/v1/keys' && init.method === 'POST') return ok({ ...created, key: 'sk-THEWHOLEKEY' });
      if (url.pathname === '/api/v1/keys') return ok(page([]));
      return undefined;
    });
    renderPage(<Keys />);
    expect(await screen.findByText('No API keys yet')).toBeTruthy();

    fireEvent.click(screen.getByTestId('create-key'));
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: ' ci ' } });
    fireEvent.click(screen.getByTestId('key-form-submit'));

    await waitFor(() => expect(screen.getByTestId('new-key-value').textContent).toBe('sk-THEWHOLEKEY'));
    const post = calls.find((c) => c.init.method === 'POST');
    expect(JSON.parse(String(post?.init.body))).toEqual({ name: 'ci' });
  }, 20_000);
});

describe('the billing page', () => {
  it('creates a recharge order with an Idempotency-Key and hands off to the payment page', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign, origin: 'http://console.test' });
    const calls = stubApi((url, init) => {
      if (url.pathname === '/api/v1/credit/balance') return ok({ credit_balance: 10, is_member: false, membership_type: null, membership_end_date: null });
      if (url.pathname.endsWith('/orders')) return ok(page([]));
      if (url.pathname === '/api/v1/operation/my-coupons') return ok({ total: 0, items: [] });
      if (url.pathname === '/api/v1/operation/coupons') return ok(page([]));
      if (url.pathname === '/api/v1/credit/recharge' && init.method === 'POST') {
        return ok({ order_id: 'R1', amount: 50, original_amount: 50, discount: 0, credits: 500, bonus_credits: 0, payment_url: 'http://console.test/pay/sandbox/R1', expires_at: '2026-11-26T10:00:00' });
      }
      return undefined;
    });
    renderPage(<Billing />);

    fireEvent.change(await screen.findByTestId('recharge-amount'), { target: { value: '50' } });
    fireEvent.click(screen.getByTestId('recharge-submit'));

    // Our sandbox checkout is told to come back to the page the payment started from (this test renders it at /).
    await waitFor(() => expect(assign).toHaveBeenCalledWith('http://console.test/pay/sandbox/R1?return_to=%2F'));
    const post = calls.find((c) => c.url.pathname === '/api/v1/credit/recharge');
    expect(JSON.parse(String(post?.init.body))).toEqual({ amount: 50, payment_method: 'alipay' });
    expect((post?.init.headers as Record<string, string>)['idempotency-key']).toMatch(/^web-/);
  }, 20_000);
});

describe('the balance card', () => {
  const standing = { credit_balance: 0, is_member: false, membership_type: null, membership_end_date: null };
  const dashboardApi = (balance: object) =>
    stubApi((url) => {
      if (url.pathname === '/api/v1/credit/balance') return ok({ ...standing, ...balance });
      if (url.pathname === '/api/v1/usage/daily') return ok({ start_date: '2026-10-28', end_date: '2026-11-26', days: [], by_model: [] });
      return undefined;
    });

  it('shows what a prepaid user owes, and that the next recharge pays it first', async () => {
    dashboardApi({ owed_amount: 1.000123, billing_mode: 'prepaid' });
    renderPage(<Dashboard />);
    const owed = await screen.findByTestId('balance-owed');
    expect(owed.textContent).toContain('Owed: ¥1.00');
    expect(owed.textContent).toContain('Your next recharge pays this first');
    expect(screen.getByTestId('balance-card').contains(owed)).toBe(true);
  }, 20_000);

  it('calls a postpaid user’s receivable their bill', async () => {
    dashboardApi({ owed_amount: 12.5, billing_mode: 'postpaid' });
    renderPage(<Dashboard />);
    const owed = await screen.findByTestId('balance-owed');
    expect(owed.textContent).toContain('Owed: ¥12.50');
    expect(owed.textContent).toContain('Postpaid usage');
  }, 20_000);

  it('says nothing about debt when nothing is owed', async () => {
    dashboardApi({ credit_balance: 30, owed_amount: 0, billing_mode: 'prepaid' });
    renderPage(<Dashboard />);
    await waitFor(() => expect(screen.getByTestId('balance-credits').textContent).toContain('30'));
    expect(screen.queryByTestId('balance-owed')).toBeNull();
  }, 20_000);
});
