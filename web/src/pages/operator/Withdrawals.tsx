import { CheckOutlined, CloseOutlined, SendOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Space, Table, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import {
  completeSettlement, failSettlement, listSettlements, SETTLEMENT_STATUSES, type AdminSettlement, type SettlementStatus,
} from '../../api/operator.ts';
import { useFormat, yuan } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { Filters, PageTitle, StatusFilter, StatusTag, TextPromptModal, useActionsFixed, usePaging, type TextPrompt } from './shared.tsx';
import { ProcessModal } from './Withdrawals/ProcessModal.tsx';
import { rowTestId } from '../../components/rows.ts';

// Suppliers' withdrawals: pending → processing (manual or sandbox payout) → completed (with the payout reference) or
// failed (with a reason; the funds return to the supplier's available earnings). Pending ones can fail directly.

type Finish = 'complete' | 'fail';

export default function Withdrawals() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const actionsFixed = useActionsFixed();
  const queryClient = useQueryClient();
  const paging = usePaging();
  const [status, setStatus] = useState<SettlementStatus | 'all'>('all');
  const [processing, setProcessing] = useState<AdminSettlement>();
  const [finishing, setFinishing] = useState<{ settlement: AdminSettlement; action: Finish; prompt: TextPrompt }>();

  const settlements = useQuery({
    queryKey: ['operator', 'settlements', status, paging.page, paging.pageSize],
    queryFn: () => listSettlements({ status: status === 'all' ? undefined : status, page: paging.page, page_size: paging.pageSize }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['operator', 'settlements'] });

  const finish = (settlement: AdminSettlement, action: Finish) =>
    setFinishing({
      settlement,
      action,
      prompt: action === 'complete'
        ? {
            title: t('op.withdrawals.completeTitle', { no: settlement.settlement_no }),
            description: t('op.withdrawals.completeHint', { amount: yuan(settlement.net_amount) }),
            label: t('op.withdrawals.reference'), min: 1, max: 128, multiline: false,
            inputTestId: 'settlement-reference', confirmTestId: 'settlement-confirm', okText: t('op.withdrawals.complete'),
          }
        : {
            title: t('op.withdrawals.failTitle', { no: settlement.settlement_no }),
            description: t('op.withdrawals.failHint'),
            label: t('common.reason'), min: 2, max: 500,
            inputTestId: 'settlement-reason', confirmTestId: 'settlement-confirm', okText: t('op.withdrawals.fail'), danger: true,
          },
    });

  const columns: ColumnsType<AdminSettlement> = [
    { title: t('op.withdrawals.no'), dataIndex: 'settlement_no', render: (no: string) => <Typography.Text code>{no}</Typography.Text> },
    { title: t('op.review.supplier'), dataIndex: 'supplier_user_id', render: (id: number) => `#${id}` },
    {
      title: t('op.withdrawals.amount'),
      key: 'amount',
      render: (_, s) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong>{yuan(s.net_amount)}</Typography.Text>
          <Typography.Text type="secondary">{t('op.withdrawals.breakdown', { total: yuan(s.total_amount), fee: yuan(s.fee_amount) })}</Typography.Text>
        </Space>
      ),
    },
    {
      title: t('op.withdrawals.payTo'),
      key: 'account',
      // Room for an e-mail address on one line (the account operators pay to).
      width: 200,
      render: (_, s) => (
        <Space orientation="vertical" size={0}>
          <span>{t(`op.withdrawals.method.${s.payment_method}`)}</span>
          <Typography.Text copyable>{s.payment_account}</Typography.Text>
        </Space>
      ),
    },
    {
      title: t('common.status'),
      dataIndex: 'status',
      render: (st: string, s) => (s.failure_reason ? <Tooltip title={s.failure_reason}><span><StatusTag status={st} /></span></Tooltip> : <StatusTag status={st} />),
    },
    {
      title: t('op.withdrawals.payout'),
      key: 'payout',
      render: (_, s) =>
        s.payout_provider ? (
          <Space orientation="vertical" size={0}>
            <span>{t(`op.withdrawals.provider.${s.payout_provider}`)}</span>
            {s.payout_reference && <Typography.Text type="secondary" copyable>{s.payout_reference}</Typography.Text>}
          </Space>
        ) : '—',
    },
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
    { title: t('op.withdrawals.completedAt'), dataIndex: 'completed_at', render: dateTime },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      render: (_, s) => (
        <Space wrap>
          {s.status === 'pending' && (
            <Button size="small" type="primary" icon={<SendOutlined />} onClick={() => setProcessing(s)} data-testid={`process-${s.settlement_id}`}>
              {t('op.withdrawals.process')}
            </Button>
          )}
          {s.status === 'processing' && (
            <Button size="small" type="primary" icon={<CheckOutlined />} onClick={() => finish(s, 'complete')} data-testid={`complete-${s.settlement_id}`}>
              {t('op.withdrawals.complete')}
            </Button>
          )}
          {(s.status === 'pending' || s.status === 'processing') && (
            <Button size="small" danger icon={<CloseOutlined />} onClick={() => finish(s, 'fail')} data-testid={`fail-${s.settlement_id}`}>
              {t('op.withdrawals.fail')}
            </Button>
          )}
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageTitle>{t('nav.withdrawals')}</PageTitle>
      <Card>
        <Filters>
          <StatusFilter
            value={status}
            statuses={SETTLEMENT_STATUSES}
            onChange={paging.resetting(setStatus)}
            testId="settlement-status-filter"
          />
        </Filters>
        <Table
          rowKey="settlement_id"
          loading={settlements.isLoading}
          dataSource={settlements.data?.data ?? []}
          columns={columns}
          // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
          // (text wraps), so at 1366 px every column shows without scrolling.
          scroll={{ x: 1000 }}
          tableLayout="auto"
          onRow={(s) => rowTestId(`settlement-row-${s.settlement_id}`)}
          locale={{ emptyText: <Empty description={t('op.withdrawals.empty')} /> }}
          pagination={paging.pagination(settlements.data?.pagination.total)}
        />
      </Card>
      <ProcessModal
        settlement={processing}
        onClose={() => setProcessing(undefined)}
        onDone={(s) => {
          setProcessing(undefined);
          toast.success(t('op.withdrawals.processed', { no: s.settlement_no }));
          void refresh();
        }}
      />
      <TextPromptModal
        prompt={finishing?.prompt}
        onClose={() => setFinishing(undefined)}
        onSubmit={async (text) => {
          const f = finishing as NonNullable<typeof finishing>;
          const id = f.settlement.settlement_id;
          const s = await (f.action === 'complete' ? completeSettlement(id, text) : failSettlement(id, text));
          toast.success(t(`op.withdrawals.done.${f.action}`, { no: s.settlement_no }));
          await refresh();
        }}
      />
    </>
  );
}
