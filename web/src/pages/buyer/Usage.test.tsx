import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UsageItem } from '../../api/buyer.ts';
import Usage from './Usage.tsx';
import { ok, page, renderPage, stubApi } from '../../test/render.tsx';

// The usage log: a row's details stay inside the visible table, costs show 2 decimals, times the console's language,
// and an empty log tells a new user where to start.

const row = (over: Partial<UsageItem>): UsageItem => ({
  id: 1, request_id: 'req_0123456789abcdef0123456789abcdef', model: 'gpt-4o-mini', operation: 'chat', key_id: null, upstream: 'channel:1',
  prompt_tokens: 5, completion_tokens: 12, total_tokens: 17, cost: 12.345678, usage_estimated: false, status: 'success', http_status: 200,
  error_message: null, latency_ms: 320, first_byte_ms: 110, attempts: 1, created_at: '2026-11-26T12:00:00', ...over,
});

function usageApi(items: UsageItem[]) {
  return stubApi((url) => {
    if (url.pathname === '/api/v1/usage') return ok(page(items));
    if (url.pathname === '/api/v1/keys') return ok(page([]));
    if (url.pathname === '/api/v1/usage/daily') return ok({ start_date: '2026-10-28', end_date: '2026-11-26', days: [], by_model: [] });
    return undefined;
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the usage log', () => {
  it('holds an expanded row’s details in a block as wide as the visible table, pinned to its left edge', async () => {
    const long = `upstream said: ${'x'.repeat(400)}`;
    usageApi([row({ status: 'error', http_status: 502, error_message: long })]);
    const { container } = renderPage(<Usage />);
    await screen.findByTestId('usage-row-1');

    fireEvent.click(container.querySelector('.ant-table-row-expand-icon') as HTMLElement);
    const error = await screen.findByText(long);
    // AntD sizes this block to the table's scroll container (not to the columns) and keeps it in view when the
    // table scrolls sideways; without it a percentage-wide Descriptions stretched the table to 1,000,000 px.
    const box = error.closest<HTMLElement>('.ant-table-expanded-row-fixed');
    expect(box).not.toBeNull();
    expect(box?.style.position).toBe('sticky');
    expect(box?.style.overflow).toBe('hidden');
    expect(box?.closest('tr')?.classList.contains('ant-table-expanded-row')).toBe(true);
    // The table has a width of its own (the columns' sum, within a 1366 px screen's card), so nothing in a row can
    // widen it.
    const table = container.querySelector<HTMLTableElement>('.ant-table-content table');
    expect(table?.style.tableLayout).toBe('fixed');
    expect(Number.parseInt(table?.style.width ?? '', 10)).toBeLessThanOrEqual(1030);
  }, 20_000);

  it('shows costs with 2 decimals, and one under a fen as "<¥0.01"', async () => {
    usageApi([row({ id: 1, cost: 12.345678 }), row({ id: 2, cost: 0.000058 })]);
    renderPage(<Usage />);
    expect((await screen.findByTestId('usage-row-1')).textContent).toContain('¥12.35');
    expect(screen.getByTestId('usage-row-1').textContent).not.toContain('12.345678');
    expect(screen.getByTestId('usage-row-2').textContent).toContain('<¥0.01');
  }, 20_000);

  it('shows times in the console’s language', async () => {
    usageApi([row({})]);
    renderPage(<Usage />, { locale: 'zh-CN' });
    expect((await screen.findByTestId('usage-row-1')).textContent).toMatch(/2026\/11\/26 \d\d:\d\d:\d\d/);
  }, 20_000);

  it('tells a user without requests to make one from the quick start, not that nothing matches a filter', async () => {
    usageApi([]);
    renderPage(<Usage />);
    const none = await screen.findByTestId('usage-none');
    expect(none.textContent).toContain('No requests yet — make one from the Quick start');
    expect(screen.getByRole('link', { name: 'Open the Quick start' }).getAttribute('href')).toBe('/quickstart');
    expect(screen.queryByText('No requests match these filters')).toBeNull();
  }, 20_000);

  it('says nothing matches once a filter is set', async () => {
    const calls = usageApi([]);
    renderPage(<Usage />);
    await screen.findByTestId('usage-none');
    fireEvent.change(screen.getByRole('combobox', { name: 'Model' }), { target: { value: 'gpt-4o' } });
    fireEvent.click(screen.getByTestId('usage-search'));
    expect(await screen.findByText('No requests match these filters')).toBeTruthy();
    expect(screen.queryByTestId('usage-none')).toBeNull();
    await waitFor(() => expect(calls.some((c) => c.url.pathname === '/api/v1/usage' && c.url.searchParams.get('model') === 'gpt-4o')).toBe(true));
  }, 20_000);
});
