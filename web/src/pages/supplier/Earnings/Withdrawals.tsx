import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Empty, Popconfirm, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { supplyApi, type SettlementView } from '../../../api/supply.ts';
import { useFormat, yuan } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { pageProps, rowTestId, StatusTag } from '../shared.tsx';

// The supplier's withdrawals, newest first: cancel one still pending, download a statement (a signed CSV link).

/** Follows the signed link without a popup (the server answers it as an attachment). */
function download(url: string, fileName: string) {
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function Withdrawals() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const queryClient = useQueryClient();
  const [page, setPage] = useState({ page: 1, page_size: 20 });
  const list = useQuery({ queryKey: ['supply', 'settlements', page], queryFn: () => supplyApi.settlements(page) });

  const cancel = useMutation({
    mutationFn: supplyApi.cancelSettlement,
    onSuccess: () => {
      toast.success(t('supply.withdrawals.cancelled'));
      void queryClient.invalidateQueries({ queryKey: ['supply', 'settlements'] });
      void queryClient.invalidateQueries({ queryKey: ['supply', 'earnings'] });
    },
  });
  const statement = useMutation({
    mutationFn: supplyApi.statement,
    onSuccess: (s) => download(s.download_url, s.file_name),
  });

  return (
    <Table<SettlementView>
      rowKey="settlement_id"
      size="middle"
      loading={list.isLoading}
      dataSource={list.data?.data ?? []}
      // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
      // (text wraps), so at 1366 px every column shows without scrolling.
      scroll={{ x: 960 }}
      tableLayout="auto"
      onRow={(s) => rowTestId(`settlement-row-${s.settlement_id}`)}
      locale={{ emptyText: <Empty description={t('supply.withdrawals.empty')} /> }}
      pagination={pageProps(page, list.data?.pagination.total, (p, size) => setPage({ page: size === page.page_size ? p : 1, page_size: size }))}
      columns={[
        { title: t('supply.withdrawals.no'), dataIndex: 'settlement_no', render: (n: string) => <Typography.Text copyable>{n}</Typography.Text> },
        { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
        { title: t('supply.withdrawals.amount'), dataIndex: 'total_amount', align: 'right', render: (v: number) => yuan(v) },
        { title: t('supply.withdraw.fee'), dataIndex: 'fee_amount', align: 'right', render: (v: number) => yuan(v) },
        { title: t('supply.withdraw.net'), dataIndex: 'net_amount', align: 'right', render: (v: number) => yuan(v) },
        {
          title: t('supply.withdraw.method'),
          key: 'method',
          render: (_, s) => `${t(`supply.method.${s.payment_method}`)} ${s.payment_account}`,
        },
        {
          title: t('common.status'),
          key: 'status',
          render: (_, s) => (
            <Space orientation="vertical" size={0}>
              {s.status === 'failed' && s.failure_reason === 'cancelled' ? (
                <StatusTag kind="settlement" value="cancelled" />
              ) : (
                <StatusTag kind="settlement" value={s.status} />
              )}
              {s.status === 'failed' && s.failure_reason && s.failure_reason !== 'cancelled' && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {s.failure_reason}
                </Typography.Text>
              )}
            </Space>
          ),
        },
        { title: t('supply.withdrawals.completedAt'), dataIndex: 'completed_at', render: dateTime },
        {
          title: t('common.actions'),
          key: 'actions',
          fixed: 'right',
          render: (_, s) => (
            <Space size={0} wrap>
              {s.status === 'pending' && (
                <Popconfirm title={t('supply.withdrawals.cancelConfirm')} onConfirm={() => cancel.mutateAsync(s.settlement_id).catch(() => undefined)}>
                  <Button size="small" type="link" danger data-testid={`cancel-${s.settlement_id}`} loading={cancel.isPending && cancel.variables === s.settlement_id}>
                    {t('supply.withdrawals.cancel')}
                  </Button>
                </Popconfirm>
              )}
              <Button
                size="small"
                type="link"
                data-testid={`statement-${s.settlement_id}`}
                loading={statement.isPending && statement.variables === s.settlement_id}
                onClick={() => statement.mutate(s.settlement_id)}
              >
                {t('supply.withdrawals.statement')}
              </Button>
            </Space>
          ),
        },
      ]}
    />
  );
}
