import { useMutation } from '@tanstack/react-query';
import { Form, Input, InputNumber, Modal, Select } from 'antd';
import { useEffect } from 'react';
import { PROVIDERS, putPrice, type ModelPrice, type Provider } from '../../../api/operator.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// Set the price of a model (a new one, or over its default). Bounds mirror routing/model-prices.schema.ts: CNY
// 0–1 000 000 with at most 4 decimals; model ids as upstreams spell them.

interface Values {
  model: string;
  provider: Provider;
  input_price: number;
  output_price: number;
  per_image_price?: number | null;
}

const MODEL_ID = /^[\w.:@+/-]+$/;
const MAX_PRICE = 1_000_000;

export function PriceFormModal({ open, editing, onClose, onSaved }: {
  open: boolean;
  editing?: ModelPrice;
  onClose(): void;
  onSaved(p: ModelPrice): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (editing) {
      form.setFieldsValue({
        model: editing.model, provider: editing.provider as Provider, input_price: editing.input_price, output_price: editing.output_price,
        per_image_price: editing.per_image_price,
      });
    }
  }, [open, editing, form]);

  const save = useMutation({
    mutationFn: (v: Values) =>
      putPrice(v.model.trim(), { provider: v.provider, input_price: v.input_price, output_price: v.output_price, per_image_price: v.per_image_price ?? null }),
    onSuccess: onSaved,
  });

  const price = (name: keyof Values, label: string, required: boolean, testId: string) => (
    <Form.Item name={name} label={label} rules={[{ required, message: t('op.form.required') }, { type: 'number', min: 0, max: MAX_PRICE }]}>
      <InputNumber min={0} max={MAX_PRICE} precision={4} step={0.1} prefix="¥" style={{ width: '100%' }} data-testid={testId} />
    </Form.Item>
  );

  return (
    <Modal
      open={open}
      title={editing ? t('op.prices.editTitle', { model: editing.model }) : t('op.prices.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      okButtonProps={{ 'data-testid': 'price-submit' }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ provider: 'openai' }} onFinish={(v) => save.mutate(v)}>
        <Form.Item
          name="model"
          label={t('op.prices.model')}
          rules={[
            { required: true, message: t('op.form.required') },
            { max: 128, pattern: MODEL_ID, message: t('op.prices.modelInvalid') },
          ]}
        >
          <Input maxLength={128} disabled={editing !== undefined} placeholder="gpt-4o-mini" data-testid="price-model" />
        </Form.Item>
        <Form.Item name="provider" label={t('op.channels.provider')} rules={[{ required: true }]}>
          <Select options={PROVIDERS.map((p) => ({ value: p, label: t(`op.provider.${p}`) }))} aria-label={t('op.channels.provider')} data-testid="price-provider" />
        </Form.Item>
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <div style={{ flex: '1 1 180px' }}>{price('input_price', t('op.prices.input'), true, 'price-input')}</div>
          <div style={{ flex: '1 1 180px' }}>{price('output_price', t('op.prices.output'), true, 'price-output')}</div>
        </div>
        {price('per_image_price', t('op.prices.image'), false, 'price-image')}
      </Form>
    </Modal>
  );
}
