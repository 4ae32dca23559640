import { WalletOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Col, Flex, Modal, Row, Skeleton, Statistic, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { supplyApi } from '../../api/supply.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { BillingCard } from './Earnings/BillingCard.tsx';
import { EarningRecords } from './Earnings/EarningRecords.tsx';
import { PhoneVerification } from './Earnings/PhoneVerification.tsx';
import { WithdrawForm } from './Earnings/WithdrawForm.tsx';
import { Withdrawals } from './Earnings/Withdrawals.tsx';

// Earnings and settlement: balances and the withdraw dialog (after the phone is verified), the bill for a period, the
// earnings records and the withdrawals.

const BALANCES = ['available', 'pending', 'frozen', 'withdrawn'] as const;

export default function Earnings() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [withdrawing, setWithdrawing] = useState(false);
  const profile = useQuery({ queryKey: ['supply', 'profile'], queryFn: supplyApi.profile });
  const summary = useQuery({ queryKey: ['supply', 'earnings', 'summary'], queryFn: supplyApi.earningsSummary });

  const verified = profile.data?.phone_verified === true;
  const available = summary.data?.available ?? 0;
  const blocked = !verified ? t('supply.withdraw.needPhone') : available <= 0 ? t('supply.withdraw.nothing') : undefined;

  return (
    <Flex vertical gap={16}>
      {profile.data && !verified && (
        <PhoneVerification
          onVerified={(p) => {
            queryClient.setQueryData(['supply', 'profile'], p);
            toast.success(t('supply.phone.verified'));
          }}
        />
      )}
      <Card
        title={t('supply.earnings.title')}
        extra={
          <Button data-testid="withdraw-open" type="primary" icon={<WalletOutlined />} disabled={!summary.data || blocked !== undefined} onClick={() => setWithdrawing(true)}>
            {t('supply.withdraw.open')}
          </Button>
        }
      >
        {summary.data ? (
          <Row gutter={[16, 16]}>
            {BALANCES.map((k) => (
              <Col xs={12} md={6} key={k}>
                <Statistic title={t(`supply.earnings.${k}`)} prefix="¥" precision={2} value={summary.data[k]} data-testid={`balance-${k}`} />
              </Col>
            ))}
          </Row>
        ) : (
          <Skeleton active paragraph={{ rows: 1 }} />
        )}
        {summary.data && (blocked ?? profile.data?.phone) && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
            {blocked ?? t('supply.phone.current', { phone: profile.data?.phone ?? '' })}
          </Typography.Paragraph>
        )}
      </Card>
      <BillingCard />
      <Card>
        <Tabs
          items={[
            { key: 'records', label: t('supply.records.title'), children: <EarningRecords /> },
            { key: 'withdrawals', label: t('supply.withdrawals.title'), children: <Withdrawals /> },
          ]}
        />
      </Card>
      <Modal open={withdrawing} onCancel={() => setWithdrawing(false)} footer={null} destroyOnHidden width={600} title={t('supply.withdraw.title')}>
        <WithdrawForm
          available={available}
          lockedUntil={profile.data?.withdraw_locked_until}
          onFailed={() => void queryClient.invalidateQueries({ queryKey: ['supply', 'profile'] })}
          onDone={(s) => {
            setWithdrawing(false);
            toast.success(t('supply.withdraw.done', { no: s.settlement_no }));
            for (const key of ['earnings', 'settlements', 'profile']) void queryClient.invalidateQueries({ queryKey: ['supply', key] });
          }}
        />
      </Modal>
    </Flex>
  );
}
