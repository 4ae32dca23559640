import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, ok, page, renderPage, stubApi, type Call } from '../../test/render.tsx';
import Orders from './Orders.tsx';
import SupplyReview from './SupplyReview.tsx';
import Users from './Users.tsx';
import Withdrawals from './Withdrawals.tsx';

// The operator pages against a stubbed fetch that answers in the server's envelopes: what each action sends.

const supplyList = (data: unknown[]) => json({ request_id: 'req_1', data, pagination: { page: 1, page_size: 20, total: data.length } });

const posts = (calls: Call[], path: string) => calls.filter((c) => c.method !== 'GET' && c.url.pathname === path);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const USER = { id: 7, username: 'alice', email: 'alice@example.com', phone: null, role: 'user', status: 'active', billing_mode: 'prepaid', created_at: '2026-03-01T12:00:00', updated_at: '2026-03-01T12:00:00' };

describe('Users', () => {
  it('searches by name, and changes a role only after the confirmation', async () => {
    const calls = stubApi((url, { method }) => {
      if (url.pathname === '/api/v1/admin/users' && method === 'GET') return ok(page([USER]));
      if (url.pathname === '/api/v1/admin/users/7/role') return ok({ ...USER, role: 'supplier' });
      return undefined;
    });
    renderPage(<Users />);
    expect(await screen.findByText('alice@example.com')).toBeTruthy();

    fireEvent.change(screen.getByTestId('user-search'), { target: { value: ' Ali ' } });
    fireEvent.click(screen.getByTestId('user-search-submit'));
    await waitFor(() => expect(calls.some((c) => c.url.searchParams.get('q') === 'Ali')).toBe(true));

    const select = within(screen.getByTestId('role-7').closest('.ant-select') as HTMLElement).getByRole('combobox');
    fireEvent.mouseDown(select);
    fireEvent.click(await screen.findByTitle('Supplier'));
    expect(posts(calls, '/api/v1/admin/users/7/role')).toEqual([]);
    fireEvent.click(await screen.findByTestId('role-confirm'));
    await waitFor(() => expect(posts(calls, '/api/v1/admin/users/7/role').map((c) => [c.method, c.body])).toEqual([['PUT', { role: 'supplier' }]]));
  });

  it('adjusts credits with a reason and an Idempotency-Key, refusing 0 without a call', async () => {
    const calls = stubApi((url, { method }) => {
      if (url.pathname === '/api/v1/admin/users' && method === 'GET') return ok(page([USER]));
      if (url.pathname === '/api/v1/admin/users/7/credits') return ok({ user_id: 7, credit_balance: 150, replayed: false });
      return undefined;
    });
    renderPage(<Users />);
    fireEvent.click(await screen.findByTestId('adjust-7'));
    fireEvent.change(await screen.findByTestId('adjust-credits'), { target: { value: '0' } });
    fireEvent.change(screen.getByTestId('adjust-reason'), { target: { value: 'goodwill' } });
    fireEvent.click(screen.getByTestId('adjust-confirm'));
    expect(await screen.findByText('Must not be 0')).toBeTruthy();
    expect(posts(calls, '/api/v1/admin/users/7/credits')).toEqual([]);

    fireEvent.change(screen.getByTestId('adjust-credits'), { target: { value: '-50' } });
    fireEvent.click(screen.getByTestId('adjust-confirm'));
    await waitFor(() => expect(posts(calls, '/api/v1/admin/users/7/credits')).toHaveLength(1));
    const [sent] = posts(calls, '/api/v1/admin/users/7/credits');
    expect(sent?.body).toEqual({ credits: -50, reason: 'goodwill' });
    expect(sent?.headers['idempotency-key']).toMatch(/^web-/);
  });
});

describe('Orders', () => {
  it('filters by the user from the address and refunds a paid order with a reason', async () => {
    const order = {
      order_id: 'R20260301120000123456', status: 'paid', kind: 'recharge', payment_method: 'alipay', provider: 'alipay', amount: 10, original_amount: 10,
      discount: 0, credits: 100, bonus_credits: 0, membership_type: null, payment_url: null, user_id: 7, username: 'alice', failure_reason: null,
      created_at: '2026-03-01T12:00:00', expires_at: '2026-03-01T12:30:00', paid_at: '2026-03-01T12:01:00', refunded_at: null,
    };
    const calls = stubApi((url, { method }) => {
      if (url.pathname === '/api/v1/admin/orders' && method === 'GET') return ok(page([order]));
      if (url.pathname === `/api/v1/admin/orders/${order.order_id}/refund`) return ok({ ...order, status: 'refunded' });
      return undefined;
    });
    renderPage(<Orders />, { path: '/admin/orders?user_id=7' });
    fireEvent.click(await screen.findByTestId(`refund-${order.order_id}`));
    expect(calls.find((c) => c.url.pathname === '/api/v1/admin/orders')?.url.searchParams.get('user_id')).toBe('7');
    fireEvent.change(await screen.findByTestId('refund-reason'), { target: { value: 'customer request' } });
    fireEvent.click(screen.getByTestId('refund-confirm'));
    await waitFor(() => expect(posts(calls, `/api/v1/admin/orders/${order.order_id}/refund`)).toHaveLength(1));
    const [sent] = posts(calls, `/api/v1/admin/orders/${order.order_id}/refund`);
    expect(sent?.body).toEqual({ reason: 'customer request' });
    expect(sent?.headers['idempotency-key']).toMatch(/^web-/);
  });
});

