import { useQuery } from '@tanstack/react-query';
import { Alert, Empty, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { listChannels, type AdminChannel } from '../../../api/operator.ts';
import { dateTime } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CircuitTag } from '../shared.tsx';
import { rowTestId } from '../../../components/rows.ts';

// The platform channels, read only: never a credential, only our fingerprint id (`key_hint`).

const REFRESH_MS = 10_000;

export function ChannelsTab() {
  const { t } = useI18n();
  const channels = useQuery({ queryKey: ['operator', 'channels'], queryFn: listChannels, refetchInterval: REFRESH_MS });

  const columns: ColumnsType<AdminChannel> = [
    { title: 'ID', dataIndex: 'id', width: 70 },
    { title: t('op.channels.name'), dataIndex: 'name', render: (n: string) => <Typography.Text strong>{n}</Typography.Text> },
    { title: t('op.channels.provider'), dataIndex: 'provider', render: (p: string) => t(`op.provider.${p}`) },
    {
      title: t('op.channels.circuit'),
      key: 'circuit',
      render: (_, c) => <CircuitTag circuit={c.circuit} testId={`circuit-channel-${c.id}`} />,
    },
    {
      title: t('op.channels.enabled'),
      dataIndex: 'enabled',
      render: (on: boolean) => <Tag color={on ? 'success' : 'default'}>{on ? t('op.channels.on') : t('op.channels.off')}</Tag>,
    },
    {
      title: t('op.channels.models'),
      dataIndex: 'models',
      render: (m: string[] | null) =>
        m && m.length > 0 ? (
          <Tooltip title={m.join(', ')}>
            <Space size={[0, 4]} wrap>
              {m.slice(0, 3).map((x) => <Tag key={x}>{x}</Tag>)}
              {m.length > 3 && <Tag>+{m.length - 3}</Tag>}
            </Space>
          </Tooltip>
        ) : (
          <Typography.Text type="secondary">{t('op.channels.allModels')}</Typography.Text>
        ),
    },
    { title: t('op.channels.weight'), dataIndex: 'weight' },
    {
      title: t('op.channels.baseUrl'),
      dataIndex: 'base_url',
      render: (u: string | null) => (u ? <Typography.Text code>{u}</Typography.Text> : <Typography.Text type="secondary">{t('op.channels.defaultUrl')}</Typography.Text>),
    },
    { title: t('op.channels.keyHint'), dataIndex: 'key_hint', render: (h: string) => <Typography.Text code>{h}</Typography.Text> },
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
  ];

  return (
    <>
      <Alert type="info" showIcon title={t('op.channels.readOnly')} style={{ marginBottom: 16 }} />
      <Table
        rowKey="id"
        loading={channels.isLoading}
        dataSource={channels.data ?? []}
        columns={columns}
        scroll={{ x: 'max-content' }}
        onRow={(c) => rowTestId(`channel-row-${c.id}`)}
        locale={{ emptyText: <Empty description={t('op.channels.empty')} /> }}
      />
    </>
  );
}
