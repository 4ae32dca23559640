import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Popconfirm, Space, Switch, Table, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { listKeys, revokeKey, updateKey, type ApiKey } from '../../api/buyer.ts';
import { toast } from '../../components/toast.ts';
import { money, useFormat, yuan } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { KeyFormModal } from './Keys/KeyFormModal.tsx';
import { LimitsCell } from './Keys/LimitsCell.tsx';
import { NewKeyModal } from './Keys/NewKeyModal.tsx';
import { PageTitle, StatusTag } from './shared.tsx';
import { columnsWidth, rowTestId, useActionsFixed } from '../../components/rows.ts';

// The buyer's API keys: list, create (the key is shown once), edit limits, enable/disable, revoke.

const expired = (k: ApiKey) => k.expires_at !== null && new Date(`${k.expires_at}+08:00`).getTime() <= Date.now();
const keyStatus = (k: ApiKey) => (!k.enabled ? 'disabled' : expired(k) ? 'expired' : 'active');

/** Fits `2026/11/26 17:05` and `Nov 26, 2026, 17:05` with the cell's padding. */
const DATE_WIDTH = 140;

export default function Keys() {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const actionsFixed = useActionsFixed();
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
      width: 150,
      render: (name: string, k) => (
        <>
          <Typography.Text strong ellipsis={{ tooltip: name }} style={{ display: 'block' }}>{name}</Typography.Text>
          <Typography.Text type="secondary" code>{k.key_mask}</Typography.Text>
        </>
      ),
    },
    { title: t('common.status'), key: 'status', width: 90, render: (_, k) => <StatusTag status={keyStatus(k)} /> },
    {
      title: t('buyer.keys.spent'),
      key: 'spend',
      width: 130,
      render: (_, k) => (k.spend_limit === null ? money(k.spent) : `${money(k.spent)} / ${yuan(k.spend_limit)}`),
    },
    { title: t('buyer.keys.limits'), key: 'limits', width: 230, render: (_, k) => <LimitsCell apiKey={k} /> },
    { title: t('buyer.keys.lastUsed'), dataIndex: 'last_used_at', width: DATE_WIDTH, render: dateTimeToMinute },
    { title: t('common.createdAt'), dataIndex: 'created_at', width: DATE_WIDTH, render: dateTimeToMinute },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      width: 110,
      render: (_, k) => (
        <Space size={8}>
          <Switch
            size="small"
            checked={k.enabled}
            loading={toggle.isPending && toggle.variables?.id === k.id}
            onChange={() => toggle.mutate(k)}
            aria-label={t('buyer.keys.enabledOf', { name: k.name })}
            data-testid={`toggle-key-${k.id}`}
          />
          <Tooltip title={t('common.edit')}>
            <Button size="small" icon={<EditOutlined />} onClick={() => setForm({ open: true, editing: k })} aria-label={t('common.edit')} data-testid={`edit-key-${k.id}`} />
          </Tooltip>
          <Tooltip title={t('buyer.keys.revoke')}>
            <Popconfirm
              title={t('buyer.keys.revokeTitle', { name: k.name })}
              description={t('buyer.keys.revokeBody')}
              okText={t('buyer.keys.revoke')}
              cancelText={t('common.cancel')}
              okButtonProps={{ danger: true, 'data-testid': 'confirm-revoke' }}
              onConfirm={() => revoke.mutateAsync(k).catch(() => undefined)}
            >
              <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('buyer.keys.revoke')} data-testid={`revoke-key-${k.id}`} />
            </Popconfirm>
          </Tooltip>
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
          size="middle"
          loading={keys.isLoading}
          dataSource={keys.data?.items ?? []}
          columns={columns}
          scroll={{ x: columnsWidth(columns) }}
          tableLayout="fixed"
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
