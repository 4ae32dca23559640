import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Checkbox, Col, Divider, Form, Input, InputNumber, Row, Select, Space } from 'antd';
import { useState } from 'react';
import { ApiError } from '../../../api/client.ts';
import { ACCOUNT_TYPES, SUPPLY_PROVIDERS, supplyApi, type CheckItem, type SupplyAccount, type VerifyAccountBody, type VerifyResult } from '../../../api/supply.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { useAttemptKey } from '../shared.tsx';
import { VerifyResultView } from './VerifyResultView.tsx';

// Mounting an upstream account: fill in the credential, verify it with the provider, acknowledge the risks, create.
// The credential lives only in this form: it is cleared once the account is created and never comes back from the API.
// Changing what was verified throws the verification away, so what is created is what was verified.

interface Values {
  provider: VerifyAccountBody['provider'];
  account_type: VerifyAccountBody['account_type'];
  credential_input: string;
  account_alias?: string;
  min_quota_threshold?: number | null;
}

const VERIFIED_FIELDS: (keyof Values)[] = ['provider', 'account_type', 'credential_input', 'min_quota_threshold'];

const verifyBody = (v: Values): VerifyAccountBody => ({
  provider: v.provider,
  account_type: v.account_type,
  credential_input: v.credential_input,
  ...(v.min_quota_threshold === undefined || v.min_quota_threshold === null ? {} : { min_quota_threshold: v.min_quota_threshold }),
});

export function MountAccountForm({ onCreated }: { onCreated(account: SupplyAccount): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const [result, setResult] = useState<VerifyResult>();
  const [ack, setAck] = useState(false);
  const [error, setError] = useState<string>();
  const attempt = useAttemptKey();

  const verify = useMutation({
    mutationFn: supplyApi.verifyAccount,
    onSuccess: (r) => {
      setResult(r);
      setError(undefined);
    },
  });
  const create = useMutation({
    mutationFn: (v: Values) => {
      const alias = v.account_alias?.trim();
      return supplyApi.createAccount({ ...verifyBody(v), ...(alias ? { account_alias: alias } : {}), risk_ack: true }, attempt.get());
    },
    onSuccess: (account) => {
      form.resetFields();
      setResult(undefined);
      setAck(false);
      setError(undefined);
      attempt.reset();
      onCreated(account);
    },
    onError: (err) => {
      setError(err.message);
      // A refused verification comes back with its check items: show them instead of the stale ones.
      const d = err instanceof ApiError ? err.details : undefined;
      if (d && Array.isArray(d.check_items)) {
        setResult({ verify_status: d.verify_status as VerifyResult['verify_status'], risk_score: Number(d.risk_score ?? 100), check_items: d.check_items as CheckItem[] });
      }
    },
  });

  const onVerify = async () => {
    const v = await form.validateFields(VERIFIED_FIELDS).catch(() => undefined);
    if (v) verify.mutate(verifyBody(form.getFieldsValue(true) as Values));
  };

  const canCreate = result !== undefined && result.verify_status !== 'reject' && ack;

  return (
    <Form<Values>
      form={form}
      layout="vertical"
      initialValues={{ account_type: 'api_key' }}
      autoComplete="off"
      onValuesChange={(changed: Partial<Values>) => {
        attempt.reset();
        if (VERIFIED_FIELDS.some((f) => f in changed)) {
          setResult(undefined);
          setAck(false);
        }
      }}
      onFinish={(v) => create.mutate(v)}
    >
      <Row gutter={16}>
        <Col xs={24} sm={12}>
          <Form.Item name="provider" label={t('supply.accounts.provider')} rules={[{ required: true, message: t('supply.form.required') }]}>
            <Select
              data-testid="provider-select"
              placeholder={t('supply.accounts.providerPick')}
              options={SUPPLY_PROVIDERS.map((p) => ({ value: p, label: t(`supply.provider.${p}`) }))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="account_type" label={t('supply.accounts.accountType')} rules={[{ required: true }]}>
            <Select options={ACCOUNT_TYPES.map((a) => ({ value: a, label: t(`supply.accountType.${a}`) }))} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item
        name="credential_input"
        label={t('supply.accounts.credential')}
        extra={t('supply.accounts.credentialHint')}
        rules={[
          { required: true, message: t('supply.form.required') },
          { min: 8, max: 4096, message: t('supply.accounts.credentialLength') },
        ]}
      >
        <Input.Password data-testid="credential-input" autoComplete="new-password" visibilityToggle={false} spellCheck={false} />
      </Form.Item>
      <Row gutter={16}>
        <Col xs={24} sm={12}>
          <Form.Item name="account_alias" label={t('supply.accounts.alias')} rules={[{ max: 100 }]}>
            <Input maxLength={100} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="min_quota_threshold" label={t('supply.accounts.minQuota')} extra={t('supply.accounts.minQuotaHint')}>
            <InputNumber min={0} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
      </Row>
      <Button data-testid="verify-account" onClick={onVerify} loading={verify.isPending} block>
        {result ? t('supply.accounts.reverify') : t('supply.accounts.verify')}
      </Button>
      {result && (
        <>
          <Divider titlePlacement="start">{t('supply.accounts.verifyResult')}</Divider>
          <VerifyResultView result={result} />
          {result.verify_status === 'reject' && <Alert style={{ marginTop: 12 }} type="error" showIcon title={t('supply.accounts.rejected')} />}
          {result.verify_status === 'review_required' && <Alert style={{ marginTop: 12 }} type="warning" showIcon title={t('supply.accounts.reviewNotice')} />}
        </>
      )}
      <Divider />
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Checkbox data-testid="risk-ack" checked={ack} disabled={!result || result.verify_status === 'reject'} onChange={(e) => setAck(e.target.checked)}>
          {t('supply.accounts.riskAck')}
        </Checkbox>
        {error && <Alert type="error" showIcon title={error} />}
        <Button data-testid="create-account" type="primary" htmlType="submit" block disabled={!canCreate} loading={create.isPending}>
          {t('supply.accounts.create')}
        </Button>
      </Space>
    </Form>
  );
}
