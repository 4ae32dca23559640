import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Drawer, Form, Input, InputNumber, Select, Space, Switch } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError } from '../../../api/client.ts';
import {
  createChannel, listPrices, PROVIDER_DEFAULT_URLS, PROVIDERS, providerNeedsEndpoint, updateChannel, type AdminChannel, type ChannelInput, type Provider,
} from '../../../api/operator.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { pricedModelsOf } from './channelModels.ts';

// Add a platform channel or change one. Bounds mirror src/modules/admin/channels-admin.schema.ts. The key is
// write-only: never prefilled (the API never returns it); empty on a change keeps the stored key, but moving the
// channel to another provider or endpoint needs it again, as the server insists. A server error that names a field
// (`body.weight: …`) is shown under that field.

interface Values {
  name: string;
  provider: Provider;
  key?: string;
  endpoint?: string;
  models: string[];
  weight: number;
  priority: number;
  rpm_limit?: number | null;
  max_concurrent?: number | null;
  enabled: boolean;
}

const FIELDS = ['name', 'provider', 'key', 'endpoint', 'models', 'weight', 'priority', 'rpm_limit', 'max_concurrent', 'enabled'] as const;

/** The form field a server error names: the supply envelope's `details.field`, or `body.<field>` in the message. */
function fieldOf(err: Error): (typeof FIELDS)[number] | undefined {
  const detail = err instanceof ApiError && typeof err.details?.field === 'string' ? err.details.field : undefined;
  const name = /\bbody\.(\w+)/.exec(detail ?? err.message)?.[1];
  return FIELDS.find((f) => f === name);
}

/** As the server stores a base URL: no trailing slashes or `/v1` (the adapters add the path). */
const baseOf = (url: string | undefined) => (url ?? '').trim().replace(/\/+$/, '').replace(/\/v1$/, '').replace(/\/+$/, '');

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

const DEFAULTS: Partial<Values> = { provider: 'openai', models: [], weight: 1, priority: 0, enabled: true };

