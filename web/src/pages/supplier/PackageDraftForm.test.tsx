import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { supplyApi, type SupplyAccount, type SupplyPackage } from '../../api/supply.ts';
import { PackageDraftForm } from './Packages/PackageDraftForm.tsx';
import { renderPage } from '../../test/render.tsx';

vi.mock('../../api/supply.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/supply.ts')>()),
  supplyApi: { accounts: vi.fn(), saveDraft: vi.fn() },
}));
const api = vi.mocked(supplyApi);

const account = (id: number, over: Partial<SupplyAccount>): SupplyAccount => ({
  account_id: id, provider: 'openai', account_type: 'api_key', account_alias: `acct-${id}`, status: 'active', risk_score: 10,
  created_at: '2026-01-01T00:00:00Z', verify_status: 'pass', review_status: 'not_required', check_items: [], models: ['gpt-4o-mini', 'gpt-4o'],
  updated_at: '2026-01-01T00:00:00Z', ...over,
});

beforeEach(() => {
  vi.clearAllMocks();
  api.accounts.mockResolvedValue({
    data: [
      account(1, {}),
      account(2, { status: 'pending' }),
      account(3, { status: 'suspended' }),
      account(4, { review_status: 'required' }),
      account(5, { status: 'disabled' }),
    ],
    pagination: { page: 1, page_size: 200, total: 5 },
  });
  api.saveDraft.mockImplementation(async (b) => ({ package_id: 9, ...b }) as unknown as SupplyPackage);
});

async function pick(user: ReturnType<typeof userEvent.setup>, label: string, option: string) {
  await user.click(screen.getByLabelText(label));
  await user.click(await screen.findByTitle(option));
}

/** Types a whole value at once (keystroke by keystroke is slow with AntD in jsdom and tests nothing more here). */
function fill(label: string, value: string) {
  fireEvent.change(screen.getByLabelText(label), { target: { value } });
}

async function fillValid(user: ReturnType<typeof userEvent.setup>) {
  await pick(user, 'Supply account', 'acct-1 (#1)');
  // The model field becomes a list of the chosen account's models.
  await screen.findByRole('combobox', { name: 'Model' });
  await pick(user, 'Model', 'gpt-4o-mini');
  fill('Total quota', '1000000');
  fill('Input price', '1.5');
  fill('Output price', '2');
}

describe('PackageDraftForm', () => {
  it('offers only the caller’s active accounts that passed review', async () => {
    const user = userEvent.setup({ delay: null });
    renderPage(<PackageDraftForm onSaved={() => {}} />);
    await waitFor(() => expect(api.accounts).toHaveBeenCalledWith({ status: 'active', page_size: 200 }));
    await user.click(screen.getByLabelText('Supply account'));
    const listbox = await screen.findByRole('listbox');
    await waitFor(() => expect(screen.getByTitle('acct-1 (#1)')).toBeTruthy());
    for (const id of [2, 3, 4, 5]) expect(screen.queryByTitle(`acct-${id} (#${id})`)).toBeNull();
    expect(within(listbox).queryAllByRole('option').length).toBeLessThanOrEqual(1);
  });

  it('offers the chosen account’s models and saves a draft with the default limits', async () => {
    const user = userEvent.setup({ delay: null });
    const onSaved = vi.fn();
    renderPage(<PackageDraftForm onSaved={onSaved} />);
    expect((screen.getByLabelText('Valid days') as HTMLInputElement).value).toBe('30');
    expect((screen.getByLabelText('Max concurrency') as HTMLInputElement).value).toBe('10');
    expect((screen.getByLabelText('Requests per minute') as HTMLInputElement).value).toBe('60');
    await fillValid(user);
    await user.click(screen.getByTestId('package-form-submit'));
    await waitFor(() => expect(api.saveDraft).toHaveBeenCalledTimes(1));
    expect(api.saveDraft.mock.calls[0]?.[0]).toEqual({
      supply_account_id: 1, model: 'gpt-4o-mini', total_quota: 1_000_000, price_per_1m_input: 1.5, price_per_1m_output: 2,
      valid_days: 30, max_concurrent: 10, rate_limit_rpm: 60,
    });
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ package_id: 9 })));
  });

  it('refuses values outside the API’s limits', async () => {
    const user = userEvent.setup({ delay: null });
    renderPage(<PackageDraftForm onSaved={() => {}} />);
    await fillValid(user);
    fill('Total quota', '1.5');
    fill('Valid days', '366');
    fill('Max concurrency', '0');
    fill('Requests per minute', '100001');
    await user.click(screen.getByTestId('package-form-submit'));
    expect(await screen.findByText('Enter a whole number')).toBeTruthy();
    expect(await screen.findByText('Must be between 1 and 365')).toBeTruthy();
    expect(await screen.findByText('Must be between 1 and 1,000')).toBeTruthy();
    expect(await screen.findByText('Must be between 1 and 100,000')).toBeTruthy();
    expect(api.saveDraft).not.toHaveBeenCalled();
  });

  it('refuses prices with more than 4 decimals or below 0', async () => {
    const user = userEvent.setup({ delay: null });
    renderPage(<PackageDraftForm onSaved={() => {}} />);
    await fillValid(user);
    fill('Input price', '1.23456');
    fill('Output price', '-1');
    await user.click(screen.getByTestId('package-form-submit'));
    expect(await screen.findByText('At most 4 decimals')).toBeTruthy();
    expect(await screen.findByText('Prices are between 0 and 1,000,000')).toBeTruthy();
    expect(api.saveDraft).not.toHaveBeenCalled();

    fill('Input price', '1.2345');
    fill('Output price', '0');
    await user.click(screen.getByTestId('package-form-submit'));
    await waitFor(() => expect(api.saveDraft).toHaveBeenCalledTimes(1));
    expect(api.saveDraft.mock.calls[0]?.[0]).toMatchObject({ price_per_1m_input: 1.2345, price_per_1m_output: 0 });
  });
});
