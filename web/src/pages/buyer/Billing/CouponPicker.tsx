import { useQuery } from '@tanstack/react-query';
import { AutoComplete } from 'antd';
import { myCoupons, type MyCoupon } from '../../../api/buyer.ts';
import { yuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// A coupon code: typed, or picked from the user's unused coupons. Its value goes to the order as `coupon_code`.

export const MY_COUPONS_KEY = ['buyer', 'my-coupons'] as const;

export function useCouponTerms() {
  const { t } = useI18n();
  return (c: Pick<MyCoupon, 'type' | 'value' | 'min_amount'>) => {
    const what =
      c.type === 'discount' ? t('buyer.coupon.discount', { value: c.value }) :
      c.type === 'deduction' ? t('buyer.coupon.deduction', { amount: yuan(c.value) }) :
      t('buyer.coupon.bonus', { value: c.value });
    return c.min_amount > 0 ? `${what} · ${t('buyer.coupon.min', { amount: yuan(c.min_amount) })}` : what;
  };
}

export function CouponPicker({ value, onChange, testId }: { value?: string; onChange?(v: string): void; testId?: string }) {
  const { t } = useI18n();
  const terms = useCouponTerms();
  const mine = useQuery({ queryKey: [...MY_COUPONS_KEY, 'unused'], queryFn: () => myCoupons('unused') });
  return (
    <AutoComplete
      value={value}
      onChange={onChange}
      allowClear
      placeholder={t('buyer.coupon.placeholder')}
      options={(mine.data?.items ?? []).map((c) => ({ value: c.code, label: `${c.code} — ${c.name} (${terms(c)})` }))}
      data-testid={testId}
    />
  );
}
