import { fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { common } from '../../i18n/messages/common.ts';
import { json, ok, renderPage, stubApi as stubFetch, type Call } from '../../test/render.tsx';
import Setup from './Setup.tsx';
import source from './Setup.tsx?raw';

// The operator setup page against a stubbed fetch that answers in the studio envelope.

const DEAD = json({ code: 404, message: 'This setup link is invalid, already used or expired; ask an operator for a new one', data: null }, 404);
const LINKS: Record<string, unknown> = {
  root: { valid: true, creates_operator: false, username: 'root', email: 'root@example.com' },
  first: { valid: true, creates_operator: true, username: null, email: null },
  dead: { valid: false, creates_operator: false, username: null, email: null },
};
const ME = { id: 1, username: 'root', email: 'ops@example.com', role: 'admin', credit_balance: 0, is_member: false, membership_type: null, membership_end_date: null, referral_code: 'R' };

function stubApi(post: () => Response = () => ok({ access_token: 'acc.e30.sig', refresh_token: 'ref-1', token_type: 'bearer', user: ME })) {
  return stubFetch((url, { method }) => {
    if (url.pathname === '/api/v1/auth/operator-setup' && method === 'GET') return ok(LINKS[url.searchParams.get('token') ?? '']);
    if (url.pathname === '/api/v1/auth/operator-setup') return post();
    if (url.pathname === '/api/v1/auth/me') return ok(ME);
    if (url.pathname === '/api/v1/auth/logout') return ok(null);
    return undefined;
  });
}

function renderSetup(path: string) {
  return renderPage(
    <Routes>
      <Route path="/setup" element={<Setup />} />
      <Route path="/admin/users" element={<p>users page</p>} />
      <Route path="/login" element={<p>login page</p>} />
    </Routes>,
    { path },
  );
}

const fill = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const setupPosts = (calls: Call[]) => calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/auth/operator-setup');

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Setup', () => {
  it("shows the link's operator with the known email filled in", async () => {
    stubApi();
    renderSetup('/setup?token=root');
    expect(await screen.findByText('Choose the email and password the operator root signs in to the console with.')).toBeTruthy();
    expect((screen.getByLabelText('Email') as HTMLInputElement).value).toBe('root@example.com');
    expect(screen.queryByLabelText('Username (optional)')).toBeNull();
  });

  it('refuses two different passwords without sending anything', async () => {
    const calls = stubApi();
    const user = userEvent.setup({ delay: null });
    renderSetup('/setup?token=root');
    await screen.findByLabelText('Email');
    fill('Password', 'long enough 1');
    fill('Repeat the password', 'long enough 2');
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect(await screen.findByText('The passwords do not match')).toBeTruthy();
    fill('Password', 'short');
    fill('Repeat the password', 'short');
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect(await screen.findByText('The password must be 8 to 128 characters')).toBeTruthy();
    expect(setupPosts(calls)).toEqual([]);
  });

  it.each([
    ['a used or expired link', '/setup?token=dead'],
    ['no token at all', '/setup'],
  ])('shows %s as invalid, with a way to sign in', async (_what, path) => {
    stubApi();
    renderSetup(path);
    expect(await screen.findByText('This setup link is invalid or has expired')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to sign in' }).getAttribute('href')).toBe('/login');
    expect(screen.queryByLabelText('Password')).toBeNull();
  });

  it('turns into the invalid state when the link dies before the form is sent', async () => {
    const user = userEvent.setup({ delay: null });
    stubApi(() => DEAD.clone());
    renderSetup('/setup?token=root');
    await screen.findByLabelText('Email');
    fill('Password', 'long enough 1');
    fill('Repeat the password', 'long enough 1');
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect(await screen.findByText('This setup link is invalid or has expired')).toBeTruthy();
    expect(localStorage.getItem('tollgate.session')).toBeNull();
  });

  it('creates the first operator: sends the chosen name, keeps the session as login does, lands on the users page', async () => {
    const calls = stubApi();
    const user = userEvent.setup({ delay: null });
    renderSetup('/setup?token=first');
    expect(await screen.findByText('Create the first operator account')).toBeTruthy();
    fill('Email', 'ops@example.com');
    fill('Username (optional)', 'chief');
    fill('Password', 'long enough 1');
    fill('Repeat the password', 'long enough 1');
    await user.click(screen.getByRole('button', { name: 'Set password and sign in' }));
    expect(await screen.findByText('users page')).toBeTruthy();
    expect(setupPosts(calls).map((c) => c.body)).toEqual([{ token: 'first', email: 'ops@example.com', password: 'long enough 1', username: 'chief' }]);
    expect(JSON.parse(localStorage.getItem('tollgate.session') ?? '{}')).toEqual({ access: 'acc.e30.sig', refresh: 'ref-1' });
  });

  it('tells a signed-in visitor so, and shows the form once they sign out', async () => {
    // Signed in by the test above (the session lives in localStorage, as in the browser).
    const calls = stubApi();
    const user = userEvent.setup({ delay: null });
    renderSetup('/setup?token=root');
    expect(await screen.findByText('You are signed in as root')).toBeTruthy();
    expect(calls.filter((c) => c.path === '/api/v1/auth/operator-setup')).toEqual([]);
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByLabelText('Repeat the password')).toBeTruthy();
    expect(localStorage.getItem('tollgate.session')).toBeNull();
  });

  it('has every text it shows in both languages', () => {
    const used = [...source.matchAll(/\bt\(\s*'([\w.]+)'/g), ...source.matchAll(/'(setup\.\w+)'/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(15);
    for (const lang of ['zh-CN', 'en'] as const) expect(used.filter((k) => !(k in common[lang]))).toEqual([]);
  });
});
