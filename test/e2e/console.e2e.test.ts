import { eq } from 'drizzle-orm';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supplyAccounts, supplyPackages, supplySettlements } from '../../src/modules/supply/supply.tables.ts';
import { registerUser } from '../helpers/actors.ts';
import { createRecharge, walletSnapshot } from '../helpers/payments.ts';
import type { SupplyHarness } from '../helpers/supply.ts';
import { availableRecord, verifiedSupplier, withdraw, withdrawCode, yuan } from '../helpers/withdrawals.ts';
import { OPERATOR } from '../helpers/gateway.ts';
import { hasChromium, signIn, writeResult } from './browser.ts';
import { MODEL, openAs, operatorSession, PASSWORD, setSession, startConsole, type ConsoleServer } from './fixtures.ts';
import { appPage, type AppPage } from './layout.ts';

// The console in a real browser against the real server (PGlite, a fake OpenAI-compatible provider): a supplier
// mounts an account, drafts and publishes a package; a buyer registers, recharges through the sandbox page, creates a
// key, and sees a request made with it in the usage log with its cost; a signed-out payer fails a payment on the
// sandbox checkout through its link alone; the supplier sees the package serve it and the earning appear; an operator
// approves a review and processes a withdrawal. Screenshots of each main page go to test-results/, and the first page's
// load time is measured with the browser's navigation timing.
// Each role's page loads the console once and moves between pages inside the app, as its menu does; the buyer
// registers through the form and the phone signs in through it, the supplier and the operator get their sessions from
// the API.

