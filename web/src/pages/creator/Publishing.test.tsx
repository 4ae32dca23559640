import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Balance } from '../../api/buyer.ts';
import {
  ACCOUNT_TYPE_NAMES, CAPABILITIES, FAILURE_REASON_NAMES, JOB_STATES, PLATFORMS, PUBLISH_STATUSES, type AccountType, type PlatformAccount, type Publish, type PublishJob,
} from '../../api/publishing.ts';
import { dateTime } from '../../components/format.ts';
import type { Locale } from '../../i18n/i18n.tsx';
import { creator } from '../../i18n/messages/creator.ts';
import { json, ok, page, renderPage, stubApi, type Call } from '../../test/render.tsx';
import Publishing from './Publishing.tsx';
import { PublishStatusView } from './PublishStatus.tsx';

// The publishing page: each platform's account bound with its own credential fields (secrets typed into password
// inputs, never kept in the page once bound), a refusal in the platform's words, an unbind confirmed first; and the
// history of publishes in words in both languages, filtered by platform, a row opened to follow it.

const SLOW = { timeout: 10_000 };
const balance: Balance = { credit_balance: 10, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' };
const SECRET = 'xhs-secret-0042';

const kind = (type: string, capability: AccountType['capability'], applies = false): AccountType => ({ type, label: '任意账号', capability, applies });
// A WeChat account that got 48001: the server marks it unverified.
const account = (over: Partial<PlatformAccount>): PlatformAccount => ({
  platform: 'wechat', name: '微信公众号', capability: 'draft_only', account_types: [kind('verified_official_account', 'api_publish'), kind('unverified_official_account', 'draft_only', true)],
  accepts: ['writing', 'image'], bound: true, account_name: 'Tollgate Daily', account_type: 'official_account',
  note: 'Unverified accounts can only create drafts', bound_at: '2026-11-26T12:00:00', credential_fields: [{ name: 'app_id', label: 'AppID', secret: false, optional: false }, { name: 'app_secret', label: 'AppSecret', secret: true, optional: false }], ...over,
});
const XHS = account({
  platform: 'xiaohongshu', name: '小红书', capability: 'share', account_types: [kind('any_account', 'share')], accepts: ['writing', 'image', 'video'], bound: false, account_name: null, account_type: null, note: '', bound_at: null,
  credential_fields: [
    { name: 'app_key', label: 'App Key', secret: false, optional: false }, { name: 'app_secret', label: 'App Secret', secret: true, optional: false },
    // Left empty below: an optional field is neither required nor sent blank.
    { name: 'refresh_token', label: 'Refresh Token', secret: true, optional: true },
  ],
});
const TOUTIAO = account({ platform: 'toutiao', name: '今日头条', capability: 'export', account_types: [kind('any_account', 'export', true)], bound: false, account_name: null, note: 'Toutiao has no public publishing API', bound_at: null, credential_fields: [] });

const job = (over: Partial<PublishJob>): PublishJob => ({
  platform: 'wechat', name: '微信公众号', state: 'published', platform_ids: {}, url: 'https://mp.weixin.qq.com/s/abc', error: null, action: null, confirmed_by_user: false, attempts: 1,
  next_run_at: null, updated_at: '2026-11-26T12:05:00', ...over,
});
const EXPORT = job({
  platform: 'toutiao', name: '今日头条', state: 'needs_user_action', url: null,
  action: { kind: 'export', message: 'Post the bundle at mp.toutiao.com', share_url: null, download_url: '/files/bundles/8.zip?sig=b', expires_at: null },
});
const PUBLISHES: Publish[] = [
  { publish_id: 8, creation_id: 1, creation_title: 'Time management', status: 'needs_user_action', schedule_time: null, created_at: '2026-11-26T12:00:00', platforms: [job({}), EXPORT] },
  { publish_id: 9, creation_id: 2, creation_title: null, status: 'scheduled', schedule_time: '2026-12-01T09:30:00', created_at: '2026-11-26T13:00:00', platforms: [job({ state: 'queued', url: null, next_run_at: '2026-12-01T09:30:00' })] },
];

function publishingApi(o: { bindRefusal?: string } = {}) {
  let bound: PlatformAccount[] = [account({}), XHS, TOUTIAO];
  return stubApi((url, call) => {
    if (url.pathname === '/api/v1/credit/balance') return ok(balance);
    if (url.pathname === '/api/v1/publish/platforms') return ok(bound);
    if (url.pathname === '/api/v1/publish/platforms/bind') {
      if (o.bindRefusal) return json({ code: 40009, message: o.bindRefusal, data: null }, 400);
      const b = call.body as { platform: string };
      const next = { ...(bound.find((p) => p.platform === b.platform) as PlatformAccount), bound: true, account_name: 'Lin\'s notes', bound_at: '2026-11-27T08:00:00' };
      bound = bound.map((p) => (p.platform === b.platform ? next : p));
      return ok(next);
    }
    if (url.pathname === '/api/v1/publish/platforms/wechat' && call.method === 'DELETE') return ok(null);
    if (url.pathname === '/api/v1/publish/history') return ok({ ...page(PUBLISHES), total: 2 });
    return undefined;
  });
}

const historyCalls = (calls: Call[]) => calls.filter((c) => c.path === '/api/v1/publish/history');
const inputOf = (form: HTMLElement, id: string) => form.querySelector(`#${id}`) as HTMLInputElement;

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the publishing accounts', () => {
  it('shows what each platform can do and its note, and binds with secrets typed into password inputs (optional ones may stay empty) that are emptied once bound', async () => {
    const calls = publishingApi();
    renderPage(<Publishing />, { path: '/studio/publishing' });
    const wechat = await screen.findByTestId('account-wechat', undefined, SLOW);
    expect(wechat.textContent).toContain('Creates a draft only');
    expect(wechat.textContent).toContain('Account: Tollgate Daily');
    expect(wechat.textContent).toContain('This account cannot publish by API');
    expect(screen.getByTestId('account-toutiao').textContent).toContain('You download and post it');

    const form = screen.getByTestId('bind-form-xiaohongshu');
    expect(inputOf(form, 'bind-xiaohongshu_app_key').type).toBe('text');
    expect(inputOf(form, 'bind-xiaohongshu_app_secret').type).toBe('password');
    expect(inputOf(form, 'bind-xiaohongshu_app_secret').value).toBe('');
    fireEvent.change(inputOf(form, 'bind-xiaohongshu_app_key'), { target: { value: ' key-1 ' } });
    fireEvent.change(inputOf(form, 'bind-xiaohongshu_app_secret'), { target: { value: SECRET } });
    fireEvent.click(screen.getByTestId('bind-xiaohongshu'));

    await waitFor(() => expect(screen.getByTestId('account-xiaohongshu').textContent).toContain('Account: Lin\'s notes'), SLOW);
    const post = calls.find((c) => c.path === '/api/v1/publish/platforms/bind');
    expect(post?.body).toEqual({ platform: 'xiaohongshu', credentials: { app_key: 'key-1', app_secret: SECRET } });
    expect(screen.queryByTestId('bind-form-xiaohongshu')).toBeNull();
    // Binding again starts from empty fields: the secret is nowhere in the page.
    fireEvent.click(screen.getByTestId('rebind-xiaohongshu'));
    const again = await screen.findByTestId('bind-form-xiaohongshu', undefined, SLOW);
    expect(inputOf(again, 'bind-xiaohongshu_app_secret').value).toBe('');
    expect(inputOf(again, 'bind-xiaohongshu_app_key').value).toBe('');
    expect([...document.querySelectorAll('input')].some((i) => i.value === SECRET)).toBe(false);
  }, 30_000);

  it.each([
    ['en', 'Verified service or subscription account', 'Publishes by API', 'Unverified service or subscription account', 'Your account'],
    ['zh-CN', '已认证的服务号或订阅号', '通过接口直接发布', '未认证的服务号或订阅号', '你的账号'],
  ] as const)('states per account type what is possible and marks the bound account\'s type (%s)', async (locale: Locale, verified, api, unverified, yours) => {
    publishingApi();
    renderPage(<Publishing />, { path: '/studio/publishing', locale });
    await screen.findByTestId('kinds-wechat', undefined, SLOW);
    const verifiedRow = screen.getByTestId('kind-wechat-verified_official_account');
    const unverifiedRow = screen.getByTestId('kind-wechat-unverified_official_account');
    expect(verifiedRow.textContent).toContain(verified);
    expect(verifiedRow.textContent).toContain(api);
    expect(verifiedRow.textContent).not.toContain(yours);
    // WeChat answered 48001 for this account: it is the unverified kind, drafts only.
    expect(unverifiedRow.textContent).toContain(unverified);
    expect(within(unverifiedRow).getByTestId('kind-yours-wechat').textContent).toBe(yours);
    expect(screen.queryByTestId('kind-yours-xiaohongshu')).toBeNull();
    expect(screen.getByTestId('kinds-toutiao').textContent).toContain(yours);
    expect(screen.getByTestId('kinds-wechat').textContent).not.toMatch(/official_account|api_publish|draft_only/);
  }, 30_000);

  it('binds a platform with no credentials with its Bind button alone', async () => {
    const calls = publishingApi();
    renderPage(<Publishing />, { path: '/studio/publishing' });
    fireEvent.click(await screen.findByTestId('bind-toutiao', undefined, SLOW));
    await waitFor(() => expect(calls.find((c) => c.path === '/api/v1/publish/platforms/bind')?.body).toEqual({ platform: 'toutiao', credentials: {} }), SLOW);
  }, 30_000);

  it('shows the platform\'s refusal in its own words', async () => {
    publishingApi({ bindRefusal: '小红书 refused these credentials: app_key is not valid' });
    renderPage(<Publishing />, { path: '/studio/publishing' });
    const form = await screen.findByTestId('bind-form-xiaohongshu', undefined, SLOW);
    fireEvent.change(inputOf(form, 'bind-xiaohongshu_app_key'), { target: { value: 'wrong' } });
    fireEvent.change(inputOf(form, 'bind-xiaohongshu_app_secret'), { target: { value: SECRET } });
    fireEvent.click(screen.getByTestId('bind-xiaohongshu'));
    const error = await screen.findByTestId('bind-error-xiaohongshu', undefined, SLOW);
    expect(error.textContent).toContain('Could not bind');
    expect(error.textContent).toContain('小红书 refused these credentials: app_key is not valid');
  }, 30_000);

  it('unbinds only after the confirmation', async () => {
    const calls = publishingApi();
    renderPage(<Publishing />, { path: '/studio/publishing' });
    fireEvent.click(await screen.findByTestId('unbind-wechat', undefined, SLOW));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(await screen.findByTestId('confirm-unbind', undefined, SLOW));
    await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/v1/publish/platforms/wechat']), SLOW);
  }, 30_000);
});

