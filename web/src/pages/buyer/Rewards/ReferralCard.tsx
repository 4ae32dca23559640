import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Card, Col, Empty, Input, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { generateReferral, referralRecords, type ReferralRecord, type ReferralStatus } from '../../../api/operations.ts';
import { useFormat, wholeCredits } from '../../../components/format.ts';
import { columnsWidth, rowTestId, usePaging } from '../../../components/rows.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CopyButton } from '../shared.tsx';

// My referral link (asked for on the first visit: the server answers with the same code every time), what my
// referrals have earned, and each referred friend with where their reward stands.

const STATUS_COLORS: Record<ReferralStatus, string> = { pending: 'processing', completed: 'success', not_rewarded: 'default', clawed_back: 'warning' };

/** The reasons the server writes as `code: detail`; an unknown one reads as a plain "not rewarded". */
const KNOWN_REASONS = ['daily_limit'];

/** What happened to a referral, in words: the status says whether, the note says why or when. */
function useNote() {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  return (r: ReferralRecord) => {
    if (r.status === 'completed') return t('buyer.rewards.note.completed', { date: dateTimeToMinute(r.rewarded_at) });
    if (r.status !== 'not_rewarded') return t(`buyer.rewards.note.${r.status}`);
    const code = r.reason?.split(':')[0]?.trim() ?? '';
    return t(KNOWN_REASONS.includes(code) ? `buyer.rewards.reason.${code}` : 'buyer.rewards.note.not_rewarded');
  };
}

export function ReferralCard({ bonus }: { bonus?: number }) {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const note = useNote();
  const paging = usePaging(10);
  const link = useQuery({ queryKey: ['buyer', 'referral-link'], queryFn: generateReferral, staleTime: Infinity });
  const records = useQuery({
    queryKey: ['buyer', 'referrals', paging.page, paging.pageSize],
    queryFn: () => referralRecords(paging.page, paging.pageSize),
    placeholderData: keepPreviousData,
  });

  const columns: ColumnsType<ReferralRecord> = [
    { title: t('buyer.rewards.friend'), dataIndex: 'referred_user', width: 120 },
    { title: t('buyer.rewards.registered'), dataIndex: 'registered_at', width: 150, render: dateTimeToMinute },
    {
      title: t('common.status'),
      dataIndex: 'status',
      width: 120,
      render: (s: ReferralStatus) => <Tag color={STATUS_COLORS[s]}>{t(`buyer.rewards.status.${s}`)}</Tag>,
    },
    {
      title: t('buyer.rewards.reward'),
      dataIndex: 'reward_amount',
      width: 110,
      align: 'right',
      render: (n: number, r) => (r.status === 'completed' ? `+${wholeCredits(n)}` : r.status === 'clawed_back' ? <Typography.Text delete>{wholeCredits(n)}</Typography.Text> : '—'),
    },
    { title: t('buyer.rewards.note'), key: 'note', width: 240, render: (_, r) => <Typography.Text type="secondary">{note(r)}</Typography.Text> },
  ];

  const url = link.data?.referral_url ?? '';
  return (
    <Card title={t('buyer.rewards.inviteTitle')}>
      <Typography.Paragraph type="secondary">
        {bonus ? t('buyer.rewards.inviteBonus', { credits: wholeCredits(bonus) }) : t('buyer.rewards.inviteHow')}
      </Typography.Paragraph>
      <Space.Compact style={{ width: '100%', maxWidth: 560 }}>
        <Input readOnly value={url} placeholder={link.isLoading ? t('common.loading') : undefined} aria-label={t('buyer.rewards.link')} data-testid="referral-url" />
        <CopyButton text={url} testId="copy-referral" label={t('buyer.rewards.copyLink')} type="primary" />
      </Space.Compact>
      {link.data && (
        <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
          {t('buyer.rewards.code')} <Typography.Text code copyable data-testid="referral-code">{link.data.referral_code}</Typography.Text>
        </Typography.Paragraph>
      )}
      <Row gutter={16} style={{ margin: '16px 0' }}>
        <Col xs={12} md={6}>
          <Statistic
            title={t('buyer.rewards.total')}
            value={records.data ? t('common.credits', { credits: wholeCredits(records.data.total_rewards) }) : '—'}
            data-testid="referral-total"
          />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('buyer.rewards.invited')} value={records.data?.total ?? '—'} data-testid="referral-count" />
        </Col>
      </Row>
      <Table
        rowKey="id"
        size="small"
        loading={records.isLoading}
        dataSource={records.data?.items ?? []}
        columns={columns}
        scroll={{ x: columnsWidth(columns) }}
        tableLayout="fixed"
        onRow={(r) => rowTestId(`referral-row-${r.id}`)}
        locale={{ emptyText: <Empty description={t('buyer.rewards.noReferrals')} /> }}
        pagination={{ ...paging.pagination(records.data?.total), hideOnSinglePage: true }}
      />
    </Card>
  );
}
