import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Balance } from '../../api/buyer.ts';
import type { Creation } from '../../api/studio.ts';
import { ok, page, renderPage, stubApi, type Call } from '../../test/render.tsx';
import Creations from './Creations.tsx';

// My creations: every kind in one list, filtered by type and paged by the server, an unfinished writing marked as
// such, a creation opened from its link with its files, its title and text edited, and a deletion confirmed first.

const balance: Balance = { credit_balance: 10, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' };
const SLOW = { timeout: 10_000 };

const creation = (over: Partial<Creation>): Creation => ({
  id: 1, type: 'writing', tool_type: 'wechat_article', title: 'Time management', content: 'Plan your day.', status: 'final', files: [],
  created_at: '2026-11-26T12:00:00', updated_at: '2026-11-26T12:30:00', ...over,
});
const writing = creation({});
const stopped = creation({ id: 2, title: 'Half a story', tool_type: 'story_novel', status: 'truncated' });
const picture = creation({ id: 3, type: 'image', tool_type: null, title: 'A cat', content: 'a cat in a garden', files: [{ url: '/files/cat.png?sig=1', content_type: 'image/png', size: 2048 }] });

function creationsApi(byId: Record<number, Creation> = { 1: writing, 2: stopped, 3: picture }) {
  return stubApi((url, call) => {
    if (url.pathname === '/api/v1/credit/balance') return ok(balance);
    if (url.pathname === '/api/v1/writing/tools') return ok([{ type: 'wechat_article', name: 'WeChat article', description: '', credits_cost: 10, default_model: 'm', max_output_tokens: 1, version: '1', fields: [] }]);
    if (url.pathname === '/api/v1/creations') {
      const type = url.searchParams.get('type');
      return ok({ ...page(Object.values(byId).filter((c) => !type || c.type === type)), total: type ? 1 : 41 });
    }
    const id = Number(/^\/api\/v1\/creations\/(\d+)$/.exec(url.pathname)?.[1]);
    if (id && call.method === 'GET') return ok(byId[id]);
    if (id && (call.method === 'PUT' || call.method === 'DELETE')) return ok(null);
    return undefined;
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const listCalls = (calls: Call[]) => calls.filter((c) => c.path === '/api/v1/creations');

describe('my creations', () => {
  it('lists every kind, marks an unfinished writing, names the tool, and filters by type on the server', async () => {
    const calls = creationsApi();
    renderPage(<Creations />, { path: '/studio/creations' });
    const row = await screen.findByTestId('creation-row-1', undefined, SLOW);
    await waitFor(() => expect(row.textContent).toContain('WeChat article'), SLOW);
    expect(row.textContent).toContain('Writing');
    expect(within(screen.getByTestId('creation-row-2')).getByTestId('truncated-tag').textContent).toBe('Unfinished');
    expect(within(row).queryByTestId('truncated-tag')).toBeNull();
    expect(listCalls(calls)[0]?.url.searchParams.get('type')).toBeNull();
    expect(listCalls(calls)[0]?.url.searchParams.get('page_size')).toBe('20');

    fireEvent.click(within(screen.getByTestId('creation-type')).getByText('Image'));
    await waitFor(() => expect(screen.queryByTestId('creation-row-1')).toBeNull(), SLOW);
    expect(screen.getByTestId('creation-row-3')).toBeTruthy();
    const last = listCalls(calls).at(-1);
    expect(last?.url.searchParams.get('type')).toBe('image');
    expect(last?.url.searchParams.get('page')).toBe('1');
  }, 30_000);

  it('asks the server for the next page', async () => {
    const calls = creationsApi();
    renderPage(<Creations />, { path: '/studio/creations' });
    await screen.findByTestId('creation-row-1', undefined, SLOW);
    fireEvent.click(document.querySelector('.ant-pagination-item-2') as HTMLElement);
    await waitFor(() => expect(listCalls(calls).at(-1)?.url.searchParams.get('page')).toBe('2'), SLOW);
  }, 30_000);

  it('opens a creation from its link with its image and text', async () => {
    creationsApi();
    renderPage(<Creations />, { path: '/studio/creations?id=3' });
    const view = await screen.findByTestId('creation-view', undefined, SLOW);
    expect(within(view).getByTestId('creation-image').getAttribute('src')).toBe('/files/cat.png?sig=1');
    expect(within(view).getByTestId('creation-content').textContent).toContain('a cat in a garden');
  }, 30_000);

  it('edits the title and text and sends both with PUT', async () => {
    const calls = creationsApi();
    renderPage(<Creations />, { path: '/studio/creations' });
    fireEvent.click(await screen.findByTestId('edit-creation-1', undefined, SLOW));
    await screen.findByTestId('creation-form', undefined, SLOW);
    await waitFor(() => expect((document.getElementById('title') as HTMLInputElement).value).toBe('Time management'), SLOW);

    fireEvent.change(document.getElementById('title') as HTMLElement, { target: { value: ' Better time management ' } });
    fireEvent.change(document.getElementById('content') as HTMLElement, { target: { value: 'Plan your week.' } });
    fireEvent.click(screen.getByTestId('save-creation'));

    await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true), SLOW);
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.path).toBe('/api/v1/creations/1');
    expect(put?.body).toEqual({ title: 'Better time management', content: 'Plan your week.' });
    // Saved: the form closes back to the creation, and the list is read again.
    await screen.findByTestId('creation-view', undefined, SLOW);
    await waitFor(() => expect(listCalls(calls).length).toBeGreaterThan(1), SLOW);
  }, 30_000);

  it('deletes a creation only after the confirmation', async () => {
    const calls = creationsApi();
    renderPage(<Creations />, { path: '/studio/creations' });
    fireEvent.click(await screen.findByTestId('delete-creation-2', undefined, SLOW));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(await screen.findByTestId('confirm-delete', undefined, SLOW));

    await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/v1/creations/2']), SLOW);
    await waitFor(() => expect(listCalls(calls).length).toBeGreaterThan(1), SLOW);
  }, 30_000);
});
