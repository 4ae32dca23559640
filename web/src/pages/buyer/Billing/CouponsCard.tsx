import { GiftOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Input, Segmented, Space, Table, Tabs, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { claimableCoupons, claimCoupon, claimCouponByCode, myCoupons, type ClaimableCoupon, type MyCoupon } from '../../../api/buyer.ts';
import { useFormat } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { StatusTag } from '../shared.tsx';
import { MY_COUPONS_KEY, useCouponTerms } from './CouponPicker.tsx';

// My coupons (and putting one on a recharge), coupons still to claim, and claiming one by its code.

type MyFilter = 'all' | MyCoupon['status'];

function useClaimed() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  return () => {
    toast.success(t('buyer.coupon.claimed'));
    void queryClient.invalidateQueries({ queryKey: MY_COUPONS_KEY });
    void queryClient.invalidateQueries({ queryKey: ['buyer', 'claimable'] });
  };
}

function MyCoupons({ onUse }: { onUse(code: string): void }) {
  const { t } = useI18n();
  const terms = useCouponTerms();
  const { dateTime } = useFormat();
  const [filter, setFilter] = useState<MyFilter>('all');
  const mine = useQuery({ queryKey: [...MY_COUPONS_KEY, filter], queryFn: () => myCoupons(filter === 'all' ? undefined : filter) });
  const columns: ColumnsType<MyCoupon> = [
    { title: t('buyer.coupon.code'), dataIndex: 'code', render: (c: string) => <Typography.Text code copyable>{c}</Typography.Text> },
    { title: t('buyer.coupon.name'), dataIndex: 'name' },
    { title: t('buyer.coupon.terms'), key: 'terms', render: (_, c) => terms(c) },
    { title: t('buyer.coupon.validUntil'), dataIndex: 'valid_until', render: dateTime },
    { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
    {
      title: t('common.actions'),
      key: 'use',
      render: (_, c) => (c.status === 'unused' ? <Button size="small" onClick={() => onUse(c.code)} data-testid={`use-coupon-${c.claim_id}`}>{t('buyer.coupon.use')}</Button> : null),
    },
  ];
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Segmented<MyFilter>
        value={filter}
        onChange={setFilter}
        options={(['all', 'unused', 'used', 'expired'] as const).map((f) => ({ value: f, label: t(f === 'all' ? 'buyer.coupon.all' : `buyer.status.${f}`) }))}
      />
      <Table
        rowKey="claim_id"
        size="small"
        loading={mine.isFetching}
        dataSource={mine.data?.items ?? []}
        columns={columns}
        scroll={{ x: 'max-content' }}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={t('buyer.coupon.noneMine')} /> }}
      />
    </Space>
  );
}

function Claimable() {
  const { t } = useI18n();
  const terms = useCouponTerms();
  const { dateTime } = useFormat();
  const claimed = useClaimed();
  const [page, setPage] = useState(1);
  const list = useQuery({ queryKey: ['buyer', 'claimable', page], queryFn: () => claimableCoupons(page, 10), placeholderData: keepPreviousData });
  const claim = useMutation({ mutationFn: (c: ClaimableCoupon) => claimCoupon(c.id), onSuccess: claimed });
  const columns: ColumnsType<ClaimableCoupon> = [
    { title: t('buyer.coupon.name'), dataIndex: 'name' },
    { title: t('buyer.coupon.terms'), key: 'terms', render: (_, c) => terms(c) },
    { title: t('buyer.coupon.left'), key: 'left', align: 'right', render: (_, c) => Math.max(0, c.max_usage - c.claimed_count) },
    { title: t('buyer.coupon.validUntil'), dataIndex: 'valid_until', render: dateTime },
    {
      title: t('common.actions'),
      key: 'claim',
      render: (_, c) => (
        <Button size="small" type="primary" icon={<GiftOutlined />} loading={claim.isPending && claim.variables?.id === c.id} onClick={() => claim.mutate(c)} data-testid={`claim-coupon-${c.id}`}>
          {t('buyer.coupon.claim')}
        </Button>
      ),
    },
  ];
  return (
    <Table
      rowKey="id"
      size="small"
      loading={list.isFetching}
      dataSource={list.data?.items ?? []}
      columns={columns}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: <Empty description={t('buyer.coupon.noneToClaim')} /> }}
      pagination={{ current: page, pageSize: 10, total: list.data?.total ?? 0, onChange: setPage, hideOnSinglePage: true }}
    />
  );
}

export function CouponsCard({ onUse }: { onUse(code: string): void }) {
  const { t } = useI18n();
  const claimed = useClaimed();
  const [code, setCode] = useState('');
  const byCode = useMutation({
    mutationFn: (c: string) => claimCouponByCode(c),
    onSuccess: (r) => {
      if (!r) return toast.error(t('buyer.coupon.notFound'));
      setCode('');
      claimed();
    },
  });
  const submitCode = () => {
    if (code.trim()) byCode.mutate(code.trim());
  };
  return (
    <Card title={t('buyer.coupon.title')}>
      <Space.Compact style={{ maxWidth: 360, width: '100%', marginBottom: 8 }}>
        <Input
          value={code}
          onChange={(e) => setCode(e.target.value)}
          onPressEnter={submitCode}
          placeholder={t('buyer.coupon.codePlaceholder')}
          aria-label={t('buyer.coupon.codePlaceholder')}
          maxLength={64}
          data-testid="claim-code"
        />
        <Button type="primary" loading={byCode.isPending} onClick={submitCode} data-testid="claim-code-submit">{t('buyer.coupon.claim')}</Button>
      </Space.Compact>
      <Tabs
        items={[
          { key: 'mine', label: t('buyer.coupon.mine'), children: <MyCoupons onUse={onUse} /> },
          { key: 'claimable', label: t('buyer.coupon.claimable'), children: <Claimable /> },
        ]}
      />
    </Card>
  );
}
