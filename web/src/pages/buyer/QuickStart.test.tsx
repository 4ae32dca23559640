import { screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Balance, CallableModel } from '../../api/buyer.ts';
import QuickStart from './QuickStart.tsx';
import { stepStatuses } from './QuickStart/Checklist.tsx';
import { ok, page, renderPage, stubApi } from '../../test/render.tsx';

// The quick start: a checklist from live data (a key? a request? credits?), the models the user can call and their
// prices, and examples written with one of those models.

const model = (id: string, input: number, output: number): CallableModel => ({ id, owned_by: 'openai', pricing: { currency: 'CNY', input_per_1m_tokens: input, output_per_1m_tokens: output } });
const standing: Balance = { credit_balance: 0, is_member: false, membership_type: null, membership_end_date: null, owed_amount: 0, billing_mode: 'prepaid' };

function quickApi(o: { keys: number; requests: number; credits: number; models: CallableModel[] }) {
  return stubApi((url) => {
    if (url.pathname === '/api/v1/keys') return ok(page([], o.keys));
    if (url.pathname === '/api/v1/usage') return ok(page([], o.requests));
    if (url.pathname === '/api/v1/credit/balance') return ok({ ...standing, credit_balance: o.credits });
    if (url.pathname === '/api/v1/gateway/models') return ok(o.models);
    return undefined;
  });
}

const SLOW = { timeout: 10_000 };
const steps = () => Array.from(screen.getByTestId('quick-checklist').querySelectorAll('.ant-steps-item'));
const statusOf = (el: Element) => /ant-steps-item-(finish|process|wait)/.exec(el.className)?.[1];

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the quick start', () => {
  it('marks done steps finished, the first open one current, the rest waiting', () => {
    expect(stepStatuses([false, false, false])).toEqual(['process', 'wait', 'wait']);
    expect(stepStatuses([true, false, false])).toEqual(['finish', 'process', 'wait']);
    expect(stepStatuses([true, true, true])).toEqual(['finish', 'finish', 'finish']);
    // Still loading: nothing is claimed done or current.
    expect(stepStatuses([undefined, false, undefined])).toEqual(['wait', 'wait', 'wait']);
  });

  it('asks a new user for a key first, and writes the example with the demo model when it is all there is', async () => {
    const calls = quickApi({ keys: 0, requests: 0, credits: 0, models: [model('tollgate-demo', 0, 0)] });
    renderPage(<QuickStart />);
    await waitFor(() => expect(steps().map(statusOf)).toEqual(['process', 'wait', 'wait']), SLOW);
    expect(screen.getByTestId('quick-create-key')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('snippet-curl').textContent).toContain('"model": "tollgate-demo"'), SLOW);
    expect(screen.getByTestId('quick-models').textContent).toContain('Free');
    expect(calls.every((c) => !c.url.pathname.startsWith('/v1/'))).toBe(true);
  }, 30_000);

  it('shows the progress made and calls the first real model, with its prices per 1M tokens', async () => {
    quickApi({ keys: 2, requests: 5, credits: 0, models: [model('tollgate-demo', 0, 0), model('gpt-4o-mini', 0.15, 0.6), model('gpt-4o', 2.5, 10)] });
    renderPage(<QuickStart />);
    await waitFor(() => expect(steps().map(statusOf)).toEqual(['finish', 'finish', 'process']), SLOW);
    expect(screen.getByText('You have 2 API key(s)')).toBeTruthy();
    expect(screen.getByText('5 request(s) so far: see the usage log').closest('a')?.getAttribute('href')).toBe('/usage');
    await waitFor(() => expect(screen.getByTestId('snippet-curl').textContent).toContain('"model": "gpt-4o-mini"'), SLOW);
    expect(screen.getByText(/The example calls gpt-4o-mini/)).toBeTruthy();
    expect(screen.getByTestId('quick-models').textContent).toMatch(/gpt-4o-mini.*¥0\.1500.*¥0\.6000/);
  }, 30_000);

  it('says in one line when no model can be called, and leaves a placeholder in the example', async () => {
    quickApi({ keys: 1, requests: 0, credits: 100, models: [] });
    renderPage(<QuickStart />);
    expect((await screen.findByTestId('quick-no-models', undefined, SLOW)).textContent).toBe(
      'No model can be called yet: no upstream is configured. An operator adds one under Channels.',
    );
    expect(screen.getByTestId('snippet-curl').textContent).toContain('"model": "your-model"');
    expect(screen.getByTestId('snippet-curl').textContent).not.toContain('gpt-4o-mini');
  }, 30_000);
});
