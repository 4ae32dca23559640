import type { Page, Request } from 'playwright-core';
import { snap, type SnapOptions } from './browser.ts';

// Layout measurements taken inside the page (chromium's own boxes, not screenshots), and how the browser suites move
// between pages inside the console and know one has settled.
//
// A table's header is *readable* when the whole of its label's text lies inside the part of the table's own scroll
// container the screen shows, inside its own cell (not cut off by a narrow column), and nothing is drawn over it (a
// pinned column, a neighbour): chromium's hit test at the left end, middle and right end of the label lands in the
// header cell. `fits`: as the page opens, with the table not scrolled sideways (what a wide screen owes its user);
// `scrolls`: with the table scrolled so the label sits in the middle of its container (what a phone can offer).

/**
 * Opens `path` inside the running console, as its own links do (history.pushState, then the popstate react-router
 * listens to), instead of loading the whole app again; then waits until the page that was showing has gone: the
 * router keeps it on screen while the next page's code loads, and a check must not measure the old page's table.
 */
export async function navigateInApp(page: Page, path: string): Promise<void> {
  await page.evaluate((to) => {
    for (const el of Array.from(document.querySelectorAll('.ant-layout-content > *'))) el.setAttribute('data-page-left', '');
    history.pushState(null, '', to);
    window.dispatchEvent(new PopStateEvent('popstate', { state: history.state }));
  }, path);
  await page.waitForFunction(() => document.querySelector('[data-page-left]') === null, undefined, { timeout: 10_000 });
}

/**
 * The page's requests in flight. `settled` waits until none has been for `quietMs` — after a page load or a navigation
 * inside the app, the moment its queries (and any a query starts when it answers) are done, without `networkidle`'s
 * fixed 500 ms, which only follows full page loads.
 */
