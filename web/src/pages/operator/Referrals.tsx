import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Card, Col, Empty, Row, Space, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { listReferrals, REFERRAL_STATUSES, type AdminReferral, type ReferralParty, type ReferralStatus } from '../../api/operations.ts';
import { useFormat, wholeCredits } from '../../components/format.ts';
import { rowTestId } from '../../components/rows.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { Filters, SearchBox, PageTitle, StatusFilter, usePaging } from './shared.tsx';

// Referrals across the platform: who brought whom, where each reward stands (waiting for the friend's first paid
// order, paid, refused by the referrer's daily limit, taken back after a refund), and the credits paid out. Operators
// filter by status and find either user by a part of the name or email.

/** Amounts and times read as one piece: a narrow column scrolls the table rather than break "+50 credits" in two. */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

const STATUS_COLORS: Record<ReferralStatus, string> = { pending: 'processing', completed: 'success', not_rewarded: 'warning', clawed_back: 'purple' };

/** The reasons the server writes as `code: detail`; others read as a plain "no reward could be paid". */
const KNOWN_REASONS = ['daily_limit'];

function Party({ user }: { user: ReferralParty }) {
  return (
    <Space orientation="vertical" size={0} style={{ maxWidth: 260 }}>
      <Typography.Text strong ellipsis={{ tooltip: user.username }}>{user.username}</Typography.Text>
      <Typography.Text type="secondary" ellipsis={{ tooltip: user.email }}>{user.email ?? '—'}</Typography.Text>
    </Space>
  );
}

function ReferralStatusTag({ referral }: { referral: AdminReferral }) {
  const { t } = useI18n();
  const tag = <Tag color={STATUS_COLORS[referral.status]}>{t(`op.referrals.status.${referral.status}`)}</Tag>;
  if (referral.status !== 'not_rewarded') return tag;
  const code = referral.reason?.split(':')[0]?.trim() ?? '';
  return <Tooltip title={t(KNOWN_REASONS.includes(code) ? `op.referrals.reason.${code}` : 'op.referrals.reason.other')}>{tag}</Tooltip>;
}

export default function Referrals() {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const paging = usePaging();
  const [status, setStatus] = useState<ReferralStatus | 'all'>('all');
  const [search, setSearch] = useState('');

  const referrals = useQuery({
    queryKey: ['operator', 'referrals', status, search, paging.page, paging.pageSize],
    queryFn: () => listReferrals({ status: status === 'all' ? undefined : status, q: search || undefined, page: paging.page, page_size: paging.pageSize }),
    placeholderData: keepPreviousData,
  });

  const applySearch = paging.resetting(setSearch);

  const columns: ColumnsType<AdminReferral> = [
    { title: t('op.referrals.referrer'), key: 'referrer', render: (_, r) => <Party user={r.referrer} /> },
    { title: t('op.referrals.referred'), key: 'referred', render: (_, r) => <Party user={r.referred} /> },
    { title: t('common.status'), dataIndex: 'status', render: (_, r) => <ReferralStatusTag referral={r} /> },
    {
      title: t('op.referrals.reward'),
      dataIndex: 'reward_amount',
      align: 'right',
      render: (n: number, r) => {
        const amount = t('common.credits', { credits: wholeCredits(n) });
        const shown =
          r.status === 'completed' ? <Typography.Text strong style={NO_WRAP}>{`+${amount}`}</Typography.Text>
          : r.status === 'clawed_back' ? <Typography.Text delete type="secondary" style={NO_WRAP}>{amount}</Typography.Text>
          : '—';
        // The order that decided the reward, on hover: a 21-character number would take a column of its own.
        return r.order_no ? <Tooltip title={t('op.referrals.order', { order: r.order_no })}><span data-testid={`referral-order-${r.id}`}>{shown}</span></Tooltip> : shown;
      },
    },
    { title: t('op.referrals.registered'), dataIndex: 'created_at', render: (v: string) => <span style={NO_WRAP}>{dateTimeToMinute(v)}</span> },
    {
      title: t('op.referrals.rewardedAt'),
      key: 'rewarded_at',
      render: (_, r) => (
        <Space orientation="vertical" size={0} style={NO_WRAP}>
          <span>{dateTimeToMinute(r.rewarded_at)}</span>
          {r.clawed_back_at && <Typography.Text type="secondary">{t('op.referrals.takenBack', { date: dateTimeToMinute(r.clawed_back_at) })}</Typography.Text>}
        </Space>
      ),
    },
  ];

  const data = referrals.data;
  const filtered = status !== 'all' || search !== '';
  return (
    <>
      <PageTitle>{t('nav.referrals')}</PageTitle>
      <Card>
        <Row gutter={16} style={{ marginBottom: 16 }}>
          <Col xs={12} md={6}>
            <Statistic
              title={<Tooltip title={t('op.referrals.totalRewardsHint')}><span style={{ cursor: 'help' }}>{t('op.referrals.totalRewards')}</span></Tooltip>}
              value={data ? t('common.credits', { credits: wholeCredits(data.total_rewards) }) : '—'}
              data-testid="referrals-total-rewards"
            />
          </Col>
          <Col xs={12} md={6}>
            <Statistic title={t('op.referrals.count')} value={data?.total ?? '—'} data-testid="referrals-count" />
          </Col>
        </Row>
        <Filters>
          <SearchBox placeholder={t('op.referrals.search')} onSearch={applySearch} testId="referral-search" maxWidth={420} />
          <StatusFilter
            value={status}
            statuses={REFERRAL_STATUSES}
            messages="op.referrals.status"
            onChange={paging.resetting(setStatus)}
            testId="referral-status-filter"
          />
        </Filters>
        <Table
          rowKey="id"
          loading={referrals.isLoading}
          dataSource={data?.items ?? []}
          columns={columns}
          // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest.
          scroll={{ x: 960 }}
          tableLayout="auto"
          onRow={(r) => rowTestId(`referral-row-${r.id}`)}
          locale={{ emptyText: <Empty description={filtered ? t('op.referrals.noMatch') : t('op.referrals.empty')} /> }}
          pagination={paging.pagination(data?.total)}
        />
      </Card>
    </>
  );
}
