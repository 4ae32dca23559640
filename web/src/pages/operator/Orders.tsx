import { RollbackOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, InputNumber, Select, Space, Table, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import {
  idempotencyKey, listOrders, ORDER_KINDS, ORDER_STATUSES, refundOrder, type AdminOrder, type OrderKind, type OrderStatus,
} from '../../api/operator.ts';
import { useFormat, yuan } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { Filters, PageTitle, StatusTag, TextPromptModal, useActionsFixed, usePaging, type TextPrompt } from './shared.tsx';
import { rowTestId } from '../../components/rows.ts';

// Every user's orders, newest first, filtered by status, kind and user (`?user_id=` comes from the Users page).
// A paid order can be refunded with a reason while its credits are unspent (the server says so when not).

export default function Orders() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const actionsFixed = useActionsFixed();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const paging = usePaging();
  const [status, setStatus] = useState<OrderStatus>();
  const [kind, setKind] = useState<OrderKind>();
  const userId = Number(params.get('user_id')) || undefined;
  const [refunding, setRefunding] = useState<{ order: AdminOrder; key: string; prompt: TextPrompt }>();

  const orders = useQuery({
    queryKey: ['operator', 'orders', status, kind, userId, paging.page, paging.pageSize],
    queryFn: () => listOrders({ status, kind, user_id: userId, page: paging.page, page_size: paging.pageSize }),
    placeholderData: keepPreviousData,
  });

  const setUser = (id: number | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set('user_id', String(id));
    else next.delete('user_id');
    setParams(next, { replace: true });
    paging.reset();
  };

  const startRefund = (order: AdminOrder) =>
    setRefunding({
      order,
      key: idempotencyKey(),
      prompt: {
        title: t('op.orders.refundTitle', { id: order.order_id }),
        description: t('op.orders.refundHint', { amount: yuan(order.amount), credits: order.credits }),
        label: t('common.reason'),
        min: 2,
        max: 500,
        inputTestId: 'refund-reason',
        confirmTestId: 'refund-confirm',
        okText: t('op.orders.refund'),
        danger: true,
      },
    });

  const columns: ColumnsType<AdminOrder> = [
    // An order number stays on one line: it is what operators copy and search for.
    { title: t('op.orders.id'), dataIndex: 'order_id', render: (id: string) => <Typography.Text code copyable style={{ whiteSpace: 'nowrap' }}>{id}</Typography.Text> },
    {
      title: t('op.orders.user'),
      key: 'user',
      render: (_, o) => (
        <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setUser(o.user_id)}>
          {o.username ?? `#${o.user_id}`}
        </Button>
      ),
    },
    {
      title: t('op.orders.kind'),
      dataIndex: 'kind',
      render: (k: OrderKind, o) => (k === 'membership' && o.membership_type ? `${t(`op.orders.kind.${k}`)} · ${t(`op.orders.plan.${o.membership_type}`)}` : t(`op.orders.kind.${k}`)),
    },
    {
      title: t('op.orders.amount'),
      key: 'amount',
      render: (_, o) => (
        <Space orientation="vertical" size={0}>
          <span>{yuan(o.amount)}</span>
          {o.discount > 0 && <Typography.Text type="secondary" delete>{yuan(o.original_amount)}</Typography.Text>}
        </Space>
      ),
    },
    { title: t('op.orders.credits'), dataIndex: 'credits', render: (c: number, o) => (o.kind === 'recharge' || c > 0 ? c.toLocaleString() : '—') },
    { title: t('op.orders.method'), dataIndex: 'payment_method', render: (m: string, o) => `${t(`op.orders.method.${m}`)}${o.provider !== m && o.provider !== 'balance' ? ` (${o.provider})` : ''}` },
    {
      title: t('common.status'),
      dataIndex: 'status',
      render: (s: string, o) => (o.failure_reason ? <Tooltip title={o.failure_reason}><span><StatusTag status={s} /></span></Tooltip> : <StatusTag status={s} />),
    },
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
    { title: t('op.orders.paidAt'), key: 'paid', render: (_, o) => dateTime(o.refunded_at ?? o.paid_at) },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      render: (_, o) =>
        o.status === 'paid' ? (
          <Button size="small" danger icon={<RollbackOutlined />} onClick={() => startRefund(o)} data-testid={`refund-${o.order_id}`}>
            {t('op.orders.refund')}
          </Button>
        ) : null,
    },
  ];

  return (
    <>
      <PageTitle>{t('nav.orders')}</PageTitle>
      <Card>
        <Filters>
          <Select
            allowClear
            placeholder={t('op.orders.allStatuses')}
            aria-label={t('common.status')}
            style={{ width: 150 }}
            value={status}
            onChange={paging.resetting(setStatus)}
            options={ORDER_STATUSES.map((s) => ({ value: s, label: t(`op.status.${s}`) }))}
            data-testid="order-status-filter"
          />
          <Select
            allowClear
            placeholder={t('op.orders.allKinds')}
            aria-label={t('op.orders.kind')}
            style={{ width: 150 }}
            value={kind}
            onChange={paging.resetting(setKind)}
            options={ORDER_KINDS.map((k) => ({ value: k, label: t(`op.orders.kind.${k}`) }))}
            data-testid="order-kind-filter"
          />
          <InputNumber
            key={userId ?? 'all'}
            placeholder={t('op.orders.userId')}
            aria-label={t('op.orders.userId')}
            min={1}
            precision={0}
            style={{ width: 150 }}
            defaultValue={userId}
            onPressEnter={(e) => setUser(Number((e.target as HTMLInputElement).value) || null)}
            onBlur={(e) => {
              const v = Number(e.target.value) || undefined;
              if (v !== userId) setUser(v ?? null);
            }}
            data-testid="order-user-filter"
          />
          {userId && <Button onClick={() => setUser(null)}>{t('op.orders.allUsers')}</Button>}
        </Filters>
        {/* Ten columns: the middle size's tighter cells keep them all on a 1366 px screen. */}
        <Table
          rowKey="order_id"
          size="middle"
          loading={orders.isLoading}
          dataSource={orders.data?.items ?? []}
          columns={columns}
          // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
          // (text wraps), so at 1366 px every column shows without scrolling.
          scroll={{ x: 1040 }}
          tableLayout="auto"
          onRow={(o) => rowTestId(`order-row-${o.order_id}`)}
          locale={{ emptyText: <Empty description={t('op.orders.empty')} /> }}
          pagination={paging.pagination(orders.data?.total)}
        />
      </Card>
      <TextPromptModal
        prompt={refunding?.prompt}
        onClose={() => setRefunding(undefined)}
        onSubmit={async (text) => {
          const r = refunding as NonNullable<typeof refunding>;
          await refundOrder(r.order.order_id, text, r.key);
          toast.success(t('op.orders.refunded', { id: r.order.order_id }));
          await queryClient.invalidateQueries({ queryKey: ['operator', 'orders'] });
        }}
      />
    </>
  );
}