const RAW = /\b(needs_user_action|uploading_assets|draft_created|scheduled|queued|published|wechat|toutiao)\b/;

describe('the publishing history', () => {
  it.each([
    ['en', ['WeChat Official Account · Published', 'Toutiao · Waiting for you', 'Waiting for you'], ['WeChat Official Account · Queued', 'Scheduled', '(untitled)']],
    ['zh-CN', ['微信公众号 · 已发布', '今日头条 · 等你处理', '等你处理'], ['微信公众号 · 排队中', '待定时发布', '（无标题）']],
  ] as const)('shows each publish and its platforms in words (%s)', async (locale: Locale, first, second) => {
    publishingApi();
    renderPage(<Publishing />, { path: '/studio/publishing', locale });
    const row = await screen.findByTestId('publish-row-8', undefined, SLOW);
    const other = screen.getByTestId('publish-row-9');
    for (const text of first) expect(row.textContent).toContain(text);
    for (const text of second) expect(other.textContent).toContain(text);
    expect(row.textContent).toContain(dateTime('2026-11-26T12:00:00', locale, 'minute'));
    expect(other.textContent).toContain(dateTime('2026-12-01T09:30:00', locale, 'minute'));
    for (const r of [row, other]) {
      expect(r.textContent).not.toMatch(RAW);
      expect(r.textContent).not.toContain('2026-1');
    }
  }, 30_000);

  it('filters by platform on the server', async () => {
    const calls = publishingApi();
    renderPage(<Publishing />, { path: '/studio/publishing' });
    await screen.findByTestId('publish-row-8', undefined, SLOW);
    expect(historyCalls(calls)[0]?.url.searchParams.get('platform')).toBeNull();
    fireEvent.mouseDown(within(screen.getByTestId('history-platform').closest('.ant-select') as HTMLElement).getByRole('combobox'));
    fireEvent.click(await screen.findByTitle('Toutiao'));
    await waitFor(() => expect(historyCalls(calls).at(-1)?.url.searchParams.get('platform')).toBe('toutiao'), SLOW);
    expect(historyCalls(calls).at(-1)?.url.searchParams.get('page')).toBe('1');
  }, 30_000);

  it('opens a row to follow it: the export to download and confirm', async () => {
    publishingApi();
    renderPage(<Publishing />, { path: '/studio/publishing' });
    fireEvent.click(await screen.findByTestId('publish-row-8', undefined, SLOW));
    const view = await screen.findByTestId('publish-view', undefined, SLOW);
    expect(within(view).getByTestId('post-link-wechat').getAttribute('href')).toBe('https://mp.weixin.qq.com/s/abc');
    expect(within(view).getByTestId('download-toutiao').getAttribute('href')).toBe('/files/bundles/8.zip?sig=b');
    expect(within(view).getByTestId('confirm-toutiao')).toBeTruthy();
  }, 30_000);
});

