import { Alert, DatePicker, Form, Input, InputNumber, Modal, Radio, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { ACTIVITY_TYPES, beijingNow, createActivity, GIFT_TRIGGERS, type ActivityConfig, type ActivityType, type GiftTrigger } from '../../../api/operations.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// A new activity. Bounds mirror operations/activities.schema.ts: name 1–64, description up to 500; credits are whole
// numbers 1–1 000 000, a percent 1–99, an amount CNY above 0 and at most 50 000 with 2 decimals. The window is picked
// on Beijing's wall clock (the server reads `YYYY-MM-DDTHH:mm:ss` as UTC+8), whatever the browser's time zone.

/** How a membership discount or a first-purchase offer gives: a percent off, CNY off, or credits added. */
type Mode = 'percent' | 'amount' | 'credits';

interface ActivityValues {
  name: string;
  type: ActivityType;
  description?: string;
  credits?: number;
  on: GiftTrigger;
  mode: Mode;
  percent?: number;
  amount?: number;
  window: [Dayjs, Dayjs];
}

const MODES: Partial<Record<ActivityType, Mode[]>> = { membership_discount: ['percent', 'amount'], first_purchase: ['percent', 'credits'] };

/** The one config shape the server accepts for the type (and mode); values of fields the form hid are left out. */
function configOf(v: Pick<ActivityValues, 'type' | 'credits' | 'on' | 'mode' | 'percent' | 'amount'>): ActivityConfig {
  switch (v.type) {
    case 'credit_gift':
      return { credits: v.credits, on: v.on };
    case 'referral_bonus':
      return { credits: v.credits };
    case 'membership_discount':
      return v.mode === 'amount' ? { amount: v.amount } : { percent: v.percent };
    case 'first_purchase':
      return v.mode === 'credits' ? { credits: v.credits } : { percent: v.percent };
  }
}

const STUDIO_TIME = 'YYYY-MM-DDTHH:mm:ss';
const twoDecimals = (v: number) => Math.abs(Math.round(v * 100) - v * 100) < 1e-6;
const RANGES = {
  credits: (v: number) => Number.isInteger(v) && v >= 1 && v <= 1_000_000,
  percent: (v: number) => Number.isInteger(v) && v >= 1 && v <= 99,
  amount: (v: number) => v > 0 && v <= 50_000 && twoDecimals(v),
};

/** From this minute to the end of the 30th day after, on Beijing's clock. */
function defaultWindow(): [Dayjs, Dayjs] {
  const now = dayjs(beijingNow());
  return [now.startOf('minute'), now.add(30, 'day').endOf('day')];
}

export function ActivityFormModal({ open, onClose, onCreated }: { open: boolean; onClose(): void; onCreated(name: string): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<ActivityValues>();
  const type = Form.useWatch('type', form) ?? 'credit_gift';
  const mode = Form.useWatch('mode', form) ?? 'percent';
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setError(undefined);
  }, [open, form]);

  // Not a mutation: the server's refusal is shown in the form (which stays open for a correction), not as a toast.
  const submit = async (v: ActivityValues) => {
    setBusy(true);
    setError(undefined);
    try {
      const created = await createActivity({
        name: v.name.trim(), type: v.type, description: v.description?.trim() ?? '', config: configOf(v),
        start_time: v.window[0].format(STUDIO_TIME), end_time: v.window[1].format(STUDIO_TIME),
      });
      onCreated(created.name);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const ranged = (field: keyof typeof RANGES) => [
    { required: true, message: t('op.form.required') },
    {
      validator: (_: unknown, v?: number | null) =>
        v === null || v === undefined || RANGES[field](v) ? Promise.resolve() : Promise.reject(new Error(t(`op.activities.range.${field}`))),
    },
  ];
  const modes = MODES[type];
  const needs = {
    credits: type === 'credit_gift' || type === 'referral_bonus' || (type === 'first_purchase' && mode === 'credits'),
    percent: modes !== undefined && mode === 'percent',
    amount: type === 'membership_discount' && mode === 'amount',
  };
  const half = { flex: '1 1 180px' };

  return (
    <Modal
      open={open}
      title={t('op.activities.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.create')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'activity-submit' }}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ type: 'credit_gift', on: 'participate', mode: 'percent', window: defaultWindow() }}
        onFinish={(v) => void submit(v)}
      >
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="activity-error" />}
        <Form.Item name="name" label={t('op.activities.name')} rules={[{ required: true, whitespace: true, max: 64, message: t('op.form.length', { min: 1, max: 64 }) }]}>
          <Input maxLength={64} data-testid="activity-name" />
        </Form.Item>
        <Form.Item name="type" label={t('op.activities.type')} rules={[{ required: true }]} extra={t(`op.activities.typeHint.${type}`)}>
          <Select
            options={ACTIVITY_TYPES.map((x) => ({ value: x, label: t(`op.activities.type.${x}`) }))}
            onChange={() => form.setFieldValue('mode', 'percent')}
            aria-label={t('op.activities.type')}
            data-testid="activity-type"
          />
        </Form.Item>
        {modes && (
          <Form.Item name="mode" label={t('op.activities.mode')}>
            <Radio.Group optionType="button" options={modes.map((m) => ({ value: m, label: t(`op.activities.mode.${m}`) }))} data-testid="activity-mode" />
          </Form.Item>
        )}
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          {needs.credits && (
            <Form.Item name="credits" label={t('op.activities.credits')} style={half} rules={ranged('credits')}>
              <InputNumber style={{ width: '100%' }} precision={0} data-testid="activity-credits" />
            </Form.Item>
          )}
          {needs.percent && (
            <Form.Item name="percent" label={t('op.activities.percent')} style={half} rules={ranged('percent')}>
              <InputNumber style={{ width: '100%' }} precision={0} suffix="%" data-testid="activity-percent" />
            </Form.Item>
          )}
          {needs.amount && (
            <Form.Item name="amount" label={t('op.activities.amount')} style={half} rules={ranged('amount')}>
              <InputNumber style={{ width: '100%' }} prefix="¥" data-testid="activity-amount" />
            </Form.Item>
          )}
          {type === 'credit_gift' && (
            <Form.Item name="on" label={t('op.activities.on')} style={half}>
              <Radio.Group options={GIFT_TRIGGERS.map((x) => ({ value: x, label: t(`op.activities.on.${x}`) }))} data-testid="activity-on" />
            </Form.Item>
          )}
        </div>
        <Form.Item
          name="window"
          label={t('op.activities.window')}
          extra={t('op.activities.windowHint')}
          rules={[
            { required: true, message: t('op.form.required') },
            { validator: (_, v?: [Dayjs, Dayjs]) => (!v || v[1].isAfter(v[0]) ? Promise.resolve() : Promise.reject(new Error(t('op.activities.windowOrder')))) },
          ]}
        >
          <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} data-testid="activity-window" />
        </Form.Item>
        <Form.Item name="description" label={t('op.activities.description')} rules={[{ max: 500, message: t('op.form.length', { min: 0, max: 500 }) }]}>
          <Input.TextArea rows={3} maxLength={500} showCount data-testid="activity-description" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
