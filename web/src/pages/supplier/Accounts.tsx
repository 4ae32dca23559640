import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Empty, Modal, Popconfirm, Space, Table, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { supplyApi, type AccountStatus, type SupplyAccount } from '../../api/supply.ts';
import { useFormat } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { AuditDrawer } from './Accounts/AuditDrawer.tsx';
import { MountAccountForm } from './Accounts/MountAccountForm.tsx';
import { RiskScore } from './Accounts/VerifyResultView.tsx';
import { ListToolbar } from './ListToolbar.tsx';
import { accountActions, pageProps, rowTestId, StatusTag } from './shared.tsx';

// Supply accounts: mount (verify → acknowledge → create), the list with the actions each state allows, and the audit log.

const STATUSES: AccountStatus[] = ['pending', 'active', 'suspended', 'disabled'];

export default function Accounts() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const queryClient = useQueryClient();
  const [page, setPage] = useState({ page: 1, page_size: 20 });
  const [status, setStatus] = useState<AccountStatus>();
  const [mounting, setMounting] = useState(false);
  const [audit, setAudit] = useState<number>();

  const accounts = useQuery({ queryKey: ['supply', 'accounts', 'list', page, status], queryFn: () => supplyApi.accounts({ ...page, status }) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['supply', 'accounts'] });

  const act = useMutation({
    mutationFn: async ({ id, action }: { id: number; action: 'activate' | 'suspend' | 'delete' }) => {
      if (action === 'delete') await supplyApi.deleteAccount(id);
      else await supplyApi.accountAction(id, action);
    },
    onSuccess: () => {
      toast.success(t('common.done'));
      void refresh();
    },
  });
  const busy = (id: number, action: string) => act.isPending && act.variables?.id === id && act.variables.action === action;

  return (
    <Card title={t('supply.accounts.title')}>
      <ListToolbar
        intro={t('supply.accounts.intro')}
        statuses={STATUSES}
        statusLabel="supply.account."
        status={status}
        onStatus={(v) => {
          setStatus(v);
          setPage((p) => ({ ...p, page: 1 }));
        }}
        onRefresh={() => void refresh()}
      >
        <Button data-testid="mount-account" type="primary" icon={<PlusOutlined />} onClick={() => setMounting(true)}>
          {t('supply.accounts.mount')}
        </Button>
      </ListToolbar>
      <Table<SupplyAccount>
        rowKey="account_id"
        loading={accounts.isLoading}
        dataSource={accounts.data?.data ?? []}
        // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
        // (text wraps), so at 1366 px every column shows without scrolling.
        scroll={{ x: 1000 }}
        tableLayout="auto"
        onRow={(a) => rowTestId(`account-row-${a.account_id}`)}
        locale={{ emptyText: <Empty description={t('supply.accounts.empty')} /> }}
        pagination={pageProps(page, accounts.data?.pagination.total, (p, size) => setPage({ page: size === page.page_size ? p : 1, page_size: size }))}
        columns={[
          { title: 'ID', dataIndex: 'account_id', width: 70 },
          {
            title: t('supply.accounts.account'),
            key: 'name',
            render: (_, a) => (
              <Space orientation="vertical" size={0}>
                <Typography.Text strong>{a.account_alias ?? t(`supply.provider.${a.provider}`)}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t(`supply.provider.${a.provider}`)} · {t(`supply.accountType.${a.account_type}`)}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('common.status'),
            key: 'status',
            render: (_, a) => (
              <Space size={4} wrap>
                <StatusTag kind="account" value={a.status} />
                {a.review_status !== 'not_required' && <StatusTag kind="review" value={a.review_status} />}
              </Space>
            ),
          },
          { title: t('supply.accounts.verifyStatus'), dataIndex: 'verify_status', render: (v: string) => <StatusTag kind="verify" value={v} /> },
          { title: t('supply.accounts.riskScore'), dataIndex: 'risk_score', render: (s: number) => <RiskScore score={s} compact /> },
          {
            title: t('supply.accounts.models'),
            dataIndex: 'models',
            render: (m: string[] | null) =>
              m && m.length > 0 ? (
                <Tooltip title={m.join(', ')}>
                  <Typography.Text>{t('supply.accounts.modelCount', { n: m.length })}</Typography.Text>
                </Tooltip>
              ) : (
                '—'
              ),
          },
          { title: t('supply.accounts.availableQuota'), dataIndex: 'available_quota', render: (q?: number) => q?.toLocaleString() ?? '—' },
          { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
          {
            title: t('common.actions'),
            key: 'actions',
            fixed: 'right',
            render: (_, a) => {
              const can = accountActions(a);
              const id = a.account_id;
              return (
                <Space size={4} wrap>
                  {can.activate && (
                    <Button size="small" type="link" data-testid={`activate-${id}`} loading={busy(id, 'activate')} onClick={() => act.mutate({ id, action: 'activate' })}>
                      {t('supply.accounts.activate')}
                    </Button>
                  )}
                  {can.suspend && (
                    <Button size="small" type="link" data-testid={`suspend-${id}`} loading={busy(id, 'suspend')} onClick={() => act.mutate({ id, action: 'suspend' })}>
                      {t('supply.accounts.suspend')}
                    </Button>
                  )}
                  {can.remove && (
                    <Popconfirm title={t('supply.accounts.deleteConfirm')} onConfirm={() => act.mutateAsync({ id, action: 'delete' }).catch(() => undefined)}>
                      <Button size="small" type="link" danger data-testid={`delete-${id}`} loading={busy(id, 'delete')}>
                        {t('common.delete')}
                      </Button>
                    </Popconfirm>
                  )}
                  <Button size="small" type="link" data-testid={`audit-${id}`} onClick={() => setAudit(id)}>
                    {t('supply.accounts.audit')}
                  </Button>
                </Space>
              );
            },
          },
        ]}
      />
      <Modal open={mounting} onCancel={() => setMounting(false)} footer={null} destroyOnHidden width={640} title={t('supply.accounts.mountTitle')}>
        <MountAccountForm
          onCreated={(a) => {
            setMounting(false);
            toast.success(t('supply.accounts.created', { id: a.account_id }));
            void refresh();
          }}
        />
      </Modal>
      <AuditDrawer accountId={audit} onClose={() => setAudit(undefined)} />
    </Card>
  );
}
