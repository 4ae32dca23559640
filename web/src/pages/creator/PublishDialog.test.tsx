import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import dayjs from 'dayjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PlatformAccount, Publish, PublishJob } from '../../api/publishing.ts';
import type { Creation } from '../../api/studio.ts';
import type { Locale } from '../../i18n/i18n.tsx';
import { json, ok, page, renderPage, stubApi, type Call, type Route } from '../../test/render.tsx';
import Creations from './Creations.tsx';
import { PublishDialog } from './PublishDialog.tsx';

// Publishing a creation: only the platforms that take its kind, an unbound one shown but not choosable; the cover,
// the time in Beijing time and one Idempotency-Key per submission; then each platform's state as the server moves it
// (polled every 2 s), a failure with its retry, and what the user must do by hand for a share or an export.

const SLOW = { timeout: 10_000 };

const account = (over: Partial<PlatformAccount>): PlatformAccount => ({
  platform: 'wechat', name: '微信公众号', capability: 'api_publish', account_types: [{ type: 'any_account', label: '任意账号', capability: 'api_publish', applies: true }], accepts: ['writing', 'image'], bound: true, account_name: 'Tollgate Daily', account_type: 'official_account',
  note: '', bound_at: '2026-11-26T12:00:00', credential_fields: [{ name: 'app_id', label: 'AppID', secret: false, optional: false }, { name: 'app_secret', label: 'AppSecret', secret: true, optional: false }], ...over,
});
const PLATFORM_LIST = [
  account({}),
  account({ platform: 'xiaohongshu', name: '小红书', capability: 'share', accepts: ['writing', 'image', 'video'], bound: false, account_name: null, bound_at: null }),
  account({ platform: 'douyin', name: '抖音', capability: 'share', accepts: ['video'] }),
  account({ platform: 'toutiao', name: '今日头条', capability: 'export', accepts: ['writing', 'image'], credential_fields: [] }),
];

const job = (over: Partial<PublishJob>): PublishJob => ({
  platform: 'wechat', name: '微信公众号', state: 'queued', platform_ids: {}, url: null, error: null, action: null, confirmed_by_user: false, attempts: 0,
  next_run_at: '2026-11-26T12:00:00', updated_at: '2026-11-26T12:00:00', ...over,
});
const publish = (jobs: PublishJob[], over: Partial<Publish> = {}): Publish => ({
  publish_id: 7, creation_id: 1, creation_title: 'Time management', status: 'pending', schedule_time: null, created_at: '2026-11-26T12:00:00', platforms: jobs, ...over,
});

const writing = { id: 1, type: 'writing', title: 'Time management' } as const;
const cover = { id: 3, type: 'image', tool_type: null, title: 'A cat', content: '', status: 'final', files: [], created_at: '2026-11-26T12:00:00', updated_at: '2026-11-26T12:00:00' } satisfies Creation;

/** The publishing API: `onPublish` answers the POST, `polls` the status reads in turn (the last one from then on). */
function publishApi(o: { onPublish?: () => Response; polls?: Publish[]; extra?: Route } = {}) {
  let polls = 0;
  return stubApi((url, call) => {
    if (url.pathname === '/api/v1/publish/platforms') return ok(PLATFORM_LIST);
    if (url.pathname === '/api/v1/creations' && url.searchParams.get('type') === 'image') return ok(page([cover]));
    if (url.pathname === '/api/v1/publish' && call.method === 'POST') return o.onPublish?.() ?? ok(publish([job({})]));
    if (url.pathname === '/api/v1/publish/7' && o.polls) return ok(o.polls[Math.min(polls++, o.polls.length - 1)]);
    return o.extra?.(url, call);
  });
}

const posts = (calls: Call[], path: string) => calls.filter((c) => c.method === 'POST' && c.path === path);
const pollsOf = (calls: Call[]) => calls.filter((c) => c.method === 'GET' && c.path === '/api/v1/publish/7').length;
const checkbox = (platform: string) => within(screen.getByTestId(`publish-platform-${platform}`)).getByRole('checkbox') as HTMLInputElement;
const advance = (ms: number) => act(() => vi.advanceTimersByTime(ms));

