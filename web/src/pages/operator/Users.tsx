import { DollarOutlined, ProfileOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Select, Space, Table, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { listUsers, ROLES, setUserRole, type AdminUser, type Role } from '../../api/operator.ts';
import { useSession } from '../../auth/session.tsx';
import { useFormat } from '../../components/format.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { Filters, SearchBox, PageTitle, StatusTag, useActionsFixed, usePaging } from './shared.tsx';
import { AdjustCreditsModal } from './Users/AdjustCreditsModal.tsx';
import { rowTestId } from '../../components/rows.ts';

// Operators find users (a part of the username or email, a role), change a user's role after a confirmation, adjust
// a user's credits with a reason, and jump to the user's orders. Operators cannot take their own operator role.

export default function Users() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const actionsFixed = useActionsFixed();
  const { me } = useSession();
  const { modal } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const paging = usePaging();
  const [search, setSearch] = useState('');
  const [role, setRole] = useState<Role>();
  const [adjusting, setAdjusting] = useState<AdminUser>();

  const users = useQuery({
    queryKey: ['operator', 'users', search, role, paging.page, paging.pageSize],
    queryFn: () => listUsers({ q: search || undefined, role, page: paging.page, page_size: paging.pageSize }),
    placeholderData: keepPreviousData,
  });
  const changeRole = useMutation({
    mutationFn: (v: { user: AdminUser; role: Role }) => setUserRole(v.user.id, v.role),
    onSuccess: (u) => {
      toast.success(t('op.users.roleChanged', { name: u.username, role: t(`op.status.${u.role}`) }));
      void queryClient.invalidateQueries({ queryKey: ['operator', 'users'] });
    },
  });

  const applySearch = paging.resetting(setSearch);

  const confirmRole = (user: AdminUser, next: Role) =>
    modal.confirm({
      title: t('op.users.roleTitle'),
      content: t('op.users.roleBody', { name: user.username, from: t(`op.status.${user.role}`), to: t(`op.status.${next}`) }),
      okText: t('common.confirm'),
      cancelText: t('common.cancel'),
      okButtonProps: { 'data-testid': 'role-confirm' },
      onOk: () => changeRole.mutateAsync({ user, role: next }).catch(() => undefined),
    });

  const columns: ColumnsType<AdminUser> = [
    { title: 'ID', dataIndex: 'id', width: 80 },
    {
      title: t('op.users.user'),
      key: 'user',
      render: (_, u) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text strong>{u.username}</Typography.Text>
          <Typography.Text type="secondary">{u.email ?? '—'}</Typography.Text>
        </Space>
      ),
    },
    {
      title: t('op.users.role'),
      dataIndex: 'role',
      render: (r: Role, u) => {
        const self = u.id === me?.id;
        const select = (
          <Select
            size="small"
            value={r}
            style={{ width: 130 }}
            disabled={self}
            loading={changeRole.isPending && changeRole.variables?.user.id === u.id}
            onChange={(next: Role) => confirmRole(u, next)}
            options={ROLES.map((x) => ({ value: x, label: t(`op.status.${x}`) }))}
            aria-label={t('op.users.roleOf', { name: u.username })}
            data-testid={`role-${u.id}`}
          />
        );
        return self ? <Tooltip title={t('op.users.selfRole')}>{select}</Tooltip> : select;
      },
    },
    { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag status={s} /> },
    { title: t('op.users.billing'), dataIndex: 'billing_mode', render: (m: string) => t(`op.users.billing.${m}`) },
    { title: t('common.createdAt'), dataIndex: 'created_at', render: dateTime },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: actionsFixed,
      render: (_, u) => (
        <Space wrap>
          <Button size="small" icon={<DollarOutlined />} onClick={() => setAdjusting(u)} data-testid={`adjust-${u.id}`}>
            {t('op.users.adjust')}
          </Button>
          <Button size="small" icon={<ProfileOutlined />} onClick={() => navigate(`/admin/orders?user_id=${u.id}`)} data-testid={`orders-of-${u.id}`}>
            {t('op.users.orders')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageTitle>{t('nav.users')}</PageTitle>
      <Card>
        <Filters>
          <SearchBox placeholder={t('op.users.searchPlaceholder')} onSearch={applySearch} testId="user-search" />
          <Select
            allowClear
            placeholder={t('op.users.allRoles')}
            aria-label={t('op.users.role')}
            style={{ width: 160 }}
            value={role}
            onChange={paging.resetting(setRole)}
            options={ROLES.map((x) => ({ value: x, label: t(`op.status.${x}`) }))}
            data-testid="user-role-filter"
          />
        </Filters>
        <Table
          rowKey="id"
          loading={users.isLoading}
          dataSource={users.data?.items ?? []}
          columns={columns}
          // The columns' minimum width: a phone scrolls the table inside its card; a wider screen shares out the rest
          // (text wraps), so at 1366 px every column shows without scrolling.
          scroll={{ x: 860 }}
          tableLayout="auto"
          onRow={(u) => rowTestId(`user-row-${u.id}`)}
          locale={{ emptyText: <Empty description={search || role ? t('op.users.noMatch') : t('common.empty')} /> }}
          pagination={paging.pagination(users.data?.total)}
        />
      </Card>
      <AdjustCreditsModal user={adjusting} onClose={() => setAdjusting(undefined)} />
    </>
  );
}
