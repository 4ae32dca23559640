import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreationRow } from '../../src/modules/studio/studio.tables.ts';
import { startFakeDouyin, type FakeDouyin } from '../fakes/douyin.ts';
import { FAKE_APPID, FAKE_SECRET } from '../fakes/wechat-mp.ts';
import { DB_TIERS } from '../helpers/database.ts';
import { startPublishing, type Publisher, type PublishingHarness } from '../helpers/publishing.ts';
import { closeBrowser, finishes, freePort, hasChromium, launchBeside } from './browser.ts';
import { openAs, PASSWORD, type Session } from './fixtures.ts';
import { appPage, type AppPage } from './layout.ts';

// Publishing in a real browser against the real server and a fake WeChat official-account API: the accounts page
// shows the five platforms and binds WeChat through its form (the secret never comes back into the page), "my
// creations" publishes a writing creation to WeChat and Toutiao with an image as cover, the dialog follows both
// platforms as the jobs run (WeChat's post link, Toutiao's bundle to download), and the history lists the publish in
// words, on a laptop and on a phone. A Douyin share waits for the user with its QR code; the history and the accounts'
// account types read in English too. Screenshots go to test-results/publishing-*.png.
// One page at 1366 px loads the console once and moves inside the app (its history read again by going away and back,
// English chosen with the header's language switch); the phone has a page of its own.

const CAPABILITY = { api: '通过接口直接发布', share: '需在 App 中确认发布', export: '下载后自行发布' };
const PLATFORM_WORDS = {
  wechat: ['微信公众号', CAPABILITY.api],
  xiaohongshu: ['小红书', CAPABILITY.share],
  douyin: ['抖音', CAPABILITY.share],
  kuaishou: ['快手', CAPABILITY.api],
  toutiao: ['今日头条', CAPABILITY.export],
} as const;
/** The API's enum values: none of them may reach the page as text. */
const RAW_ENUM = /\b(needs_user_action|uploading_assets|draft_created|api_publish|draft_only|queued|submitted|publishing|published|partial|pending|scheduled|failed|wechat|toutiao)\b/;
const LONG = { timeout: 30_000 };
const DOUYIN_APP = { client_key: 'e2e-douyin-client', client_secret: 'e2e-douyin-secret-0042' };

