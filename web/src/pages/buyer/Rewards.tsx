import { useQuery } from '@tanstack/react-query';
import { Col, Row } from 'antd';
import { listActivities } from '../../api/operations.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { ActivitiesCard } from './Rewards/ActivitiesCard.tsx';
import { ReferralCard } from './Rewards/ReferralCard.tsx';
import { PageTitle } from './shared.tsx';

// Rewards: my referral link and what it has earned, and the activities on now (taking part in a credit gift, the
// discounts and offers that apply by themselves).

/** Activities on at once are a handful: the server's largest page holds them all. */
const ACTIVE_PAGE = { status: 'active' as const, page: 1, page_size: 100 };

export default function Rewards() {
  const { t } = useI18n();
  const active = useQuery({ queryKey: ['buyer', 'activities'], queryFn: () => listActivities(ACTIVE_PAGE) });
  const items = active.data?.items ?? [];
  // The referral reward an active referral_bonus activity pays instead of the usual one (the largest, as the server picks).
  const bonus = Math.max(0, ...items.filter((a) => a.type === 'referral_bonus').map((a) => a.config.credits ?? 0));

  return (
    <>
      <PageTitle>{t('nav.rewards')}</PageTitle>
      <Row gutter={[16, 16]}>
        <Col span={24}>
          <ReferralCard bonus={bonus || undefined} />
        </Col>
        <Col span={24}>
          <ActivitiesCard activities={items} loading={active.isLoading} />
        </Col>
      </Row>
    </>
  );
}
