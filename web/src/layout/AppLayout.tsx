import {
  ApiOutlined, AuditOutlined, BankOutlined, BarChartOutlined, CalendarOutlined, CloudServerOutlined, CodeOutlined, DashboardOutlined, DollarOutlined,
  EditOutlined, FilePptOutlined, FolderOpenOutlined, GiftOutlined, HeartOutlined, KeyOutlined, LineChartOutlined, LogoutOutlined, MoonOutlined,
  PictureOutlined, ProfileOutlined, RedEnvelopeOutlined, SendOutlined, ShareAltOutlined, ShoppingOutlined, SunOutlined, TeamOutlined, VideoCameraOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import { Button, Drawer, Grid, Layout, Menu, Select, Space, Switch, theme, Tooltip, Typography, type MenuProps } from 'antd';
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { useSession } from '../auth/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { allowed, ROUTES, type Group } from '../routes.tsx';

// The frame around every signed-in page: the menu (only what the user's role may open), language, light/dark, sign
// out. Below the `md` breakpoint the menu moves into a drawer.

/**
 * The document behind the layout follows the theme: the body's colour (seen past the layout's edges, when scrolling
 * beyond them) and the browser's own widgets (scrollbars, form controls) via `color-scheme`.
 */
function useDocumentTheme(dark: boolean) {
  const { token } = theme.useToken();
  useEffect(() => {
    document.body.style.background = token.colorBgLayout;
    document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
  }, [dark, token.colorBgLayout]);
  return token;
}

const ICONS: Record<string, ReactNode> = {
  dashboard: <DashboardOutlined />, key: <KeyOutlined />, usage: <LineChartOutlined />, wallet: <WalletOutlined />, code: <CodeOutlined />,
  cloud: <CloudServerOutlined />, package: <ShoppingOutlined />, money: <DollarOutlined />, team: <TeamOutlined />, api: <ApiOutlined />,
  audit: <AuditOutlined />, bank: <BankOutlined />, gift: <GiftOutlined />, orders: <ProfileOutlined />, health: <HeartOutlined />,
  write: <EditOutlined />, image: <PictureOutlined />, video: <VideoCameraOutlined />, slides: <FilePptOutlined />, creations: <FolderOpenOutlined />, publish: <SendOutlined />,
  rewards: <RedEnvelopeOutlined />, chart: <BarChartOutlined />, activity: <CalendarOutlined />, referral: <ShareAltOutlined />,
};
const GROUPS: Group[] = ['buyer', 'creator', 'supplier', 'operator'];

export function AppLayout({ children, dark, onDark }: { children: ReactNode; dark: boolean; onDark(v: boolean): void }) {
  const { me, logout } = useSession();
  const { t, locale, setLocale } = useI18n();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const [drawer, setDrawer] = useState(false);
  const narrow = !screens.md;
  const token = useDocumentTheme(dark);

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
        // Always the light Sider: under the dark algorithm it takes the same background as the Menu in it (the dark
        // Sider's navy would show below the menu's last item). It stretches with the page, however long; the menu
        // inside stays in view (sticky, as tall as the window at most, scrolling on its own).
        <Layout.Sider width={220} theme="light" style={{ borderInlineEnd: `1px solid ${token.colorSplit}` }}>
          <div data-testid="sider-menu" style={{ position: 'sticky', top: 0, maxHeight: '100vh', overflowY: 'auto' }}>
            <div style={{ padding: '20px 24px 12px' }}>
              <Typography.Title level={4} style={{ margin: 0 }}>{t('app.name')}</Typography.Title>
            </div>
            {menu}
          </div>
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
            <Tooltip title={t('common.theme')}>
              <Switch size="small" checked={dark} onChange={onDark} aria-label={t('common.theme')} checkedChildren={<MoonOutlined />} unCheckedChildren={<SunOutlined />} />
            </Tooltip>
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
