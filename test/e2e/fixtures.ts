import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { DB_TIERS } from '../helpers/database.ts';
import { OPERATOR } from '../helpers/gateway.ts';
import { SANDBOX_ENV } from '../helpers/payments.ts';
import { startSupply, type SupplyHarness } from '../helpers/supply.ts';
import { closeBrowser, finishes, freePort, launchBeside } from './browser.ts';

// What the browser suites share: the real server on a free port (PGlite, the sandbox payment provider, a fake
// OpenAI-compatible provider), the model suppliers sell priced so their packages may serve buyers, one chromium, and
// sessions handed to a page without going through the login form.

export const MODEL = 'gpt-4o-mini';
export const PASSWORD = 'correct horse 1';

export interface ConsoleServer {
  h: SupplyHarness;
  /** `http://127.0.0.1:<port>`: the console and its API. */
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startConsole(): Promise<ConsoleServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [h, browser] = await launchBeside(
    startSupply(DB_TIERS[0] as (typeof DB_TIERS)[number], { env: { ...SANDBOX_ENV, PORT: String(port), PUBLIC_BASE_URL: base } }),
    (started) => started.close(),
  );
  // Suppliers' packages in these suites sell at ¥200 000 / ¥400 000 per 1M tokens: the buyers' price must allow it.
  await h.setPrice(MODEL, { provider: 'openai', input_price: 200_000, output_price: 400_000 });
  return {
    h,
    base,
    browser,
    async close() {
      await closeBrowser(browser);
      await finishes('the supply server\'s close', h.close());
    },
  };
}

/** The console's stored session (web/src/auth/session.tsx keeps it in localStorage under this key). */
export interface Session {
  access: string;
  refresh: string;
}

export async function sessionOf(h: SupplyHarness, username: string, password: string): Promise<Session> {
  const res = await h.t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  expect(res.statusCode, res.body).toBe(200);
  const data = res.json().data;
  return { access: data.access_token, refresh: data.refresh_token };
}

export const operatorSession = (h: SupplyHarness) => sessionOf(h, OPERATOR.ADMIN_EMAIL, OPERATOR.ADMIN_PASSWORD);

/**
 * Makes `page` signed in as `session` (or signed out, with `undefined`) in `locale`, for the pages it opens next. The
 * login form has its own test; going through it for every role and width would only slow the suites down. A page not
 * yet on the origin enters it through a small file of it (the favicon), not a page of the console: that would be one
 * more full load of the whole bundle.
 */
export async function setSession(page: Page, base: string, session: Session | undefined, locale: 'zh-CN' | 'en' = 'zh-CN'): Promise<void> {
  if (!page.url().startsWith(base)) await page.goto(`${base}/favicon.svg`);
  await page.evaluate(
    ([s, l]) => {
      if (s) localStorage.setItem('tollgate.session', s);
      else localStorage.removeItem('tollgate.session');
      localStorage.setItem('tollgate.locale', l);
    },
    [session ? JSON.stringify(session) : '', locale] as const,
  );
}

/** Opens `path` in `page` signed in as `session` (signed out with `undefined`) in `locale`, with one load of the console. */
export async function openAs(page: Page, base: string, session: Session | undefined, path: string, locale: 'zh-CN' | 'en' = 'zh-CN'): Promise<void> {
  await setSession(page, base, session, locale);
  await page.goto(`${base}${path}`);
}
