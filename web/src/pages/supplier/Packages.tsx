import { DollarOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Modal, Popconfirm, Progress, Space, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { supplyApi, type PackageAction, type PackageStatus, type SupplyPackage } from '../../api/supply.ts';
import { tokens, useFormat, yuan } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { BatchPriceEditor } from './Packages/BatchPriceEditor.tsx';
import { PackageDraftForm } from './Packages/PackageDraftForm.tsx';
import { ListToolbar } from './ListToolbar.tsx';
import { packageActions, pageProps, rowTestId, StatusTag } from './shared.tsx';

// Token packages: save a draft, publish / pause / unlist / clone as the state allows, and reprice several at once.

const STATUSES: PackageStatus[] = ['draft', 'active', 'paused', 'sold_out', 'expired'];
type Action = PackageAction | 'clone';

export default function Packages() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const queryClient = useQueryClient();
  const [page, setPage] = useState({ page: 1, page_size: 20 });
  const [status, setStatus] = useState<PackageStatus>();
  const [drafting, setDrafting] = useState(false);
  const [selected, setSelected] = useState<SupplyPackage[]>([]);
  const [repricing, setRepricing] = useState<SupplyPackage[]>();

  const packages = useQuery({ queryKey: ['supply', 'packages', page, status], queryFn: () => supplyApi.packages({ ...page, status }) });
  const accounts = useQuery({ queryKey: ['supply', 'accounts', 'all'], queryFn: () => supplyApi.accounts({ page_size: 200 }) });
  const accountName = useMemo(
    () => new Map((accounts.data?.data ?? []).map((a) => [a.account_id, a.account_alias ?? `${t(`supply.provider.${a.provider}`)} #${a.account_id}`])),
    [accounts.data, t],
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['supply', 'packages'] });

  const act = useMutation({
    mutationFn: ({ id, action }: { id: number; action: Action }) => (action === 'clone' ? supplyApi.clonePackage(id) : supplyApi.packageAction(id, action)),
    onSuccess: (_, { action }) => {
      toast.success(t(action === 'clone' ? 'supply.packages.cloned' : 'common.done'));
      void refresh();
    },
  });
  const actionButton = (p: SupplyPackage, action: Action) => (
    <Button
      size="small"
      type="link"
      danger={action === 'unlist'}
      data-testid={`${action}-${p.package_id}`}
      loading={act.isPending && act.variables?.id === p.package_id && act.variables.action === action}
      onClick={action === 'unlist' ? undefined : () => act.mutate({ id: p.package_id, action })}
    >
      {t(`supply.packages.${action}`)}
    </Button>
  );

  return (
    <Card title={t('supply.packages.title')}>
      <ListToolbar
        intro={t('supply.packages.intro')}
        statuses={STATUSES}
        statusLabel="supply.package."
        status={status}
        onStatus={(v) => {
          setStatus(v);
          setPage((p) => ({ ...p, page: 1 }));
        }}
        onRefresh={() => void refresh()}
      >
        <Button data-testid="batch-price" icon={<DollarOutlined />} disabled={selected.length === 0} onClick={() => setRepricing(selected)}>
          {t('supply.packages.batchPrice', { n: selected.length })}
        </Button>
        <Button data-testid="new-package" type="primary" icon={<PlusOutlined />} onClick={() => setDrafting(true)}>
          {t('supply.packages.new')}
        </Button>
      </ListToolbar>
      <Table<SupplyPackage>
        rowKey="package_id"
        loading={packages.isLoading}
        dataSource={packages.data?.data ?? []}
        // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
        // (text wraps), so at 1366 px every column shows without scrolling.
        scroll={{ x: 1040 }}
        tableLayout="auto"
        onRow={(p) => rowTestId(`package-row-${p.package_id}`)}
        locale={{ emptyText: <Empty description={t('supply.packages.empty')} /> }}
        rowSelection={{
          selectedRowKeys: selected.map((p) => p.package_id),
          onChange: (_, rows) => setSelected(rows),
          getCheckboxProps: (p) => ({ disabled: !packageActions(p).reprice, 'aria-label': t('supply.packages.select', { id: p.package_id }) }),
        }}
        pagination={pageProps(page, packages.data?.pagination.total, (p, size) => setPage({ page: size === page.page_size ? p : 1, page_size: size }))}
        columns={[
          { title: 'ID', dataIndex: 'package_id', width: 70 },
          {
            title: t('supply.packages.model'),
            key: 'model',
            // Without a width, sharing out a wide screen leaves model ids and account names a few letters a line.
            width: 150,
            render: (_, p) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text strong>{p.model}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {accountName.get(p.supply_account_id) ?? `#${p.supply_account_id}`}
                </Typography.Text>
              </Space>
            ),
          },
          { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag kind="package" value={s} /> },
          {
            title: t('supply.packages.quota'),
            key: 'quota',
            render: (_, p) => (
              <div style={{ minWidth: 160 }}>
                <Progress
                  percent={p.total_quota > 0 ? Math.round((p.available_quota / p.total_quota) * 1000) / 10 : 0}
                  size="small"
                  status={p.available_quota === 0 ? 'exception' : 'normal'}
                  aria-label={t('supply.packages.quota')}
                />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('supply.packages.quotaOf', { available: tokens(p.available_quota), total: tokens(p.total_quota) })}
                </Typography.Text>
              </div>
            ),
          },
          {
            title: t('supply.packages.prices'),
            key: 'prices',
            render: (_, p) => (
              // A narrow column breaks between the two prices, never inside one.
              <Typography.Text>
                <span style={{ whiteSpace: 'nowrap' }}>{yuan(p.price_per_1m_input, 4)} /</span> <span style={{ whiteSpace: 'nowrap' }}>{yuan(p.price_per_1m_output, 4)}</span>
              </Typography.Text>
            ),
          },
          { title: t('supply.packages.limits'), key: 'limits', render: (_, p) => t('supply.packages.limitsValue', { c: p.max_concurrent, rpm: p.rate_limit_rpm }) },
          { title: t('supply.packages.valid_days'), dataIndex: 'valid_days' },
          { title: t('supply.packages.expiresAt'), dataIndex: 'expires_at', render: dateTime },
          {
            title: t('common.actions'),
            key: 'actions',
            fixed: 'right',
            render: (_, p) => {
              const can = packageActions(p);
              return (
                <Space size={0} wrap>
                  {can.publish && actionButton(p, 'publish')}
                  {can.pause && actionButton(p, 'pause')}
                  {can.unlist && (
                    <Popconfirm title={t('supply.packages.unlistConfirm')} onConfirm={() => act.mutateAsync({ id: p.package_id, action: 'unlist' }).catch(() => undefined)}>
                      {actionButton(p, 'unlist')}
                    </Popconfirm>
                  )}
                  {can.clone && actionButton(p, 'clone')}
                </Space>
              );
            },
          },
        ]}
      />
      <Modal open={drafting} onCancel={() => setDrafting(false)} footer={null} destroyOnHidden width={680} title={t('supply.packages.newTitle')}>
        <PackageDraftForm
          onSaved={(pkg) => {
            setDrafting(false);
            toast.success(t('supply.packages.saved', { id: pkg.package_id }));
            void refresh();
          }}
        />
      </Modal>
      <Modal
        open={repricing !== undefined}
        onCancel={() => setRepricing(undefined)}
        footer={null}
        destroyOnHidden
        width={960}
        title={t('supply.packages.batchTitle')}
      >
        {repricing && (
          <BatchPriceEditor
            packages={repricing}
            onDone={() => {
              setSelected([]);
              void refresh();
            }}
          />
        )}
      </Modal>
    </Card>
  );
}
