import { DeleteOutlined, EditOutlined, EyeOutlined, SendOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Popconfirm, Segmented, Space, Table, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { CREATION_TYPES, deleteCreation, listCreations, type Creation, type CreationType } from '../../api/studio.ts';
import { useFormat } from '../../components/format.ts';
import { columnsWidth, rowTestId, useActionsFixed, usePaging } from '../../components/rows.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { CreationModal } from './Creations/CreationModal.tsx';
import { PublishDialog } from './PublishDialog.tsx';
import { StudioTitle, TruncatedTag, TypeTag, useWritingTools } from './shared.tsx';

// The creator's works of every kind: filter by type, page through, open one (`?id=`, where a generation's "view"
// link leads), edit its title and text, delete it. A stopped or cut-off writing shows as unfinished.

const isType = (v: string | null): v is CreationType => (CREATION_TYPES as readonly string[]).includes(v ?? '');

export default function Creations() {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const actionsFixed = useActionsFixed();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const typeParam = params.get('type');
  const type = isType(typeParam) ? typeParam : undefined;
  const openId = Number(params.get('id')) || undefined;
  const paging = usePaging();
  const { page, pageSize, goTo } = paging;
  const [editing, setEditing] = useState(false);
  const [publishing, setPublishing] = useState<Creation>();
  const tools = useWritingTools();
  const toolName = (toolType: string | null) => (toolType ? tools.data?.find((x) => x.type === toolType)?.name ?? toolType : undefined);

  const list = useQuery({
    queryKey: ['creator', 'creations', type ?? 'all', page, pageSize],
    queryFn: () => listCreations(type, page, pageSize),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['creator', 'creations'] });
  // Deleting the last creation of a later page leaves that page empty: step back.
  useEffect(() => {
    if (page > 1 && list.data && list.data.items.length === 0 && list.data.total > 0) goTo(Math.ceil(list.data.total / pageSize));
  }, [list.data, page, pageSize, goTo]);

  const setQuery = (next: { type?: CreationType; id?: number }) => {
    const q: Record<string, string> = {};
    if (next.type) q.type = next.type;
    if (next.id !== undefined) q.id = String(next.id);
    setParams(q);
  };
  const open = (c: Creation, edit: boolean) => {
    setEditing(edit);
    setQuery({ type, id: c.id });
  };
  const close = () => setQuery({ type });

  const remove = useMutation({
    mutationFn: (c: Creation) => deleteCreation(c.id),
    onSuccess: (_, c) => {
      toast.success(t('creator.creations.deleted'));
      if (openId === c.id) close();
      void refresh();
    },
  });

  const columns: ColumnsType<Creation> = [
    {
      title: t('creator.creations.title'),
      dataIndex: 'title',
      width: 320,
      render: (title: string, c) => (
        <Space size={6} style={{ maxWidth: '100%' }}>
          <Typography.Link ellipsis onClick={() => open(c, false)} style={{ maxWidth: 260 }}>{title || t('creator.creations.untitled')}</Typography.Link>
          {c.status === 'truncated' && <TruncatedTag />}
        </Space>
      ),
    },
    {
      title: t('creator.creations.type'),
      key: 'type',
      width: 200,
      render: (_, c) => (
        <Space size={4} wrap>
          <TypeTag type={c.type} />
          {c.type === 'writing' && <Typography.Text type="secondary">{toolName(c.tool_type)}</Typography.Text>}
        </Space>
      ),
    },
    { title: t('creator.creations.updatedAt'), dataIndex: 'updated_at', width: 150, render: dateTimeToMinute },
    { title: t('common.createdAt'), dataIndex: 'created_at', width: 150, render: dateTimeToMinute },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      width: 170,
      render: (_, c) => (
        <Space size={8}>
          <Tooltip title={t('creator.publish.action')}>
            <Button size="small" icon={<SendOutlined />} aria-label={t('creator.publish.action')} onClick={() => setPublishing(c)} data-testid={`publish-creation-${c.id}`} />
          </Tooltip>
          <Tooltip title={t('creator.creations.view')}>
            <Button size="small" icon={<EyeOutlined />} aria-label={t('creator.creations.view')} onClick={() => open(c, false)} data-testid={`view-creation-${c.id}`} />
          </Tooltip>
          <Tooltip title={t('common.edit')}>
            <Button size="small" icon={<EditOutlined />} aria-label={t('common.edit')} onClick={() => open(c, true)} data-testid={`edit-creation-${c.id}`} />
          </Tooltip>
          <Popconfirm
            title={t('creator.creations.deleteTitle', { title: c.title || t('creator.creations.untitled') })}
            description={t('creator.creations.deleteBody')}
            okText={t('common.delete')}
            cancelText={t('common.cancel')}
            okButtonProps={{ danger: true, 'data-testid': 'confirm-delete' }}
            onConfirm={() => remove.mutateAsync(c).catch(() => undefined)}
          >
            <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} data-testid={`delete-creation-${c.id}`} />
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <>
      <StudioTitle>{t('nav.creations')}</StudioTitle>
      <Card>
        <Segmented
          data-testid="creation-type"
          style={{ marginBottom: 16 }}
          value={type ?? 'all'}
          onChange={(v) => {
            paging.reset();
            setQuery({ type: v === 'all' ? undefined : (v as CreationType) });
          }}
          options={[{ value: 'all', label: t('creator.type.all') }, ...CREATION_TYPES.map((v) => ({ value: v, label: t(`creator.type.${v}`) }))]}
        />
        <Table
          rowKey="id"
          size="middle"
          loading={list.isLoading}
          dataSource={list.data?.items ?? []}
          columns={columns}
          scroll={{ x: columnsWidth(columns) }}
          tableLayout="fixed"
          onRow={(c) => rowTestId(`creation-row-${c.id}`)}
          locale={{ emptyText: <Empty description={t('creator.creations.empty')} /> }}
          pagination={paging.pagination(list.data?.total)}
        />
      </Card>
      <CreationModal id={openId} editing={editing} onEdit={setEditing} onClose={close} onSaved={() => void refresh()} />
      <PublishDialog creation={publishing} onClose={() => setPublishing(undefined)} />
    </>
  );
}
