import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskName, REFERRAL_DEFAULTS } from '../../src/modules/operations/referral.service.ts';
import { registerUser } from '../helpers/actors.ts';
import { rechargeAndPay } from '../helpers/payments.ts';
import type { SupplyHarness } from '../helpers/supply.ts';
import { hasChromium } from './browser.ts';
import { openAs, operatorSession, PASSWORD, sessionOf, startConsole, type ConsoleServer, type Session } from './fixtures.ts';
import { appPage, type AppPage } from './layout.ts';

// Operations in a real browser against the real server: an operator creates a credit gift and sees it listed; the
// statistics dashboard shows the figures of a seeded history (users, revenue, credits, orders) with its charts drawn;
// a buyer copies the referral link from Rewards, a friend registers through it in the browser and pays a recharge on
// the sandbox checkout, the buyer's Rewards page then shows the reward, and the operator's Referrals page shows the
// referral. Screenshots in English and Chinese go to test-results/operations-*.png.
// The operator's page loads the console once and moves inside the app (English chosen with the header's switch); the
// inviter and the friend have pages of their own. Going back to Chinese reloads the page, which reads the stored choice.

type Locale = 'zh-CN' | 'en';
const REWARD = REFERRAL_DEFAULTS.rewardCredits;
const LONG = { timeout: 30_000 };

/** The last 30 Beijing days, today included: the dashboard's default range. */
function last30BeijingDays() {
  const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
  const start = new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  return `start_date=${start}&end_date=${today}`;
}

/** Waits until the charts stop drawing (ECharts animates its series in): two looks 300 ms apart see the same pixels. */
async function chartsSettled(page: Page): Promise<void> {
  const pixels = () => page.locator('canvas').evaluateAll((cs) => cs.map((c) => (c as HTMLCanvasElement).toDataURL()).join('|'));
  let before = await pixels();
  await expect
    .poll(async () => {
      await new Promise((r) => setTimeout(r, 300));
      const now = await pixels();
      const same = now === before;
      before = now;
      return same;
    }, LONG)
    .toBe(true);
}

