import { useQuery } from '@tanstack/react-query';
import { DatePicker, Empty, Flex, Table, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { supplyApi, type EarningRecord } from '../../../api/supply.ts';
import { useFormat, yuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { pageProps, StatusTag } from '../shared.tsx';

// The records behind the balances, newest first: usage earnings (one per package per day), bonuses and refunds,
// within an optional date range (whole UTC+8 days, as the API counts them).

const DAY = 'YYYY-MM-DD';

export function EarningRecords() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [page, setPage] = useState({ page: 1, page_size: 20 });
  const query = { ...page, start_date: range?.[0]?.format(DAY), end_date: range?.[1]?.format(DAY) };
  const records = useQuery({ queryKey: ['supply', 'earnings', 'records', query], queryFn: () => supplyApi.earningRecords(query) });

  return (
    <Flex vertical gap={12}>
      <DatePicker.RangePicker
        data-testid="records-range"
        aria-label={t('supply.records.range')}
        allowEmpty={[true, true]}
        value={range}
        onChange={(v) => {
          setRange(v);
          setPage((p) => ({ ...p, page: 1 }));
        }}
        style={{ maxWidth: 320 }}
      />
      <Table<EarningRecord>
        rowKey="record_id"
        size="middle"
        loading={records.isLoading}
        dataSource={records.data?.data ?? []}
        // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
        // (text wraps), so at 1366 px every column shows without scrolling.
        scroll={{ x: 760 }}
        tableLayout="auto"
        locale={{ emptyText: <Empty description={t('supply.records.empty')} /> }}
        pagination={pageProps(page, records.data?.pagination.total, (p, size) => setPage({ page: size === page.page_size ? p : 1, page_size: size }))}
        columns={[
          { title: t('supply.records.time'), dataIndex: 'earned_at', render: dateTime },
          { title: t('supply.records.type'), dataIndex: 'earnings_type', render: (v: string) => <StatusTag kind="earningType" value={v} /> },
          {
            title: t('supply.records.amount'),
            dataIndex: 'amount',
            align: 'right',
            render: (a: number) => <Typography.Text type={a < 0 ? 'danger' : undefined}>{a < 0 ? `-${yuan(-a)}` : yuan(a)}</Typography.Text>,
          },
          { title: t('common.status'), dataIndex: 'status', render: (v: string) => <StatusTag kind="earning" value={v} /> },
          { title: t('supply.records.settlement'), dataIndex: 'settlement_id', render: (id?: number) => (id ? `#${id}` : '—') },
          { title: t('supply.records.description'), dataIndex: 'description', render: (d?: string) => d ?? '—' },
        ]}
      />
    </Flex>
  );
}
