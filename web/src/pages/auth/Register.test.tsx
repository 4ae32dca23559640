import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ok, renderPage, stubApi, type Call } from '../../test/render.tsx';
import Register from './Register.tsx';

// Signing up against a stubbed fetch in the studio envelope: a friend's code from the invitation link goes with it.

const ME = { id: 5, username: 'newbie', email: 'newbie@example.com', role: 'user', credit_balance: 0, is_member: false, membership_type: null, membership_end_date: null, referral_code: 'ZZ99' };

function authApi() {
  return stubApi((url) => {
    if (url.pathname === '/api/v1/auth/register') return ok({ ...ME, created_at: '2026-11-26T10:00:00' });
    if (url.pathname === '/api/v1/auth/login') return ok({ access_token: 'acc.e30.sig', refresh_token: 'ref-1', token_type: 'bearer', user: ME });
    if (url.pathname === '/api/v1/auth/me') return ok(ME);
    return undefined;
  });
}

function renderRegister(path: string) {
  return renderPage(
    <Routes>
      <Route path="/register" element={<Register />} />
      <Route path="/" element={<p>console home</p>} />
    </Routes>,
    { path },
  );
}

const fill = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const registrations = (calls: Call[]) => calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/auth/register').map((c) => c.body);

async function signUp() {
  fill('Username', 'newbie');
  fill('Email', 'newbie@example.com');
  fill('Password', 'long enough 1');
  fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));
  expect(await screen.findByText('console home')).toBeTruthy();
}

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('Register', () => {
  it('says a friend invited me and sends their code from the link', async () => {
    const calls = authApi();
    renderRegister('/register?ref=AB12CD');
    expect((await screen.findByTestId('invited')).textContent).toContain('Invited by a friend');
    await signUp();
    await waitFor(() => expect(registrations(calls)).toEqual([{ username: 'newbie', email: 'newbie@example.com', password: 'long enough 1', ref: 'AB12CD' }]));
    expect(calls.some((c) => c.path === '/api/v1/auth/login')).toBe(true);
  }, 20_000);

  it('sends no code, and says nothing of an invitation, without one', async () => {
    const calls = authApi();
    renderRegister('/register');
    await screen.findByLabelText('Username');
    expect(screen.queryByTestId('invited')).toBeNull();
    await signUp();
    expect(registrations(calls)).toEqual([{ username: 'newbie', email: 'newbie@example.com', password: 'long enough 1' }]);
  }, 20_000);
});