async function openDialog(creation: Pick<Creation, 'id' | 'type' | 'title'> = writing, locale: Locale = 'en') {
  renderPage(<PublishDialog creation={creation} onClose={() => undefined} />, { locale });
  await screen.findByTestId('publish-platform-wechat', undefined, SLOW);
}

async function publishNowTo(platform: string, locale: Locale = 'en') {
  await openDialog(writing, locale);
  fireEvent.click(checkbox(platform));
  fireEvent.click(screen.getByTestId('publish-submit'));
  return screen.findByTestId('publish-view', undefined, SLOW);
}

beforeEach(() => {
  // Only intervals are faked (the status poll), as in the video page's tests: rendering and waiting use real time.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the publish dialog', () => {
  it('offers only the platforms that take the creation, each with what it can do, and an unbound one disabled with a way to bind', async () => {
    publishApi();
    await openDialog();
    expect(screen.queryByTestId('publish-platform-douyin')).toBeNull();
    expect(checkbox('wechat').disabled).toBe(false);
    expect(checkbox('toutiao').disabled).toBe(false);
    expect(checkbox('xiaohongshu').disabled).toBe(true);
    expect(screen.getByTestId('bind-link-xiaohongshu').getAttribute('href')).toBe('/studio/publishing');
    expect(screen.queryByTestId('bind-link-wechat')).toBeNull();
    expect(screen.getByTestId('publish-platform-wechat').textContent).toContain('Publishes by API');
    expect(screen.getByTestId('publish-platform-xiaohongshu').textContent).toContain('You confirm in the app');
    expect(screen.getByTestId('publish-platform-toutiao').textContent).toContain('You download and post it');
  }, 30_000);

  it('offers a video only to the platforms that take videos', async () => {
    publishApi();
    renderPage(<PublishDialog creation={{ id: 2, type: 'video', title: 'Sunrise' }} onClose={() => undefined} />);
    await screen.findByTestId('publish-platform-douyin', undefined, SLOW);
    expect(screen.queryByTestId('publish-platform-wechat')).toBeNull();
    expect(screen.queryByTestId('publish-platform-toutiao')).toBeNull();
    expect(screen.getByTestId('publish-platform-xiaohongshu')).toBeTruthy();
  }, 30_000);

  it('sends the creation, the platforms, the cover and the time in Beijing time with an Idempotency-Key', async () => {
    // India has no daylight saving: 09:30 there is 04:00 UTC, 12:00 in Beijing, whatever the date.
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const calls = publishApi();
      await openDialog();
      fireEvent.click(checkbox('wechat'));
      fireEvent.click(checkbox('toutiao'));
      fireEvent.mouseDown(within(screen.getByTestId('publish-cover').closest('.ant-select') as HTMLElement).getByRole('combobox'));
      fireEvent.click(await screen.findByTitle('A cat'));
      fireEvent.click(within(screen.getByTestId('publish-when')).getByText('At a set time'));

      const day = dayjs().add(10, 'day').format('YYYY-MM-DD');
      const input = (await screen.findByTestId('publish-at', undefined, SLOW)).closest('.ant-picker')?.querySelector('input') as HTMLInputElement;
      fireEvent.mouseDown(input);
      fireEvent.focus(input);
      fireEvent.change(input, { target: { value: `${day} 09:30` } });
      fireEvent.keyDown(input, { key: 'Enter', code: 'Enter', keyCode: 13 });
      fireEvent.click(screen.getByTestId('publish-submit'));

      await screen.findByTestId('publish-view', undefined, SLOW);
      const [post] = posts(calls, '/api/v1/publish');
      expect(post?.body).toEqual({ creation_id: 1, platforms: ['wechat', 'toutiao'], schedule_time: `${day}T12:00:00`, cover_creation_id: 3 });
      expect(post?.headers['idempotency-key']).toMatch(/^web-[0-9a-f-]{36}$/);
    } finally {
      process.env.TZ = tz;
    }
  }, 30_000);

  it('publishes now without a schedule_time, and refuses to send with no platform chosen', async () => {
    const calls = publishApi();
    await openDialog();
    fireEvent.click(screen.getByTestId('publish-submit'));
    expect(await screen.findByText('Choose at least one platform', undefined, SLOW)).toBeTruthy();
    expect(posts(calls, '/api/v1/publish')).toEqual([]);
    fireEvent.click(checkbox('wechat'));
    fireEvent.click(screen.getByTestId('publish-submit'));
    await waitFor(() => expect(posts(calls, '/api/v1/publish').map((c) => c.body)).toEqual([{ creation_id: 1, platforms: ['wechat'] }]), SLOW);
  }, 30_000);

  it('polls every 2 s while a platform is running and shows the link once it is published, then stops', async () => {
    const calls = publishApi({
      polls: [
        publish([job({ state: 'uploading_assets', attempts: 1 })], { status: 'publishing' }),
        publish([job({ state: 'published', url: 'https://mp.weixin.qq.com/s/abc', next_run_at: null })], { status: 'published' }),
      ],
    });
    const view = await publishNowTo('wechat');
    expect(within(view).getByTestId('job-state-wechat').textContent).toBe('Queued');
    expect(within(view).getByTestId('publish-status').textContent).toBe('Waiting to start');
    expect(pollsOf(calls)).toBe(0);

    await advance(2000);
    await waitFor(() => expect(screen.getByTestId('job-state-wechat').textContent).toBe('Uploading files'), SLOW);
    await advance(2000);
    await waitFor(() => expect(screen.getByTestId('job-state-wechat').textContent).toBe('Published'), SLOW);
    expect(screen.getByTestId('publish-status').textContent).toBe('Published');
    expect(screen.getByTestId('post-link-wechat').getAttribute('href')).toBe('https://mp.weixin.qq.com/s/abc');
    expect(pollsOf(calls)).toBe(2);

    await advance(2000);
    await advance(2000);
    expect(pollsOf(calls)).toBe(2);
  }, 30_000);

  it('shows why a platform failed, and Retry asks the server to retry that platform', async () => {
    const failed = job({ state: 'failed', attempts: 3, next_run_at: null, error: { code: '45009', message: 'WeChat: the daily API quota is used up', retryable: false } });
    const calls = publishApi({
      onPublish: () => ok(publish([failed], { status: 'failed' })),
      polls: [publish([job({ state: 'published', url: 'https://mp.weixin.qq.com/s/ok', next_run_at: null })], { status: 'published' })],
      extra: (url) => (url.pathname === '/api/v1/publish/7/retry' ? ok(publish([job({ state: 'queued' })], { status: 'pending' })) : undefined),
    });
    await publishNowTo('wechat');
    expect(screen.getByTestId('job-error-wechat').textContent).toContain('WeChat: the daily API quota is used up');
    await advance(4000);
    expect(pollsOf(calls)).toBe(0);

    fireEvent.click(within(screen.getByTestId('job-error-wechat')).getByTestId('retry-wechat'));
    await waitFor(() => expect(screen.getByTestId('job-state-wechat').textContent).toBe('Queued'), SLOW);
    expect(posts(calls, '/api/v1/publish/7/retry').map((c) => c.body)).toEqual([{ platform: 'wechat' }]);
    // Running again: the poll resumes.
    await advance(2000);
    await waitFor(() => expect(screen.getByTestId('job-state-wechat').textContent).toBe('Published'), SLOW);
  }, 30_000);

  it('keeps polling a failure the server retries by itself, and says when', async () => {
    const retrying = job({ state: 'failed', attempts: 1, next_run_at: '2026-11-26T12:01:00', error: { code: 'network', message: 'WeChat did not answer', retryable: true } });
    const calls = publishApi({
      onPublish: () => ok(publish([retrying], { status: 'publishing' })),
      polls: [publish([job({ state: 'published', url: 'https://mp.weixin.qq.com/s/ok', next_run_at: null })], { status: 'published' })],
    });
    await publishNowTo('wechat');
    expect(screen.getByTestId('job-error-wechat').textContent).toContain('Trying again by itself at');
    await advance(2000);
    await waitFor(() => expect(screen.getByTestId('job-state-wechat').textContent).toBe('Published'), SLOW);
    expect(pollsOf(calls)).toBe(1);
  }, 30_000);

  it('shows a share as a QR code and an export as a download, and confirms a post made by hand', async () => {
    const share = job({
      platform: 'xiaohongshu', state: 'needs_user_action', next_run_at: null,
      action: { kind: 'share', message: 'Open the share link in the Xiaohongshu app to post it', share_url: 'https://share.example/xhs/1?sig=a', download_url: null, expires_at: '2026-11-27T12:00:00' },
    });
    const bundle = job({
      platform: 'toutiao', state: 'needs_user_action', next_run_at: null,
      action: { kind: 'export', message: 'Post the bundle at mp.toutiao.com', share_url: null, download_url: '/files/bundles/7.zip?sig=b', expires_at: null },
    });
    const calls = publishApi({
      onPublish: () => ok(publish([share, bundle], { status: 'needs_user_action' })),
      extra: (url) =>
        url.pathname === '/api/v1/publish/7/platforms/toutiao/confirm'
          ? ok(publish([share, { ...bundle, state: 'published', url: 'https://www.toutiao.com/article/1', confirmed_by_user: true, action: null }], { status: 'needs_user_action' }))
          : undefined,
    });
    await publishNowTo('toutiao');

    const qr = screen.getByTestId('share-qr-xiaohongshu');
    expect(qr.querySelector('svg')).toBeTruthy();
    expect(screen.getByTestId('share-link-xiaohongshu').getAttribute('href')).toBe('https://share.example/xhs/1?sig=a');
    // What to do in the console's words, with the platform's own detail under it for English readers.
    expect(screen.getByTestId('job-action-xiaohongshu').textContent).toContain('scan the code with the app');
    expect(screen.getByTestId('job-action-xiaohongshu').textContent).toContain('Open the share link in the Xiaohongshu app to post it');
    expect(screen.getByTestId('job-action-toutiao').textContent).toContain('download the bundle and post it yourself');
    expect(screen.getByTestId('job-state-xiaohongshu').textContent).toBe('Waiting for you');
    expect(screen.queryByTestId('share-qr-toutiao')).toBeNull();
    expect(screen.getByTestId('download-toutiao').getAttribute('href')).toBe('/files/bundles/7.zip?sig=b');
    expect(screen.queryByTestId('download-xiaohongshu')).toBeNull();

    fireEvent.change(screen.getByTestId('confirm-url-toutiao'), { target: { value: 'https://www.toutiao.com/article/1' } });
    fireEvent.click(screen.getByTestId('confirm-toutiao'));
    await screen.findByTestId('confirmed-toutiao', undefined, SLOW);
    expect(screen.getByTestId('confirmed-toutiao').textContent).toBe('Confirmed by you');
    expect(posts(calls, '/api/v1/publish/7/platforms/toutiao/confirm').map((c) => c.body)).toEqual([{ url: 'https://www.toutiao.com/article/1' }]);
    expect(screen.getByTestId('post-link-toutiao').getAttribute('href')).toBe('https://www.toutiao.com/article/1');
  }, 30_000);

  it.each([
    ['en', 'A draft is ready: this account may not publish by API, so publish it in the official account backend', 'Waiting for you'],
    ['zh-CN', '草稿已创建：该账号不能通过接口发布，请在公众号后台发表', '等你处理'],
  ] as const)('shows WeChat\'s 48001 as a draft to publish in the backend, not as an error (%s)', async (locale: Locale, todo, waiting) => {
    const draft = job({
      state: 'needs_user_action', next_run_at: null, platform_ids: { thumb_media_id: 'THUMB_1', draft_media_id: 'MEDIA_1' },
      action: { kind: 'publish_in_backend', message: 'Draft created: publish it in the official account backend (this account cannot publish by API).', share_url: null, download_url: null, expires_at: null },
    });
    publishApi({ onPublish: () => ok(publish([draft], { status: 'needs_user_action' })) });
    await publishNowTo('wechat', locale);
    expect(screen.getByTestId('job-action-wechat').textContent).toContain(todo);
    expect(screen.getByTestId('job-state-wechat').textContent).toBe(waiting);
    expect(screen.getByTestId('publish-status').textContent).toBe(waiting);
    expect(screen.queryByTestId('job-error-wechat')).toBeNull();
    // Nothing to retry: the draft is there. The user says when it is out.
    expect(screen.queryByTestId('retry-wechat')).toBeNull();
    expect(screen.getByTestId('confirm-wechat')).toBeTruthy();
  }, 30_000);

  it('asks to look in the backend when a submission went unconfirmed, and retries only when the user says it is not there', async () => {
    const unsure = job({
      state: 'needs_user_action', next_run_at: null, platform_ids: { draft_media_id: 'MEDIA_1' },
      action: { kind: 'check_backend', message: 'A publish may have been submitted without WeChat confirming it; check 发表记录.', share_url: null, download_url: null, expires_at: null },
    });
    const calls = publishApi({
      onPublish: () => ok(publish([unsure], { status: 'needs_user_action' })),
      extra: (url) => (url.pathname === '/api/v1/publish/7/retry' ? ok(publish([job({ state: 'draft_created', attempts: 0 })], { status: 'publishing' })) : undefined),
    });
    await publishNowTo('wechat');
    const action = screen.getByTestId('job-action-wechat');
    expect(action.textContent).toContain('The platform did not confirm the post: look in its backend first. Retry only if it is not there.');
    expect(within(action).getByTestId('confirm-wechat')).toBeTruthy();
    const retry = within(action).getByTestId('retry-wechat');
    expect(retry.textContent).toBe('It is not there: try again');
    expect(posts(calls, '/api/v1/publish/7/retry')).toEqual([]);
    fireEvent.click(retry);
    await waitFor(() => expect(screen.getByTestId('job-state-wechat').textContent).toBe('Draft created'), SLOW);
    expect(posts(calls, '/api/v1/publish/7/retry').map((c) => c.body)).toEqual([{ platform: 'wechat' }]);
  }, 30_000);

  it.each([
    [40008, 'Bind your 微信公众号 account first (POST /api/v1/publish/platforms/bind)', 'A platform has no account bound'],
    [40009, '微信公众号 needs a cover image: choose one', 'Could not publish'],
  ])('shows the server\'s words for a refused publish (%i)', async (code, message, title) => {
    publishApi({ onPublish: () => json({ code, message, data: null }, 400) });
    await openDialog();
    fireEvent.click(checkbox('wechat'));
    fireEvent.click(screen.getByTestId('publish-submit'));
    const error = await screen.findByTestId('publish-error', undefined, SLOW);
    expect(error.textContent).toContain(message);
    expect(error.textContent).toContain(title);
    expect(screen.queryByTestId('publish-view')).toBeNull();
  }, 30_000);

  it('opens from a row of My creations', async () => {
    publishApi({
      extra: (url) => {
        if (url.pathname === '/api/v1/credit/balance') return ok({ credit_balance: 10, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' });
        if (url.pathname === '/api/v1/writing/tools') return ok([]);
        if (url.pathname === '/api/v1/creations') return ok(page([{ ...cover, id: 1, type: 'writing', tool_type: 'wechat_article', title: 'Time management' }]));
        return undefined;
      },
    });
    renderPage(<Creations />, { path: '/studio/creations' });
    fireEvent.click(await screen.findByTestId('publish-creation-1', undefined, SLOW));
    await screen.findByTestId('publish-platform-wechat', undefined, SLOW);
    expect(screen.getByText('Publish "Time management"')).toBeTruthy();
  }, 30_000);
});
