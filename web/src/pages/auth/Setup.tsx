import { useQuery } from '@tanstack/react-query';
import { Button, Form, Input, Result, Space, Spin, Typography } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../../api/client.ts';
import { useSession, type SessionTokens } from '../../auth/session.tsx';
import { toast } from '../../components/toast.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { AuthFrame } from './Login.tsx';

// `/setup?token=…`: a one-time link (from /1/users/init, the first start without an operator, or `npm run operator`)
// that sets an operator's console email and password, then signs them in. It opens signed in or out: someone already
// signed in is told so and may sign out to use the link, so a link never silently replaces the session in use.

const SETUP_API = '/api/v1/auth/operator-setup';

interface SetupLinkView {
  valid: boolean;
  /** The link creates the first operator: no name or email is known yet. */
  creates_operator: boolean;
  username: string | null;
  email: string | null;
}

interface SetupForm {
  email: string;
  username?: string;
  password: string;
  confirm: string;
}

function DeadLink() {
  const { t } = useI18n();
  return (
    <AuthFrame title={t('setup.title')}>
      <Result
        status="warning"
        title={t('setup.invalidTitle')}
        subTitle={t('setup.invalidHint')}
        extra={<Link to="/login">{t('setup.toLogin')}</Link>}
      />
    </AuthFrame>
  );
}

function SignedInNotice() {
  const { t } = useI18n();
  const { me, logout } = useSession();
  return (
    <AuthFrame title={t('setup.title')}>
      <Result
        status="info"
        title={t('setup.signedInTitle', { username: me?.username ?? '' })}
        subTitle={t('setup.signedInHint')}
        extra={
          <Space>
            <Button type="primary" onClick={() => void logout()}>{t('auth.logout')}</Button>
            <Link to="/">{t('common.backHome')}</Link>
          </Space>
        }
      />
    </AuthFrame>
  );
}

export default function Setup() {
  const token = useSearchParams()[0].get('token') ?? '';
  const { signedIn, start } = useSession();
  const { t } = useI18n();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  // The link died between showing the form and sending it (used in another tab, expired meanwhile).
  const [dead, setDead] = useState(false);
  const link = useQuery({
    queryKey: ['operator-setup', token],
    queryFn: () => api.get<SetupLinkView>(SETUP_API, { token }, { noRefresh: true }),
    enabled: token !== '' && !signedIn,
  });

  if (signedIn) return <SignedInNotice />;
  if (token === '' || dead || link.isError || link.data?.valid === false) return <DeadLink />;
  if (!link.data) return <Spin fullscreen />;
  const view = link.data;

  async function submit(v: SetupForm) {
    setBusy(true);
    try {
      const username = view.creates_operator && v.username?.trim() ? { username: v.username.trim() } : {};
      const session = await api.post<SessionTokens>(SETUP_API, { token, email: v.email, password: v.password, ...username }, { noRefresh: true });
      await start(session);
      toast.success(t('setup.done'));
      navigate('/admin/users', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setDead(true);
      else toast.error((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthFrame title={t(view.creates_operator ? 'setup.titleFirst' : 'setup.title')}>
      <Typography.Paragraph type="secondary">
        {view.creates_operator ? t('setup.introFirst') : t('setup.intro', { username: view.username ?? '' })}
      </Typography.Paragraph>
      <Form<SetupForm> layout="vertical" initialValues={{ email: view.email ?? undefined }} onFinish={submit}>
        <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, type: 'email' }]}>
          <Input autoComplete="email" />
        </Form.Item>
        {view.creates_operator && (
          <Form.Item name="username" label={t('setup.username')} extra={t('setup.usernameHint')} rules={[{ min: 3, max: 32 }]}>
            <Input autoComplete="username" />
          </Form.Item>
        )}
        <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, min: 8, max: 128, message: t('setup.passwordRule') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('setup.confirm')}
          dependencies={['password']}
          rules={[
            { required: true, message: t('setup.mismatch') },
            ({ getFieldValue }) => ({
              validator: (_rule, value) => (value === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('setup.mismatch')))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>{t('setup.submit')}</Button>
      </Form>
    </AuthFrame>
  );
}
