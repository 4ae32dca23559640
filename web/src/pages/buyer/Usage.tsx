import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Card, Descriptions, Empty, Space, Table, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { exportUsageCsv, listKeys, listUsage, type UsageFilter, type UsageItem } from '../../api/buyer.ts';
import { money, tokens, useFormat } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { UsageFilters } from './Usage/UsageFilters.tsx';
import { PageTitle, StatusTag } from './shared.tsx';
import { ModelTag } from '../../components/ModelTag.tsx';
import { columnsWidth, rowTestId } from '../../components/rows.ts';

// Every metered request of the user, newest first: filters, server-side pages, a row's details, CSV export.

function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const ms = (v: number | null) => (v === null ? '—' : `${v.toLocaleString()} ms`);

/** A request's cost with 2 decimals; one under a fen reads "<¥0.01" and tells its exact amount on hover. */
function Cost({ amount }: { amount: number }) {
  const shown = money(amount);
  return shown.startsWith('<') ? <Tooltip title={`¥${amount}`}>{shown}</Tooltip> : shown;
}

/** The expand (+) column: AntD's own width, named here because the table's width adds it to the columns'. */
const EXPAND_COLUMN = 48;

const filtered = (f: UsageFilter) => Object.values(f).some((v) => v !== undefined);

export default function Usage() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const [filter, setFilter] = useState<UsageFilter>({});
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);

  const usage = useQuery({
    queryKey: ['buyer', 'usage', filter, page, pageSize],
    queryFn: () => listUsage(filter, page, pageSize),
    placeholderData: keepPreviousData,
  });
  const keys = useQuery({ queryKey: ['buyer', 'keys', 1, 100], queryFn: () => listKeys(1, 100) });
  const keyNames = useMemo(() => new Map((keys.data?.items ?? []).map((k) => [k.id, k.name])), [keys.data]);

  const exporting = useMutation({
    mutationFn: exportUsageCsv,
    onSuccess: ({ blob, filename, truncated }) => {
      saveBlob(blob, filename);
      if (truncated) toast.error(t('buyer.usage.truncated'));
      else toast.success(t('buyer.usage.exported'));
    },
  });

  const columns: ColumnsType<UsageItem> = [
    { title: t('buyer.usage.time'), dataIndex: 'created_at', render: dateTime, width: 165 },
    { title: t('buyer.usage.model'), dataIndex: 'model', width: 150, render: (m: string) => <ModelTag model={m} /> },
    {
      title: t('buyer.usage.key'),
      dataIndex: 'key_id',
      width: 110,
      render: (id: number | null) => {
        const name = id === null ? t('buyer.usage.studio') : keyNames.get(id) ?? `#${id}`;
        return <Typography.Text type={id === null ? 'secondary' : undefined} ellipsis={{ tooltip: name }}>{name}</Typography.Text>;
      },
    },
    {
      title: t('common.status'),
      dataIndex: 'status',
      width: 100,
      render: (s: string, r) => (
        <Tooltip title={r.error_message ?? undefined}>
          <Space size={4}>
            <StatusTag status={s} />
            {r.http_status !== null && r.status !== 'success' && <Typography.Text type="secondary">{r.http_status}</Typography.Text>}
          </Space>
        </Tooltip>
      ),
    },
    { title: t('buyer.usage.tokensIn'), dataIndex: 'prompt_tokens', align: 'right', width: 95, render: tokens },
    {
      title: t('buyer.usage.tokensOut'),
      dataIndex: 'completion_tokens',
      align: 'right',
      width: 95,
      render: (n: number, r) => (r.usage_estimated ? <Tooltip title={t('buyer.usage.estimated')}>{tokens(n)}*</Tooltip> : tokens(n)),
    },
    { title: t('buyer.usage.cost'), dataIndex: 'cost', align: 'right', width: 75, render: (c: number) => <Cost amount={c} /> },
    { title: t('buyer.usage.latency'), dataIndex: 'latency_ms', align: 'right', width: 80, render: ms },
    { title: t('buyer.usage.firstByte'), dataIndex: 'first_byte_ms', align: 'right', width: 85, render: ms },
  ];

  return (
    <>
      <PageTitle>{t('nav.usage')}</PageTitle>
      <Card style={{ marginBottom: 16 }}>
        <UsageFilters
          onApply={(f) => {
            setFilter(f);
            setPage(1);
          }}
          onExport={(f) => exporting.mutate(f)}
          exporting={exporting.isPending}
        />
      </Card>
      <Card>
        <Table
          rowKey="id"
          size="middle"
          loading={usage.isFetching}
          dataSource={usage.data?.items ?? []}
          columns={columns}
          scroll={{ x: columnsWidth(columns) + EXPAND_COLUMN }}
          tableLayout="fixed"
          onRow={(r) => rowTestId(`usage-row-${r.id}`)}
          locale={{ emptyText: <EmptyLog filtered={filtered(filter)} /> }}
          // A pinned expand column makes AntD hold each row's details in a block as wide as the visible table
          // (sticky at its left edge), whatever the width of the columns.
          expandable={{ fixed: 'left', columnWidth: EXPAND_COLUMN, expandedRowRender: (r) => <UsageDetails item={r} /> }}
          pagination={{
            current: page,
            pageSize,
            total: usage.data?.total ?? 0,
            showSizeChanger: true,
            showTotal: (total) => t('buyer.usage.total', { total }),
            onChange: (p, s) => {
              setPage(s === pageSize ? p : 1);
              setPageSize(s);
            },
          }}
        />
      </Card>
    </>
  );
}

/** Nothing to show: nothing matches the filters, or — with none set — no request was ever made. */
function EmptyLog({ filtered }: { filtered: boolean }) {
  const { t } = useI18n();
  if (filtered) return <Empty description={t('buyer.usage.empty')} />;
  return (
    <Empty description={t('buyer.usage.none')} data-testid="usage-none">
      <Link to="/quickstart">{t('buyer.usage.toQuickStart')}</Link>
    </Empty>
  );
}

/** A row's details; long values (an upstream's error text, a request id) wrap inside the visible table. */
function UsageDetails({ item }: { item: UsageItem }) {
  const { t } = useI18n();
  return (
    <Descriptions
      size="small"
      column={{ xs: 1, md: 2, xl: 3 }}
      styles={{ content: { overflowWrap: 'anywhere' } }}
      items={[
        { key: 'rid', label: t('buyer.usage.requestId'), children: <Typography.Text copyable code>{item.request_id}</Typography.Text> },
        { key: 'op', label: t('buyer.usage.operation'), children: item.operation ?? '—' },
        { key: 'up', label: t('buyer.usage.upstream'), children: item.upstream ?? '—' },
        { key: 'total', label: t('buyer.usage.totalTokens'), children: tokens(item.total_tokens) },
        { key: 'attempts', label: t('buyer.usage.attempts'), children: item.attempts },
        { key: 'http', label: t('buyer.usage.httpStatus'), children: item.http_status ?? '—' },
        ...(item.error_message ? [{ key: 'err', label: t('buyer.usage.error'), children: item.error_message, span: 3 }] : []),
      ]}
    />
  );
}
