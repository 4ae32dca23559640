import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Col, Flex, Form, Input, Row } from 'antd';
import { useState } from 'react';
import { supplyApi, type PhoneChange, type SupplierProfile } from '../../../api/supply.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { SendCodeButton } from './SendCodeButton.tsx';

// The phone withdrawal codes go to: the number, a code sent to it, and a second factor — the account password for
// the first phone, or, to replace a bound phone, a code sent to that phone (the API pauses withdrawals 24 h after).

/** A mainland mobile number, optionally with +86 (what the API accepts). */
const MAINLAND_MOBILE = /^(\+?86)?1[3-9]\d{9}$/;

interface Values {
  phone: string;
  sms_code: string;
  current_phone_code?: string;
  password?: string;
}

const codeRules = (t: ReturnType<typeof useI18n>['t']) => [
  { required: true, whitespace: true, message: t('supply.form.required') },
  { min: 4, max: 10, message: t('supply.sms.codeLength') },
];

export function PhoneVerification({ current, onVerified }: { current?: string | null; onVerified(p: SupplierProfile): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const [sentTo, setSentTo] = useState<string>();
  const [currentSent, setCurrentSent] = useState(false);
  const save = useMutation({
    mutationFn: (v: Values) => {
      const change: PhoneChange = { phone: v.phone.trim(), sms_code: v.sms_code.trim() };
      if (current) change.current_phone_code = v.current_phone_code?.trim();
      else change.password = v.password;
      return supplyApi.savePhone(change);
    },
    onSuccess: (p) => {
      form.resetFields();
      setSentTo(undefined);
      setCurrentSent(false);
      onVerified(p);
    },
  });

  return (
    <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)} data-testid="phone-form">
      <Alert type={current ? 'info' : 'warning'} showIcon style={{ marginBottom: 16 }} title={t(current ? 'supply.phone.changeNotice' : 'supply.phone.needed')} />
      {current && (
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item
              label={t('supply.phone.currentCode', { phone: current })}
              required
              extra={currentSent ? t('supply.sms.sentTo', { phone: current }) : undefined}
            >
              <Flex gap={8}>
                <Form.Item name="current_phone_code" noStyle rules={codeRules(t)}>
                  <Input data-testid="phone-current-code" inputMode="numeric" autoComplete="one-time-code" maxLength={10} />
                </Form.Item>
                <SendCodeButton testId="phone-current-send-code" send={supplyApi.sendCurrentPhoneCode} onSent={() => setCurrentSent(true)} />
              </Flex>
            </Form.Item>
          </Col>
        </Row>
      )}
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item label={t(current ? 'supply.phone.newNumber' : 'supply.phone.number')} required extra={sentTo ? t('supply.sms.sentTo', { phone: sentTo }) : undefined}>
            <Flex gap={8}>
              <Form.Item
                name="phone"
                noStyle
                rules={[
                  { required: true, message: t('supply.form.required') },
                  { pattern: MAINLAND_MOBILE, message: t('supply.phone.invalid') },
                ]}
              >
                <Input data-testid="phone-input" aria-label={t('supply.phone.number')} inputMode="tel" autoComplete="tel" maxLength={32} />
              </Form.Item>
              <SendCodeButton
                testId="phone-send-code"
                validate={() => form.validateFields(['phone'])}
                send={() => supplyApi.sendPhoneCode(String(form.getFieldValue('phone')).trim())}
                onSent={(s) => setSentTo(s.phone)}
              />
            </Flex>
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="sms_code" label={t(current ? 'supply.phone.newCode' : 'supply.phone.code')} rules={codeRules(t)}>
            <Input data-testid="phone-code" inputMode="numeric" autoComplete="one-time-code" maxLength={10} />
          </Form.Item>
        </Col>
      </Row>
      {!current && (
        <Form.Item name="password" label={t('supply.phone.password')} extra={t('supply.phone.passwordWhy')} rules={[{ required: true, message: t('supply.form.required') }]}>
          <Input.Password data-testid="phone-password" autoComplete="current-password" maxLength={256} />
        </Form.Item>
      )}
      <Button data-testid="phone-save" type="primary" htmlType="submit" loading={save.isPending}>
        {t(current ? 'supply.phone.change' : 'supply.phone.save')}
      </Button>
    </Form>
  );
}
