import { Alert, Card, Table } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { CallableModel } from '../../../api/buyer.ts';
import { yuan } from '../../../components/format.ts';
import { ModelTag } from '../../../components/ModelTag.tsx';
import { columnsWidth } from '../../../components/rows.ts';
import { useI18n } from '../../../i18n/i18n.tsx';

// The models an API key may call (one without a model allow-list), with the price per 1M tokens the buyer is held to.

/** A unit price: 4 decimals (DESIGN.md §3, Money); a free model says so. */
const unitPrice = (p: number | undefined, free: string) => (p === 0 ? free : yuan(p, 4));

export function ModelsCard({ models, loading }: { models?: CallableModel[]; loading: boolean }) {
  const { t } = useI18n();
  const free = t('buyer.quick.free');
  const columns: ColumnsType<CallableModel> = [
    { title: t('buyer.usage.model'), dataIndex: 'id', width: 240, render: (id: string) => <ModelTag model={id} /> },
    {
      title: t('buyer.quick.inputPrice'),
      key: 'in',
      align: 'right',
      width: 150,
      // Image models are priced per image, not per token.
      render: (_, m) => (m.pricing.per_image === undefined ? unitPrice(m.pricing.input_per_1m_tokens, free) : t('buyer.quick.perImage', { price: unitPrice(m.pricing.per_image, free) })),
    },
    { title: t('buyer.quick.outputPrice'), key: 'out', align: 'right', width: 150, render: (_, m) => (m.pricing.per_image === undefined ? unitPrice(m.pricing.output_per_1m_tokens, free) : '—') },
  ];
  return (
    <Card title={t('buyer.quick.callable')} style={{ marginBottom: 16 }} data-testid="quick-models">
      {!loading && models?.length === 0 ? (
        <Alert type="warning" showIcon title={t('buyer.quick.noModels')} data-testid="quick-no-models" />
      ) : (
        <Table
          rowKey="id"
          size="small"
          loading={loading}
          dataSource={models ?? []}
          columns={columns}
          scroll={{ x: columnsWidth(columns) }}
          tableLayout="fixed"
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
        />
      )}
    </Card>
  );
}
