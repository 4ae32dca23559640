import { fireEvent, screen, waitFor } from '@testing-library/react';
import type { EChartsOption } from 'echarts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Statistics as Figures } from '../../api/operations.ts';
import { common } from '../../i18n/messages/common.ts';
import { operator } from '../../i18n/messages/operator.ts';
import { ok, renderPage, stubApi } from '../../test/render.tsx';
import Statistics from './Statistics.tsx';

// The operators' statistics against a stubbed fetch in the studio envelope: which Beijing days it asks for, and how
// each figure reads. ECharts needs a canvas jsdom lacks: the chart shows the series it was given instead.

vi.mock('../../components/Chart.tsx', () => ({
  Chart: ({ option }: { option: EChartsOption }) => (
    <pre data-testid="chart">{JSON.stringify((option.series as { name: string; data: number[] }[]).map((s) => [s.name, s.data]))}</pre>
  ),
}));

const FIGURES: Figures = {
  start_date: '2026-10-29', end_date: '2026-11-27', total_users: 1234, new_users: 56, total_revenue: 12345.6, total_credits_sold: 5000.4, paid_orders: 78,
  active_members: 9, paying_users: 21, conversion_rate: 0.1234,
  daily: [
    { date: '2026-11-26', new_users: 3, revenue: 10.5, credits_sold: 100, paid_orders: 2 },
    { date: '2026-11-27', new_users: 5, revenue: -2, credits_sold: -20, paid_orders: 0 },
  ],
};

function statisticsApi(figures: Figures = FIGURES) {
  return stubApi((url) => (url.pathname === '/api/v1/operation/statistics' ? ok({ ...figures, start_date: url.searchParams.get('start_date'), end_date: url.searchParams.get('end_date') }) : undefined));
}

const figure = (key: keyof Figures) => screen.getByTestId(`stat-${key}`).querySelector('.ant-statistic-content')?.textContent;

beforeEach(() => {
  // 01:30 on 27 November in Beijing, still the 26th in UTC: the range ends on Beijing's day.
  vi.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-11-26T17:30:00Z'));
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Statistics', () => {
  it('asks for the last 30 Beijing days and shows every figure as it should read', async () => {
    const calls = statisticsApi();
    renderPage(<Statistics />);
    await waitFor(() => expect(figure('total_users')).toBe('1,234'));
    const asked = calls.filter((c) => c.path === '/api/v1/operation/statistics').map((c) => Object.fromEntries(c.url.searchParams));
    expect(asked).toEqual([{ start_date: '2026-10-29', end_date: '2026-11-27' }]);

    expect(figure('new_users')).toBe('56');
    expect(figure('total_revenue')).toBe('¥12345.60');
    expect(figure('total_credits_sold')).toBe('5,000');
    expect(figure('paid_orders')).toBe('78');
    expect(figure('active_members')).toBe('9');
    expect(figure('paying_users')).toBe('21');
    expect(figure('conversion_rate')).toBe('12.34%');

    const [newUsers, revenue] = screen.getAllByTestId('chart').map((c) => JSON.parse(c.textContent ?? '') as [string, number[]][]);
    expect(newUsers).toEqual([['New users', [3, 5]]]);
    expect(revenue).toEqual([['Revenue', [10.5, -2]], ['Paid orders', [2, 0]]]);
  }, 20_000);

  it('reads a range with more refunds than payments as negative money', async () => {
    statisticsApi({ ...FIGURES, total_revenue: -3, total_credits_sold: -30 });
    renderPage(<Statistics />);
    await waitFor(() => expect(figure('total_revenue')).toBe('-¥3.00'));
    expect(figure('total_credits_sold')).toBe('-30');
  }, 20_000);

  it('asks again for the days of a preset', async () => {
    const calls = statisticsApi();
    renderPage(<Statistics />);
    await waitFor(() => expect(figure('total_users')).toBe('1,234'));
    fireEvent.mouseDown(screen.getAllByRole('textbox')[0] as HTMLElement);
    fireEvent.click(screen.getAllByRole('textbox')[0] as HTMLElement);
    fireEvent.click(await screen.findByText('Last 7 days'));
    await waitFor(() =>
      expect(calls.map((c) => Object.fromEntries(c.url.searchParams))).toContainEqual({ start_date: '2026-11-21', end_date: '2026-11-27' }),
    );
  }, 20_000);

  it('has every figure’s name and hint in both languages', () => {
    const keys = ['total_users', 'new_users', 'total_revenue', 'total_credits_sold', 'paid_orders', 'active_members', 'paying_users', 'conversion_rate'];
    const hinted = ['total_users', 'total_revenue', 'total_credits_sold', 'active_members', 'paying_users', 'conversion_rate'];
    const built = [...keys.map((k) => `op.stats.${k}`), ...hinted.map((k) => `op.stats.hint.${k}`), 'nav.statistics'];
    for (const lang of ['zh-CN', 'en'] as const) expect(built.filter((k) => !(k in { ...common[lang], ...operator[lang] }))).toEqual([]);
  });
});