export function ChannelFormDrawer({ open, editing, onClose, onSaved }: {
  open: boolean;
  editing?: AdminChannel;
  onClose(): void;
  onSaved(c: AdminChannel): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  // Undefined until the form has mounted its fields: the value they start from meanwhile.
  const provider: Provider = Form.useWatch('provider', form) ?? editing?.provider ?? 'openai';
  const [unplaced, setUnplaced] = useState<string>();
  const prices = useQuery({ queryKey: ['operator', 'prices'], queryFn: listPrices, enabled: open });

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setUnplaced(undefined);
    if (editing) {
      form.setFieldsValue({
        name: editing.name, provider: editing.provider, endpoint: editing.base_url ?? '', models: editing.models ?? [], weight: editing.weight,
        priority: editing.priority, rpm_limit: editing.rpm_limit, max_concurrent: editing.max_concurrent, enabled: editing.enabled,
      });
    }
  }, [open, editing, form]);

  const save = useMutation({
    mutationFn: (v: Values) => {
      const key = v.key?.trim();
      const body: ChannelInput = {
        name: v.name.trim(), provider: v.provider, endpoint: v.endpoint?.trim() ?? '', models: v.models.length > 0 ? v.models : null,
        weight: v.weight, priority: v.priority, rpm_limit: v.rpm_limit ?? null, max_concurrent: v.max_concurrent ?? null, enabled: v.enabled,
        ...(key ? { key } : {}),
      };
      return editing ? updateChannel(editing.id, body) : createChannel(body);
    },
    onSuccess: onSaved,
    onError: (err) => {
      const field = fieldOf(err);
      if (field) form.setFields([{ name: field, errors: [err.message] }]);
      else setUnplaced(err.message);
    },
  });

  /** On a change, a new provider or endpoint needs the key again (the server refuses it otherwise). */
  const keyNeeded = (v: Partial<Values>) =>
    !editing || v.provider !== editing.provider || baseOf(v.endpoint) !== baseOf(editing.base_url ?? '');

  const defaultUrl = PROVIDER_DEFAULT_URLS[provider];
  const modelOptions = pricedModelsOf(prices.data, provider).map((p) => ({ value: p.model, label: p.model }));
  const half = { flex: '1 1 200px' };

  return (
    <Drawer
      open={open}
      onClose={onClose}
      size="min(560px, 100vw)"
      title={editing ? t('op.channels.editTitle', { name: editing.name }) : t('op.channels.create')}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={save.isPending} onClick={() => form.submit()} data-testid="channel-submit">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      {unplaced && <Alert type="error" showIcon title={unplaced} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" initialValues={DEFAULTS} onFinish={(v) => save.mutate(v)} onValuesChange={() => setUnplaced(undefined)}>
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <Form.Item name="name" label={t('op.channels.name')} style={half} rules={[{ required: true, whitespace: true, max: 64, message: t('op.form.length', { min: 1, max: 64 }) }]}>
            <Input maxLength={64} data-testid="channel-name" />
          </Form.Item>
          <Form.Item name="provider" label={t('op.channels.provider')} style={half} rules={[{ required: true }]}>
            <Select options={PROVIDERS.map((p) => ({ value: p, label: t(`op.provider.${p}`) }))} aria-label={t('op.channels.provider')} data-testid="channel-provider" />
          </Form.Item>
        </div>
        <Form.Item
          name="key"
          label={t('op.channels.key')}
          extra={editing ? t('op.channels.keyKeep', { hint: editing.key_hint }) : t('op.channels.keyWriteOnly')}
          dependencies={['provider', 'endpoint']}
          rules={[
            { max: 4096, pattern: /^\s*[\x21-\x7e]*\s*$/, message: t('op.channels.keyInvalid') },
            ({ getFieldsValue }) => ({
              validator: (_, v?: string) =>
                v?.trim() || !keyNeeded(getFieldsValue()) ? Promise.resolve() : Promise.reject(new Error(editing ? t('op.channels.keyAgain') : t('op.form.required'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" spellCheck={false} placeholder={editing ? t('op.channels.keyKeepPlaceholder') : undefined} data-testid="channel-key" />
        </Form.Item>
        <Form.Item
          name="endpoint"
          label={t('op.channels.endpoint')}
          extra={t('op.channels.endpointHint')}
          rules={[
            { max: 2048 },
            { validator: (_, v?: string) => (!v?.trim() || isHttpUrl(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('op.channels.endpointInvalid')))) },
            { validator: (_, v?: string) => (providerNeedsEndpoint(provider) && !v?.trim() ? Promise.reject(new Error(t('op.channels.endpointRequired'))) : Promise.resolve()) },
          ]}
        >
          <Input placeholder={defaultUrl ?? 'https://<resource>.openai.azure.com'} data-testid="channel-endpoint" />
        </Form.Item>
        <Form.Item name="models" label={t('op.channels.models')} extra={t('op.channels.modelsHint')}>
          <Select
            mode="tags"
            options={modelOptions}
            tokenSeparators={[',', ' ']}
            placeholder={t('op.channels.allModels')}
            aria-label={t('op.channels.models')}
            data-testid="channel-models"
          />
        </Form.Item>
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <Form.Item name="priority" label={t('op.channels.priority')} extra={t('op.channels.priorityHint')} style={half} rules={[{ required: true, type: 'integer', min: -1000, max: 1000 }]}>
            <InputNumber min={-1000} max={1000} precision={0} style={{ width: '100%' }} data-testid="channel-priority" />
          </Form.Item>
          <Form.Item name="weight" label={t('op.channels.weight')} extra={t('op.channels.weightHint')} style={half} rules={[{ required: true, type: 'integer', min: 1, max: 10_000 }]}>
            <InputNumber min={1} max={10_000} precision={0} style={{ width: '100%' }} data-testid="channel-weight" />
          </Form.Item>
          <Form.Item name="rpm_limit" label={t('op.channels.rpmLimit')} style={half} rules={[{ type: 'integer', min: 1, max: 1_000_000 }]}>
            <InputNumber min={1} max={1_000_000} precision={0} placeholder={t('op.channels.noCap')} style={{ width: '100%' }} data-testid="channel-rpm" />
          </Form.Item>
          <Form.Item name="max_concurrent" label={t('op.channels.maxConcurrent')} style={half} rules={[{ type: 'integer', min: 1, max: 100_000 }]}>
            <InputNumber min={1} max={100_000} precision={0} placeholder={t('op.channels.noCap')} style={{ width: '100%' }} data-testid="channel-concurrent" />
          </Form.Item>
        </div>
        <Form.Item name="enabled" label={t('op.channels.enabled')} valuePropName="checked">
          <Switch aria-label={t('op.channels.enabled')} data-testid="channel-enabled" />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
