import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Col, Descriptions, Flex, Form, Input, InputNumber, Row, Select, Typography } from 'antd';
import { useState } from 'react';
import { PAYMENT_METHODS, supplyApi, type PaymentMethod, type SupplySettlement } from '../../../api/supply.ts';
import { useFormat, yuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { decimalPlaces, useAttemptKey, WITHDRAW_LIMITS, withdrawFee } from '../shared.tsx';
import { SendCodeButton } from './SendCodeButton.tsx';

// A withdrawal: amount (≤ what is available and ≤ ¥50 000), where to pay it, and the SMS code sent to the verified
// phone. The fee (1 %) and what arrives are shown as you type; the API enforces the daily limit, the cooldown and
// the lock after wrong codes, and its message is shown here when it refuses.

const wholeYuan = (n: number) => `¥${n.toLocaleString('en-US')}`;

interface Values {
  withdraw_amount: number;
  payment_method: PaymentMethod;
  payment_account: string;
  sms_code: string;
}

export function WithdrawForm({
  available,
  lockedUntil,
  onDone,
  onFailed,
}: {
  available: number;
  lockedUntil?: string | null;
  onDone(s: SupplySettlement): void;
  /** A refusal may have locked withdrawals (wrong codes): the caller refreshes what it shows. */
  onFailed?(): void;
}) {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string>();
  const [sentTo, setSentTo] = useState<string>();
  const attempt = useAttemptKey();
  const amount = Form.useWatch('withdraw_amount', form);
  const locked = lockedUntil ? Date.parse(lockedUntil) > Date.now() : false;
  const max = Math.min(available, WITHDRAW_LIMITS.maxEach);
  const preview = typeof amount === 'number' && amount > 0 && decimalPlaces(amount) <= 2 ? withdrawFee(amount) : undefined;

  const withdraw = useMutation({
    mutationFn: (v: Values) => supplyApi.withdraw({ ...v, payment_account: v.payment_account.trim(), sms_code: v.sms_code.trim() }, attempt.get()),
    onSuccess: (s) => {
      attempt.reset();
      setError(undefined);
      form.resetFields();
      onDone(s);
    },
    onError: (err) => {
      setError(err.message);
      onFailed?.();
    },
  });

  const amountRule = async (_: unknown, v?: number | null) => {
    if (v === undefined || v === null) throw new Error(t('supply.form.required'));
    if (v <= 0 || decimalPlaces(v) > 2) throw new Error(t('supply.withdraw.amountFormat'));
    if (v > available) throw new Error(t('supply.withdraw.aboveAvailable', { available: yuan(available) }));
    if (v > WITHDRAW_LIMITS.maxEach) throw new Error(t('supply.withdraw.aboveMax', { max: wholeYuan(WITHDRAW_LIMITS.maxEach) }));
  };

  return (
    <Form<Values>
      form={form}
      layout="vertical"
      initialValues={{ payment_method: 'bank' }}
      onValuesChange={() => attempt.reset()}
      onFinish={(v) => withdraw.mutate(v)}
    >
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 16 }}
        title={t('supply.withdraw.rulesTitle')}
        description={t('supply.withdraw.rules', {
          fee: WITHDRAW_LIMITS.feePercent,
          each: wholeYuan(WITHDRAW_LIMITS.maxEach),
          day: wholeYuan(WITHDRAW_LIMITS.maxPerDay),
          cooldown: WITHDRAW_LIMITS.cooldownMinutes,
          tries: WITHDRAW_LIMITS.lockAfter,
          lock: WITHDRAW_LIMITS.lockMinutes,
        })}
      />
      {locked && <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t('supply.withdraw.locked', { until: dateTime(lockedUntil) })} />}
      <Form.Item
        name="withdraw_amount"
        label={t('supply.withdraw.amount')}
        extra={t('supply.withdraw.available', { available: yuan(available) })}
        rules={[{ validator: amountRule }]}
      >
        <InputNumber data-testid="withdraw-amount" prefix="¥" style={{ width: '100%' }} placeholder={max > 0 ? yuan(max) : undefined} />
      </Form.Item>
      <Descriptions
        size="small"
        column={2}
        style={{ marginBottom: 16 }}
        items={[
          { key: 'fee', label: t('supply.withdraw.fee'), children: <span data-testid="withdraw-fee">{preview ? yuan(preview.fee) : '—'}</span> },
          { key: 'net', label: t('supply.withdraw.net'), children: <span data-testid="withdraw-net">{preview ? yuan(preview.net) : '—'}</span> },
        ]}
      />
      <Row gutter={16}>
        <Col xs={24} sm={8}>
          <Form.Item name="payment_method" label={t('supply.withdraw.method')} rules={[{ required: true, message: t('supply.form.required') }]}>
            <Select data-testid="withdraw-method" options={PAYMENT_METHODS.map((m) => ({ value: m, label: t(`supply.method.${m}`) }))} />
          </Form.Item>
        </Col>
        <Col xs={24} sm={16}>
          <Form.Item
            name="payment_account"
            label={t('supply.withdraw.account')}
            rules={[
              { required: true, whitespace: true, message: t('supply.form.required') },
              { min: 2, max: 100, message: t('supply.withdraw.accountLength') },
            ]}
          >
            <Input data-testid="withdraw-account" maxLength={100} autoComplete="off" />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item label={t('supply.withdraw.code')} required extra={sentTo ? t('supply.sms.sentTo', { phone: sentTo }) : undefined}>
        <Flex gap={8}>
          <Form.Item
            name="sms_code"
            noStyle
            rules={[
              { required: true, whitespace: true, message: t('supply.withdraw.codeRequired') },
              { min: 4, max: 10, message: t('supply.sms.codeLength') },
            ]}
          >
            <Input data-testid="withdraw-code" aria-label={t('supply.withdraw.code')} inputMode="numeric" autoComplete="one-time-code" maxLength={10} />
          </Form.Item>
          <SendCodeButton testId="withdraw-send-code" send={supplyApi.sendWithdrawCode} onSent={(s) => setSentTo(s.phone)} disabled={locked} />
        </Flex>
      </Form.Item>
      {error && <Alert type="error" showIcon style={{ marginBottom: 16 }} title={error} />}
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('supply.withdraw.frozenNote')}
      </Typography.Paragraph>
      <Button data-testid="withdraw-submit" type="primary" htmlType="submit" block loading={withdraw.isPending} disabled={locked || available <= 0}>
        {t('supply.withdraw.submit')}
      </Button>
    </Form>
  );
}
