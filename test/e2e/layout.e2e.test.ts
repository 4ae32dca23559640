import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, snap } from './browser.ts';
import { startConsole, setSession, type ConsoleServer } from './fixtures.ts';
import { documentBox, measureExpandedRow, measureTable, navigateInApp, sidebarAtBottom, tableWidth, trackRequests } from './layout.ts';
import { seedListPages, type ListPageData } from './seed.ts';

// Every list page of the console at 1366×768 (a common laptop) and at 390×844 (a phone), with rows in every table:
// - the document never scrolls sideways, and the body has no margin (no white frame around the console);
// - every option of a page's filters is on the screen (a phone cut the status filters' last options off at its edge);
// - every column header of the page's main table can be read (the rule is in layout.ts): at 1366 px as the page
//   opens, without scrolling the table sideways (a scroll bar under a long table is easy to miss: the keys' "Created"
//   column was cut off so); at phone width by scrolling the table inside its own container, never the page;
// - usage and supply review: an expanded row shows its details within the visible table and keeps the table within
//   twice its container's width — or, on a phone, where the columns alone are wider than that, within its own width;
// - a page of figures and charts (statistics) has no table: it only must not scroll sideways;
// - the login page fits a 1366×768 screen; in dark mode the sidebar reaches the bottom of a page taller than the screen.
// A screenshot of each page at each width goes to test-results/layout-<width>-<page>.png.
// The wide screen runs in English (longer labels than Chinese in most columns, and the words of the bug reports), the
// phone in Chinese (the default language), so each language meets one of the two widths.
// One browser page per width loads the console once per role (and theme) and moves between that role's pages inside
// the app, as its menu does: a full load per page re-ran the whole bundle and cost about a second each.

type Role = 'buyer' | 'supplier' | 'operator';

interface ListPage {
  role: Role;
  path: string;
  name: string;
  /** The page's main table (default: the first table on the page); `false` for a page of figures and charts. */
  table?: string | false;
  /** What shows once a page without a table has loaded. */
  ready?: string;
  /** Headers the check must have met (guards against checking the wrong table). */
  mustShow?: RegExp;
  /** Its rows expand into details: the first row of the first table is expanded, right after the page's own check. */
  expands?: boolean;
}

const FIRST_TABLE = '.ant-table-wrapper';

const PAGES: ListPage[] = [
  { role: 'buyer', path: '/keys', name: 'buyer-keys', mustShow: /^(Created|创建时间)$/ },
  { role: 'buyer', path: '/usage', name: 'buyer-usage', expands: true },
  { role: 'buyer', path: '/billing', name: 'buyer-billing', table: '.ant-table-wrapper:has([data-testid^="order-row-"])' },
  { role: 'buyer', path: '/rewards', name: 'buyer-rewards', table: '.ant-table-wrapper:has([data-testid^="referral-row-"])' },
  { role: 'supplier', path: '/supply/accounts', name: 'supplier-accounts' },
  { role: 'supplier', path: '/supply/packages', name: 'supplier-packages' },
  { role: 'supplier', path: '/supply/earnings', name: 'supplier-earnings' },
  { role: 'operator', path: '/admin/users', name: 'operator-users' },
  { role: 'operator', path: '/admin/channels', name: 'operator-channels' },
  { role: 'operator', path: '/admin/supply-review', name: 'operator-supply-review', expands: true },
  { role: 'operator', path: '/admin/withdrawals', name: 'operator-withdrawals' },
  { role: 'operator', path: '/admin/coupons', name: 'operator-coupons' },
  { role: 'operator', path: '/admin/activities', name: 'operator-activities' },
  { role: 'operator', path: '/admin/referrals', name: 'operator-referrals' },
  // Charts draw on a canvas once the figures have loaded.
  { role: 'operator', path: '/admin/statistics', name: 'operator-statistics', table: false, ready: 'canvas' },
  { role: 'operator', path: '/admin/orders', name: 'operator-orders' },
  { role: 'operator', path: '/admin/health', name: 'operator-health' },
];

const WIDTHS = [
  { name: '1366', viewport: { width: 1366, height: 768 }, locale: 'en', phone: false },
  { name: 'phone', viewport: { width: 390, height: 844 }, locale: 'zh-CN', phone: true },
] as const;