export function trackRequests(page: Page) {
  const pending = new Set<Request>();
  page.on('request', (r) => pending.add(r));
  page.on('requestfinished', (r) => pending.delete(r));
  page.on('requestfailed', (r) => pending.delete(r));
  return {
    async settled(quietMs = 100, timeoutMs = 15_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      let quietSince = Date.now();
      for (;;) {
        if (pending.size > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return;
        if (Date.now() > until) throw new Error(`requests still in flight after ${timeoutMs} ms: ${[...pending].map((r) => r.url()).join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/**
 * A page of the console that moves inside the app (`go`, as its menu does) and takes its screenshots once its own
 * requests are done (`snap`). After a full load, wait for something the page shows first: between the load event and
 * the console's first request, no request is in flight either.
 */
export function appPage(page: Page) {
  const requests = trackRequests(page);
  return {
    page,
    settled: requests.settled,
    /**
     * Opens `path` inside the app. The toasts the last page raised are hidden first: they stay up for seconds after a
     * move inside the app (a full load drops them) and would cover the next page's screenshot.
     */
    async go(path: string): Promise<void> {
      await page.evaluate(() => {
        for (const el of Array.from(document.querySelectorAll<HTMLElement>('.ant-message-notice-wrapper, .ant-message-notice'))) el.style.visibility = 'hidden';
      });
      await navigateInApp(page, path);
    },
    /** Chooses the console's language with the switch in its header, as a user does: no load (the choice is stored too). */
    async language(label: 'English' | '中文'): Promise<void> {
      const select = page.getByRole('combobox', { name: /^(语言|Language)$/ });
      await select.click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: label }).click();
      // Neither the focused switch nor whatever lies under the pointer where the option was may show as such in the next
      // screenshot (a fresh page has neither).
      await select.blur();
      await page.mouse.move(0, 0);
    },
    async snap(name: string, options: Omit<SnapOptions, 'networkIdle'> = {}): Promise<string> {
      await requests.settled();
      return snap(page, name, { ...options, networkIdle: false });
    },
  };
}

export type AppPage = ReturnType<typeof appPage>;

export interface HeaderReport {
  text: string;
  /** Why the header cannot be read; absent when it can. */
  problem?: string;
}

export interface TableReport {
  headers: HeaderReport[];
  /** Width of the visible part of the table's scroll container, and the table's own width. */
  containerWidth: number;
  tableWidth: number;
  /** The container's computed `overflow-x` (`auto` or `scroll` when the table scrolls inside it). */
  overflowX: string;
  /** Right edge of the table's wrapper, in viewport pixels. */
  right: number;
}

/** Measures the table in the first element matching `selector` (an AntD `.ant-table-wrapper`), header by header. */
export function measureTable(page: Page, selector: string, mode: 'fits' | 'scrolls'): Promise<TableReport | null> {
  return page.evaluate(([sel, scrolls]) => {
    const wrapper = document.querySelector<HTMLElement>(sel);
    const table = wrapper?.querySelector<HTMLTableElement>('table');
    if (!wrapper || !table) return null;
    // The table's scroll container: the nearest ancestor between the table and the wrapper that clips sideways.
    let scroller: HTMLElement = table;
    for (let el = table.parentElement; el && el !== wrapper; el = el.parentElement) {
      if (getComputedStyle(el).overflowX !== 'visible') {
        scroller = el;
        break;
      }
    }
    const cells = Array.from(wrapper.querySelectorAll<HTMLTableCellElement>('thead th')).filter((th) => (th.textContent ?? '').trim() !== '');
    const headers = cells.map((th) => {
      const text = (th.textContent ?? '').trim();
      const range = document.createRange();
      range.selectNodeContents(th);
      // The label's own box: the union of its lines (a wide column puts a short label at one end of it).
      const labelBox = () => {
        const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
        const left = Math.min(...rects.map((r) => r.left));
        const right = Math.max(...rects.map((r) => r.right));
        return rects.length === 0 ? undefined : { left, right, width: right - left, top: Math.min(...rects.map((r) => r.top)), bottom: Math.max(...rects.map((r) => r.bottom)) };
      };
      scroller.scrollLeft = 0;
      th.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      if (!scrolls) scroller.scrollLeft = 0;
      const before = labelBox();
      if (before && scrolls) {
        // Centre the label in its container: the spot least likely to sit under a column pinned to either side.
        const box = scroller.getBoundingClientRect();
        scroller.scrollLeft += before.left + before.width / 2 - (box.left + scroller.clientWidth / 2);
      }
      const label = labelBox();
      const shown = scroller.getBoundingClientRect();
      const left = Math.max(shown.left, 0);
      const right = Math.min(shown.left + scroller.clientWidth, window.innerWidth);
      const own = th.getBoundingClientRect();
      let problem: string | undefined;
      if (!label) problem = 'the label has no width';
      else if (label.left < own.left - 1 || label.right > own.right + 1) problem = `the label (${Math.round(label.width)} px) is cut off by its column (${Math.round(own.width)} px)`;
      else if (label.left < left - 1 || label.right > right + 1) {
        problem = `the label (x ${Math.round(label.left)}–${Math.round(label.right)}) lies outside the visible part of its table (x ${Math.round(left)}–${Math.round(right)})`;
      } else {
        const y = label.top + (label.bottom - label.top) / 2;
        for (const x of [label.left + 1, label.left + label.width / 2, label.right - 1]) {
          const hit = document.elementFromPoint(x, y);
          if (!hit || !th.contains(hit)) {
            const by = hit?.closest('th');
            problem = `${by ? `the header "${(by.textContent ?? '').trim()}"` : hit ? hit.tagName.toLowerCase() : 'nothing'} is drawn over it at x ${Math.round(x)}`;
            break;
          }
        }
      }
      return problem ? { text, problem } : { text };
    });
    scroller.scrollLeft = 0;
    window.scrollTo(0, 0);
    return {
      headers,
      containerWidth: scroller.clientWidth,
      tableWidth: table.getBoundingClientRect().width,
      overflowX: getComputedStyle(scroller).overflowX,
      right: wrapper.getBoundingClientRect().right,
    };
  }, [selector, mode === 'scrolls'] as const);
}

/** How the document itself is laid out: its scroll size, the viewport, and the body's margin. */
export function documentBox(page: Page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
    innerWidth: window.innerWidth,
    innerHeight: window.innerHeight,
    bodyMargin: getComputedStyle(document.body).margin,
  }));
}

/** The width of the table in `selector` (its `<table>`, which grows past its container when the table scrolls). */
export const tableWidth = (page: Page, selector: string) =>
  page.evaluate((sel) => document.querySelector(sel)?.querySelector('table')?.getBoundingClientRect().width ?? NaN, selector);

/**
 * The expanded row of the table in `selector`: whether its content (AntD wraps it in a block as wide as the visible
 * table when the table scrolls sideways) has text and lies within the visible part of the table.
 */
export function measureExpandedRow(page: Page, selector: string) {
  return page.evaluate((sel) => {
    const wrapper = document.querySelector<HTMLElement>(sel);
    const row = wrapper?.querySelector<HTMLElement>('tr.ant-table-expanded-row');
    const cell = row?.querySelector<HTMLElement>('td');
    const content = (cell?.firstElementChild as HTMLElement | null) ?? cell;
    const table = wrapper?.querySelector('table');
    if (!wrapper || !content || !table) return null;
    const shown = wrapper.getBoundingClientRect();
    const box = content.getBoundingClientRect();
    return {
      text: (content.textContent ?? '').trim().length,
      left: box.left,
      right: box.right,
      height: box.height,
      visibleLeft: shown.left,
      visibleRight: Math.min(shown.right, window.innerWidth),
      tableWidth: table.getBoundingClientRect().width,
      wrapperWidth: shown.width,
    };
  }, selector);
}

/** After scrolling to the bottom of the page: the sidebar's box, and whether the bottom-left corner of the screen is sidebar. */
export function sidebarAtBottom(page: Page) {
  return page.evaluate(() => {
    window.scrollTo(0, document.documentElement.scrollHeight);
    const sider = document.querySelector<HTMLElement>('.ant-layout-sider');
    const box = sider?.getBoundingClientRect();
    const corner = document.elementFromPoint(8, window.innerHeight - 4);
    return {
      found: sider !== null,
      top: box?.top ?? NaN,
      bottom: box?.bottom ?? NaN,
      innerHeight: window.innerHeight,
      scrollHeight: document.documentElement.scrollHeight,
      cornerIsSidebar: corner?.closest('.ant-layout-sider') !== null && corner !== null,
      background: sider ? getComputedStyle(sider).backgroundColor : '',
    };
  });
}
