import { useMutation } from '@tanstack/react-query';
import { Descriptions, Modal, Radio, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { PAYOUT_PROVIDERS, processSettlement, type AdminSettlement, type PayoutProvider } from '../../../api/operator.ts';
import { yuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// Start paying a pending withdrawal: `manual` (an operator pays it and records the reference) or `sandbox` (the
// payouts job completes it; development and tests).

export function ProcessModal({ settlement, onClose, onDone }: { settlement?: AdminSettlement; onClose(): void; onDone(s: AdminSettlement): void }) {
  const { t } = useI18n();
  const [provider, setProvider] = useState<PayoutProvider>('manual');
  // The last one shown stays in the dialog while it fades out; its test ids go at once.
  const [shown, setShown] = useState(settlement);
  const open = settlement !== undefined;
  useEffect(() => {
    if (!settlement) return;
    setShown(settlement);
    setProvider('manual');
  }, [settlement]);
  const s = settlement ?? shown;
  const process = useMutation({ mutationFn: (s: AdminSettlement) => processSettlement(s.settlement_id, provider), onSuccess: onDone });

  return (
    <Modal
      open={open}
      title={t('op.withdrawals.processTitle', { no: s?.settlement_no ?? '' })}
      onCancel={onClose}
      onOk={() => settlement && process.mutate(settlement)}
      okText={t('op.withdrawals.process')}
      cancelText={t('common.cancel')}
      confirmLoading={process.isPending}
      okButtonProps={open ? { 'data-testid': 'settlement-confirm' } : {}}
      destroyOnHidden
    >
      {s && (
        <Descriptions size="small" column={1} style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('op.withdrawals.net')}>{yuan(s.net_amount)}</Descriptions.Item>
          <Descriptions.Item label={t('op.withdrawals.payTo')}>
            {`${t(`op.withdrawals.method.${s.payment_method}`)} · `}
            <Typography.Text copyable>{s.payment_account}</Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      )}
      <Radio.Group value={provider} onChange={(e) => setProvider(e.target.value as PayoutProvider)} aria-label={t('op.withdrawals.provider')} data-testid="settlement-provider">
        <Space orientation="vertical">
          {PAYOUT_PROVIDERS.map((p) => (
            <Radio key={p} value={p} data-testid={`settlement-provider-${p}`}>
              <Typography.Text strong>{t(`op.withdrawals.provider.${p}`)}</Typography.Text>
              <br />
              <Typography.Text type="secondary">{t(`op.withdrawals.provider.${p}Hint`)}</Typography.Text>
            </Radio>
          ))}
        </Space>
      </Radio.Group>
    </Modal>
  );
}
