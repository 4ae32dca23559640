import { PlusOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Progress, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { COUPON_FILTERS, listCoupons, type Coupon, type CouponFilter } from '../../api/operator.ts';
import { useFormat, yuan } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { Filters, PageTitle, StatusFilter, StatusTag, usePaging } from './shared.tsx';
import { CouponFormModal } from './Coupons/CouponFormModal.tsx';
import { rowTestId } from '../../components/rows.ts';

// Coupons: every coupon with where it stands in its window (active, upcoming, used up, expired, disabled) and how
// often it was claimed and used; operators create new ones.

export default function Coupons() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const queryClient = useQueryClient();
  const paging = usePaging();
  const [status, setStatus] = useState<CouponFilter | 'all'>('all');
  const [creating, setCreating] = useState(false);

  const coupons = useQuery({
    queryKey: ['operator', 'coupons', status, paging.page, paging.pageSize],
    queryFn: () => listCoupons({ status: status === 'all' ? undefined : status, page: paging.page, page_size: paging.pageSize }),
    placeholderData: keepPreviousData,
  });

  const valueText = (c: Coupon) => {
    if (c.type === 'discount') return t('op.coupons.show.discount', { value: c.value });
    if (c.type === 'deduction') return t('op.coupons.show.deduction', { value: yuan(c.value) });
    return t('op.coupons.show.credit_bonus', { value: c.value });
  };

  const columns: ColumnsType<Coupon> = [
    {
      title: t('op.coupons.code'),
      key: 'code',
      render: (_, c) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text code copyable>{c.code}</Typography.Text>
          <Typography.Text type="secondary">{c.name}</Typography.Text>
        </Space>
      ),
    },
    { title: t('op.coupons.type'), dataIndex: 'type', render: (x: string) => t(`op.coupons.type.${x}`) },
    { title: t('op.coupons.benefit'), key: 'value', render: (_, c) => <Typography.Text strong>{valueText(c)}</Typography.Text> },
    { title: t('op.coupons.minAmount'), dataIndex: 'min_amount', render: (v: number) => (v > 0 ? yuan(v) : t('op.coupons.noMinimum')) },
    {
      title: t('op.coupons.usage'),
      key: 'usage',
      render: (_, c) => (
        <div style={{ minWidth: 140 }}>
          <Progress percent={Math.round((c.claimed_count / c.max_usage) * 100)} size="small" showInfo={false} />
          <Typography.Text type="secondary">{t('op.coupons.usageText', { claimed: c.claimed_count, used: c.used_count, max: c.max_usage })}</Typography.Text>
        </div>
      ),
    },
    {
      title: t('op.coupons.valid'),
      key: 'valid',
      render: (_, c) => (
        <Space orientation="vertical" size={0}>
          <span>{dateTime(c.valid_from)}</span>
          <Typography.Text type="secondary">{`→ ${dateTime(c.valid_until)}`}</Typography.Text>
        </Space>
      ),
    },
    { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
  ];

  return (
    <>
      <PageTitle
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="create-coupon">
            {t('op.coupons.create')}
          </Button>
        }
      >
        {t('nav.coupons')}
      </PageTitle>
      <Card>
        <Filters>
          <StatusFilter
            value={status}
            statuses={COUPON_FILTERS}
            onChange={paging.resetting(setStatus)}
            testId="coupon-status-filter"
          />
        </Filters>
        <Table
          rowKey="id"
          loading={coupons.isLoading}
          dataSource={coupons.data?.items ?? []}
          columns={columns}
          // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
          // (text wraps), so at 1366 px every column shows without scrolling.
          scroll={{ x: 960 }}
          tableLayout="auto"
          onRow={(c) => rowTestId(`coupon-row-${c.code}`)}
          locale={{
            emptyText: (
              <Empty description={t('op.coupons.empty')}>
                <Button type="primary" onClick={() => setCreating(true)}>{t('op.coupons.create')}</Button>
              </Empty>
            ),
          }}
          pagination={paging.pagination(coupons.data?.total)}
        />
      </Card>
      <CouponFormModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(code) => {
          setCreating(false);
          toast.success(t('op.coupons.created', { code }));
          void queryClient.invalidateQueries({ queryKey: ['operator', 'coupons'] });
        }}
      />
    </>
  );
}
