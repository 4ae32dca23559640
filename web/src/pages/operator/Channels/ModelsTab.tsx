import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Empty, Popconfirm, Space, Switch, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { deleteModel, listModels, updateModel, type Circuit, type RegistryModel } from '../../../api/operator.ts';
import { useFormat } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { CircuitTag, useActionsFixed } from '../shared.tsx';
import { ModelFormModal } from './ModelFormModal.tsx';
import { rowTestId } from '../../../components/rows.ts';

// The studio's model registry (`/api/v1/models`): what the writing tools offer, what each costs in credits, and an
// optional upstream key of its own (then the model is a router candidate too, with its own circuit).

export function ModelsTab({ circuits }: { circuits?: Circuit[] }) {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const actionsFixed = useActionsFixed();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<{ open: boolean; editing?: RegistryModel }>({ open: false });
  const models = useQuery({ queryKey: ['operator', 'models'], queryFn: listModels });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['operator', 'models'] });
  const circuitOf = (id: number) => circuits?.find((c) => c.key === `model:${id}`);

  const toggle = useMutation({
    mutationFn: (m: RegistryModel) => updateModel(m.id, { is_active: !m.is_active }),
    onSuccess: () => {
      toast.success(t('common.done'));
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (m: RegistryModel) => deleteModel(m.id),
    onSuccess: () => {
      toast.success(t('op.models.deleted'));
      void refresh();
    },
  });

  const columns: ColumnsType<RegistryModel> = [
    { title: 'ID', dataIndex: 'id', width: 70 },
    {
      title: t('op.models.name'),
      key: 'name',
      render: (_, m) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong>{m.name}</Typography.Text>
          <Typography.Text type="secondary" code>{m.model_name}</Typography.Text>
        </Space>
      ),
    },
    { title: t('op.channels.provider'), dataIndex: 'provider', render: (p: string) => t(`op.provider.${p}`) },
    { title: t('op.models.credits'), dataIndex: 'credits_cost' },
    {
      title: t('op.models.upstream'),
      key: 'key',
      render: (_, m) =>
        m.has_api_key ? (
          <Space orientation="vertical" size={0}>
            <Typography.Text code>{m.key_hint}</Typography.Text>
            {m.api_base && <Typography.Text type="secondary">{m.api_base}</Typography.Text>}
          </Space>
        ) : (
          <Typography.Text type="secondary">{t('op.models.viaChannels')}</Typography.Text>
        ),
    },
    {
      title: t('op.channels.circuit'),
      key: 'circuit',
      render: (_, m) => (m.has_api_key ? <CircuitTag circuit={circuitOf(m.id)} testId={`circuit-model-${m.id}`} /> : '—'),
    },
    {
      title: t('op.models.active'),
      dataIndex: 'is_active',
      render: (on: boolean, m) => (
        <Switch
          size="small"
          checked={on}
          loading={toggle.isPending && toggle.variables?.id === m.id}
          onChange={() => toggle.mutate(m)}
          aria-label={t('op.models.activeOf', { name: m.name })}
          data-testid={`model-active-${m.id}`}
        />
      ),
    },
    { title: t('op.models.updated'), dataIndex: 'updated_at', render: (iso: string) => dateTime(iso) },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      render: (_, m) => (
        <Space>
          <Button size="small" icon={<EditOutlined />} onClick={() => setForm({ open: true, editing: m })} data-testid={`edit-model-${m.id}`}>
            {t('common.edit')}
          </Button>
          <Popconfirm
            title={t('op.models.deleteTitle', { name: m.name })}
            okText={t('common.delete')}
            cancelText={t('common.cancel')}
            okButtonProps={{ danger: true, 'data-testid': 'confirm-delete-model' }}
            onConfirm={() => remove.mutateAsync(m).catch(() => undefined)}
          >
            <Button size="small" danger icon={<DeleteOutlined />} data-testid={`delete-model-${m.id}`}>{t('common.delete')}</Button>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, justifyContent: 'space-between', marginBottom: 16 }}>
        <Typography.Text type="secondary">{t('op.models.intro')}</Typography.Text>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setForm({ open: true })} data-testid="create-model">
          {t('op.models.create')}
        </Button>
      </div>
      <Table
        rowKey="id"
        loading={models.isLoading}
        dataSource={models.data ?? []}
        columns={columns}
        scroll={{ x: 'max-content' }}
        onRow={(m) => rowTestId(`model-row-${m.id}`)}
        locale={{ emptyText: <Empty description={t('op.models.empty')} /> }}
      />
      <ModelFormModal
        open={form.open}
        editing={form.editing}
        onClose={() => setForm({ open: false })}
        onSaved={() => {
          setForm({ open: false });
          toast.success(t('common.done'));
          void refresh();
        }}
      />
    </>
  );
}
