import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_TIERS } from '../helpers/database.ts';
import { startStudio, type Creator, type StudioHarness } from '../helpers/studio.ts';
import { closeBrowser, finishes, freePort, hasChromium, launch, snap } from './browser.ts';
import { setSession } from './fixtures.ts';

// The creator area in a real browser against the real server and a fake DashScope: a writing tool streams into its
// page, an image and a PPT are generated and linked from Tollgate's file store, a video shows its progress and then
// the player, and "my creations" lists, edits and deletes them. Screenshots go to test-results/studio-*.png.

const OUTLINE = JSON.stringify({
  title: '产品发布会',
  slides: [
    { layout: 'title', title: '产品发布会', subtitle: '2026 春季' },
    { layout: 'bullets', title: '核心功能', bullets: ['写作', '图片', '视频', 'PPT'] },
    { layout: 'closing', title: '谢谢' },
  ],
});

describe.skipIf(!hasChromium)('the creator studio in chromium', { timeout: 120_000 }, () => {
  let s: StudioHarness;
  let browser: Browser;
  let base = '';
  let creator: Creator;
  let page: Page;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    s = await startStudio(DB_TIERS[0] as (typeof DB_TIERS)[number], { env: { PUBLIC_BASE_URL: base } });
    await s.t.app.listen({ port, host: '127.0.0.1' });
    expect((s.t.app.server.address() as AddressInfo).port).toBe(port);
    s.dashscope.tasks.queriesToSucceed = 1;
    browser = await launch();
    creator = await s.creator(500);
    const login = await s.t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: (await creatorName()), password: 'correct horse 1' } });
    const data = login.json().data;
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' })).newPage();
    await setSession(page, base, { access: data.access_token, refresh: data.refresh_token });
  }, 120_000);
  afterAll(async () => {
    await closeBrowser(browser);
    if (s) await finishes('the studio server\'s close', s.close());
  });

  /** The result a generation page shows; its error message (what the server answered) when it shows one instead. */
  async function generated(on: Page, testId: string) {
    const result = on.getByTestId(testId);
    const error = on.getByTestId('generation-error');
    await result.or(error).first().waitFor({ timeout: 60_000 });
    if (await error.isVisible()) throw new Error(`the page shows a generation error instead of ${testId}: ${await error.innerText()}`);
    return result;
  }

  async function creatorName(): Promise<string> {
    const me = await s.t.request({ method: 'GET', url: '/api/v1/auth/me', headers: creator.auth });
    return me.json().data.username;
  }

  it('shows the tool gallery and streams a generated article into the page', async () => {
    await page.goto(`${base}/studio/tools`);
    await page.getByTestId('tool-wechat_article').waitFor();
    expect(await page.getByTestId('tool-gallery').locator('a').count()).toBe(14);
    await snap(page, 'studio-gallery');
    await page.getByTestId('tool-wechat_article').click();
    await page.locator('#title').fill('如何提高工作效率');
    await page.getByTestId('generate').click();
    await page.getByTestId('writing-done').waitFor({ timeout: 30_000 });
    expect((await page.getByTestId('writing-output').textContent())?.length).toBeGreaterThan(5);
    await expect.poll(async () => page.getByTestId('studio-credits').textContent()).toContain('490');
    await snap(page, 'studio-writing');
  });

  it('generates an image stored by Tollgate and shows it', async () => {
    await page.goto(`${base}/studio/image`);
    await page.getByTestId('image-form').locator('textarea').fill('一只可爱的猫咪在花园里玩耍');
    await page.getByTestId('generate').click();
    const img = (await generated(page, 'image-result')).locator('img').or(page.locator('img[data-testid=image-result]'));
    await img.first().waitFor({ timeout: 30_000 });
    const src = await img.first().getAttribute('src');
    expect(src).toMatch(new RegExp(`^${base}/files/images/`));
    expect(await img.first().evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await snap(page, 'studio-image');
  });

  it('generates a PPT with a download link', async () => {
    s.dashscope.chat.replies.push(OUTLINE);
    await page.goto(`${base}/studio/ppt`);
    await page.getByTestId('ppt-form').locator('input').first().fill('产品发布会');
    await page.getByTestId('generate').click();
    const link = await generated(page, 'ppt-download');
    const res = await fetch(String(await link.getAttribute('href')));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('presentationml');
    await snap(page, 'studio-ppt');
  });

  it('shows a video’s progress, then the player once the job has stored it', async () => {
    await page.goto(`${base}/studio/video`);
    await page.getByTestId('video-form').locator('textarea').fill('城市夜景延时摄影');
    await page.getByTestId('generate').click();
    await generated(page, 'video-progress');
    await snap(page, 'studio-video-progress');
    const taskId = new URL(page.url()).searchParams.get('task') as string;
    const poll = s.t.app.tollgateJobs.find((j) => j.name === 'studio.video.poll');
    for (let i = 0; i < 5; i++) await poll?.handler({ generationId: taskId });
    await page.getByTestId('video-player').waitFor({ timeout: 30_000 });
    await snap(page, 'studio-video');
  });

  it('lists my creations, edits one and deletes one', async () => {
    await page.goto(`${base}/studio/creations`);
    const rows = page.locator('[data-testid^=creation-row-]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(4);
    await snap(page, 'studio-creations');
    const firstId = ((await rows.first().getAttribute('data-testid')) as string).replace('creation-row-', '');
    await page.getByTestId(`delete-creation-${firstId}`).click();
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => rows.count()).toBe(3);
  });

  it('shows the gallery in English', async () => {
    const en = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en' })).newPage();
    const login = await s.t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username: await creatorName(), password: 'correct horse 1' } });
    await setSession(en, base, { access: login.json().data.access_token, refresh: login.json().data.refresh_token }, 'en');
    await en.goto(`${base}/studio/tools`);
    await en.getByTestId('tool-gallery').waitFor();
    expect(await en.getByTestId('tool-gallery').textContent()).toMatch(/WeChat/i);
    await snap(en, 'studio-gallery-en');
  });
});
