import { DisconnectOutlined, LinkOutlined } from '@ant-design/icons';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Empty, Flex, Form, Input, Modal, Popconfirm, Row, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useState } from 'react';
import {
  ACCOUNT_TYPE_NAMES,
  bindPlatform,
  listPlatforms,
  listPublishHistory,
  PLATFORMS,
  unbindPlatform,
  type AccountType,
  type PlatformAccount,
  type Publish,
  type PublishPlatform,
} from '../../api/publishing.ts';
import { useFormat } from '../../components/format.ts';
import { columnsWidth, rowTestId, usePaging } from '../../components/rows.ts';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import KuaishouAuthorize from './KuaishouAuthorize.tsx';
import { HISTORY_KEY, JobStateTag, PLATFORMS_KEY, PublishStatusTag, PublishStatusView, usePlatformName } from './PublishStatus.tsx';
import { StudioTitle, TypeTag } from './shared.tsx';

// Where a creator's publishing lives: the platform accounts (bind with the platform's own credentials, which are typed
// in and never shown again; unbind), and every publish with each platform's state, opened to follow or finish it.

export default function Publishing() {
  const { t } = useI18n();
  return (
    <>
      <StudioTitle>{t('nav.publishing')}</StudioTitle>
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        <Accounts />
        <History />
      </Space>
    </>
  );
}

function Accounts() {
  const { t } = useI18n();
  const platforms = useQuery({ queryKey: PLATFORMS_KEY, queryFn: listPlatforms });
  return (
    <Card title={t('creator.publishing.accounts')} loading={platforms.isLoading} data-testid="publish-accounts">
      <Row gutter={[16, 16]}>
        {(platforms.data ?? []).map((p) => (
          <Col key={p.platform} xs={24} md={12} xl={8}>
            <AccountCard account={p} />
          </Col>
        ))}
      </Row>
    </Card>
  );
}

function AccountCard({ account: a }: { account: PlatformAccount }) {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const platformName = usePlatformName();
  const queryClient = useQueryClient();
  const [rebinding, setRebinding] = useState(false);
  // A platform that takes no credentials (Toutiao's export) is always usable: there is nothing to rebind, and
  // unbinding it would only be answered "not found".
  const nothingToBind = a.bound && a.credential_fields.length === 0;
  const unbind = useMutation({
    mutationFn: () => unbindPlatform(a.platform),
    onSuccess: () => {
      toast.success(t('creator.publishing.unbound', { name: platformName(a.platform) }));
      void queryClient.invalidateQueries({ queryKey: PLATFORMS_KEY });
    },
  });
  return (
    <Card
      size="small"
      type="inner"
      title={platformName(a.platform)}
      extra={<Tag color={a.bound ? 'success' : 'default'}>{t(a.bound ? 'creator.publishing.bound' : 'creator.publish.notBound')}</Tag>}
      data-testid={`account-${a.platform}`}
      style={{ height: '100%' }}
    >
      <Space orientation="vertical" size={8} style={{ width: '100%' }}>
        <Typography.Text>{t(`creator.publish.capability.${a.capability}`)}</Typography.Text>
        <Space size={4} wrap>
          <Typography.Text type="secondary">{t('creator.publishing.accepts')}</Typography.Text>
          {a.accepts.map((type) => <TypeTag key={type} type={type} />)}
        </Space>
        {a.bound && a.account_name && <Typography.Text>{t('creator.publishing.account', { name: a.account_name })}</Typography.Text>}
        {a.bound && a.bound_at && <Typography.Text type="secondary">{t('creator.publishing.boundAt', { at: dateTimeToMinute(a.bound_at) })}</Typography.Text>}
        <AccountTypes platform={a.platform} types={a.account_types} />
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }} data-testid={`account-note-${a.platform}`}>{t(`creator.publishing.note.${a.capability === 'draft_only' ? 'draft_only' : a.platform}`)}</Typography.Paragraph>
        {a.platform === 'kuaishou' && <KuaishouAuthorize bound={a.bound} />}
        {nothingToBind ? null : !a.bound || rebinding ? (
          <BindForm account={a} onDone={() => setRebinding(false)} onCancel={a.bound ? () => setRebinding(false) : undefined} />
        ) : (
          <Space size={8} wrap>
            <Button size="small" icon={<LinkOutlined />} onClick={() => setRebinding(true)} data-testid={`rebind-${a.platform}`}>{t('creator.publishing.rebind')}</Button>
            <Popconfirm
              title={t('creator.publishing.unbindTitle', { name: platformName(a.platform) })}
              description={t('creator.publishing.unbindBody')}
              okText={t('creator.publishing.unbind')}
              cancelText={t('common.cancel')}
              okButtonProps={{ danger: true, 'data-testid': 'confirm-unbind' }}
              onConfirm={() => unbind.mutateAsync().catch(() => undefined)}
            >
              <Button size="small" danger icon={<DisconnectOutlined />} loading={unbind.isPending} data-testid={`unbind-${a.platform}`}>{t('creator.publishing.unbind')}</Button>
            </Popconfirm>
          </Space>
        )}
      </Space>
    </Card>
  );
}

