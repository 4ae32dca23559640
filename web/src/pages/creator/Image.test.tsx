import { fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Balance } from '../../api/buyer.ts';
import { json, ok, renderPage, stubApi } from '../../test/render.tsx';
import ImagePage from './Image.tsx';

// Image generation: the prompt and the chosen size are sent once with an Idempotency-Key, the picture from the file
// store is shown with what it cost and a link to the creation; a refusal is explained.

const member: Balance = { credit_balance: 0, is_member: true, membership_type: 'yearly', membership_end_date: '2027-01-01T00:00:00', owed_amount: 0, billing_mode: 'prepaid' };
const IMAGE_URL = '/files/images/abc.png?expires=1&signature=s';
const SLOW = { timeout: 10_000 };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function imageApi(answer: () => Response) {
  return stubApi((url, call) => {
    if (url.pathname === '/api/v1/credit/balance') return ok(member);
    if (url.pathname === '/api/v1/models') return ok([]);
    if (url.pathname === '/api/v1/image/generate' && call.method === 'POST') return answer();
    return undefined;
  });
}

async function submit(prompt: string) {
  await screen.findByTestId('image-form', undefined, SLOW);
  fireEvent.change(document.getElementById('prompt') as HTMLElement, { target: { value: prompt } });
  fireEvent.click(screen.getByText('Landscape 1280x720'));
  fireEvent.click(screen.getByTestId('generate'));
}

describe('the image page', () => {
  it('sends the prompt and size, then shows the image, its cost and a link to the creation', async () => {
    const calls = imageApi(() => ok({ image_url: IMAGE_URL, credits_used: 0, creation_id: 41 }));
    renderPage(<ImagePage />, { path: '/studio/image' });
    await submit('  a cat in a garden ');

    const image = (await screen.findByTestId('image-result', undefined, SLOW)).querySelector('img');
    expect(image?.getAttribute('src')).toBe(IMAGE_URL);
    expect(image?.getAttribute('alt')).toBe('a cat in a garden');
    expect(screen.getByTestId('image-credits').textContent).toBe('0 credits used');
    expect(screen.getByTestId('creation-link').getAttribute('href')).toBe('/studio/creations?id=41');
    // A member generates without paying credits: the header says so.
    expect(screen.getByTestId('studio-membership').textContent).toBe('Yearly member · generations are free');

    const sent = calls.filter((c) => c.path === '/api/v1/image/generate');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({ prompt: 'a cat in a garden', size: '1280x720' });
    expect(sent[0]?.headers['idempotency-key']).toMatch(/^web-/);
  }, 30_000);

  it('explains a membership that has expired and links to renewing it', async () => {
    imageApi(() => json({ code: 40002, message: 'membership expired', data: null }, 403));
    renderPage(<ImagePage />, { path: '/studio/image' });
    await submit('a cat');
    const error = await screen.findByTestId('generation-error', undefined, SLOW);
    expect(error.textContent).toContain('Your membership has expired');
    expect(error.textContent).toContain('Renew your membership');
    expect(screen.queryByTestId('image-result')).toBeNull();
  }, 30_000);
});
