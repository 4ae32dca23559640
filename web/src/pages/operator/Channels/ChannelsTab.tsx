import { ApiOutlined, DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Empty, Popconfirm, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { deleteChannel, listChannels, updateChannel, type AdminChannel } from '../../../api/operator.ts';
import { toast } from '../../../components/toast.ts';
import { columnsWidth, rowTestId } from '../../../components/rows.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CircuitTag, useActionsFixed } from '../shared.tsx';
import { ChannelFormDrawer } from './ChannelFormDrawer.tsx';
import { ChannelTestModal } from './ChannelTestModal.tsx';

// The platform channels: the operators' own upstream accounts (the same ones as the legacy `/1/keys`), with the
// router's settings (models, priority, weight, caps, enabled) and each channel's circuit state, refreshed every 10 s.
// Never a credential: only our fingerprint id (`key_hint`).

const REFRESH_MS = 10_000;
const NOWRAP = { whiteSpace: 'nowrap' } as const;

export function ChannelsTab() {
  const { t } = useI18n();
  const actionsFixed = useActionsFixed();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<{ open: boolean; editing?: AdminChannel }>({ open: false });
  const [testing, setTesting] = useState<AdminChannel>();
  const channels = useQuery({ queryKey: ['operator', 'channels'], queryFn: listChannels, refetchInterval: REFRESH_MS });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['operator', 'channels'] });

  const toggle = useMutation({
    mutationFn: (c: AdminChannel) => updateChannel(c.id, { enabled: !c.enabled }),
    onSuccess: () => void refresh(),
  });
  const remove = useMutation({
    mutationFn: (c: AdminChannel) => deleteChannel(c.id),
    onSuccess: () => {
      toast.success(t('op.channels.deleted'));
      void refresh();
    },
  });

  const caps = (c: AdminChannel) => {
    const parts = [
      ...(c.rpm_limit === null ? [] : [t('op.channels.rpmCap', { n: c.rpm_limit })]),
      ...(c.max_concurrent === null ? [] : [t('op.channels.concurrentCap', { n: c.max_concurrent })]),
    ];
    return <Typography.Text type="secondary">{parts.length > 0 ? parts.join(' · ') : t('op.channels.noCap')}</Typography.Text>;
  };

  // Every column fits a 1366 px screen beside the sidebar (~1050 px of card): the router's settings share one
  // "Routing" column, the endpoint sits under its provider, and long names, endpoints and model lists are cut with an
  // ellipsis (the whole text in a tooltip) instead of widening the table. With `tableLayout` auto the widths are what
  // each column asks for and their sum is the table's least width: a phone scrolls the table inside its card.
  const columns: ColumnsType<AdminChannel> = [
    {
      title: t('op.channels.name'),
      key: 'name',
      width: 152,
      render: (_, c) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong ellipsis={{ tooltip: c.name }} style={{ maxWidth: 120 }}>{c.name}</Typography.Text>
          <Tooltip title={t('op.channels.keyHint')}>
            <Typography.Text type="secondary" code style={NOWRAP}>{c.key_hint}</Typography.Text>
          </Tooltip>
        </Space>
      ),
    },
    {
      title: t('op.channels.enabled'),
      dataIndex: 'enabled',
      width: 90,
      render: (on: boolean, c) => (
        <Switch
          size="small"
          checked={on}
          loading={toggle.isPending && toggle.variables?.id === c.id}
          onChange={() => toggle.mutate(c)}
          aria-label={t('op.channels.enabledOf', { name: c.name })}
          data-testid={`channel-enabled-${c.id}`}
        />
      ),
    },
    { title: t('op.channels.circuit'), key: 'circuit', width: 100, render: (_, c) => <CircuitTag circuit={c.circuit} testId={`circuit-channel-${c.id}`} /> },
    {
      title: t('op.channels.upstream'),
      key: 'upstream',
      width: 160,
      render: (_, c) => (
        <Space orientation="vertical" size={0}>
          {t(`op.provider.${c.provider}`)}
          {c.base_url ? (
            <Typography.Text type="secondary" ellipsis={{ tooltip: c.base_url }} style={{ maxWidth: 128 }} data-testid={`channel-endpoint-${c.id}`}>
              {c.base_url}
            </Typography.Text>
          ) : (
            <Typography.Text type="secondary">{t('op.channels.defaultUrl')}</Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('op.channels.routing'),
      key: 'routing',
      width: 156,
      render: (_, c) => (
        <Tooltip title={t('op.channels.routingHint')}>
          <Space orientation="vertical" size={0}>
            <span>
              <span style={NOWRAP}>{t('op.channels.priority')} {c.priority}</span> · <span style={NOWRAP}>{t('op.channels.weight')} {c.weight}</span>
            </span>
            {caps(c)}
          </Space>
        </Tooltip>
      ),
    },
    {
      title: t('op.channels.models'),
      dataIndex: 'models',
      width: 130,
      render: (m: string[] | null) =>
        m && m.length > 0 ? (
          <Tooltip title={m.join(', ')}>
            <Space size={4} wrap>
              <Tag style={{ maxWidth: 98, overflow: 'hidden', textOverflow: 'ellipsis', verticalAlign: 'middle' }}>{m[0]}</Tag>
              {m.length > 1 && <Tag>+{m.length - 1}</Tag>}
            </Space>
          </Tooltip>
        ) : (
          <Typography.Text type="secondary">{t('op.channels.allModels')}</Typography.Text>
        ),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      // The three buttons on one line (the others wrap or cut their text first).
      width: 244,
      fixed: actionsFixed,
      render: (_, c) => (
        <Space size={4}>
          <Button size="small" icon={<EditOutlined />} onClick={() => setForm({ open: true, editing: c })} data-testid={`edit-channel-${c.id}`}>
            {t('common.edit')}
          </Button>
          <Button size="small" icon={<ApiOutlined />} onClick={() => setTesting(c)} data-testid={`test-channel-${c.id}`}>
            {t('op.channels.test')}
          </Button>
          <Popconfirm
            title={t('op.channels.deleteTitle', { name: c.name })}
            okText={t('common.delete')}
            cancelText={t('common.cancel')}
            okButtonProps={{ danger: true, 'data-testid': 'confirm-delete-channel' }}
            onConfirm={() => remove.mutateAsync(c).catch(() => undefined)}
          >
            <Button size="small" danger icon={<DeleteOutlined />} data-testid={`delete-channel-${c.id}`}>{t('common.delete')}</Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, justifyContent: 'space-between', alignItems: 'center', marginBottom: 16 }}>
        <Typography.Text type="secondary" style={{ flex: '1 1 320px' }}>{t('op.channels.intro')}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setForm({ open: true })} data-testid="create-channel">
          {t('op.channels.create')}
        </Button>
      </div>
      <Table
        rowKey="id"
        loading={channels.isLoading}
        dataSource={channels.data ?? []}
        columns={columns}
        scroll={{ x: columnsWidth(columns) }}
        tableLayout="auto"
        onRow={(c) => rowTestId(`channel-row-${c.id}`)}
        locale={{ emptyText: <Empty description={t('op.channels.empty')} /> }}
      />
      <ChannelFormDrawer
        open={form.open}
        editing={form.editing}
        onClose={() => setForm({ open: false })}
        onSaved={() => {
          setForm({ open: false });
          toast.success(t('op.channels.saved'));
          void refresh();
        }}
      />
      <ChannelTestModal channel={testing} onClose={() => setTesting(undefined)} />
    </>
  );
}
