import { ReloadOutlined } from '@ant-design/icons';
import { Button, Flex, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../../i18n/i18n.tsx';

/** Above a supplier list: what the page is for, a status filter, refresh, and the page's own buttons. */
export function ListToolbar<S extends string>(p: {
  intro: string;
  statuses: S[];
  /** The message-key prefix of a status label (`supply.account.` → `supply.account.active`). */
  statusLabel: string;
  status?: S;
  onStatus(status?: S): void;
  onRefresh(): void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Flex wrap gap={12} justify="space-between" align="start" style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary" style={{ flex: '1 1 320px', margin: 0 }}>
        {p.intro}
      </Typography.Paragraph>
      <Space wrap>
        <Select
          allowClear
          placeholder={t('supply.filter.status')}
          aria-label={t('supply.filter.status')}
          style={{ width: 140 }}
          value={p.status}
          onChange={(v?: S) => p.onStatus(v)}
          options={p.statuses.map((s) => ({ value: s, label: t(`${p.statusLabel}${s}`) }))}
        />
        <Button icon={<ReloadOutlined />} onClick={p.onRefresh} aria-label={t('common.refresh')} />
        {p.children}
      </Space>
    </Flex>
  );
}
