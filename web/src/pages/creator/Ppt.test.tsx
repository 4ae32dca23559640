import { fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Balance } from '../../api/buyer.ts';
import { json, ok, renderPage, stubApi } from '../../test/render.tsx';
import Ppt from './Ppt.tsx';

// PPT generation: topic, optional outline and slide count are sent once with an Idempotency-Key; the finished deck is
// offered as a download; a failed generation is explained with the server's message.

const balance: Balance = { credit_balance: 80, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' };
const DOWNLOAD = '/files/ppt/launch.pptx?expires=1&signature=s';
const SLOW = { timeout: 10_000 };

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function pptApi(answer: () => Response) {
  return stubApi((url, call) => {
    if (url.pathname === '/api/v1/credit/balance') return ok(balance);
    if (url.pathname === '/api/v1/models') return ok([]);
    if (url.pathname === '/api/v1/ppt/generate' && call.method === 'POST') return answer();
    return undefined;
  });
}

/** The outline is typed one section a line. */
async function fill(topic: string, outline: string[], slides?: string) {
  await screen.findByTestId('ppt-form', undefined, SLOW);
  fireEvent.change(document.getElementById('topic') as HTMLElement, { target: { value: topic } });
  fireEvent.change(document.getElementById('outline') as HTMLElement, { target: { value: outline.join('\n') } });
  if (slides) fireEvent.change(document.getElementById('slide_count') as HTMLElement, { target: { value: slides } });
}

describe('the PPT page', () => {
  it('sends the topic, outline and slide count, then offers the deck for download', async () => {
    const calls = pptApi(() => ok({ ppt_id: 456, download_url: DOWNLOAD, credits_used: 30, slides: 8 }));
    renderPage(<Ppt />, { path: '/studio/ppt' });
    await fill(' Product launch ', ['Introduction ', '', '  Core features'], '8');
    fireEvent.click(screen.getByTestId('generate'));

    const download = await screen.findByTestId('ppt-download', undefined, SLOW);
    expect(download.getAttribute('href')).toBe(DOWNLOAD);
    expect(download.hasAttribute('download')).toBe(true);
    expect(document.body.textContent).toContain('Your presentation is ready: 8 slides');
    expect(screen.getByTestId('ppt-credits').textContent).toBe('30 credits used');

    const sent = calls.filter((c) => c.path === '/api/v1/ppt/generate');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({ topic: 'Product launch', outline: ['Introduction', 'Core features'], slide_count: 8 });
    expect(sent[0]?.headers['idempotency-key']).toMatch(/^web-/);
  }, 30_000);

  it('sends only the topic when nothing else is given, and explains a failed generation', async () => {
    const calls = pptApi(() => json({ code: 40007, message: 'the outline was not valid JSON twice', data: null }, 500));
    renderPage(<Ppt />, { path: '/studio/ppt' });
    await fill('Quarterly review', []);
    fireEvent.click(screen.getByTestId('generate'));

    const error = await screen.findByTestId('generation-error', undefined, SLOW);
    expect(error.textContent).toContain('Generation failed. Check your input and try again.');
    expect(error.textContent).toContain('the outline was not valid JSON twice');
    expect(screen.queryByTestId('ppt-download')).toBeNull();
    expect(calls.find((c) => c.path === '/api/v1/ppt/generate')?.body).toEqual({ topic: 'Quarterly review' });
  }, 30_000);
});
