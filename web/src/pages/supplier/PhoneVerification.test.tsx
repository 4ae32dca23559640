import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { supplyApi, type SupplierProfile } from '../../api/supply.ts';
import { PhoneVerification } from './Earnings/PhoneVerification.tsx';
import { renderPage } from '../../test/render.tsx';

vi.mock('../../api/supply.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../api/supply.ts')>()),
  supplyApi: { savePhone: vi.fn(), sendPhoneCode: vi.fn(), sendCurrentPhoneCode: vi.fn() },
}));
const api = vi.mocked(supplyApi);

const profile = { user_id: 1, phone: '139****0000', phone_verified: true } as SupplierProfile;
const sent = (phone: string) => ({ phone, expires_at: new Date(Date.now() + 300_000).toISOString(), resend_at: new Date(Date.now() + 60_000).toISOString() });

beforeEach(() => {
  vi.clearAllMocks();
  api.savePhone.mockResolvedValue(profile);
  api.sendPhoneCode.mockResolvedValue(sent('139****0000'));
  api.sendCurrentPhoneCode.mockResolvedValue(sent('138****5678'));
});

const fill = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

describe('PhoneVerification', () => {
  it('binds the first phone with its code and the account password', async () => {
    const user = userEvent.setup({ delay: null });
    const onVerified = vi.fn();
    renderPage(<PhoneVerification onVerified={onVerified} />);
    expect(screen.queryByTestId('phone-current-code')).toBeNull();
    fill('phone-input', '13900000000');
    fill('phone-code', '123456');
    await user.click(screen.getByTestId('phone-save'));
    expect(await screen.findByText('Required')).toBeTruthy();
    expect(api.savePhone).not.toHaveBeenCalled();

    fill('phone-password', 'correct horse 1');
    await user.click(screen.getByTestId('phone-save'));
    await waitFor(() => expect(onVerified).toHaveBeenCalledWith(profile));
    expect(api.savePhone).toHaveBeenCalledWith({ phone: '13900000000', sms_code: '123456', password: 'correct horse 1' });
  });

  it('replaces a bound phone only with a code from the current phone as well as the new one', async () => {
    const user = userEvent.setup({ delay: null });
    const onVerified = vi.fn();
    renderPage(<PhoneVerification current="138****5678" onVerified={onVerified} />);
    expect(screen.getByText('Code sent to your current phone 138****5678')).toBeTruthy();
    expect(screen.queryByTestId('phone-password')).toBeNull();
    fill('phone-input', '13900000000');
    fill('phone-code', '123456');
    await user.click(screen.getByTestId('phone-save'));
    expect(await screen.findByText('Required')).toBeTruthy();
    expect(api.savePhone).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('phone-current-send-code'));
    await waitFor(() => expect(api.sendCurrentPhoneCode).toHaveBeenCalledTimes(1));
    fill('phone-current-code', '654321');
    await user.click(screen.getByTestId('phone-save'));
    await waitFor(() => expect(onVerified).toHaveBeenCalledWith(profile));
    expect(api.savePhone).toHaveBeenCalledWith({ phone: '13900000000', sms_code: '123456', current_phone_code: '654321' });
  });
});