/** What each kind of account can do on the platform, the bound account's kind marked. */
function AccountTypes({ platform, types }: { platform: PublishPlatform; types: AccountType[] }) {
  const { t } = useI18n();
  const known = (type: string) => (ACCOUNT_TYPE_NAMES as readonly string[]).includes(type);
  return (
    <Space orientation="vertical" size={2} style={{ width: '100%' }} data-testid={`kinds-${platform}`}>
      <Typography.Text type="secondary">{t('creator.publishing.accountTypes')}</Typography.Text>
      {types.map((k) => (
        <Flex key={k.type} gap={6} wrap align="center" data-testid={`kind-${platform}-${k.type}`}>
          <Typography.Text>{known(k.type) ? t(`creator.publishing.accountType.${k.type}`) : k.label}</Typography.Text>
          <Typography.Text type="secondary">→ {t(`creator.publish.capability.${k.capability}`)}</Typography.Text>
          {k.applies && <Tag color="blue" data-testid={`kind-yours-${platform}`}>{t('creator.publishing.yours')}</Tag>}
        </Flex>
      ))}
    </Space>
  );
}

/** The platform's own credential fields; secrets in password inputs, and every field emptied once bound. */
function BindForm({ account: a, onDone, onCancel }: { account: PlatformAccount; onDone(): void; onCancel?(): void }) {
  const { t } = useI18n();
  const platformName = usePlatformName();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<Record<string, string | undefined>>();
  const bind = useMutation({
    mutationFn: (v: Record<string, string | undefined>) =>
      bindPlatform(a.platform, Object.fromEntries(a.credential_fields.map((f) => [f.name, (v[f.name] ?? '').trim()]).filter(([, value]) => value !== ''))),
    onSuccess: (next) => {
      form.resetFields();
      queryClient.setQueryData<PlatformAccount[]>(PLATFORMS_KEY, (list) => list?.map((p) => (p.platform === next.platform ? next : p)));
      void queryClient.invalidateQueries({ queryKey: PLATFORMS_KEY });
      toast.success(t('creator.publishing.boundToast', { name: platformName(a.platform) }));
      onDone();
    },
  });
  return (
    <Form form={form} name={`bind-${a.platform}`} layout="vertical" onFinish={(v) => bind.mutate(v)} data-testid={`bind-form-${a.platform}`} style={{ width: '100%' }}>
      {a.credential_fields.length === 0 && <Typography.Paragraph type="secondary">{t('creator.publishing.noCredentials')}</Typography.Paragraph>}
      {a.credential_fields.map((f) => (
        <Form.Item key={f.name} name={f.name} label={f.label} rules={[{ required: !f.optional, whitespace: true, message: t('creator.form.required', { label: f.label }) }]}>
          {f.secret ? <Input.Password autoComplete="new-password" maxLength={4096} /> : <Input autoComplete="off" maxLength={4096} />}
        </Form.Item>
      ))}
      {bind.isError && <Alert type="error" showIcon title={t('creator.publishing.bindFailed')} description={bind.error.message} style={{ marginBottom: 12 }} data-testid={`bind-error-${a.platform}`} />}
      <Space size={8}>
        <Button type="primary" htmlType="submit" loading={bind.isPending} data-testid={`bind-${a.platform}`}>{t('creator.publishing.bind')}</Button>
        {onCancel && <Button onClick={onCancel}>{t('common.cancel')}</Button>}
      </Space>
    </Form>
  );
}

