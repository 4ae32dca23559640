import { PlusOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { ACTIVITY_STATUSES, listActivities, offerKind, type Activity, type ActivityStatus } from '../../api/operations.ts';
import { useFormat, yuan } from '../../components/format.ts';
import { rowTestId } from '../../components/rows.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { ActivityFormModal } from './Activities/ActivityFormModal.tsx';
import { Filters, PageTitle, StatusFilter, StatusTag, usePaging } from './shared.tsx';

// Activities: credit gifts, membership discounts, referral bonuses and first-purchase offers, each with where it
// stands in its window (upcoming, active, ended) and what it gives in words; operators create new ones.

/** What an activity gives, in the operators' words. */
function useOfferText() {
  const { t } = useI18n();
  return (a: Pick<Activity, 'type' | 'config'>) =>
    t(`op.activities.offer.${offerKind(a)}`, { credits: a.config.credits ?? 0, percent: a.config.percent ?? 0, amount: yuan(a.config.amount) });
}

export default function Activities() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const offer = useOfferText();
  const queryClient = useQueryClient();
  const paging = usePaging();
  const [status, setStatus] = useState<ActivityStatus | 'all'>('all');
  const [creating, setCreating] = useState(false);

  const activities = useQuery({
    queryKey: ['operator', 'activities', status, paging.page, paging.pageSize],
    queryFn: () => listActivities({ status: status === 'all' ? undefined : status, page: paging.page, page_size: paging.pageSize }),
    placeholderData: keepPreviousData,
  });

  const columns: ColumnsType<Activity> = [
    {
      title: t('op.activities.name'),
      key: 'name',
      render: (_, a) => (
        <Space orientation="vertical" size={0} style={{ maxWidth: 280 }}>
          <Typography.Text strong>{a.name}</Typography.Text>
          {a.description && <Typography.Text type="secondary" ellipsis={{ tooltip: a.description }}>{a.description}</Typography.Text>}
        </Space>
      ),
    },
    { title: t('op.activities.type'), dataIndex: 'type', render: (x: string) => t(`op.activities.type.${x}`) },
    { title: t('op.activities.offer'), key: 'offer', render: (_, a) => <Typography.Text strong>{offer(a)}</Typography.Text> },
    {
      title: t('op.activities.period'),
      key: 'window',
      render: (_, a) => (
        <Space orientation="vertical" size={0}>
          <span>{dateTime(a.start_time)}</span>
          <Typography.Text type="secondary">{`→ ${dateTime(a.end_time)}`}</Typography.Text>
        </Space>
      ),
    },
    { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} messages="op.activities.status" /> },
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
  ];

  return (
    <>
      <PageTitle
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="create-activity">
            {t('op.activities.create')}
          </Button>
        }
      >
        {t('nav.activities')}
      </PageTitle>
      <Card>
        <Filters>
          <StatusFilter
            value={status}
            statuses={ACTIVITY_STATUSES}
            onChange={paging.resetting(setStatus)}
            testId="activity-status-filter"
            messages="op.activities.status"
          />
        </Filters>
        <Table
          rowKey="id"
          loading={activities.isLoading}
          dataSource={activities.data?.items ?? []}
          columns={columns}
          // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest.
          scroll={{ x: 960 }}
          tableLayout="auto"
          onRow={(a) => rowTestId(`activity-row-${a.id}`)}
          locale={{
            emptyText: (
              <Empty description={t('op.activities.empty')}>
                <Button type="primary" onClick={() => setCreating(true)}>{t('op.activities.create')}</Button>
              </Empty>
            ),
          }}
          pagination={paging.pagination(activities.data?.total)}
        />
      </Card>
      <ActivityFormModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(name) => {
          setCreating(false);
          toast.success(t('op.activities.created', { name }));
          void queryClient.invalidateQueries({ queryKey: ['operator', 'activities'] });
        }}
      />
    </>
  );
}
