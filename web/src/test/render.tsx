import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { App as AntApp } from 'antd';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { vi } from 'vitest';
import { SessionProvider } from '../auth/session.tsx';
import { I18nProvider, type Locale } from '../i18n/i18n.tsx';

// The console's component tests: a stubbed fetch that answers in the server's envelopes and records what was sent, and
// a page rendered as the app renders it (a language, a query client that does not retry, a router, the session).

export const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
/** The studio envelope: `{ code, message, data }`. */
export const ok = (data: unknown) => json({ code: 200, message: 'success', data });
export const page = <T,>(items: T[], total = items.length) => ({ total, page: 1, page_size: 20, items });

/** One request the page made: its URL, method, parsed JSON body and headers (and the raw init). */
export interface Call {
  url: URL;
  path: string;
  method: string;
  body: unknown;
  headers: Record<string, string>;
  init: RequestInit;
}

export type Route = (url: URL, call: Call) => Response | undefined;

/** Answers every request with `route`, or a studio 404 naming the request nobody stubbed; returns the calls made. */
export function stubApi(route: Route) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', vi.fn(async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://console.test');
    const method = init.method ?? 'GET';
    const call = { url, path: url.pathname, method, body: init.body ? JSON.parse(String(init.body)) : undefined, headers: (init.headers ?? {}) as Record<string, string>, init };
    calls.push(call);
    return route(url, call) ?? json({ code: 404, message: `no stub for ${method} ${url.pathname}`, data: null }, 404);
  }));
  return calls;
}

/** Renders `ui` inside the app's providers, the router starting at `path`. */
export function renderPage(ui: ReactNode, { locale = 'en', path = '/' }: { locale?: Locale; path?: string } = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <I18nProvider initial={locale}>
      <QueryClientProvider client={client}>
        <AntApp>
          <MemoryRouter initialEntries={[path]}>
            <SessionProvider>{ui}</SessionProvider>
          </MemoryRouter>
        </AntApp>
      </QueryClientProvider>
    </I18nProvider>,
  );
}
