import { Button, Card, Form, Input, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useSession } from '../../auth/session.tsx';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';

export function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  const { t, locale, setLocale } = useI18n();
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', padding: 16, background: 'linear-gradient(135deg, #eef2ff 0%, #f8fafc 100%)' }}>
      <Card style={{ width: '100%', maxWidth: 400 }}>
        <Space orientation="vertical" size={4} style={{ width: '100%', marginBottom: 16 }}>
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Typography.Title level={3} style={{ margin: 0 }}>{t('app.name')}</Typography.Title>
            <Select size="small" value={locale} onChange={setLocale} options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]} aria-label={t('common.language')} />
          </Space>
          <Typography.Text type="secondary">{t('app.tagline')}</Typography.Text>
          <Typography.Title level={5} style={{ marginTop: 12 }}>{title}</Typography.Title>
        </Space>
        {children}
      </Card>
    </div>
  );
}

export default function Login() {
  const { login } = useSession();
  const { t } = useI18n();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  return (
    <AuthFrame title={t('auth.welcome')}>
      <Form
        layout="vertical"
        onFinish={async (v: { username: string; password: string }) => {
          setBusy(true);
          try {
            await login(v.username, v.password);
            navigate('/', { replace: true });
          } catch (err) {
            toast.error((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="username" label={t('auth.username')} rules={[{ required: true }]}>
          <Input autoComplete="username" />
        </Form.Item>
        <Form.Item name="password" label={t('auth.password')} rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>{t('auth.login')}</Button>
      </Form>
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        {t('auth.noAccount')} <Link to="/register">{t('auth.register')}</Link>
      </Typography.Paragraph>
    </AuthFrame>
  );
}