function History() {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const platformName = usePlatformName();
  const queryClient = useQueryClient();
  const paging = usePaging();
  const { page, pageSize } = paging;
  const [platform, setPlatform] = useState<PublishPlatform>();
  const [opened, setOpened] = useState<Publish>();
  // The platforms the server offers (the accounts' query); every known one until it answers.
  const known = useQuery({ queryKey: PLATFORMS_KEY, queryFn: listPlatforms }).data?.map((p) => p.platform) ?? PLATFORMS;
  const list = useQuery({
    queryKey: [...HISTORY_KEY, platform ?? 'all', page, pageSize],
    queryFn: () => listPublishHistory(page, pageSize, platform),
    placeholderData: keepPreviousData,
  });
  const close = () => {
    setOpened(undefined);
    void queryClient.invalidateQueries({ queryKey: HISTORY_KEY });
  };

  const columns: ColumnsType<Publish> = [
    {
      title: t('creator.publishing.creation'),
      dataIndex: 'creation_title',
      width: 240,
      render: (title: string | null, p) => <Typography.Link ellipsis style={{ maxWidth: 220 }} onClick={() => setOpened(p)}>{title || t('creator.creations.untitled')}</Typography.Link>,
    },
    { title: t('common.createdAt'), dataIndex: 'created_at', width: 150, render: dateTimeToMinute },
    { title: t('creator.publishing.scheduleTime'), dataIndex: 'schedule_time', width: 150, render: dateTimeToMinute },
    { title: t('common.status'), dataIndex: 'status', width: 120, render: (_, p) => <PublishStatusTag status={p.status} /> },
    {
      title: t('creator.publishing.platforms'),
      key: 'platforms',
      width: 320,
      render: (_, p) => <Space size={[4, 4]} wrap>{p.platforms.map((j) => <JobStateTag key={j.platform} job={j} named />)}</Space>,
    },
  ];

  return (
    <Card
      title={t('creator.publishing.history')}
      data-testid="publish-history"
      extra={
        <Select
          allowClear
          style={{ width: 170 }}
          placeholder={t('creator.publishing.allPlatforms')}
          value={platform}
          onChange={paging.resetting(setPlatform)}
          options={known.map((p) => ({ value: p, label: platformName(p) }))}
          data-testid="history-platform"
        />
      }
    >
      <Table
        rowKey="publish_id"
        size="middle"
        loading={list.isLoading}
        dataSource={list.data?.items ?? []}
        columns={columns}
        scroll={{ x: columnsWidth(columns) }}
        tableLayout="fixed"
        onRow={(p) => ({ ...rowTestId(`publish-row-${p.publish_id}`), onClick: () => setOpened(p), style: { cursor: 'pointer' } })}
        locale={{ emptyText: <Empty description={t('creator.publishing.empty')} /> }}
        pagination={paging.pagination(list.data?.total)}
      />
      <Modal open={opened !== undefined} title={t('creator.publishing.statusTitle')} onCancel={close} footer={null} destroyOnHidden width={640}>
        {opened && <PublishStatusView publishId={opened.publish_id} initial={opened} />}
      </Modal>
    </Card>
  );
}
