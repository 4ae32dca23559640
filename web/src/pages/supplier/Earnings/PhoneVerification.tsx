import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Flex, Form, Input, Row } from 'antd';
import { useState } from 'react';
import { supplyApi, type SupplierProfile } from '../../../api/supply.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { SendCodeButton } from './SendCodeButton.tsx';

// Withdrawals need a phone verified by SMS: the number, a code sent to it, then save.

/** A mainland mobile number, optionally with +86 (what the API accepts). */
const MAINLAND_MOBILE = /^(\+?86)?1[3-9]\d{9}$/;

export function PhoneVerification({ onVerified }: { onVerified(p: SupplierProfile): void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ phone: string; sms_code: string }>();
  const [sentTo, setSentTo] = useState<string>();
  const save = useMutation({
    mutationFn: (v: { phone: string; sms_code: string }) => supplyApi.verifyPhone(v.phone.trim(), v.sms_code.trim()),
    onSuccess: (p) => {
      form.resetFields();
      setSentTo(undefined);
      onVerified(p);
    },
  });

  return (
    <Card title={t('supply.phone.title')} data-testid="phone-verification">
      <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t('supply.phone.needed')} />
      <Form form={form} layout="vertical" onFinish={(v) => save.mutate(v)}>
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item
              label={t('supply.phone.number')}
              required
              extra={sentTo ? t('supply.sms.sentTo', { phone: sentTo }) : undefined}
            >
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
          <Col xs={24} md={6}>
            <Form.Item
              name="sms_code"
              label={t('supply.phone.code')}
              rules={[
                { required: true, whitespace: true, message: t('supply.form.required') },
                { min: 4, max: 10, message: t('supply.sms.codeLength') },
              ]}
            >
              <Input data-testid="phone-code" inputMode="numeric" autoComplete="one-time-code" maxLength={10} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item label=" " colon={false}>
              <Button data-testid="phone-save" type="primary" htmlType="submit" loading={save.isPending} block>
                {t('supply.phone.save')}
              </Button>
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Card>
  );
}
