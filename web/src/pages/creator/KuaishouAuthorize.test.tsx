import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useLocation } from 'react-router-dom';
import { toast } from '../../components/toast.ts';
import { json, ok, renderPage, stubApi } from '../../test/render.tsx';
import KuaishouAuthorize from './KuaishouAuthorize.tsx';

// Binding Kuaishou by authorising it: the button goes to the URL the server answers; a server without a Kuaishou app
// leaves the manual form as the way; the page Kuaishou sends the browser back to says how it went, once.

const AUTHORIZE = '/api/v1/publish/platforms/kuaishou/authorize';
const KUAISHOU_URL = 'https://open.kuaishou.com/oauth2/authorize?app_id=ks1&scope=user_info,user_video_publish&response_type=code&state=s';

function Address() {
  const location = useLocation();
  return <output data-testid="address">{`${location.pathname}${location.search}`}</output>;
}

function show(o: { path?: string; bound?: boolean; openUrl?: (url: string) => void } = {}) {
  renderPage(
    <>
      <KuaishouAuthorize bound={o.bound ?? false} openUrl={o.openUrl ?? (() => undefined)} />
      <Address />
    </>,
    { path: o.path ?? '/studio/publishing' },
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('authorising Kuaishou', () => {
  it('asks the server for Kuaishou\'s authorise URL and goes there', async () => {
    const calls = stubApi((url) => (url.pathname === AUTHORIZE ? ok({ url: KUAISHOU_URL, expires_in: 600 }) : undefined));
    const openUrl = vi.fn();
    show({ openUrl });
    expect(screen.getByTestId('kuaishou-authorize').textContent).toContain('nothing to copy or type');
    fireEvent.click(screen.getByRole('button', { name: /Authorise with Kuaishou/ }));
    await waitFor(() => expect(openUrl).toHaveBeenCalledWith(KUAISHOU_URL));
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET ${AUTHORIZE}`]);
    expect(calls[0]?.headers).not.toHaveProperty('content-type');
  });

  it('offers to authorise again on a bound account, without the first-time hint', () => {
    stubApi(() => undefined);
    show({ bound: true });
    expect(screen.getByRole('button', { name: /Authorise again with Kuaishou/ })).toBeTruthy();
    expect(screen.getByTestId('kuaishou-authorize').textContent).not.toContain('nothing to copy or type');
  });

  it('says the manual bind is the way when the server has no Kuaishou app (40008), and stops offering the button', async () => {
    stubApi((url) => (url.pathname === AUTHORIZE ? json({ code: 40008, message: 'set KUAISHOU_APP_ID and KUAISHOU_APP_SECRET', data: null }, 400) : undefined));
    const openUrl = vi.fn();
    show({ openUrl });
    fireEvent.click(screen.getByTestId('kuaishou-authorize-start'));
    expect((await screen.findByTestId('kuaishou-authorize-unavailable')).textContent).toContain('bind with your own Kuaishou app\'s credentials below');
    expect(screen.getByTestId('kuaishou-authorize-start').hasAttribute('disabled')).toBe(true);
    expect(openUrl).not.toHaveBeenCalled();
  });

  it('says once that the account is bound when Kuaishou sends the browser back, and takes the marker off the address', async () => {
    stubApi(() => undefined);
    const success = vi.spyOn(toast, 'success');
    show({ path: '/studio/publishing?kuaishou=bound&tab=accounts' });
    await waitFor(() => expect(screen.getByTestId('address').textContent).toBe('/studio/publishing?tab=accounts'));
    expect(success).toHaveBeenCalledTimes(1);
    expect(success).toHaveBeenCalledWith('Kuaishou is bound by your authorisation');
    expect(screen.queryByTestId('kuaishou-authorize-failed')).toBeNull();
  });

  it.each([
    ['reason=refused&code=100200105', 'Kuaishou refused the authorisation (100200105): authorise again.'],
    ['reason=invalid_state', 'was started in another browser: authorise again.'],
    ['reason=denied', 'You did not approve Tollgate'],
    ['reason=no_publish_scope', 'authorise again and allow it'],
    // Nothing but known reasons and a numeric code is shown from the address.
    ['reason=call-us&code=%2B86-400', 'Kuaishou could not be reached'],
  ])('explains a failed authorisation (%s) in its own words', async (query, words) => {
    stubApi(() => undefined);
    show({ path: `/studio/publishing?kuaishou=error&${query}` });
    const alert = await screen.findByTestId('kuaishou-authorize-failed');
    expect(alert.textContent).toContain('The Kuaishou authorisation did not finish');
    expect(alert.textContent).toContain(words);
    expect(alert.textContent).not.toMatch(/call-us|\+86/);
    await waitFor(() => expect(screen.getByTestId('address').textContent).toBe('/studio/publishing'));
  });
});
