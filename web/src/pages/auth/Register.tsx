import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../../api/client.ts';
import { useSession } from '../../auth/session.tsx';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { AuthFrame } from './Login.tsx';

/** A friend's referral code from the invitation link (`/register?ref=…`); the server takes up to 64 characters. */
function useReferralCode(): string | undefined {
  const [params] = useSearchParams();
  const ref = params.get('ref')?.trim();
  return ref && ref.length <= 64 ? ref : undefined;
}

export default function Register() {
  const { login } = useSession();
  const { t } = useI18n();
  const navigate = useNavigate();
  const ref = useReferralCode();
  const [busy, setBusy] = useState(false);
  // The session's register() sends no referral code: the request is made here, then the session signs in as usual.
  const register = async (username: string, email: string, password: string) => {
    await api.post('/api/v1/auth/register', { username, email, password, ...(ref ? { ref } : {}) }, { noRefresh: true });
    await login(username, password);
  };
  return (
    <AuthFrame title={t('auth.create')}>
      {ref && <Alert type="success" showIcon title={t('auth.invited')} description={t('auth.invitedHint', { code: ref })} style={{ marginBottom: 16 }} data-testid="invited" />}
      <Form
        layout="vertical"
        onFinish={async (v: { username: string; email: string; password: string }) => {
          setBusy(true);
          try {
            await register(v.username, v.email, v.password);
            navigate('/', { replace: true });
          } catch (err) {
            toast.error((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="username" label={t('auth.newUsername')} rules={[{ required: true, min: 3, max: 32 }]}>
          <Input autoComplete="username" />
        </Form.Item>
        <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, type: 'email' }]}>
          <Input autoComplete="email" />
        </Form.Item>
        <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, min: 8, max: 128 }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>{t('auth.register')}</Button>
      </Form>
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        {t('auth.haveAccount')} <Link to="/login">{t('auth.login')}</Link>
      </Typography.Paragraph>
    </AuthFrame>
  );
}