// Without chromium the suite is skipped; test/global-setup.ts prints the one line saying so.
describe.skipIf(!hasChromium)('the console\'s list pages at 1366 px and at phone width', { timeout: 60_000 }, () => {
  let server: ConsoleServer;
  let data: ListPageData;

  beforeAll(async () => {
    server = await startConsole();
    data = await seedListPages(server.h);
  }, 120_000);
  afterAll(() => server?.close());

  const sessionFor = (role: Role | undefined) => (role ? data[role] : undefined);

  describe.each(WIDTHS)('at $name', (width) => {
    let context: BrowserContext;
    let page: Page;
    let requests: ReturnType<typeof trackRequests>;
    /** Whose console the page has loaded, and in which theme (`undefined` before the first load). */
    let loaded: { role: Role | undefined; dark: boolean } | undefined;
    beforeAll(async () => {
      context = await server.browser.newContext({ viewport: width.viewport, locale: width.locale });
      page = await context.newPage();
      requests = trackRequests(page);
    });
    afterAll(() => context?.close());

    /**
     * Opens `path` as `role` and waits (a while) for the main table's rows. When the page already runs the console as
     * `role` in that theme, inside the app (or not at all: an expansion check follows its page's own check, which
     * leaves the page as it opened); by loading the console otherwise.
     */
    async function open(role: Role | undefined, path: string, table?: string, { dark = false } = {}) {
      const here = new URL(page.url(), server.base).pathname;
      if (role !== undefined && loaded?.role === role && loaded.dark === dark) {
        if (here !== path) await navigateInApp(page, path);
      } else {
        loaded = undefined;
        await setSession(page, server.base, sessionFor(role), width.locale);
        await page.evaluate((theme) => localStorage.setItem('tollgate.theme', theme), dark ? 'dark' : 'light');
        await page.goto(`${server.base}${path}`);
        loaded = { role, dark };
      }
      if (table) await page.locator(`${table} tbody tr.ant-table-row`).first().waitFor({ timeout: 5_000 }).catch(() => undefined);
    }

    /** The screenshot, once the page's requests are done (`snap`'s `networkidle` follows only full page loads). */
    async function settledSnap(name: string) {
      await requests.settled();
      await snap(page, `layout-${width.name}-${name}`, { networkIdle: false });
    }

    const expectRows = async (table: string, what: string) =>
      expect(await page.locator(`${table} tbody tr.ant-table-row`).count(), `${what}: the table shows no rows, so its layout proves nothing`).toBeGreaterThan(0);

    async function expectNoSidewaysScroll(what: string) {
      const doc = await documentBox(page);
      expect.soft(doc.scrollWidth, `${what}: the page scrolls sideways (document ${doc.scrollWidth} px wide in a ${doc.innerWidth} px window)`).toBeLessThanOrEqual(doc.innerWidth + 1);
      expect.soft(doc.bodyMargin, `${what}: the body keeps a margin`).toBe('0px');
    }

    /** Every option of the page's filters is on the screen: one cut off at its edge is an option nobody finds. */
    async function expectFiltersOnScreen(what: string) {
      const cut = await page.evaluate(() =>
        [...document.querySelectorAll('.ant-segmented-item')]
          .filter((el) => {
            const box = el.getBoundingClientRect();
            return box.left < -1 || box.right > window.innerWidth + 1;
          })
          .map((el) => el.textContent),
      );
      expect.soft(cut, `${what}: filter options off the screen`).toEqual([]);
    }

    it('shows the login page without a margin, sideways scrolling, or (at 1366×768) any scrolling', async () => {
      await open(undefined, '/login');
      await page.getByRole('button', { name: /登\s*录|Sign in/ }).waitFor();
      await settledSnap('login');
      await expectNoSidewaysScroll('login');
      if (!width.phone) {
        const doc = await documentBox(page);
        expect.soft(doc.scrollHeight, `the login page scrolls at ${doc.innerWidth}×${doc.innerHeight}`).toBeLessThanOrEqual(doc.innerHeight + 1);
      }
    });

    async function checkListPage(p: ListPage) {
      if (p.table === false) {
        await open(p.role, p.path);
        await page.locator(p.ready as string).first().waitFor({ timeout: 10_000 });
        await settledSnap(p.name);
        await expectNoSidewaysScroll(p.name);
        return;
      }
      const table = p.table ?? FIRST_TABLE;
      await open(p.role, p.path, table);
      await settledSnap(p.name);
      await expectRows(table, p.name);
      await expectNoSidewaysScroll(p.name);
      await expectFiltersOnScreen(p.name);

      const report = await measureTable(page, table, width.phone ? 'scrolls' : 'fits');
      expect(report, `${p.name}: no table`).not.toBeNull();
      const r = report as NonNullable<typeof report>;
      expect(r.headers.length, `${p.name}: the table has no headers`).toBeGreaterThan(1);
      if (p.mustShow) expect(r.headers.map((h) => h.text)).toContainEqual(expect.stringMatching(p.mustShow));
      const unreadable = r.headers.filter((h) => h.problem).map((h) => `"${h.text}": ${h.problem}`);
      expect.soft(unreadable, `${p.name}: headers that cannot be read`).toEqual([]);
      if (width.phone) {
        expect.soft(r.right, `${p.name}: the table reaches past the screen's right edge`).toBeLessThanOrEqual(width.viewport.width + 1);
        if (r.tableWidth > r.containerWidth + 1) {
          expect.soft(['auto', 'scroll'], `${p.name}: the table is wider than its container, which does not scroll`).toContain(r.overflowX);
        }
      }
    }

    async function checkExpandedRow(p: ListPage) {
      await open(p.role, p.path, FIRST_TABLE);
      await expectRows(FIRST_TABLE, p.name);
      const collapsed = await tableWidth(page, FIRST_TABLE);
      await page.locator(`${FIRST_TABLE} tbody tr.ant-table-row`).first().locator('.ant-table-row-expand-icon').click();
      // The pointer leaves the table: on the pages opened next, it would hover their first row, whose truncated text
      // then shows a tooltip over the headers.
      await page.mouse.move(0, 0);
      await page.locator(`${FIRST_TABLE} tr.ant-table-expanded-row`).first().waitFor();
      await settledSnap(`${p.name}-expanded`);
      await expectNoSidewaysScroll(`${p.name}, a row expanded`);
      const row = await measureExpandedRow(page, FIRST_TABLE);
      expect(row, 'no expanded row').not.toBeNull();
      const x = row as NonNullable<typeof row>;
      const limit = Math.max(2 * x.wrapperWidth, collapsed + 1);
      expect.soft(x.tableWidth, `the table grew from ${Math.round(collapsed)} to ${Math.round(x.tableWidth)} px in a ${Math.round(x.wrapperWidth)} px container`).toBeLessThanOrEqual(limit);
      expect.soft(x.text, 'the expanded row shows no details').toBeGreaterThan(0);
      expect.soft(x.height, 'the expanded row has no height').toBeGreaterThan(0);
      expect.soft(x.left, 'the details start left of the visible table').toBeGreaterThanOrEqual(x.visibleLeft - 1);
      expect.soft(x.right, 'the details run past the visible table').toBeLessThanOrEqual(x.visibleRight + 1);
    }

    for (const p of PAGES) {
      it(`${p.name}: no sideways page scroll, every header of its table readable`, () => checkListPage(p));
      if (p.expands) it(`${p.name}: an expanded row shows its details and keeps the table's width`, () => checkExpandedRow(p));
    }

    it.skipIf(width.phone)('in dark mode, the sidebar reaches the bottom of a page taller than the screen', async () => {
      await open('buyer', '/usage', FIRST_TABLE, { dark: true });
      await page.locator(`${FIRST_TABLE} tbody tr.ant-table-row`).first().waitFor();
      await requests.settled();
      const s = await sidebarAtBottom(page);
      await settledSnap('dark-usage');
      expect(s.found, 'no sidebar at 1366 px').toBe(true);
      expect(s.scrollHeight, 'the page is not taller than the screen: the check would prove nothing').toBeGreaterThan(s.innerHeight + 100);
      expect.soft(s.bottom, `scrolled to the bottom, the sidebar ends ${Math.round(s.innerHeight - s.bottom)} px above the screen's bottom`).toBeGreaterThanOrEqual(s.innerHeight - 1);
      expect.soft(s.top, 'scrolled to the bottom, the sidebar starts below the top of the screen').toBeLessThanOrEqual(1);
      expect.soft(s.cornerIsSidebar, 'the bottom-left corner of the screen is not the sidebar').toBe(true);
    });
  });
});
