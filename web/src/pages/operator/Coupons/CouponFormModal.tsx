import { useMutation } from '@tanstack/react-query';
import { DatePicker, Form, Input, InputNumber, Modal, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect } from 'react';
import { COUPON_TYPES, createCoupon, type CouponType } from '../../../api/operator.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// A new coupon. Bounds mirror commerce/coupons.schema.ts: code 3–32 of [A-Za-z0-9_-]; discount = percent off
// (0–100 exclusive, 2 decimals), deduction = CNY off (0–50 000, 2 decimals), credit_bonus = whole credits
// (1–1 000 000); min amount 0–50 000 CNY; max usage 1–10 000 000; a validity window.

interface Values {
  code: string;
  name: string;
  type: CouponType;
  value: number;
  min_amount?: number;
  max_usage: number;
  valid: [Dayjs, Dayjs];
}

const VALUE_RULES: Record<CouponType, { min: number; max: number; precision: number; exclusive: boolean }> = {
  discount: { min: 0, max: 100, precision: 2, exclusive: true },
  deduction: { min: 0, max: 50_000, precision: 2, exclusive: false },
  credit_bonus: { min: 1, max: 1_000_000, precision: 0, exclusive: false },
};

export function CouponFormModal({ open, onClose, onCreated }: { open: boolean; onClose(): void; onCreated(code: string): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const type = Form.useWatch('type', form) ?? 'discount';
  const rule = VALUE_RULES[type];

  useEffect(() => {
    if (open) form.resetFields();
  }, [open, form]);

  const create = useMutation({
    mutationFn: (v: Values) =>
      createCoupon({
        code: v.code.trim(), name: v.name.trim(), type: v.type, value: v.value, min_amount: v.min_amount ?? 0, max_usage: v.max_usage,
        valid_from: v.valid[0].format(), valid_until: v.valid[1].format(),
      }),
    onSuccess: (c) => onCreated(c.code),
  });

  const valueOk = (v: number | null | undefined) => {
    if (v === null || v === undefined) return true;
    if (rule.exclusive ? v <= rule.min || v >= rule.max : v < rule.min || v > rule.max) return false;
    return type !== 'deduction' || v > 0;
  };

  return (
    <Modal
      open={open}
      title={t('op.coupons.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      okButtonProps={{ 'data-testid': 'coupon-submit' }}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ type: 'discount', min_amount: 0, max_usage: 100, valid: [dayjs().startOf('minute'), dayjs().add(30, 'day').endOf('day')] }}
        onFinish={(v) => create.mutate(v)}
      >
        <Form.Item
          name="code"
          label={t('op.coupons.code')}
          rules={[{ required: true, message: t('op.form.required') }, { min: 3, max: 32, pattern: /^[A-Za-z0-9_-]+$/, message: t('op.coupons.codeInvalid') }]}
        >
          <Input maxLength={32} placeholder="SPRING2026" data-testid="coupon-code" />
        </Form.Item>
        <Form.Item name="name" label={t('op.coupons.name')} rules={[{ required: true, whitespace: true, max: 64, message: t('op.form.length', { min: 1, max: 64 }) }]}>
          <Input maxLength={64} data-testid="coupon-name" />
        </Form.Item>
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <Form.Item name="type" label={t('op.coupons.type')} style={{ flex: '1 1 180px' }} rules={[{ required: true }]}>
            <Select
              options={COUPON_TYPES.map((x) => ({ value: x, label: t(`op.coupons.type.${x}`) }))}
              onChange={() => form.setFieldValue('value', undefined)}
              aria-label={t('op.coupons.type')}
              data-testid="coupon-type"
            />
          </Form.Item>
          <Form.Item
            name="value"
            label={t(`op.coupons.value.${type}`)}
            style={{ flex: '1 1 180px' }}
            rules={[
              { required: true, message: t('op.form.required') },
              { validator: (_, v?: number) => (valueOk(v) ? Promise.resolve() : Promise.reject(new Error(t(`op.coupons.valueRange.${type}`)))) },
            ]}
          >
            <InputNumber style={{ width: '100%' }} min={rule.min} max={rule.max} precision={rule.precision} data-testid="coupon-value" />
          </Form.Item>
        </div>
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <Form.Item name="min_amount" label={t('op.coupons.minAmount')} style={{ flex: '1 1 180px' }} rules={[{ type: 'number', min: 0, max: 50_000 }]}>
            <InputNumber style={{ width: '100%' }} min={0} max={50_000} precision={2} prefix="¥" data-testid="coupon-min-amount" />
          </Form.Item>
          <Form.Item name="max_usage" label={t('op.coupons.maxUsage')} style={{ flex: '1 1 180px' }} rules={[{ required: true, type: 'integer', min: 1, max: 10_000_000 }]}>
            <InputNumber style={{ width: '100%' }} min={1} max={10_000_000} precision={0} data-testid="coupon-max-usage" />
          </Form.Item>
        </div>
        <Form.Item
          name="valid"
          label={t('op.coupons.valid')}
          rules={[
            { required: true, message: t('op.form.required') },
            { validator: (_, v?: [Dayjs, Dayjs]) => (!v || v[1].isAfter(v[0]) ? Promise.resolve() : Promise.reject(new Error(t('op.coupons.validOrder')))) },
          ]}
        >
          <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} data-testid="coupon-valid" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
