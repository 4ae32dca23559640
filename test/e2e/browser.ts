import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM } from './chromium.ts';

// The browser for the console's end-to-end suite: Debian's chromium driven by playwright-core, screenshots written
// to test-results/ and checked to show something.

export { CHROMIUM, hasChromium } from './chromium.ts';
export const RESULTS = path.resolve(import.meta.dirname, '../../test-results');

export async function launch(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Every page asks for reduced motion, which the console honours (no zooming dialogs): a loaded CI machine otherwise
  // leaves closing dialogs in the page long enough for the next step to meet two of them.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = (options = {}) => newContext({ reducedMotion: 'reduce', ...options });
  const newPage = browser.newPage.bind(browser);
  browser.newPage = (options = {}) => newPage({ reducedMotion: 'reduce', ...options });
  return browser;
}

const LATE = Symbol('late');

/** What `step` settles to, or LATE when it has not after `ms`. */
async function within<T>(step: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), ms)));
  return Promise.race([step, late]).finally(() => clearTimeout(timer));
}

/**
 * Closes chromium without letting it hold a finished suite: under a loaded host a close once ran out the 60 s hook
 * timeout after every test had passed. One still closing after `ms` is left to playwright, which kills the browsers it
 * launched when the worker exits, and the suite goes on with a warning.
 */
export async function closeBrowser(browser: Browser | undefined, ms = 15_000): Promise<void> {
  if (browser && (await within(browser.close(), ms)) === LATE) {
    console.warn(`[tests] chromium did not close within ${ms / 1000} s; left to playwright's exit handler`);
  }
}

/**
 * A teardown step that must finish (a server's close, say): one that has not after `ms` fails with its name, where a
 * hook timeout would name none.
 */
export async function finishes(name: string, step: Promise<unknown>, ms = 30_000): Promise<void> {
  if ((await within(step, ms)) === LATE) throw new Error(`${name} did not finish within ${ms / 1000} s`);
}

/**
 * Chromium, launched while `start` (a server, say) is starting: each takes seconds. If either fails, the other is
 * closed again (with `close`) and the failure thrown.
 */
export async function launchBeside<T>(start: Promise<T>, close: (started: T) => Promise<unknown>): Promise<[T, Browser]> {
  const [started, browser] = await Promise.allSettled([start, launch()]);
  if (started.status === 'fulfilled' && browser.status === 'fulfilled') return [started.value, browser.value];
  if (started.status === 'fulfilled') await close(started.value);
  if (browser.status === 'fulfilled') await closeBrowser(browser.value);
  throw started.status === 'rejected' ? started.reason : (browser as PromiseRejectedResult).reason;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface SnapOptions {
  /**
   * Wait for the network to stay idle 500 ms after the page's load (default). `false` when the caller has already
   * waited for the page's own content: after a navigation inside the app, which `networkidle` does not follow at all.
   */
  networkIdle?: boolean;
  /**
   * The screenshot is of an open dialog: wait for spinners and for dialogs still closing, not for every dialog to go
   * (the default, which would run out its 30 s over a dialog that stays open).
   */
  dialog?: boolean;
}

/** A full-page screenshot to test-results/<name>.png, checked to be a real page: enough text and a non-trivial image. */
export async function snap(page: Page, name: string, { networkIdle = true, dialog = false }: SnapOptions = {}): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  if (networkIdle) await page.waitForLoadState('networkidle');
  // Spinners done (a lazily loaded page shows one until its code arrives, slow on a loaded CI machine), some text on
  // the page, and no dialog still fading out over it. The checks below say what was missing if this runs out.
  const busy = dialog ? '.ant-spin-spinning, .ant-zoom-leave' : '.ant-spin-spinning, .ant-modal-mask, .ant-zoom-leave';
  await page
    .waitForFunction(
      (selector) => document.querySelectorAll(selector).length === 0 && document.body.innerText.trim().length > 20,
      busy,
      { timeout: 30_000 },
    )
    .catch(() => undefined);
  const file = path.join(RESULTS, `${name}.png`);
  const png = await page.screenshot({ path: file, fullPage: true });
  const text = await page.evaluate(() => document.body.innerText.trim().length);
  expect(text, `${name}: the page shows no text`).toBeGreaterThan(20);
  expect(png.length, `${name}: the screenshot is blank`).toBeGreaterThan(8_000);
  return file;
}

export function writeResult(name: string, value: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, name), JSON.stringify(value, null, 2));
}

/** Signs in through the login page. */
export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel(/用户名或邮箱|Username or email/).fill(username);
  await page.getByLabel(/^(密码|Password)$/).fill(password);
  await page.getByRole('button', { name: /登\s*录|Sign in/ }).click();
  await page.getByTestId('whoami').waitFor({ state: 'attached' });
}