const failed = (over: Partial<PublishJob>) => job({ state: 'failed', url: null, ...over });
const FAILURES: [string, PublishJob, { en: string; 'zh-CN': string }][] = [
  ['WeChat publish_status 3', failed({ error: { code: 'publish_status_3', message: 'WeChat could not publish it (常规失败)', retryable: false } }),
    { en: 'WeChat could not publish the article: open the draft in the official account backend', 'zh-CN': '微信未能发表这篇文章：请到公众号后台打开草稿手动发表' }],
  ['WeChat publish_status 4', failed({ error: { code: 'publish_status_4', message: 'WeChat\'s review rejected it (平台审核不通过)', retryable: false } }),
    { en: 'WeChat\'s review rejected it: change the content', 'zh-CN': '微信审核未通过' }],
  ['WeChat 48001', failed({ error: { code: '48001', message: 'WeChat said "api unauthorized" (errcode 48001).', retryable: false } }),
    { en: 'This official account is not verified, so it cannot publish by API', 'zh-CN': '该公众号未认证，不能通过接口发布' }],
  ['WeChat 40009', failed({ error: { code: '40009', message: 'WeChat said "invalid image size" (errcode 40009).', retryable: false } }),
    { en: 'An image is too large', 'zh-CN': '图片太大' }],
  // The same number from another platform means something else: not explained as WeChat's.
  ['Kuaishou 40009', failed({ platform: 'kuaishou', name: '快手', error: { code: '40009', message: 'Kuaishou refused the request (40009: bad thing).', retryable: false } }),
    { en: 'Kuaishou refused it; its own words are below.', 'zh-CN': '快手拒绝了这次发布' }],
  ['an unreachable platform', failed({ attempts: 1, next_run_at: '2026-11-26T12:06:00', error: { code: 'network', message: 'WeChat could not be reached (ECONNRESET); it will be tried again.', retryable: true } }),
    { en: 'WeChat Official Account could not be reached for now', 'zh-CN': '暂时无法连接微信公众号' }],
];