describe.skipIf(!hasChromium)('publishing in chromium', { timeout: 120_000 }, () => {
  let h: PublishingHarness;
  let browser: Browser;
  let base = '';
  let creator: Publisher;
  let writing: CreationRow;
  let app: AppPage;
  let page: Page;
  let douyin: FakeDouyin;
  const contexts: BrowserContext[] = [];

  /** A page at `viewport` in a context of its own (openAs then signs it in as it opens the console). */
  async function newPage(viewport: { width: number; height: number }): Promise<AppPage> {
    const context = await browser.newContext({ viewport, locale: 'zh-CN' });
    contexts.push(context);
    return appPage(await context.newPage());
  }

  async function sessionOf(p: Publisher): Promise<Session> {
    const me = await h.request({ method: 'GET', url: '/api/v1/auth/me', headers: p.auth });
    const login = await h.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: me.json().data.username, password: PASSWORD } });
    expect(login.statusCode, login.body).toBe(200);
    return { access: login.json().data.access_token, refresh: login.json().data.refresh_token };
  }

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const server = async () => {
      douyin = await startFakeDouyin({ apps: { [DOUYIN_APP.client_key]: DOUYIN_APP.client_secret } });
      return startPublishing(DB_TIERS[0] as (typeof DB_TIERS)[number], { env: { PUBLIC_BASE_URL: base, PUBLISH_DOUYIN_BASE_URL: douyin.url } });
    };
    [h, browser] = await launchBeside(server(), (started) => started.close());
    // The browser reads the access token's expiry against its own clock: the server's injected clock starts there too.
    h.clock.set(new Date());
    await h.app().listen({ port, host: '127.0.0.1' });
    const seed = async () => {
      creator = await h.creator();
      writing = await h.writing(creator);
      await h.image(creator);
    };
    [app] = await Promise.all([newPage({ width: 1366, height: 900 }), seed()]);
    page = app.page;
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await closeBrowser(browser);
    if (h) await finishes('the publishing server\'s close', h.close());
    await douyin?.close();
  });

  it('shows the five platforms in words and binds WeChat through its form without the secret coming back', async () => {
    await openAs(page, base, await sessionOf(creator), '/studio/publishing');
    for (const [platform, words] of Object.entries(PLATFORM_WORDS)) {
      const card = page.getByTestId(`account-${platform}`);
      await card.waitFor(LONG);
      for (const w of words) expect(await card.innerText(), platform).toContain(w);
    }
    expect(await page.locator('[data-testid^=account-]:not([data-testid^=account-note-])').count()).toBe(5);
    // Toutiao takes no credentials: nothing to bind, rebind or unbind.
    expect(await page.getByTestId('account-toutiao').getByRole('button').count()).toBe(0);

    const form = page.getByTestId('bind-form-wechat');
    await form.getByLabel('AppID', { exact: true }).fill(FAKE_APPID);
    await form.getByLabel('AppSecret', { exact: true }).fill(FAKE_SECRET);
    await page.getByTestId('bind-wechat').click();
    const wechat = page.getByTestId('account-wechat');
    await wechat.getByTestId('rebind-wechat').waitFor(LONG);
    expect(await wechat.innerText()).toContain('已绑定');
    expect(await page.getByTestId('bind-form-wechat').count()).toBe(0);
    expect(await page.content()).not.toContain(FAKE_SECRET);
    await app.snap('publishing-accounts');
    expect(await page.content()).not.toContain(FAKE_SECRET);
  });

  it('publishes a writing creation to WeChat and Toutiao from my creations and follows both platforms', async () => {
    await app.go('/studio/creations');
    await page.getByTestId(`publish-creation-${writing.id}`).click();
    const form = page.getByTestId('publish-form');
    await form.waitFor(LONG);
    await form.getByTestId('publish-platform-wechat').getByRole('checkbox').check();
    await form.getByTestId('publish-platform-toutiao').getByRole('checkbox').check();
    const cover = form.getByTestId('publish-cover');
    await cover.click();
    await page.locator('.ant-select-dropdown .ant-select-item-option').filter({ hasText: '封面' }).click();
    await expect.poll(() => cover.innerText(), LONG).toBe('封面');
    await page.getByTestId('publish-submit').click();
    await page.getByTestId('publish-view').waitFor(LONG);

    // The minute's sweep: WeChat gets its material, draft and submission, Toutiao its bundle; then WeChat's poll.
    await h.runDue();
    h.clock.advance(31_000);
    h.wechat.advance(31_000);
    await h.runDue();

    const wechat = page.getByTestId('job-wechat');
    await expect.poll(() => wechat.getByTestId('job-state-wechat').innerText(), LONG).toBe('已发布');
    expect(await wechat.getByTestId('post-link-wechat').getAttribute('href')).toMatch(/^https:\/\/mp\.weixin\.qq\.com\/s\?/);
    const toutiao = page.getByTestId('job-toutiao');
    await expect.poll(() => toutiao.getByTestId('job-state-toutiao').innerText(), LONG).toBe('等你处理');
    const href = (await toutiao.getByTestId('download-toutiao').getAttribute('href')) as string;
    expect(href).toMatch(new RegExp(`^${base}/`));
    const bundle = await page.request.get(href);
    expect(bundle.status()).toBe(200);
    expect((await bundle.body()).subarray(0, 2).toString('latin1')).toBe('PK');
    expect(h.wechat.publishes).toHaveLength(1);
    // The dialog is what this screenshot shows: it stays open.
    await app.snap('publishing-dialog', { dialog: true });
  });

  it('lists the publish in the history in words, with each platform’s state', async () => {
    await app.go('/studio/publishing');
    const history = page.getByTestId('publish-history');
    const rows = history.locator('[data-testid^=publish-row-]');
    await rows.first().waitFor(LONG);
    expect(await rows.count()).toBe(1);
    const row = await rows.first().innerText();
    expect(row).toContain('春日随笔');
    expect(row).toContain('微信公众号 · 已发布');
    expect(row).toContain('今日头条 · 等你处理');
    expect(await history.innerText()).not.toMatch(RAW_ENUM);
    await app.snap('publishing-history');
  });

  it('shows a Douyin share as a QR code in the status, encoding a share the Douyin app accepts', async () => {
    const bind = await h.request({ method: 'POST', url: '/api/v1/publish/platforms/bind', headers: creator.auth, payload: { platform: 'douyin', credentials: DOUYIN_APP } });
    expect(bind.statusCode, bind.body).toBe(200);
    const image = await h.image(creator);
    const res = await h.request({ method: 'POST', url: '/api/v1/publish', headers: creator.auth, payload: { creation_id: image.id, platforms: ['douyin'] } });
    expect(res.statusCode, res.body).toBe(200);
    const id = res.json().data.publish_id as number;
    await h.runDue();

    // The history is read as its page opens: away and back inside the app, as from the menu.
    await app.go('/studio/creations');
    await app.go('/studio/publishing');
    await page.getByTestId(`publish-row-${id}`).click();
    const job = page.getByTestId('job-douyin');
    await job.waitFor(LONG);
    expect(await job.getByTestId('job-state-douyin').innerText()).toBe('等你处理');
    const qr = job.getByTestId('share-qr-douyin').locator('svg, canvas');
    await qr.first().waitFor(LONG);
    const box = await qr.first().boundingBox();
    expect(box?.width, 'the QR code is drawn at a scannable size').toBeGreaterThan(100);
    const link = (await job.getByTestId('share-link-douyin').getAttribute('href')) as string;
    expect(douyin.openShare(link)).toMatchObject({ ok: true });
    expect(await job.innerText()).toContain('尚未发布：请用 App 扫码');
    await page.keyboard.press('Escape');
    await page.getByTestId('publish-view').waitFor({ state: 'detached', ...LONG });
  });

  it('reads in English: the history in words and each account type with what it can do', async () => {
    // The header's language switch, on the page the last test left open.
    const en = page;
    await app.language('English');
    await en.getByText('History', { exact: true }).first().waitFor();
    const history = en.getByTestId('publish-history');
    const rows = history.locator('[data-testid^=publish-row-]');
    await expect.poll(() => rows.count(), LONG).toBe(2);
    const text = await history.innerText();
    for (const words of ['WeChat Official Account · Published', 'Toutiao · Waiting for you', 'Douyin · Waiting for you', 'Creation', 'Platforms']) expect(text).toContain(words);
    // Only the creations' own titles stay Chinese.
    expect(text.replace(/春日随笔|封面/g, '')).not.toMatch(/[\u4e00-\u9fff]/);
    expect(text).not.toMatch(RAW_ENUM);
    const verified = en.getByTestId('kind-wechat-verified_official_account');
    expect(await verified.innerText()).toContain('Verified service or subscription account');
    expect(await verified.innerText()).toContain('Your account');
    expect(await en.getByTestId('kind-wechat-unverified_official_account').innerText()).toContain('Creates a draft only');
    expect(await en.getByTestId('kinds-douyin').innerText()).toContain('Any account');
    await app.snap('publishing-history-en');
  });

  it('fits a phone without scrolling sideways', async () => {
    const phoneApp = await newPage({ width: 390, height: 844 });
    const phone = phoneApp.page;
    await openAs(phone, base, await sessionOf(creator), '/studio/publishing');
    await phone.getByTestId('account-wechat').waitFor(LONG);
    await phone.locator('[data-testid^=publish-row-]').first().waitFor(LONG);
    const widths = await phone.evaluate(() => {
      const doc = document.scrollingElement as Element;
      return { scroll: doc.scrollWidth, client: doc.clientWidth };
    });
    expect(widths.scroll, `the page is ${widths.scroll} px wide in a ${widths.client} px window`).toBeLessThanOrEqual(widths.client + 1);
    await phoneApp.snap('publishing-phone');
  });
});
