import { useMutation } from '@tanstack/react-query';
import { DatePicker, Form, Input, InputNumber, Modal, Select, Switch } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect } from 'react';
import { createKey, updateKey, type ApiKey, type KeyLimits } from '../../../api/buyer.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// Create a key, or change an existing key's name and limits. The ranges mirror api-keys.schema.ts; an emptied
// field lifts that limit (sent as null).

interface Values {
  name: string;
  enabled?: boolean;
  expires_at?: Dayjs | null;
  allowed_models?: string[];
  allowed_ips?: string[];
  spend_limit?: number | null;
  rate_limit_rpm?: number | null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpv6(text: string) {
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

/** An IP address or a CIDR range, as the server's parseIpRule accepts. */
export function isIpRule(rule: string): boolean {
  const [address = '', prefix, ...rest] = rule.trim().split('/');
  if (rest.length > 0) return false;
  const max = IPV4.test(address) ? 32 : isIpv6(address) ? 128 : 0;
  if (max === 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
}

const listOrNull = (v?: string[]) => (v && v.length > 0 ? v.map((s) => s.trim()).filter(Boolean) : null);

function limitsOf(v: Values): KeyLimits {
  return {
    expires_at: v.expires_at ? v.expires_at.toISOString() : null,
    allowed_models: listOrNull(v.allowed_models),
    allowed_ips: listOrNull(v.allowed_ips),
    spend_limit: v.spend_limit ?? null,
    rate_limit_rpm: v.rate_limit_rpm ?? null,
  };
}

export function KeyFormModal({ open, editing, onClose, onCreated, onSaved }: {
  open: boolean;
  /** The key being edited; a new key when absent. */
  editing?: ApiKey;
  onClose(): void;
  onCreated(key: ApiKey & { key: string }): void;
  onSaved(key: ApiKey): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (editing) {
      form.setFieldsValue({
        name: editing.name,
        enabled: editing.enabled,
        expires_at: editing.expires_at ? dayjs(`${editing.expires_at}+08:00`) : null,
        allowed_models: editing.allowed_models ?? [],
        allowed_ips: editing.allowed_ips ?? [],
        spend_limit: editing.spend_limit,
        rate_limit_rpm: editing.rate_limit_rpm,
      });
    }
  }, [open, editing, form]);

  const save = useMutation({
    mutationFn: async (v: Values) => {
      if (editing) return { saved: await updateKey(editing.id, { name: v.name.trim(), enabled: v.enabled, ...limitsOf(v) }) };
      const limits = Object.fromEntries(Object.entries(limitsOf(v)).filter(([, value]) => value !== null));
      return { created: await createKey({ name: v.name.trim(), ...limits }) };
    },
    onSuccess: (r) => {
      if (r.created) onCreated(r.created);
      if (r.saved) onSaved(r.saved);
    },
  });

  return (
    <Modal
      open={open}
      title={editing ? t('buyer.keys.editTitle', { name: editing.name }) : t('buyer.keys.createTitle')}
      okText={editing ? t('common.save') : t('buyer.keys.createOk')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={save.isPending}
      okButtonProps={{ 'data-testid': 'key-form-submit' }}
      forceRender
    >
      <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} data-testid="key-form">
        <Form.Item name="name" label={t('buyer.keys.name')} rules={[{ required: true, whitespace: true, message: t('buyer.keys.nameRequired') }, { max: 64 }]}>
          <Input placeholder={t('buyer.keys.namePlaceholder')} maxLength={64} data-testid="key-name" />
        </Form.Item>
        {editing && (
          <Form.Item name="enabled" label={t('buyer.keys.enabled')} valuePropName="checked">
            <Switch />
          </Form.Item>
        )}
        <Form.Item name="expires_at" label={t('buyer.keys.expiresAt')} extra={t('buyer.keys.expiresHint')}>
          <DatePicker showTime style={{ width: '100%' }} disabledDate={(d) => d.isBefore(dayjs().startOf('day'))} />
        </Form.Item>
        <Form.Item name="allowed_models" label={t('buyer.keys.allowedModels')} extra={t('buyer.keys.allowedModelsHint')} rules={[{ type: 'array', max: 100 }]}>
          <Select mode="tags" tokenSeparators={[',', ' ']} open={false} suffixIcon={null} placeholder="gpt-4o-mini, qwen-plus" />
        </Form.Item>
        <Form.Item
          name="allowed_ips"
          label={t('buyer.keys.allowedIps')}
          extra={t('buyer.keys.allowedIpsHint')}
          rules={[
            { type: 'array', max: 100 },
            {
              validator: async (_, value?: string[]) => {
                const bad = (value ?? []).find((ip) => !isIpRule(ip));
                if (bad !== undefined) throw new Error(t('buyer.keys.badIp', { ip: bad }));
              },
            },
          ]}
        >
          <Select mode="tags" tokenSeparators={[',', ' ']} open={false} suffixIcon={null} placeholder="203.0.113.7, 10.0.0.0/8" />
        </Form.Item>
        <Form.Item name="spend_limit" label={t('buyer.keys.spendLimit')} extra={t('buyer.keys.spendLimitHint')}>
          <InputNumber min={0.01} max={100_000_000} precision={2} prefix="¥" style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="rate_limit_rpm" label={t('buyer.keys.rpm')} extra={t('buyer.keys.rpmHint')}>
          <InputNumber min={1} max={1_000_000} precision={0} style={{ width: '100%' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
