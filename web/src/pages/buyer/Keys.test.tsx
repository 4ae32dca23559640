import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiKey } from '../../api/buyer.ts';
import Keys from './Keys.tsx';
import { ok, page, renderPage, stubApi } from '../../test/render.tsx';

// The API keys table: every column keeps a width of its own and all of them fit a laptop's card (the "Created" column
// was cut off at 1366 px), narrower screens scroll the table inside its card, each switch says which key it turns on,
// amounts show 2 decimals, dates the console's language.

const key = (over: Partial<ApiKey>): ApiKey => ({
  id: 7, name: 'ci', key_mask: 'sk-…abcd', enabled: true, expires_at: null, allowed_models: ['gpt-4o-mini'], allowed_ips: null, spend_limit: 100,
  spent: 12.345678, rate_limit_rpm: null, last_used_at: null, created_at: '2026-11-26T12:00:00', ...over,
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the API keys table', () => {
  it('gives every column a width and the table their sum, within the 1048 px card of a 1366 px screen', async () => {
    stubApi((url) => (url.pathname === '/api/v1/keys' ? ok(page([key({})])) : undefined));
    const { container } = renderPage(<Keys />);
    await screen.findByTestId('key-row-7');
    expect(screen.getByRole('columnheader', { name: 'Created' })).toBeTruthy();

    const table = container.querySelector<HTMLTableElement>('.ant-table-content table') as HTMLTableElement;
    expect(table.style.tableLayout).toBe('fixed');
    const widths = Array.from(table.querySelectorAll<HTMLTableColElement>('colgroup col')).map((c) => Number.parseInt(c.style.width, 10));
    expect(widths.length).toBe(7);
    expect(widths.every((w) => w > 0)).toBe(true);
    const sum = widths.reduce((a, b) => a + b, 0);
    expect(table.style.width).toBe(`${sum}px`);
    // Room for a vertical scroll bar too: the card is 1048 px wide at 1366 px, 1033 px beside a scroll bar.
    expect(sum).toBeLessThanOrEqual(1030);
    expect(table.closest('.ant-table-content')).not.toBeNull();
  }, 20_000);

  it('shows what a key spent with 2 decimals and its dates in the console’s language', async () => {
    stubApi((url) => (url.pathname === '/api/v1/keys' ? ok(page([key({})])) : undefined));
    renderPage(<Keys />);
    const tr = await screen.findByTestId('key-row-7');
    expect(tr.textContent).toContain('¥12.35 / ¥100.00');
    expect(tr.textContent).toMatch(/Nov 26, 2026, \d\d:\d\d/);
    expect(tr.textContent).toContain('gpt-4o-mini');
    expect(tr.textContent).toContain('No rate cap · never expires');
  }, 20_000);

  it('names each enable switch after its key, in the table and in the edit form', async () => {
    stubApi((url) => (url.pathname === '/api/v1/keys' ? ok(page([key({}), key({ id: 8, name: 'prod', enabled: false })])) : undefined));
    renderPage(<Keys />);
    expect((await screen.findByRole('switch', { name: 'Enable key "ci"' })).getAttribute('aria-checked')).toBe('true');
    expect(screen.getByRole('switch', { name: 'Enable key "prod"' }).getAttribute('aria-checked')).toBe('false');

    fireEvent.click(screen.getByTestId('edit-key-7'));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByRole('switch', { name: 'Enabled' })).toBeTruthy();
  }, 20_000);
});
