import { WalletOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Col, Flex, Modal, Row, Skeleton, Statistic, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { supplyApi, type SupplierProfile } from '../../api/supply.ts';
import { useFormat } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { BillingCard } from './Earnings/BillingCard.tsx';
import { EarningRecords } from './Earnings/EarningRecords.tsx';
import { PhoneVerification } from './Earnings/PhoneVerification.tsx';
import { WithdrawForm } from './Earnings/WithdrawForm.tsx';
import { Withdrawals } from './Earnings/Withdrawals.tsx';

// Earnings and settlement: balances and the withdraw dialog (after the phone is verified; changing the phone needs
// codes on both phones and pauses withdrawals for 24 h), the bill for a period, the earnings records and the withdrawals.

const BALANCES = ['available', 'pending', 'frozen', 'withdrawn'] as const;

export default function Earnings() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const queryClient = useQueryClient();
  const [withdrawing, setWithdrawing] = useState(false);
  const [changingPhone, setChangingPhone] = useState(false);
  const profile = useQuery({ queryKey: ['supply', 'profile'], queryFn: supplyApi.profile });
  const summary = useQuery({ queryKey: ['supply', 'earnings', 'summary'], queryFn: supplyApi.earningsSummary });

  const verified = profile.data?.phone_verified === true;
  const available = summary.data?.available ?? 0;
  const pausedUntil = profile.data?.withdraw_paused_until;
  const paused = pausedUntil && Date.parse(pausedUntil) > Date.now() ? t('supply.withdraw.paused', { until: dateTime(pausedUntil) }) : undefined;
  const blocked = !verified ? t('supply.withdraw.needPhone') : (paused ?? (available <= 0 ? t('supply.withdraw.nothing') : undefined));
  const phoneSaved = (p: SupplierProfile) => {
    queryClient.setQueryData(['supply', 'profile'], p);
    setChangingPhone(false);
    toast.success(t('supply.phone.verified'));
  };

  return (
    <Flex vertical gap={16}>
      {profile.data && !verified && (
        <Card title={t('supply.phone.title')} data-testid="phone-verification">
          <PhoneVerification onVerified={phoneSaved} />
        </Card>
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
            {verified && (
              <Button data-testid="phone-change-open" type="link" size="small" onClick={() => setChangingPhone(true)}>
                {t('supply.phone.changeTitle')}
              </Button>
            )}
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
      <Modal open={changingPhone} onCancel={() => setChangingPhone(false)} footer={null} destroyOnHidden width={640} title={t('supply.phone.changeTitle')}>
        <PhoneVerification current={profile.data?.phone} onVerified={phoneSaved} />
      </Modal>
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
