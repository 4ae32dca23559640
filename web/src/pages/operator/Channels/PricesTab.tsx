import { EditOutlined, PlusOutlined, SearchOutlined, UndoOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Empty, Input, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useMemo, useState } from 'react';
import { deletePrice, listPrices, type ModelPrice } from '../../../api/operator.ts';
import { yuan } from '../../../components/format.ts';
import { toast } from '../../../components/toast.ts';
import { useActionsFixed } from '../shared.tsx';
import { useI18n } from '../../../i18n/i18n.tsx';
import { PriceFormModal } from './PriceFormModal.tsx';
import { rowTestId } from '../../../components/rows.ts';

// What API buyers pay per model (CNY per 1M tokens; per image for image models): the built-in defaults and the
// operators' own prices. Removing an operator price brings the default back (or drops a model that has none).

export function PricesTab() {
  const { t } = useI18n();
  const actionsFixed = useActionsFixed();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [form, setForm] = useState<{ open: boolean; editing?: ModelPrice }>({ open: false });
  const prices = useQuery({ queryKey: ['operator', 'prices'], queryFn: listPrices });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['operator', 'prices'] });

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const all = prices.data ?? [];
    return needle ? all.filter((p) => p.model.toLowerCase().includes(needle) || p.provider.includes(needle)) : all;
  }, [prices.data, search]);

  const reset = useMutation({
    mutationFn: (p: ModelPrice) => deletePrice(p.model),
    onSuccess: () => {
      toast.success(t('op.prices.reset'));
      void refresh();
    },
  });

  const columns: ColumnsType<ModelPrice> = [
    { title: t('op.prices.model'), dataIndex: 'model', render: (m: string) => <Typography.Text code>{m}</Typography.Text> },
    { title: t('op.channels.provider'), dataIndex: 'provider', render: (p: string) => t(`op.provider.${p}`) },
    { title: t('op.prices.input'), dataIndex: 'input_price', render: (v: number) => yuan(v, 4) },
    { title: t('op.prices.output'), dataIndex: 'output_price', render: (v: number) => yuan(v, 4) },
    { title: t('op.prices.image'), dataIndex: 'per_image_price', render: (v: number | null) => (v === null ? '—' : yuan(v, 4)) },
    { title: t('op.prices.operations'), dataIndex: 'operations', render: (ops: string[]) => <Space size={[0, 4]} wrap>{ops.map((o) => <Tag key={o}>{o}</Tag>)}</Space> },
    {
      title: t('op.prices.source'),
      dataIndex: 'price_source',
      render: (s: string) => <Tag color={s === 'operator' ? 'blue' : 'default'}>{t(`op.prices.source.${s}`)}</Tag>,
    },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      render: (_, p) => (
        <Space>
          <Button size="small" icon={<EditOutlined />} onClick={() => setForm({ open: true, editing: p })} data-testid={`edit-price-${p.model}`}>
            {t('common.edit')}
          </Button>
          {p.price_source === 'operator' && (
            <Popconfirm
              title={t('op.prices.resetTitle', { model: p.model })}
              okText={t('common.confirm')}
              cancelText={t('common.cancel')}
              okButtonProps={{ 'data-testid': 'confirm-reset-price' }}
              onConfirm={() => reset.mutateAsync(p).catch(() => undefined)}
            >
              <Button size="small" icon={<UndoOutlined />} data-testid={`reset-price-${p.model}`}>{t('op.prices.resetAction')}</Button>
            </Popconfirm>
          )}
        </Space>
      ),
    },
  ];

  return (
    <>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, justifyContent: 'space-between', marginBottom: 16 }}>
        <Input
          allowClear
          prefix={<SearchOutlined />}
          placeholder={t('op.prices.search')}
          aria-label={t('op.prices.search')}
          style={{ maxWidth: 320 }}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="price-search"
        />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setForm({ open: true })} data-testid="create-price">
          {t('op.prices.create')}
        </Button>
      </div>
      <Table
        rowKey="model"
        loading={prices.isLoading}
        dataSource={shown}
        columns={columns}
        scroll={{ x: 'max-content' }}
        onRow={(p) => rowTestId(`price-row-${p.model}`)}
        locale={{ emptyText: <Empty description={t('common.empty')} /> }}
        pagination={{ defaultPageSize: 20, showSizeChanger: true }}
      />
      <PriceFormModal
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
