import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REFERRAL_STATUSES, type AdminReferral } from '../../api/operations.ts';
import { dateTime } from '../../components/format.ts';
import { common } from '../../i18n/messages/common.ts';
import { operator } from '../../i18n/messages/operator.ts';
import { ok, page, renderPage, stubApi } from '../../test/render.tsx';
import { ROUTES } from '../../routes.tsx';
import Referrals from './Referrals.tsx';

// The operators' referrals page against a stubbed fetch in the studio envelope: both users, the status and reward in
// words, dates in the console's language, the total paid, and the filters and pages it asks the server for.

const party = (id: number, username: string) => ({ id, username, email: `${username}@example.com` });
const REWARDED: AdminReferral = {
  id: 12, referrer: party(3, 'alice_ops'), referred: party(7, 'fox_friend'), status: 'completed', reward_amount: 50, reason: null,
  order_no: 'R20260301120000000001', created_at: '2026-03-01T12:00:00', rewarded_at: '2026-03-01T12:30:00', clawed_back_at: null,
};
const LIMITED: AdminReferral = {
  ...REWARDED, id: 11, referred: party(8, 'owl_friend'), status: 'not_rewarded', reward_amount: 0, reason: 'daily_limit: the referrer had 20 rewards on 2026-03-01', rewarded_at: null,
};
const CLAWED: AdminReferral = { ...REWARDED, id: 10, referred: party(9, 'elk_friend'), status: 'clawed_back', clawed_back_at: '2026-03-02T09:00:00' };

const PATH = '/api/v1/admin/referrals';
/** A server time as the page shows it in English: the console's formatter, in the browser's time zone, to the minute. */
const minute = (iso: string) => dateTime(iso, 'en', 'minute');

function referralsApi() {
  return stubApi((url, { method }) => {
    if (url.pathname === PATH && method === 'GET') return ok({ ...page([REWARDED, LIMITED, CLAWED], 41), total_rewards: 1250 });
    return undefined;
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const lastQuery = (calls: ReturnType<typeof referralsApi>) => calls.filter((c) => c.path === PATH).at(-1)?.url.searchParams;

describe('Referrals', () => {
  it('shows both users, the status and reward in words, the dates in English, and the total paid', async () => {
    referralsApi();
    renderPage(<Referrals />);
    const row = await screen.findByTestId('referral-row-12');
    for (const text of ['alice_ops', 'alice_ops@example.com', 'fox_friend', 'fox_friend@example.com', 'Rewarded', '+50 credits', minute('2026-03-01T12:00:00'), minute('2026-03-01T12:30:00')]) {
      expect(row.textContent).toContain(text);
    }
    // The words, never the wire's: `completed` reads "Rewarded".
    expect(row.textContent).not.toMatch(/completed|rewarded\b|2026-03-01T/);
    fireEvent.mouseEnter(screen.getByTestId('referral-order-12'));
    expect(await screen.findByText('Order R20260301120000000001')).toBeTruthy();
    expect(screen.getByTestId('referral-row-11').textContent).toContain('Not rewarded');
    const clawed = screen.getByTestId('referral-row-10').textContent ?? '';
    expect(clawed).toContain('Taken back');
    expect(clawed).toContain(`Taken back ${minute('2026-03-02T09:00:00')}`);
    expect(minute('2026-03-02T09:00:00')).toMatch(/^Mar 2, 2026, \d{2}:\d{2}$/);
    expect(screen.getByTestId('referrals-total-rewards').textContent).toContain('1,250 credits');
    expect(screen.getByTestId('referrals-count').textContent).toContain('41');
  });

  it('reads in Chinese, dates included', async () => {
    referralsApi();
    renderPage(<Referrals />, { locale: 'zh-CN' });
    const row = await screen.findByTestId('referral-row-12');
    expect(row.textContent).toContain('已奖励');
    expect(row.textContent).toContain('+50 积分');
    expect(row.textContent).toContain(dateTime('2026-03-01T12:00:00', 'zh-CN', 'minute'));
    expect(dateTime('2026-03-01T12:00:00', 'zh-CN', 'minute')).toMatch(/^2026\/03\/01 \d{2}:\d{2}$/);
    expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual(expect.arrayContaining(['推荐人', '被推荐人', '奖励', '注册时间']));
    expect(screen.getByTestId('referral-row-10').textContent).toContain('已收回');
  });

  it('asks the server for the chosen status and the search, from page 1', async () => {
    const calls = referralsApi();
    renderPage(<Referrals />);
    await screen.findByTestId('referral-row-12');
    expect(lastQuery(calls)?.toString()).toBe('page=1&page_size=20');

    fireEvent.click(within(screen.getByTestId('referral-status-filter')).getByText('Rewarded'));
    await waitFor(() => expect(lastQuery(calls)?.get('status')).toBe('completed'));
    fireEvent.click(within(screen.getByTestId('referral-status-filter')).getByText('Taken back'));
    await waitFor(() => expect(lastQuery(calls)?.get('status')).toBe('clawed_back'));

    fireEvent.click(screen.getByTitle('3'));
    await waitFor(() => expect(lastQuery(calls)?.get('page')).toBe('3'));

    fireEvent.change(screen.getByTestId('referral-search'), { target: { value: '  50%_off ' } });
    fireEvent.click(screen.getByTestId('referral-search-submit'));
    await waitFor(() => expect(lastQuery(calls)?.get('q')).toBe('50%_off'));
    expect(lastQuery(calls)?.get('status')).toBe('clawed_back');
    expect(lastQuery(calls)?.get('page')).toBe('1');
  });

  it('says so when nothing matches the filters', async () => {
    stubApi((url) => (url.pathname === PATH ? ok({ ...page([]), total_rewards: 0 }) : undefined));
    renderPage(<Referrals />);
    expect(await screen.findByText('No one has signed up with a referral link yet')).toBeTruthy();
    fireEvent.click(within(screen.getByTestId('referral-status-filter')).getByText('Pending'));
    expect(await screen.findByText('No referrals match these filters')).toBeTruthy();
  });
});

describe('referral messages', () => {
  it('name every status and reason, and the menu entry, in both languages', () => {
    expect(REFERRAL_STATUSES).toEqual(['pending', 'completed', 'not_rewarded', 'clawed_back']);
    const built = [...REFERRAL_STATUSES.map((s) => `op.referrals.status.${s}`), 'op.referrals.reason.daily_limit', 'op.referrals.reason.other', 'nav.referrals'];
    for (const lang of ['zh-CN', 'en'] as const) {
      expect(built.filter((k) => !(k in { ...common[lang], ...operator[lang] }))).toEqual([]);
      // No label is left for the name the server used before it spoke the spec's `completed`.
      expect(Object.keys(operator[lang]).filter((k) => k.endsWith('.rewarded'))).toEqual([]);
      expect(operator[lang]['op.referrals.status.completed']).toBe(lang === 'en' ? 'Rewarded' : '已奖励');
    }
  });

  it('are on the operators’ menu, next to activities', () => {
    const paths = ROUTES.filter((r) => r.group === 'operator').map((r) => r.path);
    expect(paths.indexOf('/admin/referrals')).toBe(paths.indexOf('/admin/activities') + 1);
    expect(ROUTES.find((r) => r.path === '/admin/referrals')?.roles).toEqual(['admin']);
  });
});