describe('a failed platform', () => {
  it.each(FAILURES.flatMap(([name, j, words]) => (['en', 'zh-CN'] as const).map((locale) => [name, locale, j, words[locale]] as const)))(
    'explains %s in the console\'s language (%s), the platform\'s own words and code under it',
    async (_, locale, j, words) => {
      publishingApi();
      const p: Publish = { publish_id: 8, creation_id: 1, creation_title: 'Time management', status: 'failed', schedule_time: null, created_at: '2026-11-26T12:00:00', platforms: [j] };
      renderPage(<PublishStatusView publishId={8} initial={p} />, { locale });
      const error = await screen.findByTestId(`job-error-${j.platform}`, undefined, SLOW);
      const title = error.querySelector('.ant-alert-title')?.textContent ?? '';
      expect(title).toContain(words);
      // Never the server's English as the headline.
      expect(title).not.toContain(j.error?.message);
      const detail = within(error).getByTestId(`job-error-detail-${j.platform}`).textContent;
      expect(detail).toContain(j.error?.message);
      expect(detail).toContain(locale === 'en' ? `code ${j.error?.code}` : `代码 ${j.error?.code}`);
      expect(within(error).getByTestId(`retry-${j.platform}`)).toBeTruthy();
      if (j.next_run_at) expect(error.textContent).toContain(locale === 'en' ? 'Trying again by itself at' : '自动重试');
    },
    30_000,
  );
});

describe('publishing words', () => {
  it('name every platform, capability, status and state in both languages', () => {
    const keys = [
      ...PLATFORMS.map((p) => `creator.publish.platform.${p}`),
      ...CAPABILITIES.map((c) => `creator.publish.capability.${c}`),
      ...PUBLISH_STATUSES.map((s) => `creator.publish.status.${s}`),
      ...JOB_STATES.map((s) => `creator.publish.state.${s}`),
      ...FAILURE_REASON_NAMES.map((r) => `creator.publish.failure.${r}`),
      ...ACCOUNT_TYPE_NAMES.map((k) => `creator.publishing.accountType.${k}`),
    ];
    expect(FAILURE_REASON_NAMES.length).toBeGreaterThan(25);
    for (const lang of ['zh-CN', 'en'] as const) expect(keys.filter((k) => !creator[lang][k])).toEqual([]);
  });
});
