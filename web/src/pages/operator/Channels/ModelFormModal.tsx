import { useMutation } from '@tanstack/react-query';
import { Checkbox, Form, Input, InputNumber, Modal, Select, Switch } from 'antd';
import { useEffect } from 'react';
import {
  createModel, PROVIDERS, providerNeedsEndpoint, updateModel, type ModelInput, type Provider, type RegistryModel,
} from '../../../api/operator.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// Add a registry model or change one. Bounds mirror studio/models.schema.ts. The upstream key is write-only: an
// empty field keeps the stored key, "remove" deletes it; the server never sends it back.

interface Values {
  name: string;
  provider: Provider;
  model_name: string;
  api_key?: string;
  remove_key?: boolean;
  api_base?: string;
  credits_cost: number;
  is_active: boolean;
  config?: string;
}

function parseConfig(text: string | undefined): Record<string, unknown> | undefined {
  if (!text?.trim()) return undefined;
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

/** The server checks the rest (https and a public address, unless private upstreams are allowed). */
function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

export function ModelFormModal({ open, editing, onClose, onSaved }: {
  open: boolean;
  editing?: RegistryModel;
  onClose(): void;
  onSaved(m: RegistryModel): void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const provider = Form.useWatch('provider', form);
  const removeKey = Form.useWatch('remove_key', form);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (editing) {
      form.setFieldsValue({
        name: editing.name, provider: editing.provider, model_name: editing.model_name, api_base: editing.api_base ?? undefined,
        credits_cost: editing.credits_cost, is_active: editing.is_active,
        config: Object.keys(editing.config).length > 0 ? JSON.stringify(editing.config, null, 2) : undefined,
      });
    }
  }, [open, editing, form]);

  const save = useMutation({
    mutationFn: (v: Values) => {
      const base: ModelInput = {
        name: v.name.trim(), provider: v.provider, model_name: v.model_name.trim(), credits_cost: v.credits_cost, is_active: v.is_active,
        config: parseConfig(v.config) ?? {},
      };
      const key = v.api_key?.trim();
      const apiBase = v.api_base?.trim() || null;
      if (!editing) return createModel({ ...base, ...(key ? { api_key: key } : {}), ...(apiBase ? { api_base: apiBase } : {}) });
      return updateModel(editing.id, { ...base, api_base: apiBase, ...(v.remove_key ? { api_key: null } : key ? { api_key: key } : {}) });
    },
    onSuccess: onSaved,
  });

  return (
    <Modal
      open={open}
      title={editing ? t('op.models.editTitle', { name: editing.name }) : t('op.models.create')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      okButtonProps={{ 'data-testid': 'model-submit' }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ provider: 'openai', credits_cost: 0, is_active: true }} onFinish={(v) => save.mutate(v)}>
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <Form.Item name="name" label={t('op.models.name')} style={{ flex: '1 1 200px' }} rules={[{ required: true, whitespace: true, max: 64, message: t('op.form.length', { min: 1, max: 64 }) }]}>
            <Input maxLength={64} data-testid="model-name" />
          </Form.Item>
          <Form.Item name="provider" label={t('op.channels.provider')} style={{ flex: '1 1 200px' }} rules={[{ required: true }]}>
            <Select options={PROVIDERS.map((p) => ({ value: p, label: t(`op.provider.${p}`) }))} data-testid="model-provider" aria-label={t('op.channels.provider')} />
          </Form.Item>
        </div>
        <Form.Item name="model_name" label={t('op.models.modelName')} extra={t('op.models.modelNameHint')} rules={[{ required: true, whitespace: true, max: 128, message: t('op.form.length', { min: 1, max: 128 }) }]}>
          <Input maxLength={128} data-testid="model-model-name" />
        </Form.Item>
        <Form.Item
          name="api_key"
          label={t('op.models.apiKey')}
          extra={editing?.has_api_key ? t('op.models.apiKeyKeep', { hint: editing.key_hint ?? '' }) : t('op.models.apiKeyHint')}
          rules={[{ max: 4096 }]}
        >
          <Input.Password autoComplete="new-password" disabled={removeKey} data-testid="model-api-key" />
        </Form.Item>
        {editing?.has_api_key && (
          <Form.Item name="remove_key" valuePropName="checked">
            <Checkbox data-testid="model-remove-key">{t('op.models.removeKey')}</Checkbox>
          </Form.Item>
        )}
        <Form.Item
          name="api_base"
          label={t('op.models.apiBase')}
          extra={t('op.models.apiBaseHint')}
          rules={[
            { max: 2048 },
            { validator: (_, v?: string) => (!v?.trim() || isHttpUrl(v.trim()) ? Promise.resolve() : Promise.reject(new Error(t('op.models.apiBaseInvalid')))) },
            ({ getFieldValue }) => ({
              validator: (_, v?: string) =>
                providerNeedsEndpoint(provider) && getFieldValue('api_key') && !v?.trim() ? Promise.reject(new Error(t('op.models.apiBaseRequired'))) : Promise.resolve(),
            }),
          ]}
        >
          <Input placeholder="https://" data-testid="model-api-base" />
        </Form.Item>
        <div style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <Form.Item name="credits_cost" label={t('op.models.credits')} style={{ flex: '1 1 200px' }} rules={[{ required: true, type: 'integer', min: 0, max: 1_000_000 }]}>
            <InputNumber min={0} max={1_000_000} precision={0} style={{ width: '100%' }} data-testid="model-credits" />
          </Form.Item>
          <Form.Item name="is_active" label={t('op.models.active')} valuePropName="checked" style={{ flex: '1 1 200px' }}>
            <Switch data-testid="model-is-active" />
          </Form.Item>
        </div>
        <Form.Item
          name="config"
          label={t('op.models.config')}
          extra={t('op.models.configHint')}
          rules={[
            {
              validator: (_, v?: string) => {
                try {
                  parseConfig(v);
                  return Promise.resolve();
                } catch {
                  return Promise.reject(new Error(t('op.models.configInvalid')));
                }
              },
            },
          ]}
        >
          <Input.TextArea rows={3} placeholder='{"temperature": 0.7}' data-testid="model-config" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
