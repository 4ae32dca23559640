import { useMutation } from '@tanstack/react-query';
import { Form, Input, InputNumber, Modal, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { adjustCredits, idempotencyKey, type AdminUser } from '../../../api/operator.ts';
import { useSession } from '../../../auth/session.tsx';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// Gives a user credits (or takes them away) with a reason. One Idempotency-Key per opened dialog: a retry after a
// network error adjusts once. Bounds mirror operator.routes.ts: whole credits, not 0, |n| ≤ 10 000 000; reason 2–500.

interface Values {
  credits: number;
  reason: string;
}

const LIMIT = 10_000_000;

export function AdjustCreditsModal({ user, onClose }: { user?: AdminUser; onClose(): void }) {
  const { t } = useI18n();
  const { me, reload } = useSession();
  const [form] = Form.useForm<Values>();
  const [key, setKey] = useState(idempotencyKey);

  useEffect(() => {
    if (!user) return;
    form.resetFields();
    setKey(idempotencyKey());
  }, [user, form]);

  const adjust = useMutation({
    mutationFn: (v: Values) => adjustCredits((user as AdminUser).id, { credits: v.credits, reason: v.reason.trim() }, key),
    onSuccess: (r) => {
      toast.success(t('op.users.adjusted', { balance: r.credit_balance }));
      if (r.user_id === me?.id) void reload();
      onClose();
    },
  });

  return (
    <Modal
      open={user !== undefined}
      title={t('op.users.adjustTitle', { name: user?.username ?? '' })}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.confirm')}
      cancelText={t('common.cancel')}
      confirmLoading={adjust.isPending}
      okButtonProps={user ? { 'data-testid': 'adjust-confirm' } : {}}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('op.users.adjustHint')}</Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={(v) => adjust.mutate(v)}>
        <Form.Item
          name="credits"
          label={t('op.users.credits')}
          rules={[
            { required: true, message: t('op.form.required') },
            { type: 'integer', min: -LIMIT, max: LIMIT, message: t('op.users.creditsRange') },
            { validator: (_, v: number | null) => (v === 0 ? Promise.reject(new Error(t('op.users.creditsNotZero'))) : Promise.resolve()) },
          ]}
        >
          <InputNumber style={{ width: '100%' }} precision={0} min={-LIMIT} max={LIMIT} aria-label={t('op.users.credits')} data-testid="adjust-credits" />
        </Form.Item>
        <Form.Item
          name="reason"
          label={t('common.reason')}
          rules={[
            { required: true, whitespace: true, message: t('op.form.required') },
            { min: 2, max: 500, transform: (v: string) => v?.trim(), message: t('op.form.length', { min: 2, max: 500 }) },
          ]}
        >
          <Input.TextArea rows={3} maxLength={500} aria-label={t('common.reason')} data-testid="adjust-reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
