import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router-dom';
import { vi } from 'vitest';
import { SessionProvider } from '../../auth/session.tsx';
import { I18nProvider, type Locale } from '../../i18n/i18n.tsx';

// The buyer pages' tests: a stubbed fetch that answers in the server's envelopes, and a page rendered as the app
// renders it (a language, a query client that does not retry, a router, the session).

export const ok = (data: unknown) => new Response(JSON.stringify({ code: 200, message: 'success', data }), { status: 200, headers: { 'content-type': 'application/json' } });
export const page = <T,>(items: T[], total = items.length) => ({ total, page: 1, page_size: 20, items });

export type Route = (url: URL, init: RequestInit) => Response | undefined;

/** Answers every request with `route`, or a studio 404 naming the path nobody stubbed; returns the calls made. */
export function stubApi(route: Route) {
  const calls: { url: URL; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', vi.fn(async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://console.test');
    calls.push({ url, init });
    return route(url, init) ?? new Response(JSON.stringify({ code: 404, message: `no stub for ${url.pathname}`, data: null }), { status: 404 });
  }));
  return calls;
}

export function renderPage(ui: ReactNode, locale: Locale = 'en') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <I18nProvider initial={locale}>
      <QueryClientProvider client={client}>
        <MemoryRouter>
          <SessionProvider>{ui}</SessionProvider>
        </MemoryRouter>
      </QueryClientProvider>
    </I18nProvider>,
  );
}
