import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACTIVITY_TYPES, OFFER_KINDS, REFERRAL_STATUSES, type Activity, type ReferralRecord } from '../../api/operations.ts';
import { dateTime } from '../../components/format.ts';
import { buyer } from '../../i18n/messages/buyer.ts';
import { common } from '../../i18n/messages/common.ts';
import { json, ok, page, renderPage, stubApi, type Call } from '../../test/render.tsx';
import Rewards from './Rewards.tsx';

// The rewards page against a stubbed fetch in the studio envelope: the referral link and its records in words, the
// activities on now, and taking part (the reward, or why not).

const LINK = { referral_code: 'AB12CD', referral_url: 'http://console.test/register?ref=AB12CD' };

const record = (over: Partial<ReferralRecord>): ReferralRecord => ({
  id: 1, referred_user: 'al***e', status: 'pending', reward_amount: 0, reason: null, created_at: '2026-11-20T10:00:00',
  registered_at: '2026-11-20T10:00:00', rewarded_at: null, ...over,
});
const RECORDS = [
  record({ id: 1 }),
  record({ id: 2, referred_user: 'bo***b', status: 'completed', reward_amount: 50, rewarded_at: '2026-11-21T09:00:00' }),
  record({ id: 3, referred_user: 'ca***l', status: 'not_rewarded', reason: 'daily_limit: the referrer had 10 rewards on 2026-11-22' }),
  record({ id: 4, referred_user: 'da***n', status: 'clawed_back', reward_amount: 50, rewarded_at: '2026-11-23T09:00:00' }),
];

const activity = (over: Partial<Activity>): Activity => ({
  id: 1, name: 'Spring gift', type: 'credit_gift', description: '', config: { credits: 50, on: 'participate' }, start_time: '2026-11-01T00:00:00',
  end_time: '2026-11-30T23:59:59', status: 'active', participated: false, created_at: '2026-10-30T00:00:00', ...over,
});
const ACTIVITIES = [
  activity({ id: 1 }),
  activity({ id: 2, name: 'Last-minute gift' }),
  activity({ id: 6, name: 'Old friends' }),
  activity({ id: 7, name: 'Early bird' }),
  activity({ id: 3, name: 'Member week', type: 'membership_discount', config: { percent: 20 } }),
  activity({ id: 4, name: 'Welcome', type: 'first_purchase', config: { credits: 100 } }),
  activity({ id: 5, name: 'Bring a friend', type: 'referral_bonus', config: { credits: 80 } }),
];

function rewardsApi() {
  let joined = false;
  return stubApi((url, { method }) => {
    if (url.pathname === '/api/v1/operation/referral/generate' && method === 'POST') return ok(LINK);
    if (url.pathname === '/api/v1/operation/referral/records') return ok({ ...page(RECORDS), page_size: 10, total_rewards: 50 });
    if (url.pathname === '/api/v1/operation/activities') return ok(page(ACTIVITIES.map((a) => (a.id === 1 ? { ...a, participated: joined } : a))));
    if (url.pathname === '/api/v1/operation/activities/1/participate') {
      joined = true;
      return ok({ activity_id: 1, type: 'credit_gift', status: 'completed', reward_credits: 50 });
    }
    if (url.pathname === '/api/v1/operation/activities/2/participate') return json({ code: 40010, message: '活动已结束', data: null }, 400);
    if (url.pathname === '/api/v1/operation/activities/7/participate') return json({ code: 40010, message: '活动尚未开始', data: null }, 400);
    if (url.pathname === '/api/v1/operation/activities/6/participate') return json({ code: 409, message: '您已参加过该活动', data: null }, 409);
    if (url.pathname === '/api/v1/credit/balance' || url.pathname === '/api/v1/auth/me') return ok({});
    return undefined;
  });
}

