import { useQuery } from '@tanstack/react-query';
import { Card, Col, Form, Row, Statistic, Typography } from 'antd';
import { useEffect } from 'react';
import { creditsToYuan, getBalance } from '../../api/buyer.ts';
import { useSession } from '../../auth/session.tsx';
import { balanceYuan, wholeCredits } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { CouponsCard } from './Billing/CouponsCard.tsx';
import { MembershipCard } from './Billing/MembershipCard.tsx';
import { OrdersCard } from './Billing/OrdersCard.tsx';
import { RechargeCard, type RechargeValues } from './Billing/RechargeCard.tsx';
import { OwedNote, PageTitle } from './shared.tsx';

// Recharge and membership: buy credits or a plan (the payment provider's page takes over the tab and links back
// here), see past orders, claim and apply coupons.

export default function Billing() {
  const { t } = useI18n();
  const { reload } = useSession();
  const [rechargeForm] = Form.useForm<RechargeValues>();
  const balance = useQuery({ queryKey: ['buyer', 'balance'], queryFn: getBalance });

  // Coming back from the payment page the balance and membership may have changed: the page's own queries refetch
  // on mount; the session's copy (the header, other pages) is reloaded here.
  useEffect(() => {
    void reload();
  }, [reload]);

  const applyCoupon = (code: string) => {
    rechargeForm.setFieldValue('coupon_code', code);
    document.getElementById('recharge')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    toast.success(t('buyer.coupon.applied', { code }));
  };

  const credits = balance.data?.credit_balance;
  return (
    <>
      <PageTitle>{t('nav.billing')}</PageTitle>
      <Row gutter={[16, 16]}>
        <Col span={24}>
          <Card loading={balance.isLoading}>
            <Row gutter={[16, 16]}>
              <Col xs={12} md={8}>
                <Statistic title={t('buyer.dash.balance')} value={credits === undefined ? '—' : balanceYuan(creditsToYuan(credits))} />
                <OwedNote balance={balance.data} />
              </Col>
              <Col xs={12} md={8}>
                <Statistic title={t('buyer.billing.creditsLabel')} value={wholeCredits(credits)} data-testid="billing-credits" />
              </Col>
              <Col xs={24} md={8}>
                <Statistic
                  title={t('buyer.dash.membership')}
                  value={balance.data?.is_member ? t(`buyer.plan.${balance.data.membership_type ?? 'monthly'}`) : t('buyer.dash.notMember')}
                />
              </Col>
            </Row>
            <Typography.Text type="secondary">{t('buyer.billing.rate')}</Typography.Text>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <RechargeCard form={rechargeForm} />
        </Col>
        <Col xs={24} lg={12}>
          <MembershipCard balance={balance.data} />
        </Col>
        <Col span={24}>
          <OrdersCard />
        </Col>
        <Col span={24}>
          <CouponsCard onUse={applyCoupon} />
        </Col>
      </Row>
    </>
  );
}
