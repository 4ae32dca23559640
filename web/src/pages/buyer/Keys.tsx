import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Popconfirm, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { listKeys, revokeKey, updateKey, type ApiKey } from '../../api/buyer.ts';
import { toast } from '../../components/toast.ts';
import { dateTime, yuan } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { KeyFormModal } from './Keys/KeyFormModal.tsx';
import { NewKeyModal } from './Keys/NewKeyModal.tsx';
import { cost, PageTitle, StatusTag } from './shared.tsx';
import { rowTestId } from '../../components/rows.ts';

// The buyer's API keys: list, create (the key is shown once), edit limits, enable/disable, revoke.

const expired = (k: ApiKey) => k.expires_at !== null && new Date(`${k.expires_at}+08:00`).getTime() <= Date.now();
const keyStatus = (k: ApiKey) => (!k.enabled ? 'disabled' : expired(k) ? 'expired' : 'active');

function ListCell({ items, none }: { items: string[] | null; none: string }) {
  if (!items || items.length === 0) return <Typography.Text type="secondary">{none}</Typography.Text>;
  const shown = items.slice(0, 3);
  return (
    <Tooltip title={items.join(', ')}>
      <Space size={[0, 4]} wrap>
        {shown.map((m) => <Tag key={m}>{m}</Tag>)}
        {items.length > shown.length && <Tag>+{items.length - shown.length}</Tag>}
      </Space>
    </Tooltip>
  );
}

export default function Keys() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [form, setForm] = useState<{ open: boolean; editing?: ApiKey }>({ open: false });
  const [created, setCreated] = useState<ApiKey & { key: string }>();

  const keys = useQuery({ queryKey: ['buyer', 'keys', page, pageSize], queryFn: () => listKeys(page, pageSize), placeholderData: keepPreviousData });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['buyer', 'keys'] });
  // Revoking the last key of a later page leaves that page empty: step back.
  useEffect(() => {
    if (page > 1 && keys.data && keys.data.items.length === 0 && keys.data.total > 0) setPage(Math.ceil(keys.data.total / pageSize));
  }, [keys.data, page, pageSize]);

  const toggle = useMutation({
    mutationFn: (k: ApiKey) => updateKey(k.id, { enabled: !k.enabled }),
    onSuccess: () => {
      toast.success(t('common.done'));
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (k: ApiKey) => revokeKey(k.id),
    onSuccess: () => {
      toast.success(t('buyer.keys.revoked'));
      void refresh();
    },
  });

  const columns: ColumnsType<ApiKey> = [
    {
      title: t('buyer.keys.name'),
      dataIndex: 'name',
      render: (name: string, k) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong>{name}</Typography.Text>
          <Typography.Text type="secondary" code>{k.key_mask}</Typography.Text>
        </Space>
      ),
    },
    { title: t('common.status'), key: 'status', render: (_, k) => <StatusTag status={keyStatus(k)} /> },
    {
      title: t('buyer.keys.spent'),
      key: 'spend',
      render: (_, k) => (k.spend_limit === null ? cost(k.spent) : `${cost(k.spent)} / ${yuan(k.spend_limit)}`),
    },
    { title: t('buyer.keys.rpm'), dataIndex: 'rate_limit_rpm', render: (v: number | null) => v ?? <Typography.Text type="secondary">{t('buyer.keys.unlimited')}</Typography.Text> },
    { title: t('buyer.keys.allowedModels'), dataIndex: 'allowed_models', render: (v: string[] | null) => <ListCell items={v} none={t('buyer.keys.allModels')} /> },
    { title: t('buyer.keys.allowedIps'), dataIndex: 'allowed_ips', render: (v: string[] | null) => <ListCell items={v} none={t('buyer.keys.anyIp')} /> },
    { title: t('buyer.keys.expiresAt'), dataIndex: 'expires_at', render: (v: string | null) => (v ? dateTime(v) : t('buyer.keys.never')) },
    { title: t('buyer.keys.lastUsed'), dataIndex: 'last_used_at', render: dateTime },
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: 'right',
      render: (_, k) => (
        <Space>
          <Switch
            size="small"
            checked={k.enabled}
            loading={toggle.isPending && toggle.variables?.id === k.id}
            onChange={() => toggle.mutate(k)}
            aria-label={t('buyer.keys.enabled')}
            data-testid={`toggle-key-${k.id}`}
          />
          <Button size="small" icon={<EditOutlined />} onClick={() => setForm({ open: true, editing: k })} data-testid={`edit-key-${k.id}`}>
            {t('common.edit')}
          </Button>
          <Popconfirm
            title={t('buyer.keys.revokeTitle', { name: k.name })}
            description={t('buyer.keys.revokeBody')}
            okText={t('buyer.keys.revoke')}
            cancelText={t('common.cancel')}
            okButtonProps={{ danger: true, 'data-testid': 'confirm-revoke' }}
            onConfirm={() => revoke.mutateAsync(k).catch(() => undefined)}
          >
            <Button size="small" danger icon={<DeleteOutlined />} data-testid={`revoke-key-${k.id}`}>{t('buyer.keys.revoke')}</Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageTitle
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setForm({ open: true })} data-testid="create-key">
            {t('buyer.keys.create')}
          </Button>
        }
      >
        {t('nav.keys')}
      </PageTitle>
      <Card>
        <Typography.Paragraph type="secondary">{t('buyer.keys.intro')}</Typography.Paragraph>
        <Table
          rowKey="id"
          loading={keys.isLoading}
          dataSource={keys.data?.items ?? []}
          columns={columns}
          scroll={{ x: 'max-content' }}
          onRow={(k) => rowTestId(`key-row-${k.id}`)}
          locale={{
            emptyText: (
              <Empty description={t('buyer.keys.empty')}>
                <Button type="primary" onClick={() => setForm({ open: true })}>{t('buyer.keys.create')}</Button>
              </Empty>
            ),
          }}
          pagination={{
            current: page,
            pageSize,
            total: keys.data?.total ?? 0,
            showSizeChanger: true,
            hideOnSinglePage: false,
            onChange: (p, s) => {
              setPage(s === pageSize ? p : 1);
              setPageSize(s);
            },
          }}
        />
      </Card>
      <KeyFormModal
        open={form.open}
        editing={form.editing}
        onClose={() => setForm({ open: false })}
        onCreated={(k) => {
          setForm({ open: false });
          setCreated(k);
          void refresh();
        }}
        onSaved={() => {
          setForm({ open: false });
          toast.success(t('common.done'));
          void refresh();
        }}
      />
      <NewKeyModal value={created?.key} name={created?.name} onClose={() => setCreated(undefined)} />
    </>
  );
}
