import { CheckOutlined, CloseOutlined, PoweroffOutlined, StopOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Empty, List, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import {
  ACCOUNT_STATUSES, listCircuits, listSupplyAccounts, type AccountDecision, type AccountStatus, type CheckItem, type SupplyAccount,
} from '../../../api/operator.ts';
import { useFormat } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CircuitTag, Filters, StatusTag, useActionsFixed, usePaging } from '../shared.tsx';
import { rowTestId } from '../../../components/rows.ts';

// Supply accounts for operators: the review queue (verification asked for a person) or every account, with the
// decisions each row allows. Expanding a row shows the verification's checks.

const CHECK_COLORS: Record<CheckItem['result'], string> = { pass: 'success', warn: 'warning', fail: 'error' };

function Checks({ items }: { items: CheckItem[] }) {
  const { t } = useI18n();
  if (items.length === 0) return <Typography.Text type="secondary">{t('op.review.noChecks')}</Typography.Text>;
  return (
    <List
      size="small"
      dataSource={items}
      renderItem={(c) => (
        <List.Item>
          <Space wrap>
            <Tag color={CHECK_COLORS[c.result]}>{t(`op.review.check.${c.result}`)}</Tag>
            <Typography.Text strong>{c.item}</Typography.Text>
            <Typography.Text type="secondary">{c.message}</Typography.Text>
          </Space>
        </List.Item>
      )}
    />
  );
}

export function AccountsTable({ queue, onDecide }: { queue: boolean; onDecide(account: SupplyAccount, decision: AccountDecision): void }) {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const actionsFixed = useActionsFixed();
  const paging = usePaging();
  const [status, setStatus] = useState<AccountStatus>();
  const accounts = useQuery({
    queryKey: ['operator', 'supply-accounts', queue, status, paging.page, paging.pageSize],
    queryFn: () => listSupplyAccounts({ review_status: queue ? 'required' : undefined, status, page: paging.page, page_size: paging.pageSize }),
    placeholderData: keepPreviousData,
  });
  // Accounts share one circuit per account (`supply-account:<id>`) across their packages.
  const circuits = useQuery({ queryKey: ['operator', 'circuits'], queryFn: listCircuits, enabled: !queue, refetchInterval: 10_000 });

  const action = (a: SupplyAccount, decision: AccountDecision, icon: React.ReactNode, danger = false) => (
    <Button size="small" danger={danger} icon={icon} onClick={() => onDecide(a, decision)} data-testid={`${decision}-${a.account_id}`}>
      {t(`op.review.${decision}`)}
    </Button>
  );

  const columns: ColumnsType<SupplyAccount> = [
    { title: 'ID', dataIndex: 'account_id', width: 70 },
    { title: t('op.review.supplier'), dataIndex: 'supplier_user_id', render: (id: number) => `#${id}` },
    {
      title: t('op.review.account'),
      key: 'account',
      render: (_, a) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong>{a.account_alias ?? t(`op.provider.${a.provider}`)}</Typography.Text>
          <Typography.Text type="secondary">
            {a.account_alias ? `${t(`op.provider.${a.provider}`)} · ${t(`op.review.type.${a.account_type}`)}` : t(`op.review.type.${a.account_type}`)}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('op.review.risk'),
      dataIndex: 'risk_score',
      render: (score: number) => (
        <Progress percent={score} size="small" steps={5} format={(p) => p} strokeColor={score >= 70 ? '#cf1322' : score >= 40 ? '#d48806' : '#389e0d'} />
      ),
    },
    { title: t('op.review.verify'), dataIndex: 'verify_status', render: (s: string) => <StatusTag status={s} /> },
    { title: t('op.review.review'), dataIndex: 'review_status', render: (s: string) => <StatusTag status={s} /> },
    { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
    ...(queue
      ? []
      : [{
          title: t('op.channels.circuit'),
          key: 'circuit',
          render: (_: unknown, a: SupplyAccount) => <CircuitTag circuit={circuits.data?.find((c) => c.key === `supply-account:${a.account_id}`)} testId={`circuit-account-${a.account_id}`} />,
        }]),
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      render: (_, a) => (
        <Space wrap>
          {a.review_status === 'required' && action(a, 'approve', <CheckOutlined />)}
          {a.review_status === 'required' && action(a, 'reject', <CloseOutlined />, true)}
          {!queue && a.status !== 'disabled' && action(a, 'disable', <StopOutlined />, true)}
          {!queue && a.status === 'disabled' && action(a, 'enable', <PoweroffOutlined />)}
        </Space>
      ),
    },
  ];

  return (
    <>
      {!queue && (
        <Filters>
          <Select
            allowClear
            placeholder={t('op.review.allStatuses')}
            aria-label={t('common.status')}
            style={{ width: 160 }}
            value={status}
            onChange={paging.resetting(setStatus)}
            options={ACCOUNT_STATUSES.map((s) => ({ value: s, label: t(`op.status.${s}`) }))}
            data-testid="account-status-filter"
          />
        </Filters>
      )}
      <Table
        rowKey="account_id"
        loading={accounts.isLoading}
        dataSource={accounts.data?.data ?? []}
        columns={columns}
        // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
        // (text wraps), so at 1366 px every column shows without scrolling.
        scroll={{ x: 1000 }}
        tableLayout="auto"
        // A pinned expand column makes AntD render the checks as wide as the visible table, not the scrolled one.
        expandable={{ fixed: 'left', expandedRowRender: (a) => <Checks items={a.check_items} /> }}
        onRow={(a) => rowTestId(`account-row-${a.account_id}`)}
        locale={{ emptyText: <Empty description={queue ? t('op.review.queueEmpty') : t('common.empty')} /> }}
        pagination={paging.pagination(accounts.data?.pagination.total)}
      />
    </>
  );
}
