import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACTIVITY_STATUSES, ACTIVITY_TYPES, GIFT_TRIGGERS, OFFER_KINDS, type Activity } from '../../api/operations.ts';
import { common } from '../../i18n/messages/common.ts';
import { operator } from '../../i18n/messages/operator.ts';
import { json, ok, page, renderPage, stubApi, type Call } from '../../test/render.tsx';
import Activities from './Activities.tsx';

// The operators' activities page against a stubbed fetch in the studio envelope: the list in words, and the body a
// new activity of each type sends.

const ACTIVITY: Activity = {
  id: 3, name: 'Spring gift', type: 'credit_gift', description: 'Take part for free credits', config: { credits: 50, on: 'participate' },
  start_time: '2026-03-01T00:00:00', end_time: '2026-03-31T23:59:59', status: 'active', participated: false, created_at: '2026-02-20T10:00:00',
};

const PATH = '/api/v1/operation/activities';
const creates = (calls: Call[]) => calls.filter((c) => c.method === 'POST' && c.path === PATH);

function activitiesApi(answer: () => Response = () => ok({ id: 9, name: 'New', status: 'upcoming' })) {
  return stubApi((url, { method }) => {
    if (url.pathname === PATH && method === 'GET') return ok(page([ACTIVITY], 41));
    if (url.pathname === PATH && method === 'POST') return answer();
    return undefined;
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

async function pickType(label: string) {
  fireEvent.mouseDown(within(screen.getByTestId('activity-type').closest('.ant-select') as HTMLElement).getByRole('combobox'));
  fireEvent.click(await screen.findByTitle(label));
}

const type = (id: string, value: string) => fireEvent.change(screen.getByTestId(id), { target: { value } });

async function openForm(name: string) {
  renderPage(<Activities />);
  fireEvent.click(await screen.findByTestId('create-activity'));
  type('activity-name', name);
}

describe('Activities', () => {
  it('lists activities in words and asks the server for the chosen status', async () => {
    const calls = activitiesApi();
    renderPage(<Activities />);
    const row = await screen.findByTestId('activity-row-3');
    expect(row.textContent).toContain('Credit gift');
    expect(row.textContent).toContain('50 credits for taking part');
    expect(row.textContent).toContain('Running');
    expect(row.textContent).not.toMatch(/credit_gift|participate\b/);

    fireEvent.click(within(screen.getByTestId('activity-status-filter')).getByText('Upcoming'));
    await waitFor(() => expect(calls.some((c) => c.url.searchParams.get('status') === 'upcoming')).toBe(true));
    expect(calls.at(-1)?.url.searchParams.get('page')).toBe('1');
  });

  /** Fills a field that appears once the type (or benefit) is chosen. */
  const typeWhenShown = async (id: string, value: string) => {
    await screen.findByTestId(id);
    type(id, value);
  };

  it.each([
    ['a credit gift on taking part', 'credit_gift', async () => type('activity-credits', '50'), { credits: 50, on: 'participate' }],
    [
      'a credit gift on registration',
      'credit_gift',
      async () => {
        type('activity-credits', '20');
        fireEvent.click(within(screen.getByTestId('activity-on')).getByText('On registration'));
      },
      { credits: 20, on: 'register' },
    ],
    [
      'a membership discount in CNY',
      'membership_discount',
      async () => {
        await pickType('Membership discount');
        fireEvent.click(within(await screen.findByTestId('activity-mode')).getByText('CNY off'));
        await typeWhenShown('activity-amount', '12.5');
      },
      { amount: 12.5 },
    ],
    [
      'a membership discount in percent',
      'membership_discount',
      async () => {
        await pickType('Membership discount');
        await typeWhenShown('activity-percent', '20');
      },
      { percent: 20 },
    ],
    [
      'a referral bonus',
      'referral_bonus',
      async () => {
        await pickType('Referral bonus');
        type('activity-credits', '30');
      },
      { credits: 30 },
    ],
    [
      'a first-purchase offer in percent',
      'first_purchase',
      async () => {
        await pickType('First-purchase offer');
        await typeWhenShown('activity-percent', '15');
      },
      { percent: 15 },
    ],
    [
      'a first-purchase offer in credits',
      'first_purchase',
      async () => {
        await pickType('First-purchase offer');
        fireEvent.click(within(await screen.findByTestId('activity-mode')).getByText('Bonus credits'));
        await typeWhenShown('activity-credits', '100');
      },
      { credits: 100 },
    ],
  ])('creates %s (%s) with exactly its config and a Beijing-time window', async (_what, activityType, fill, config) => {
    const calls = activitiesApi();
    await openForm(' Launch week ');
    await fill();
    type('activity-description', 'For everyone');
    fireEvent.click(screen.getByTestId('activity-submit'));

    await waitFor(() => expect(creates(calls)).toHaveLength(1));
    const body = creates(calls)[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'Launch week', type: activityType, description: 'For everyone' });
    // Exactly the shape the server accepts for the type: a field the form hid must not ride along.
    expect(body.config).toEqual(config);
    expect(Object.keys(body).sort()).toEqual(['config', 'description', 'end_time', 'name', 'start_time', 'type']);
    // The default window: from this minute to the end of the 30th day after, both as UTC+8 wall-clock times.
    const start = String(body.start_time);
    const end = String(body.end_time);
    expect(start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00$/);
    expect(end).toMatch(/^\d{4}-\d{2}-\d{2}T23:59:59$/);
    expect((Date.parse(`${end.slice(0, 10)}T00:00:00Z`) - Date.parse(`${start.slice(0, 10)}T00:00:00Z`)) / 86_400_000).toBe(30);
  }, 20_000);

  it('sends an empty description when none is written', async () => {
    const calls = activitiesApi();
    await openForm('Welcome gift');
    type('activity-credits', '10');
    fireEvent.click(screen.getByTestId('activity-submit'));
    await waitFor(() => expect(creates(calls)).toHaveLength(1));
    expect(creates(calls)[0]?.body).toMatchObject({ type: 'credit_gift', description: '', config: { credits: 10, on: 'participate' } });
  }, 20_000);

  it('refuses a percent of 100 without a call', async () => {
    const calls = activitiesApi();
    await openForm('Too generous');
    await pickType('Membership discount');
    type(await screen.findByTestId('activity-percent').then(() => 'activity-percent'), '100');
    fireEvent.click(screen.getByTestId('activity-submit'));
    expect(await screen.findByText('A whole number from 1 to 99')).toBeTruthy();
    expect(creates(calls)).toEqual([]);
  }, 20_000);

  it('shows the server’s 400 message in the form and keeps it open', async () => {
    const message = 'config.credits: Too big: expected number to be <=1000000';
    const calls = activitiesApi(() => json({ code: 400, message, data: null }, 400));
    await openForm('Huge gift');
    type('activity-credits', '999');
    fireEvent.click(screen.getByTestId('activity-submit'));
    expect((await screen.findByTestId('activity-error')).textContent).toContain(message);
    expect(creates(calls)).toHaveLength(1);
    expect(screen.getByTestId('activity-name')).toBeTruthy();
  }, 20_000);
});

describe('activity messages', () => {
  it('name every type, trigger, benefit, range, offer and status in both languages', () => {
    const built = [
      ...ACTIVITY_TYPES.flatMap((x) => [`op.activities.type.${x}`, `op.activities.typeHint.${x}`]),
      ...GIFT_TRIGGERS.map((x) => `op.activities.on.${x}`),
      ...['percent', 'amount', 'credits'].flatMap((x) => [`op.activities.mode.${x}`, `op.activities.range.${x}`]),
      ...OFFER_KINDS.map((x) => `op.activities.offer.${x}`),
      ...ACTIVITY_STATUSES.map((s) => `op.activities.status.${s}`),
      'nav.activities',
    ];
    for (const lang of ['zh-CN', 'en'] as const) expect(built.filter((k) => !(k in { ...common[lang], ...operator[lang] }))).toEqual([]);
  });
});