const participations = (calls: Call[]) => calls.filter((c) => c.method === 'POST' && c.path.endsWith('/participate')).map((c) => c.path);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the rewards page', () => {
  it('asks for my referral link and copies it', async () => {
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const calls = rewardsApi();
    renderPage(<Rewards />);
    await waitFor(() => expect((screen.getByTestId('referral-url') as HTMLInputElement).value).toBe(LINK.referral_url));
    expect(calls.filter((c) => c.path === '/api/v1/operation/referral/generate').map((c) => c.method)).toEqual(['POST']);
    expect(screen.getByTestId('referral-code').textContent).toBe('AB12CD');

    fireEvent.click(screen.getByTestId('copy-referral'));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(LINK.referral_url));
  }, 20_000);

  it('lists my referrals in words, with the rewards I keep', async () => {
    rewardsApi();
    renderPage(<Rewards />);
    await screen.findByTestId('referral-row-4');
    expect(screen.getByTestId('referral-total').textContent).toContain('50 credits');
    expect(screen.getByTestId('referral-count').textContent).toContain('4');
    const row = (id: number) => screen.getByTestId(`referral-row-${id}`).textContent ?? '';
    expect(row(1)).toContain('Waiting');
    expect(row(1)).toContain('Rewarded when your friend pays their first order');
    expect(row(2)).toContain('Rewarded');
    expect(row(2)).toContain('+50');
    expect(row(2)).toContain(`Credited ${dateTime('2026-11-21T09:00:00', 'en', 'minute')}`);
    expect(row(3)).toContain('Not rewarded');
    expect(row(3)).toContain('You had reached the daily limit of referral rewards that day');
    expect(row(4)).toContain('Taken back');
    const table = screen.getByTestId('referral-row-1').closest('table')?.textContent ?? '';
    expect(table).not.toMatch(/pending|completed|not_rewarded|clawed_back|daily_limit/);
  }, 20_000);

  it('shows what each activity on now gives, and the referral bonus on the invitation', async () => {
    rewardsApi();
    renderPage(<Rewards />);
    expect((await screen.findByTestId('activity-3')).textContent).toContain('Memberships 20% off');
    expect(screen.getByTestId('activity-4').textContent).toContain('100 bonus credits with your first order');
    expect(screen.getByTestId('activity-5').textContent).toContain('80 credits for each friend you invite');
    // Only a credit gift given on taking part has a button.
    expect(screen.queryByTestId('take-part-3')).toBeNull();
    expect(screen.queryByTestId('take-part-4')).toBeNull();
    expect(screen.queryByTestId('take-part-5')).toBeNull();
    await waitFor(() => expect(document.body.textContent).toContain('you receive 80 credits'));
  }, 20_000);

  it('takes part: shows the reward, then that I have taken part', async () => {
    const calls = rewardsApi();
    renderPage(<Rewards />);
    fireEvent.click(await screen.findByTestId('take-part-1'));
    expect((await screen.findByTestId('take-part-result-1')).textContent).toContain('You received 50 credits');
    await waitFor(() => expect(within(screen.getByTestId('activity-1')).getByText('Taken part')).toBeTruthy());
    expect(screen.queryByTestId('take-part-1')).toBeNull();
    expect(participations(calls)).toEqual(['/api/v1/operation/activities/1/participate']);
  }, 20_000);

  it('says on 40010 whether an activity has ended or not started, and on 409 that I took part already', async () => {
    rewardsApi();
    renderPage(<Rewards />);
    fireEvent.click(await screen.findByTestId('take-part-2'));
    expect((await screen.findByTestId('take-part-result-2')).textContent).toContain('This activity has ended');
    fireEvent.click(screen.getByTestId('take-part-7'));
    expect((await screen.findByTestId('take-part-result-7')).textContent).toContain('This activity has not started yet');
    fireEvent.click(screen.getByTestId('take-part-6'));
    expect((await screen.findByTestId('take-part-result-6')).textContent).toContain('You have already taken part in this activity');
    expect(screen.getByTestId('take-part-2')).toBeTruthy();
  }, 20_000);
});

describe('rewards messages', () => {
  it('name every status, type, offer and how it applies in both languages', () => {
    const built = [
      ...REFERRAL_STATUSES.flatMap((s) => [`buyer.rewards.status.${s}`, `buyer.rewards.note.${s}`]),
      'buyer.rewards.reason.daily_limit',
      ...ACTIVITY_TYPES.map((x) => `buyer.rewards.type.${x}`),
      ...OFFER_KINDS.flatMap((k) => [`buyer.rewards.offer.${k}`, `buyer.rewards.how.${k}`]),
      'nav.rewards',
    ];
    for (const lang of ['zh-CN', 'en'] as const) {
      expect(built.filter((k) => !(k in { ...common[lang], ...buyer[lang] }))).toEqual([]);
      // The referral statuses are the server's four: none is left for the name it used before `completed`.
      expect(Object.keys(buyer[lang]).filter((k) => k.endsWith('.rewarded'))).toEqual([]);
    }
  });
});