describe.skipIf(!hasChromium)('the web console in chromium', { timeout: 120_000 }, () => {
  let server: ConsoleServer;
  let h: SupplyHarness;
  let browser: Browser;
  let base = '';
  const unique = Date.now().toString(36);

  beforeAll(async () => {
    server = await startConsole();
    ({ h, browser, base } = server);
  }, 120_000);
  afterAll(() => server?.close());

  async function newPage(): Promise<AppPage> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
    return appPage(await context.newPage());
  }

  async function register(page: Page, username: string): Promise<void> {
    await page.goto(`${base}/register`);
    await page.getByLabel(/^(用户名|Username)$/).fill(username);
    await page.getByLabel(/^(邮箱|Email)$/).fill(`${username}@example.com`);
    await page.getByLabel(/^(密码|Password)$/).fill(PASSWORD);
    await page.getByRole('button', { name: /注\s*册|Sign up/ }).click();
    await page.getByTestId('whoami').waitFor({ state: 'attached' });
  }

  let supplierPage: AppPage;
  let packageId = 0;

  it('lets a supplier mount an account, then draft and publish a package', async () => {
    const [supplier, app] = await Promise.all([registerUser(h.t, `sup${unique}`, PASSWORD), newPage()]);
    supplierPage = app;
    const { page } = app;
    await openAs(page, base, { access: supplier.accessToken, refresh: supplier.refreshToken }, '/supply/accounts');
    await page.getByTestId('mount-account').click();
    await page.getByTestId('provider-select').click();
    await page.getByTitle('OpenAI').click();
    await page.getByTestId('credential-input').fill(h.credential());
    await page.getByTestId('verify-account').click();
    await page.locator('[data-testid="verify-result"][data-status="pass"]').waitFor();
    await page.getByTestId('risk-ack').check();
    await page.getByTestId('create-account').click();
    const [account] = await waitForRows(() => h.t.database.db.select().from(supplyAccounts));
    await page.getByTestId(`activate-${account?.id}`).click();
    await expectEventually(async () => (await h.t.database.db.select().from(supplyAccounts).where(eq(supplyAccounts.id, account?.id ?? 0)))[0]?.status === 'active');
    await app.snap('supplier-accounts');

    await app.go('/supply/packages');
    await page.getByTestId('new-package').click();
    await page.getByTestId('draft-account').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').first().click();
    await page.getByTestId('draft-model').click();
    await page.getByTitle(MODEL, { exact: true }).click();
    await page.getByTestId('draft-total_quota').fill('1000000');
    await page.getByTestId('draft-price_per_1m_input').fill('200000');
    await page.getByTestId('draft-price_per_1m_output').fill('400000');
    await page.getByTestId('package-form-submit').click();
    const [pkg] = await waitForRows(() => h.t.database.db.select().from(supplyPackages));
    packageId = pkg?.id ?? 0;
    await page.getByTestId(`publish-${packageId}`).click();
    await expectEventually(async () => (await h.t.database.db.select().from(supplyPackages).where(eq(supplyPackages.id, packageId)))[0]?.status === 'active');
    await app.snap('supplier-packages');
  });

  it('lets a buyer register, recharge through the sandbox page, create a key and see its request in the usage log', async () => {
    const app = await newPage();
    const { page } = app;
    const started = Date.now();
    await register(page, `buy${unique}`);
    await page.getByTestId('whoami').waitFor({ state: 'attached' });
    writeResult('first-page-load.json', await firstLoadTimings(page, base, Date.now() - started));
    await app.snap('buyer-dashboard-new');

    await app.go('/billing');
    await page.getByTestId('recharge-amount').fill('100');
    await page.getByTestId('recharge-submit').click();
    // The sandbox checkout is a console page, told to come back to where the payment started.
    await page.waitForURL(/\/pay\/sandbox\/R\d{20}\?payer=\d+&expires=\d+&signature=[0-9a-f]{64}&return_to=%2Fbilling$/);
    await page.getByText('充值 ¥100.00（1,000 积分）').waitFor();
    await app.snap('buyer-sandbox-checkout');
    await page.getByRole('button', { name: '支付 ¥100.00' }).click();
    await page.locator('[data-testid="checkout-result"][data-result="success"]').getByText('支付成功').waitFor();
    await page.getByRole('link', { name: '返回控制台' }).click();
    await page.waitForURL(`${base}/billing`);
    await page.locator('[data-testid^="order-row-"]').first().waitFor();
    await app.snap('buyer-billing');

    await app.go('/keys');
    await page.getByTestId('create-key').click();
    await page.getByRole('dialog').getByLabel(/名称|Name/).fill('e2e key');
    await page.getByRole('dialog').getByRole('button', { name: /确\s*定|OK|创\s*建|Create/ }).last().click();
    const key = (await page.getByTestId('new-key-value').textContent())?.trim() ?? '';
    expect(key).toMatch(/^sk-/);
    await page.keyboard.press('Escape');
    await app.snap('buyer-keys');

    const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 12 });
    expect(completion.usage?.total_tokens).toBe(13);

    await app.go('/usage');
    await page.getByText(MODEL).first().waitFor();
    await page.getByText('¥5.00').first().waitFor();
    await app.snap('buyer-usage');
    await app.go('/');
    await page.getByText(MODEL).first().waitFor();
    await app.snap('buyer-dashboard');
    await app.go('/quickstart');
    await app.snap('buyer-quickstart');
  });

  it('opens the sandbox checkout without a session (the signed link is the credential), in English too', async () => {
    const buyer = registerUser(h.t);
    const [order, app] = await Promise.all([buyer.then((b) => createRecharge(h.t, b.auth, 12.5, 'wechat')), newPage()]);
    const { page } = app;
    await page.goto(`${order.payment_url}&return_to=${encodeURIComponent('//evil.com')}`);
    await page.getByText('充值 ¥12.50（125 积分）').waitFor();
    await page.getByRole('combobox', { name: '语言' }).click();
    await page.getByTitle('English').click();
    await page.getByText('WeChat Pay (sandbox)').waitFor();
    await page.getByRole('switch', { name: 'Dark mode' }).click();
    await app.snap('sandbox-checkout-signed-out-dark');
    await page.getByRole('button', { name: 'Simulate a failed payment' }).click();
    await page.locator('[data-testid="checkout-result"][data-result="failed"]').getByText('Payment failed').waitFor();
    expect(await page.getByRole('link', { name: 'Back to the console' }).getAttribute('href')).toBe('/billing');
    expect((await walletSnapshot(h.t, (await buyer).auth)).recharges[order.order_id]).toBe('failed');
  });

  it('shows the supplier the package serving traffic and the earning', async () => {
    const { page } = supplierPage;
    // Still on the packages page: its own refresh button reads them again.
    await page.getByRole('button', { name: '刷新', exact: true }).click();
    await page.getByTestId(`package-row-${packageId}`).getByText(/999,987|999987/).waitFor();
    await supplierPage.go('/supply/earnings');
    await page.getByText('4.50').first().waitFor();
    await supplierPage.snap('supplier-earnings');
  });

  it('lets an operator approve a review and process a withdrawal', async () => {
    // A second supplier with an account waiting for review and a withdrawal waiting for payment, set up through the API
    // while the operator's page opens (signed in from the API: the phone below signs in through the form).
    const seed = async () => {
      const other = await verifiedSupplier(h);
      const flagged = await h.call(other, 'POST', '/api/v1/supply/accounts', {
        payload: { provider: 'openai', account_type: 'api_key', credential_input: h.credential('))))'), min_quota_threshold: 10, risk_ack: true },
        headers: { 'idempotency-key': `e2e-flagged-${unique}` },
      });
      expect(flagged.status, flagged.raw).toBe(201);
      await availableRecord(h, other.id, yuan(100), new Date(Date.now() - 86_400_000));
      const created = await withdraw(h, other, { withdraw_amount: 50, sms_code: await withdrawCode(h, other) });
      expect(created.status, created.raw).toBe(201);
      return { flagged, created };
    };
    const [{ flagged, created }, session, app] = await Promise.all([seed(), operatorSession(h), newPage()]);
    const { page } = app;
    // What the API refused, for the failure message if a step below never lands.
    const refusals: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/') && r.status() >= 400) void r.text().then((body) => refusals.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()} ${body.slice(0, 200)}`));
    });
    await openAs(page, base, session, '/admin/supply-review');
    const accountId = flagged.body.data.account_id as number;
    await page.getByTestId(`approve-${accountId}`).click();
    await page.getByTestId('review-reason').fill('balance confirmed by phone');
    await page.getByTestId('review-confirm').click();
    await expectEventually(async () => (await h.t.database.db.select().from(supplyAccounts).where(eq(supplyAccounts.id, accountId)))[0]?.reviewStatus === 'approved');
    await app.snap('operator-supply-review');

    const settlementId = created.body.data.settlement_id as number;
    await app.go('/admin/withdrawals');
    await page.getByTestId(`process-${settlementId}`).click();
    await page.getByTestId('settlement-confirm').click();
    await expectEventually(async () => (await settlement(settlementId))?.status === 'processing');
    // The first dialog must be gone before the second opens: both have a confirm button.
    await expect.poll(() => page.locator('.ant-modal:visible').count(), { timeout: 15_000 }).toBe(0);
    // The list refetches after the payout started; a refetch landing while the next dialog is open re-renders it.
    await app.settled();
    await page.getByTestId(`complete-${settlementId}`).click();
    await page.getByTestId('settlement-reference').waitFor();
    await app.settled();
    await page.getByTestId('settlement-reference').fill('BANK-TX-0001');
    expect(await page.getByTestId('settlement-reference').inputValue()).toBe('BANK-TX-0001');
    await page.getByTestId('settlement-confirm').click();
    await expectEventually(async () => (await settlement(settlementId))?.status === 'completed', 30_000).catch(async (err: Error) => {
      await app.snap('operator-withdrawals-failed').catch(() => undefined);
      throw new Error(`${err.message}; status ${(await settlement(settlementId))?.status}; API refusals: ${refusals.join(' | ') || 'none'}`);
    });
    await app.snap('operator-withdrawals');

    for (const [path, name] of [['/admin/users', 'operator-users'], ['/admin/channels', 'operator-channels'], ['/admin/coupons', 'operator-coupons'], ['/admin/orders', 'operator-orders'], ['/admin/health', 'operator-health']]) {
      await app.go(path as string);
      await app.snap(name as string);
    }
  });

  it('works in English and on a phone-sized screen, and answers unknown pages with a 404 page', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
    const app = appPage(await context.newPage());
    const { page } = app;
    // Signed out, in English: the login page then loads once, in English.
    await setSession(page, base, undefined, 'en');
    await signIn(page, base, OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'menu' }).waitFor();
    await app.snap('phone-dashboard-en');
    // A full load: the server answers an unknown path with the console, which shows its 404 page.
    await page.goto(`${base}/no/such/page`);
    await page.getByText('404').first().waitFor();
    await app.snap('not-found');
  });

  const settlement = async (id: number) => (await h.t.database.db.select().from(supplySettlements).where(eq(supplySettlements.id, id)))[0];
});

async function waitForRows<T>(read: () => Promise<T[]>, timeoutMs = 10_000): Promise<T[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await read();
    if (rows.length > 0 || Date.now() > until) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fresh load of the console's first page in a new tab: navigation timing, and when the app became usable. */
async function firstLoadTimings(page: Page, base: string, registerMs: number) {
  const fresh = await page.context().newPage();
  const t0 = Date.now();
  await fresh.goto(base);
  await fresh.getByTestId('whoami').waitFor();
  const usableMs = Date.now() - t0;
  const nav = await fresh.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return { domInteractive: Math.round(n.domInteractive), domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) };
  });
  await fresh.close();
  expect(nav.domInteractive).toBeLessThan(2_000);
  return { ...nav, appUsableMs: usableMs, registerFlowMs: registerMs };
}
