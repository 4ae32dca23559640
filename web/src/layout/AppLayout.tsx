import {
  ApiOutlined, AuditOutlined, BankOutlined, CloudServerOutlined, CodeOutlined, DashboardOutlined, DollarOutlined, GiftOutlined,
  HeartOutlined, KeyOutlined, LineChartOutlined, LogoutOutlined, ProfileOutlined, ShoppingOutlined, TeamOutlined, WalletOutlined,
} from '@ant-design/icons';
import { Button, Drawer, Grid, Layout, Menu, Select, Space, Switch, Typography, type MenuProps } from 'antd';
import { useState, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { allowed, ROUTES, type Group } from '../routes.tsx';

// The frame around every signed-in page: the menu (only what the user's role may open), language, light/dark, sign
// out. Below the `md` breakpoint the menu moves into a drawer.

const ICONS: Record<string, ReactNode> = {
  dashboard: <DashboardOutlined />, key: <KeyOutlined />, usage: <LineChartOutlined />, wallet: <WalletOutlined />, code: <CodeOutlined />,
  cloud: <CloudServerOutlined />, package: <ShoppingOutlined />, money: <DollarOutlined />, team: <TeamOutlined />, api: <ApiOutlined />,
  audit: <AuditOutlined />, bank: <BankOutlined />, gift: <GiftOutlined />, orders: <ProfileOutlined />, health: <HeartOutlined />,
};
const GROUPS: Group[] = ['buyer', 'supplier', 'operator'];

export function AppLayout({ children, dark, onDark }: { children: ReactNode; dark: boolean; onDark(v: boolean): void }) {
  const { me, logout } = useSession();
  const { t, locale, setLocale } = useI18n();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const [drawer, setDrawer] = useState(false);
  const narrow = !screens.md;

  const items: MenuProps['items'] = GROUPS.map((group) => ({
    type: 'group' as const,
    key: group,
    label: t(`nav.${group}`),
    children: ROUTES.filter((r) => r.group === group && allowed(r, me?.role)).map((r) => ({
      key: r.path,
      icon: ICONS[r.icon],
      label: <Link to={r.path} onClick={() => setDrawer(false)}>{t(r.label)}</Link>,
    })),
  })).filter((g) => g.children.length > 0);
  const menu = <Menu mode="inline" selectedKeys={[location.pathname]} items={items} style={{ borderInlineEnd: 0 }} />;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!narrow && (
        <Layout.Sider width={220} theme={dark ? 'dark' : 'light'} style={{ borderInlineEnd: '1px solid rgba(5,5,5,0.06)' }}>
          <div style={{ padding: '20px 24px 12px' }}>
            <Typography.Title level={4} style={{ margin: 0 }}>{t('app.name')}</Typography.Title>
          </div>
          {menu}
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header
          style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 8, height: 'auto', minHeight: 56, lineHeight: 'normal', paddingBlock: 8, paddingInline: narrow ? 12 : 16, background: 'transparent' }}
        >
          <Space style={{ flexShrink: 0 }}>
            {narrow && <Button aria-label="menu" onClick={() => setDrawer(true)}>☰</Button>}
            {narrow && <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>{t('app.name')}</Typography.Text>}
          </Space>
          <Space size={narrow ? 6 : 12} style={{ minWidth: 0 }}>
            <Select
              size="small"
              aria-label={t('common.language')}
              value={locale}
              onChange={setLocale}
              options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]}
              style={{ width: 96 }}
            />
            <Switch size="small" checked={dark} onChange={onDark} aria-label={t('common.theme')} />
            <Typography.Text type="secondary" data-testid="whoami" ellipsis style={{ maxWidth: narrow ? 0 : 200, display: narrow ? 'none' : undefined }}>
              {me?.username}
            </Typography.Text>
            <Button size="small" icon={<LogoutOutlined />} onClick={() => void logout()}>{!narrow && t('auth.logout')}</Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ padding: narrow ? 12 : 24 }}>{children}</Layout.Content>
      </Layout>
      <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" size={240} title={t('app.name')} styles={{ body: { padding: 0 } }}>
        {menu}
      </Drawer>
    </Layout>
  );
}
