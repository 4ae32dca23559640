import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { supplyApi, type SupplyPackage } from '../../api/supply.ts';
import { BatchPriceEditor } from './Packages/BatchPriceEditor.tsx';
import { renderPage } from '../../test/render.tsx';

vi.mock('../../api/supply.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/supply.ts')>()),
  supplyApi: { batchPrice: vi.fn() },
}));
const api = vi.mocked(supplyApi);

const pkg = (id: number, over: Partial<SupplyPackage> = {}): SupplyPackage => ({
  package_id: id, supply_account_id: 1, model: `model-${id}`, total_quota: 1000, available_quota: 800, price_per_1m_input: 1, price_per_1m_output: 2,
  valid_days: 30, status: 'active', created_at: '2026-01-01T00:00:00Z', max_concurrent: 10, rate_limit_rpm: 60, published_at: null, expires_at: null,
  cloned_from: null, updated_at: '2026-01-01T00:00:00Z', ...over,
});

const price = (side: 'in' | 'out', id: number) => screen.getByTestId(`batch-${side}-${id}`);
const setPrice = (side: 'in' | 'out', id: number, value: string) => fireEvent.change(price(side, id), { target: { value } });
const submit = () => screen.getByTestId('batch-price-submit') as HTMLButtonElement;

beforeEach(() => {
  vi.clearAllMocks();
  api.batchPrice.mockResolvedValue({
    total: 2, success_count: 1, failed_count: 1,
    failures: [{ package_id: 12, error_code: 'SUP_PKG_4093', message: 'The package is sold_out; its price cannot change' }],
  });
});

describe('BatchPriceEditor', () => {
  it('flags an invalid price on its row and will not submit until it is fixed', async () => {
    renderPage(<BatchPriceEditor packages={[pkg(11), pkg(12)]} />);
    expect(submit().disabled).toBe(false);

    setPrice('in', 11, '1.23456');
    await waitFor(() => expect(price('in', 11).getAttribute('aria-invalid')).toBe('true'));
    expect(within(screen.getByTestId('batch-result-11')).getByText('Must be ≥ 0 with at most 4 decimals')).toBeTruthy();
    expect(price('in', 12).getAttribute('aria-invalid')).toBe('false');
    expect(screen.getByText('Fix the invalid prices (1) to submit')).toBeTruthy();
    expect(submit().disabled).toBe(true);

    setPrice('in', 11, '-1');
    await waitFor(() => expect(price('in', 11).getAttribute('aria-invalid')).toBe('true'));
    setPrice('in', 11, '');
    await waitFor(() => expect(submit().disabled).toBe(true));

    setPrice('in', 11, '1.2345');
    await waitFor(() => expect(submit().disabled).toBe(false));
    expect(api.batchPrice).not.toHaveBeenCalled();
  });

  it('sends every selected row and shows each row’s result', async () => {
    const user = userEvent.setup({ delay: null });
    const onDone = vi.fn();
    renderPage(<BatchPriceEditor packages={[pkg(11), pkg(12)]} onDone={onDone} />);
    setPrice('in', 11, '1.5');
    setPrice('out', 12, '3.0001');
    await user.click(submit());

    await waitFor(() => expect(api.batchPrice).toHaveBeenCalledTimes(1));
    expect(api.batchPrice.mock.calls[0]?.[0]).toEqual([
      { package_id: 11, price_per_1m_input: 1.5, price_per_1m_output: 2 },
      { package_id: 12, price_per_1m_input: 1, price_per_1m_output: 3.0001 },
    ]);
    expect(api.batchPrice.mock.calls[0]?.[1]).toMatch(/^web-/);
    expect(await within(screen.getByTestId('batch-result-11')).findByText('Updated')).toBeTruthy();
    const failed = screen.getByTestId('batch-result-12');
    expect(within(failed).getByText('SUP_PKG_4093')).toBeTruthy();
    expect(within(failed).getByText('The package is sold_out; its price cannot change')).toBeTruthy();
    expect(screen.getByText('2 packages: 1 updated, 1 failed')).toBeTruthy();
    expect(onDone).toHaveBeenCalledTimes(1);
  });
});
