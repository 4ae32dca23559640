import { useQuery } from '@tanstack/react-query';
import { Drawer, Empty, Grid, Table, Typography } from 'antd';
import { useState } from 'react';
import { supplyApi, type AuditEvent } from '../../../api/supply.ts';
import { useFormat } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { pageProps } from '../shared.tsx';

// Every change to one account (who, what, before → after), newest first, a page at a time.

const stateText = (s: Record<string, unknown>) =>
  Object.entries(s)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ') || '—';

function AuditTable({ accountId }: { accountId: number }) {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const [page, setPage] = useState({ page: 1, page_size: 20 });
  const logs = useQuery({ queryKey: ['supply', 'accounts', accountId, 'audit', page], queryFn: () => supplyApi.auditLogs(accountId, page) });
  return (
    <Table<AuditEvent>
      rowKey="event_id"
      size="small"
      loading={logs.isLoading}
      dataSource={logs.data?.data ?? []}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: <Empty description={t('supply.audit.empty')} /> }}
      pagination={pageProps(page, logs.data?.pagination.total, (p, size) => setPage({ page: size === page.page_size ? p : 1, page_size: size }))}
      columns={[
        { title: t('supply.audit.time'), dataIndex: 'created_at', render: dateTime, width: 170 },
        { title: t('supply.audit.action'), dataIndex: 'action', render: (a: string) => <Typography.Text code style={{ whiteSpace: 'nowrap' }}>{a}</Typography.Text> },
        {
          title: t('supply.audit.operator'),
          dataIndex: 'operator_id',
          render: (id: number) => (id === 0 ? t('supply.audit.system') : `#${id}`),
        },
        {
          title: t('supply.audit.change'),
          key: 'change',
          render: (_, e) => (
            <Typography.Text style={{ fontSize: 12 }}>
              {stateText(e.before_state)} → {stateText(e.after_state)}
            </Typography.Text>
          ),
        },
        { title: t('common.reason'), dataIndex: 'reason', render: (r?: string) => r ?? '—' },
        { title: t('supply.audit.requestId'), dataIndex: 'request_id', render: (r: string) => <Typography.Text type="secondary" copyable={!!r}>{r || '—'}</Typography.Text> },
      ]}
    />
  );
}

export function AuditDrawer({ accountId, onClose }: { accountId?: number; onClose(): void }) {
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  return (
    <Drawer
      open={accountId !== undefined}
      onClose={onClose}
      destroyOnHidden
      size={screens.md ? 820 : '100%'}
      title={t('supply.audit.title', { id: accountId ?? '' })}
    >
      {accountId !== undefined && <AuditTable accountId={accountId} />}
    </Drawer>
  );
}
