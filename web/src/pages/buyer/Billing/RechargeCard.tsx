import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Form, InputNumber, Radio, Space, Typography, type FormInstance } from 'antd';
import { recharge, RECHARGE_MAX, RECHARGE_MIN, type RechargeBody } from '../../../api/buyer.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CouponPicker } from './CouponPicker.tsx';
import { useOnceKey } from './useOnceKey.ts';
import { usePaymentHandOff } from '../../checkout/returnTo.ts';

// Buy credits: amount, payment method, optional coupon → an order → the provider's payment page (same tab).

export interface RechargeValues {
  amount?: number;
  payment_method: RechargeBody['payment_method'];
  coupon_code?: string;
}

const PRESETS = [10, 50, 100, 500];

export function RechargeCard({ form }: { form: FormInstance<RechargeValues> }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const once = useOnceKey();
  const handOff = usePaymentHandOff();
  const amount = Form.useWatch('amount', form);

  const submit = useMutation({
    mutationFn: (v: RechargeValues) => {
      const body: RechargeBody = { amount: v.amount as number, payment_method: v.payment_method, coupon_code: v.coupon_code?.trim() || undefined };
      return recharge(body, once.keyFor(body));
    },
    onSuccess: (order) => {
      once.done();
      void queryClient.invalidateQueries({ queryKey: ['buyer', 'orders'] });
      if (order.payment_url) handOff(order.payment_url);
      else toast.success(t('buyer.billing.orderCreated', { order: order.order_id }));
    },
  });

  return (
    <Card title={t('buyer.billing.recharge')} id="recharge" style={{ height: '100%' }}>
      <Form
        form={form}
        layout="vertical"
        initialValues={{ payment_method: 'alipay' }}
        onFinish={(v) => submit.mutate(v)}
        data-testid="recharge-form"
      >
        <Form.Item label={t('buyer.billing.amount')} required>
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Space wrap>
              {PRESETS.map((p) => (
                <Button key={p} type={amount === p ? 'primary' : 'default'} ghost={amount === p} onClick={() => form.setFieldValue('amount', p)}>
                  ¥{p}
                </Button>
              ))}
            </Space>
            <Form.Item name="amount" noStyle rules={[{ required: true, message: t('buyer.billing.amountRequired') }]}>
              <InputNumber
                min={RECHARGE_MIN}
                max={RECHARGE_MAX}
                precision={2}
                prefix="¥"
                style={{ width: '100%' }}
                placeholder={t('buyer.billing.amountPlaceholder')}
                data-testid="recharge-amount"
                aria-label={t('buyer.billing.amount')}
              />
            </Form.Item>
            <Typography.Text type="secondary">
              {amount ? t('buyer.billing.credits', { credits: Math.round(amount * 1000) / 100 }) : t('buyer.billing.rate')}
            </Typography.Text>
          </Space>
        </Form.Item>
        <Form.Item name="payment_method" label={t('buyer.billing.method')}>
          <Radio.Group
            options={(['alipay', 'wechat'] as const).map((m) => ({ value: m, label: t(`buyer.method.${m}`) }))}
            optionType="button"
            data-testid="recharge-method"
          />
        </Form.Item>
        <Form.Item name="coupon_code" label={t('buyer.billing.coupon')} rules={[{ max: 64 }]}>
          <CouponPicker testId="recharge-coupon" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={submit.isPending} data-testid="recharge-submit">
          {t('buyer.billing.pay')}
        </Button>
      </Form>
    </Card>
  );
}
