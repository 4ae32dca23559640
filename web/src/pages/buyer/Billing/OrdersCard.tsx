import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Table, Tabs, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { listOrders, type Order, type OrderKind } from '../../../api/buyer.ts';
import { useFormat, yuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { StatusTag } from '../shared.tsx';
import { rowTestId } from '../../../components/rows.ts';
import { usePaymentHandOff } from '../../checkout/returnTo.ts';

// The user's recharge and membership orders, newest first; a pending one can still be paid.

function OrderTable({ kind }: { kind: OrderKind }) {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const handOff = usePaymentHandOff();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(10);
  const orders = useQuery({
    queryKey: ['buyer', 'orders', kind, page, pageSize],
    queryFn: () => listOrders(kind, page, pageSize),
    placeholderData: keepPreviousData,
  });

  const columns: ColumnsType<Order> = [
    { title: t('buyer.orders.id'), dataIndex: 'order_id', render: (id: string) => <Typography.Text copyable code>{id}</Typography.Text> },
    ...(kind === 'membership'
      ? [{ title: t('buyer.billing.plan'), dataIndex: 'membership_type', render: (p: string | null) => (p ? t(`buyer.plan.${p}`) : '—') }]
      : [{
          title: t('buyer.orders.credits'),
          dataIndex: 'credits',
          align: 'right' as const,
          render: (c: number, o: Order) => (o.bonus_credits > 0 ? t('buyer.orders.withBonus', { credits: c, bonus: o.bonus_credits }) : c),
        }]),
    {
      title: t('buyer.orders.amount'),
      dataIndex: 'amount',
      align: 'right',
      render: (a: number, o) => (o.discount > 0 ? <span><Typography.Text delete type="secondary">{yuan(o.original_amount)}</Typography.Text> {yuan(a)}</span> : yuan(a)),
    },
    { title: t('buyer.billing.method'), dataIndex: 'payment_method', render: (m: string) => t(`buyer.method.${m}`) },
    { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
    { title: t('buyer.orders.paidAt'), dataIndex: 'paid_at', render: dateTime },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_, o) =>
        o.status === 'pending' && o.payment_url ? (
          <Button size="small" type="primary" onClick={() => handOff(o.payment_url as string)} data-testid={`pay-order-${o.order_id}`}>
            {t('buyer.orders.payNow')}
          </Button>
        ) : null,
    },
  ];

  return (
    <Table
      rowKey="order_id"
      size="small"
      loading={orders.isFetching}
      dataSource={orders.data?.items ?? []}
      columns={columns}
      scroll={{ x: 'max-content' }}
      onRow={(o) => rowTestId(`order-row-${o.order_id}`)}
      locale={{ emptyText: <Empty description={t('buyer.orders.empty')} /> }}
      pagination={{
        current: page,
        pageSize,
        total: orders.data?.total ?? 0,
        showSizeChanger: true,
        onChange: (p, s) => {
          setPage(s === pageSize ? p : 1);
          setPageSize(s);
        },
      }}
    />
  );
}

export function OrdersCard() {
  const { t } = useI18n();
  return (
    <Card title={t('buyer.orders.title')}>
      <Tabs
        items={[
          { key: 'recharge', label: t('buyer.orders.recharge'), children: <OrderTable kind="recharge" /> },
          { key: 'membership', label: t('buyer.orders.membership'), children: <OrderTable kind="membership" /> },
        ]}
      />
    </Card>
  );
}
