import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Radio, Typography } from 'antd';
import { useEffect } from 'react';
import { buyMembership, MEMBERSHIP_TYPES, PAYMENT_METHODS, type Balance, type MembershipBody, type MembershipType, type PaymentMethod } from '../../../api/buyer.ts';
import { useSession } from '../../../auth/session.tsx';
import { useFormat, wholeCredits, yuan } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CouponPicker } from './CouponPicker.tsx';
import { useOnceKey } from './useOnceKey.ts';
import { usePaymentHandOff } from '../../checkout/returnTo.ts';

// Buy or extend a membership: from the credit balance at once, or through a payment provider. Credits are offered
// only when they cover the plan: a new user with no credits starts on a payment provider, not on a refusal.

/**
 * The list prices of the plans (src/modules/commerce/pricing.ts), shown to help choose: no endpoint lists them. The
 * order's `amount` is what the server charges.
 */
const PLAN_PRICES: Record<MembershipType, number> = { monthly: 9.9, quarterly: 25, yearly: 99 };

/** The provider a purchase starts on when the credits do not cover it (the recharge form's default too). */
const DEFAULT_PROVIDER: PaymentMethod = 'alipay';

/** A plan's price in credits (1 credit = ¥0.1), rounded so a float product cannot make ¥9.9 fall short of 99. */
const planCredits = (plan: MembershipType) => Math.round(PLAN_PRICES[plan] * 10);

interface Values {
  membership_type: MembershipType;
  payment_method: PaymentMethod;
  coupon_code?: string;
}

export function MembershipCard({ balance }: { balance?: Balance }) {
  const { t } = useI18n();
  const { reload } = useSession();
  const queryClient = useQueryClient();
  const once = useOnceKey();
  const handOff = usePaymentHandOff();
  const { dateTime } = useFormat();
  const [form] = Form.useForm<Values>();
  const method = Form.useWatch('payment_method', form);
  const plan = Form.useWatch('membership_type', form) ?? 'monthly';
  const covered = balance !== undefined && balance.credit_balance >= planCredits(plan);

  // The method follows the balance until the user picks one; a plan the credits no longer cover moves it off them.
  useEffect(() => {
    if (!balance) return;
    const current = form.getFieldValue('payment_method') as PaymentMethod | undefined;
    if (current === undefined) form.setFieldValue('payment_method', covered ? 'balance' : DEFAULT_PROVIDER);
    else if (current === 'balance' && !covered) form.setFieldValue('payment_method', DEFAULT_PROVIDER);
  }, [balance, covered, form]);

  const submit = useMutation({
    mutationFn: (v: Values) => {
      const body: MembershipBody = { membership_type: v.membership_type, payment_method: v.payment_method, coupon_code: v.coupon_code?.trim() || undefined };
      return buyMembership(body, once.keyFor(body));
    },
    onSuccess: (order) => {
      once.done();
      // Balance, orders and coupons (the coupon is used or reserved) all changed.
      void queryClient.invalidateQueries({ queryKey: ['buyer'] });
      if (order.status === 'paid') {
        toast.success(t('buyer.billing.memberActive', { date: dateTime(order.membership_end_date) }));
        form.setFieldValue('coupon_code', undefined);
        void reload();
      } else if (order.payment_url) handOff(order.payment_url);
      else toast.success(t('buyer.billing.orderCreated', { order: order.order_id }));
    },
  });

  return (
    <Card title={t('buyer.billing.membership')} style={{ height: '100%' }}>
      {balance?.is_member ? (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('buyer.billing.memberNow', { plan: t(`buyer.plan.${balance.membership_type ?? 'monthly'}`), date: dateTime(balance.membership_end_date) })}
        />
      ) : (
        <Typography.Paragraph type="secondary">{t('buyer.billing.memberPitch')}</Typography.Paragraph>
      )}
      <Form
        form={form}
        layout="vertical"
        initialValues={{ membership_type: 'monthly' }}
        onFinish={(v) => submit.mutate(v)}
        data-testid="membership-form"
      >
        <Form.Item name="membership_type" label={t('buyer.billing.plan')}>
          <Radio.Group
            optionType="button"
            options={MEMBERSHIP_TYPES.map((p) => ({ value: p, label: `${t(`buyer.plan.${p}`)} ${yuan(PLAN_PRICES[p])}` }))}
            data-testid="membership-plan"
          />
        </Form.Item>
        <Form.Item
          name="payment_method"
          label={t('buyer.billing.method')}
          rules={[{ required: true, message: t('buyer.billing.methodRequired') }]}
          extra={
            method === 'balance'
              ? t('buyer.billing.fromBalance', { credits: wholeCredits(balance?.credit_balance) })
              : balance && !covered
                ? t('buyer.billing.creditsShort', { credits: wholeCredits(balance.credit_balance), price: planCredits(plan) })
                : undefined
          }
        >
          <Radio.Group
            optionType="button"
            options={PAYMENT_METHODS.map((m) => ({ value: m, label: t(`buyer.method.${m}`), disabled: m === 'balance' && !covered }))}
            data-testid="membership-method"
          />
        </Form.Item>
        <Form.Item name="coupon_code" label={t('buyer.billing.coupon')} rules={[{ max: 64 }]}>
          <CouponPicker testId="membership-coupon" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={submit.isPending} data-testid="membership-submit">
          {balance?.is_member ? t('buyer.billing.renew') : t('buyer.billing.join')}
        </Button>
      </Form>
    </Card>
  );
}