describe('SupplyReview', () => {
  it('approves an account only with a reason of at least 2 characters', async () => {
    const account = {
      account_id: 3, supplier_user_id: 9, provider: 'openai', account_type: 'api_key', status: 'pending', risk_score: 40, verify_status: 'review_required',
      review_status: 'required', check_items: [{ item: 'balance', result: 'warn', message: 'low balance' }], models: null, created_at: '2026-03-01T04:00:00.000Z', updated_at: '2026-03-01T04:00:00.000Z',
    };
    const calls = stubApi((url, { method }) => {
      if (url.pathname === '/api/v1/supply/admin/accounts' && method === 'GET') return supplyList([account]);
      if (url.pathname === '/api/v1/supply/admin/accounts/3/approve') return json({ request_id: 'r', data: { account_id: 3, status: 'pending', updated_at: '2026-03-01T04:00:00.000Z' } });
      return undefined;
    });
    renderPage(<SupplyReview />);
    fireEvent.click(await screen.findByTestId('approve-3'));
    expect(calls.find((c) => c.url.pathname === '/api/v1/supply/admin/accounts')?.url.searchParams.get('review_status')).toBe('required');
    fireEvent.change(await screen.findByTestId('review-reason'), { target: { value: 'x' } });
    fireEvent.click(screen.getByTestId('review-confirm'));
    expect(await screen.findByText('Must be 2–500 characters')).toBeTruthy();
    expect(posts(calls, '/api/v1/supply/admin/accounts/3/approve')).toEqual([]);
    fireEvent.change(screen.getByTestId('review-reason'), { target: { value: 'balance topped up' } });
    fireEvent.click(screen.getByTestId('review-confirm'));
    await waitFor(() => expect(posts(calls, '/api/v1/supply/admin/accounts/3/approve').map((c) => c.body)).toEqual([{ reason: 'balance topped up' }]));
  });
});

describe('Withdrawals', () => {
  const base = {
    settlement_no: 'W20260301120000123456', supplier_user_id: 9, total_amount: 100, fee_amount: 1, net_amount: 99, payment_method: 'alipay',
    payment_account: 'supplier@example.com', payout_provider: null, payout_reference: null, failure_reason: null,
    created_at: '2026-03-01T04:00:00.000Z', updated_at: '2026-03-01T04:00:00.000Z', completed_at: null,
  };

  it('starts a manual payout, completes another with its reference and fails a third with a reason', async () => {
    const rows = [
      { ...base, settlement_id: 1, status: 'pending' },
      { ...base, settlement_id: 2, status: 'processing', payout_provider: 'manual' },
    ];
    const calls = stubApi((url, { method }) => {
      if (url.pathname === '/api/v1/supply/admin/settlements' && method === 'GET') return supplyList(rows);
      const m = /^\/api\/v1\/supply\/admin\/settlements\/(\d+)\/(\w+)$/.exec(url.pathname);
      if (m) return json({ request_id: 'r', data: { ...base, settlement_id: Number(m[1]), status: 'processing' } });
      return undefined;
    });
    renderPage(<Withdrawals />);

    fireEvent.click(await screen.findByTestId('process-1'));
    fireEvent.click(await screen.findByTestId('settlement-confirm'));
    await waitFor(() => expect(posts(calls, '/api/v1/supply/admin/settlements/1/process').map((c) => c.body)).toEqual([{ provider: 'manual' }]));

    fireEvent.click(screen.getByTestId('complete-2'));
    fireEvent.change(await screen.findByTestId('settlement-reference'), { target: { value: 'BANK-001' } });
    fireEvent.click(screen.getAllByTestId('settlement-confirm').at(-1) as HTMLElement);
    await waitFor(() => expect(posts(calls, '/api/v1/supply/admin/settlements/2/complete').map((c) => c.body)).toEqual([{ reference: 'BANK-001' }]));

    fireEvent.click(screen.getByTestId('fail-1'));
    fireEvent.change(await screen.findByTestId('settlement-reason'), { target: { value: 'account closed' } });
    fireEvent.click(screen.getAllByTestId('settlement-confirm').at(-1) as HTMLElement);
    await waitFor(() => expect(posts(calls, '/api/v1/supply/admin/settlements/1/fail').map((c) => c.body)).toEqual([{ reason: 'account closed' }]));
  });
});
