import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Col, Form, Input, InputNumber, Row, Select, Typography } from 'antd';
import { useState } from 'react';
import { supplyApi, type PackageDraftBody, type SupplyAccount, type SupplyPackage } from '../../../api/supply.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { decimalPlaces, sellingAccount } from '../shared.tsx';

// A package draft with the API's limits (DraftBody): one model of one of the caller's active accounts, a token quota,
// prices in CNY per 1M tokens (≤ 4 decimals), 1–365 valid days, concurrency 1–1000 (10) and RPM 1–100 000 (60).

type Values = Omit<PackageDraftBody, 'max_concurrent' | 'rate_limit_rpm'> & { max_concurrent: number; rate_limit_rpm: number };

export const DRAFT_DEFAULTS = { valid_days: 30, max_concurrent: 10, rate_limit_rpm: 60 } as const;

const accountLabel = (a: SupplyAccount, provider: string) => `${a.account_alias ?? provider} (#${a.account_id})`;

export function PackageDraftForm({ onSaved }: { onSaved(pkg: SupplyPackage): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string>();
  const accounts = useQuery({
    queryKey: ['supply', 'accounts', 'active'],
    queryFn: () => supplyApi.accounts({ status: 'active', page_size: 200 }),
  });
  const active = (accounts.data?.data ?? []).filter(sellingAccount);
  const accountId = Form.useWatch('supply_account_id', form);
  const models = active.find((a) => a.account_id === accountId)?.models ?? null;

  const save = useMutation({
    mutationFn: supplyApi.saveDraft,
    onSuccess: (pkg) => {
      setError(undefined);
      form.resetFields();
      onSaved(pkg);
    },
    onError: (err) => setError(err.message),
  });

  const price = (field: 'price_per_1m_input' | 'price_per_1m_output', label: string) => (
    <Form.Item
      name={field}
      label={label}
      extra={t('supply.packages.priceUnit')}
      rules={[
        { required: true, message: t('supply.form.required') },
        { type: 'number', min: 0, max: 1_000_000, message: t('supply.packages.priceRange') },
        { validator: async (_, v?: number) => (v === undefined || v === null || decimalPlaces(v) <= 4 ? undefined : Promise.reject(new Error(t('supply.packages.priceDecimals')))) },
      ]}
    >
      <InputNumber data-testid={`draft-${field}`} prefix="¥" style={{ width: '100%' }} />
    </Form.Item>
  );
  const integer = (v?: number) => (v === undefined || v === null || Number.isInteger(v) ? Promise.resolve() : Promise.reject(new Error(t('supply.form.integer'))));

  return (
    <Form<Values>
      form={form}
      layout="vertical"
      initialValues={DRAFT_DEFAULTS}
      onValuesChange={(changed: Partial<Values>) => {
        if ('supply_account_id' in changed) form.setFieldValue('model', undefined);
      }}
      onFinish={(v) => save.mutate({ ...v, model: v.model.trim() })}
    >
      {accounts.isSuccess && active.length === 0 && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('supply.packages.noActiveAccount')} />}
      <Row gutter={16}>
        <Col xs={24} sm={12}>
          <Form.Item name="supply_account_id" label={t('supply.packages.account')} rules={[{ required: true, message: t('supply.form.required') }]}>
            <Select
              data-testid="draft-account"
              loading={accounts.isLoading}
              placeholder={t('supply.packages.accountPick')}
              options={active.map((a) => ({ value: a.account_id, label: accountLabel(a, t(`supply.provider.${a.provider}`)) }))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="model" label={t('supply.packages.model')} rules={[{ required: true, whitespace: true, message: t('supply.form.required') }, { max: 100 }]}>
            {models && models.length > 0 ? (
              <Select data-testid="draft-model" showSearch placeholder={t('supply.packages.modelPick')} options={models.map((m) => ({ value: m, label: m }))} />
            ) : (
              <Input data-testid="draft-model" disabled={accountId === undefined} placeholder={t('supply.packages.modelType')} maxLength={100} />
            )}
          </Form.Item>
        </Col>
      </Row>
      <Form.Item
        name="total_quota"
        label={t('supply.packages.totalQuota')}
        extra={t('supply.packages.quotaUnit')}
        rules={[
          { required: true, message: t('supply.form.required') },
          { type: 'number', min: 1, max: 1e15, message: t('supply.packages.quotaRange') },
          { validator: (_, v?: number) => integer(v) },
        ]}
      >
        <InputNumber data-testid="draft-total_quota" style={{ width: '100%' }} />
      </Form.Item>
      <Row gutter={16}>
        <Col xs={24} sm={12}>{price('price_per_1m_input', t('supply.packages.priceIn'))}</Col>
        <Col xs={24} sm={12}>{price('price_per_1m_output', t('supply.packages.priceOut'))}</Col>
      </Row>
      <Row gutter={16}>
        {(
          [
            ['valid_days', 1, 365],
            ['max_concurrent', 1, 1000],
            ['rate_limit_rpm', 1, 100_000],
          ] as const
        ).map(([field, min, max]) => (
          <Col xs={24} sm={8} key={field}>
            <Form.Item
              name={field}
              label={t(`supply.packages.${field}`)}
              rules={[
                { required: true, message: t('supply.form.required') },
                { type: 'number', min, max, message: t('supply.form.range', { min, max: max.toLocaleString() }) },
                { validator: (_, v?: number) => integer(v) },
              ]}
            >
              <InputNumber data-testid={`draft-${field}`} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        ))}
      </Row>
      <Typography.Paragraph type="secondary">{t('supply.packages.draftHint')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon style={{ marginBottom: 16 }} title={error} />}
      <Button data-testid="package-form-submit" type="primary" htmlType="submit" block loading={save.isPending}>
        {t('supply.packages.saveDraft')}
      </Button>
    </Form>
  );
}
