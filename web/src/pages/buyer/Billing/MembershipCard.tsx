import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Radio, Typography } from 'antd';
import { buyMembership, MEMBERSHIP_TYPES, PAYMENT_METHODS, type Balance, type MembershipBody, type MembershipType, type PaymentMethod } from '../../../api/buyer.ts';
import { useSession } from '../../../auth/session.tsx';
import { dateTime } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CouponPicker } from './CouponPicker.tsx';
import { useOnceKey } from './useOnceKey.ts';

// Buy or extend a membership: from the credit balance at once, or through a payment provider.

/**
 * The list prices of the plans (src/modules/commerce/pricing.ts), shown to help choose: no endpoint lists them. The
 * order's `amount` is what the server charges.
 */
const PLAN_PRICES: Record<MembershipType, number> = { monthly: 9.9, quarterly: 25, yearly: 99 };

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
  const [form] = Form.useForm<Values>();
  const method = Form.useWatch('payment_method', form);

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
      } else if (order.payment_url) window.location.assign(order.payment_url);
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
        initialValues={{ membership_type: 'monthly', payment_method: 'balance' }}
        onFinish={(v) => submit.mutate(v)}
        data-testid="membership-form"
      >
        <Form.Item name="membership_type" label={t('buyer.billing.plan')}>
          <Radio.Group
            optionType="button"
            options={MEMBERSHIP_TYPES.map((p) => ({ value: p, label: `${t(`buyer.plan.${p}`)} ¥${PLAN_PRICES[p]}` }))}
            data-testid="membership-plan"
          />
        </Form.Item>
        <Form.Item
          name="payment_method"
          label={t('buyer.billing.method')}
          extra={method === 'balance' ? t('buyer.billing.fromBalance', { credits: balance?.credit_balance ?? '—' }) : undefined}
        >
          <Radio.Group optionType="button" options={PAYMENT_METHODS.map((m) => ({ value: m, label: t(`buyer.method.${m}`) }))} data-testid="membership-method" />
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