describe.skipIf(!hasChromium)('operations in chromium', { timeout: 120_000 }, () => {
  let server: ConsoleServer;
  let h: SupplyHarness;
  let base = '';
  let operator: Session;
  /** The operator's page, from the first test on. */
  let ops: AppPage;
  const unique = Date.now().toString(36);
  const contexts: BrowserContext[] = [];

  /** A page of its own at 1366×900 in `locale`. */
  async function newPage(locale: Locale, permissions: string[] = []): Promise<AppPage> {
    const context = await server.browser.newContext({ viewport: { width: 1366, height: 900 }, locale, permissions });
    contexts.push(context);
    return appPage(await context.newPage());
  }
  /** The same page in the other language (the console keeps the choice in localStorage). */
  async function switchTo(page: Page, locale: Locale) {
    await page.evaluate((l) => localStorage.setItem('tollgate.locale', l), locale);
    await page.reload();
  }
  const statistics = async () => (await h.t.request({ method: 'GET', url: `/api/v1/operation/statistics?${last30BeijingDays()}`, headers: h.operator })).json().data;

  beforeAll(async () => {
    server = await startConsole();
    ({ h, base } = server);
    operator = await operatorSession(h);
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await server?.close();
  });

  it('lets an operator create a credit gift in the console and lists it', async () => {
    const name = `Welcome gift ${unique}`;
    ops = await newPage('zh-CN');
    const { page } = ops;
    await openAs(page, base, operator, '/admin/activities');
    await page.getByTestId('create-activity').click();
    await page.getByTestId('activity-name').fill(name);
    await page.getByTestId('activity-credits').fill('30');
    await page.getByTestId('activity-description').fill('新用户和老用户都可参加，领取一次');
    await page.getByTestId('activity-submit').click();

    const row = page.locator('[data-testid^="activity-row-"]').filter({ hasText: name });
    await row.waitFor(LONG);
    const text = await row.innerText();
    for (const words of ['积分赠送', '参加即送 30 积分', '进行中']) expect(text).toContain(words);
    const listed = (await h.t.request({ method: 'GET', url: '/api/v1/operation/activities?status=active', headers: h.operator })).json().data.items;
    expect(listed).toMatchObject([{ name, type: 'credit_gift', config: { credits: 30, on: 'participate' }, status: 'active' }]);
    await ops.snap('operations-activities-zh');
  });

  it('shows the statistics of a seeded history, with its charts drawn, in English and Chinese', async () => {
    const before = await statistics();
    expect(before).toMatchObject({ total_revenue: 0, paid_orders: 0 });
    // Three buyers pay ¥100, ¥30 and ¥12.50; the ¥30 is refunded: ¥112.50 and 1,125 credits sold, 3 paid orders, 2 paying.
    const buyers = await Promise.all([0, 1, 2].map((i) => registerUser(h.t, `stats${i}${unique}`)));
    const orders = await Promise.all(buyers.map((b, i) => rechargeAndPay(h.t, b.auth, [100, 30, 12.5][i] as number)));
    const refund = await h.t.request({ method: 'POST', url: `/api/v1/admin/orders/${orders[1]?.order_id}/refund`, headers: h.operator, payload: { reason: 'customer request' } });
    expect(refund.statusCode, refund.body).toBe(200);

    const { page } = ops;
    await ops.language('English');
    await ops.go('/admin/statistics');
    const figure = (key: string) => page.getByTestId(`stat-${key}`).locator('.ant-statistic-content');
    const expected = {
      total_users: String(before.total_users + 3),
      new_users: String(before.new_users + 3),
      total_revenue: '¥112.50',
      total_credits_sold: '1,125',
      paid_orders: '3',
      paying_users: '2',
    };
    for (const [key, value] of Object.entries(expected)) await expect.poll(() => figure(key).innerText(), LONG).toBe(value);
    expect(await page.getByTestId('stat-total_users').innerText()).toContain('Users');
    // Two charts, each an ECharts canvas with a size.
    await expect.poll(() => page.locator('canvas').count(), LONG).toBe(2);
    const sizes = await page.locator('canvas').evaluateAll((cs) => cs.map((c) => (c as HTMLCanvasElement).width * (c as HTMLCanvasElement).height));
    expect(sizes.every((s) => s > 10_000), `canvas sizes ${sizes.join(', ')}`).toBe(true);
    await chartsSettled(page);
    await ops.snap('operations-statistics-en');

    await switchTo(page, 'zh-CN');
    await page.getByText('每日新增用户').waitFor(LONG);
    await expect.poll(() => figure('total_revenue').innerText(), LONG).toBe('¥112.50');
    await expect.poll(() => page.locator('canvas').count(), LONG).toBe(2);
    await chartsSettled(page);
    await ops.snap('operations-statistics-zh');
  });

  it('rewards a buyer whose copied link brings a friend who registers in the browser and pays, and shows it to operators', async () => {
    const [inviter, rewardsApp, friendApp] = await Promise.all([registerUser(h.t, `inviter${unique}`), newPage('en', ['clipboard-read', 'clipboard-write']), newPage('zh-CN')]);
    const rewards = rewardsApp.page;
    await openAs(rewards, base, await sessionOf(h, inviter.username, PASSWORD), '/rewards', 'en');
    const input = rewards.getByTestId('referral-url');
    await expect.poll(() => input.inputValue(), LONG).toMatch(/\/register\?ref=/);
    const link = await input.inputValue();
    const code = (await rewards.getByTestId('referral-code').innerText()).trim();
    expect(link).toBe(`${base}/register?ref=${code}`);
    await rewards.getByTestId('copy-referral').click();
    await expect.poll(() => rewards.evaluate(() => navigator.clipboard.readText()), LONG).toBe(link);
    expect(await rewards.getByTestId('referral-count').innerText()).toContain('0');

    // The friend opens the copied link signed out (a context of its own: no session, the console's default language,
    // Chinese), registers, and pays ¥10 on the sandbox checkout.
    const friendName = `friend${unique}`;
    const friend = friendApp.page;
    await friend.goto(await rewards.evaluate(() => navigator.clipboard.readText()));
    expect(await friend.getByTestId('invited').innerText()).toContain(code);
    await friend.getByLabel(/^(用户名|Username)$/).fill(friendName);
    await friend.getByLabel(/^(邮箱|Email)$/).fill(`${friendName}@example.com`);
    await friend.getByLabel(/^(密码|Password)$/).fill(PASSWORD);
    await friendApp.snap('operations-register-invited');
    await friend.getByRole('button', { name: /注\s*册|Sign up/ }).click();
    await friend.getByTestId('whoami').waitFor({ state: 'attached', ...LONG });
    await friendApp.go('/billing');
    await friend.getByTestId('recharge-amount').fill('10');
    await friend.getByTestId('recharge-submit').click();
    await friend.waitForURL(/\/pay\/sandbox\/R\d+/, LONG);
    await friend.getByRole('button', { name: '支付 ¥10.00' }).click();
    await friend.locator('[data-testid="checkout-result"][data-result="success"]').waitFor(LONG);

    // The inviter's page, read again (away and back inside the app, as from the menu): the reward, the friend masked,
    // in English and in Chinese.
    await rewardsApp.go('/keys');
    await rewardsApp.go('/rewards');
    await expect.poll(() => rewards.getByTestId('referral-total').innerText(), LONG).toContain(`${REWARD} credits`);
    const mine = rewards.locator('[data-testid^="referral-row-"]');
    await expect.poll(() => mine.count(), LONG).toBe(1);
    const row = await mine.first().innerText();
    for (const words of [maskName(friendName), 'Rewarded', `+${REWARD}`]) expect(row).toContain(words);
    expect(row).not.toContain(friendName);
    expect((await h.t.request({ method: 'GET', url: '/api/v1/credit/balance', headers: inviter.auth })).json().data.credit_balance).toBe(REWARD);
    await rewardsApp.snap('operations-rewards-en');
    await switchTo(rewards, 'zh-CN');
    await expect.poll(() => rewards.getByTestId('referral-total').innerText(), LONG).toContain(`${REWARD} 积分`);
    expect(await mine.first().innerText()).toContain('已奖励');
    await rewardsApp.snap('operations-rewards-zh');

    // The operator finds the referral by the friend's name, both users in full, in English on the page the last test
    // left in Chinese.
    await ops.language('English');
    await ops.go('/admin/referrals');
    const opsPage = ops.page;
    await opsPage.getByTestId('referral-search').fill(friendName);
    await opsPage.getByTestId('referral-search-submit').click();
    const found = opsPage.locator('[data-testid^="referral-row-"]');
    await expect.poll(() => found.count(), LONG).toBe(1);
    const listed = await found.first().innerText();
    for (const words of [inviter.username, `${inviter.username}@example.com`, friendName, `${friendName}@example.com`, 'Rewarded', `+${REWARD} credits`]) expect(listed).toContain(words);
    await expect.poll(() => opsPage.getByTestId('referrals-total-rewards').innerText(), LONG).toContain(`${REWARD} credits`);
    await ops.snap('operations-referrals-en');
    await opsPage.getByTestId('referral-search').fill('');
    await switchTo(opsPage, 'zh-CN');
    await opsPage.locator('[data-testid^="referral-row-"]').first().waitFor(LONG);
    expect(await opsPage.locator('[data-testid^="referral-row-"]').first().innerText()).toContain('已奖励');
    await ops.snap('operations-referrals-zh');
  });
});
