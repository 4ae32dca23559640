import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client.ts';
import { supplyApi, type SupplySettlement } from '../../api/supply.ts';
import { WithdrawForm } from './Earnings/WithdrawForm.tsx';
import { renderPage } from '../../test/render.tsx';

vi.mock('../../api/supply.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/supply.ts')>()),
  supplyApi: { withdraw: vi.fn(), sendWithdrawCode: vi.fn() },
}));
const api = vi.mocked(supplyApi);

const settlement: SupplySettlement = {
  settlement_id: 7, settlement_no: 'W1', status: 'pending', total_amount: 1000, fee_amount: 10, net_amount: 990, payment_method: 'alipay',
  created_at: '2026-01-01T00:00:00Z',
};

beforeEach(() => {
  vi.clearAllMocks();
  api.sendWithdrawCode.mockResolvedValue({ phone: '138****5678', expires_at: new Date(Date.now() + 300_000).toISOString(), resend_at: new Date(Date.now() + 60_000).toISOString() });
  api.withdraw.mockResolvedValue(settlement);
});

const fill = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

describe('WithdrawForm', () => {
  it('shows the 1 % fee and the net amount as the amount is typed', async () => {
    renderPage(<WithdrawForm available={2000} onDone={() => {}} />);
    expect(screen.getByText(/Fee 1 %; at most ¥50,000 each and ¥200,000 a day; at least 15 minutes between withdrawals; 5 wrong codes/)).toBeTruthy();
    fill('withdraw-amount', '1000');
    await waitFor(() => expect(screen.getByTestId('withdraw-fee').textContent).toBe('¥10.00'));
    expect(screen.getByTestId('withdraw-net').textContent).toBe('¥990.00');
    // Half a fen of fee rounds up.
    fill('withdraw-amount', '0.5');
    await waitFor(() => expect(screen.getByTestId('withdraw-fee').textContent).toBe('¥0.01'));
    expect(screen.getByTestId('withdraw-net').textContent).toBe('¥0.49');
  });

  it('refuses an amount above what is available', async () => {
    const user = userEvent.setup({ delay: null });
    renderPage(<WithdrawForm available={100} onDone={() => {}} />);
    fill('withdraw-amount', '150');
    fill('withdraw-account', '6222020200001234');
    fill('withdraw-code', '123456');
    await user.click(screen.getByTestId('withdraw-submit'));
    expect(await screen.findByText('More than the ¥100.00 available')).toBeTruthy();
    expect(api.withdraw).not.toHaveBeenCalled();
  });

  it('requires the SMS code, then sends the withdrawal with an Idempotency-Key reused on a retry', async () => {
    const user = userEvent.setup({ delay: null });
    const onDone = vi.fn();
    renderPage(<WithdrawForm available={5000} onDone={onDone} />);
    fill('withdraw-amount', '1000');
    fill('withdraw-account', '6222020200001234');
    await user.click(screen.getByTestId('withdraw-submit'));
    expect(await screen.findByText('Enter the SMS code')).toBeTruthy();
    expect(api.withdraw).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('withdraw-send-code'));
    await waitFor(() => expect(api.sendWithdrawCode).toHaveBeenCalledTimes(1));
    expect(await screen.findByText('Code sent to 138****5678')).toBeTruthy();
    expect((screen.getByTestId('withdraw-send-code') as HTMLButtonElement).disabled).toBe(true);

    fill('withdraw-code', '123456');
    api.withdraw.mockRejectedValueOnce(new ApiError(503, 'Service unavailable'));
    await user.click(screen.getByTestId('withdraw-submit'));
    expect(await screen.findByText('Service unavailable')).toBeTruthy();
    await user.click(screen.getByTestId('withdraw-submit'));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(settlement));

    expect(api.withdraw).toHaveBeenCalledTimes(2);
    const [first, second] = api.withdraw.mock.calls;
    expect(first?.[0]).toEqual({ withdraw_amount: 1000, payment_method: 'bank', payment_account: '6222020200001234', sms_code: '123456' });
    expect(second?.[1]).toBe(first?.[1]);
    expect(first?.[1]).toMatch(/^web-/);
  });

  it('uses a new Idempotency-Key once the form changes', async () => {
    const user = userEvent.setup({ delay: null });
    renderPage(<WithdrawForm available={5000} onDone={() => {}} />);
    fill('withdraw-amount', '1000');
    fill('withdraw-account', '6222020200001234');
    fill('withdraw-code', '111111');
    api.withdraw.mockRejectedValueOnce(new ApiError(400, 'The code is wrong or has expired', 'SUP_SET_4003'));
    await user.click(screen.getByTestId('withdraw-submit'));
    expect(await screen.findByText('The code is wrong or has expired')).toBeTruthy();
    fill('withdraw-code', '222222');
    await user.click(screen.getByTestId('withdraw-submit'));
    await waitFor(() => expect(api.withdraw).toHaveBeenCalledTimes(2));
    expect(api.withdraw.mock.calls[1]?.[1]).not.toBe(api.withdraw.mock.calls[0]?.[1]);
  });
});
