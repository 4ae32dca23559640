import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider, Result, Spin, theme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useMemo, useState } from 'react';
import { BrowserRouter, Link, Navigate, Route, Routes } from 'react-router-dom';
import { SANDBOX_CHECKOUT_PATH } from './api/sandbox-checkout.ts';
import { ApiError } from './api/client.ts';
import { SessionProvider, useSession } from './auth/session.tsx';
import { I18nProvider, useI18n } from './i18n/i18n.tsx';
import { AppLayout } from './layout/AppLayout.tsx';
import Login from './pages/auth/Login.tsx';
import Register from './pages/auth/Register.tsx';
import Setup from './pages/auth/Setup.tsx';
import { allowed, ROUTES } from './routes.tsx';
import { toast } from './components/toast.ts';

/** People who ask their system for less motion get none: no zooming dialogs, no sliding drawers. */
const prefersReducedMotion = () => window.matchMedia?.('(prefers-reduced-motion: reduce)')?.matches === true;

const SandboxCheckout = lazy(() => import('./pages/checkout/SandboxCheckout.tsx'));
const XiaohongshuShare = lazy(() => import('./pages/share/XiaohongshuShare.tsx'));

// Providers (language, theme, session, queries) and the routes. Failed queries and mutations show the server's own
// message in a toast; pages add their own loading and empty states.

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: (n, err) => n < 1 && !(err instanceof ApiError && err.status < 500), refetchOnWindowFocus: false } },
  queryCache: new QueryCache({ onError: (err) => toast.error(err.message) }),
  mutationCache: new MutationCache({ onError: (err) => toast.error(err.message) }),
});

function Pages({ dark, onDark }: { dark: boolean; onDark(v: boolean): void }) {
  const { signedIn, me, loading } = useSession();
  const { t } = useI18n();
  // The sandbox checkout stands in for a provider's payment page: its signed link opens it signed in or out, outside
  // the console's frame.
  const checkout = (
    <Route path={SANDBOX_CHECKOUT_PATH} element={<Suspense fallback={<Spin fullscreen />}><SandboxCheckout dark={dark} onDark={onDark} /></Suspense>} />
  );
  // A Xiaohongshu share's phone page (the QR code of a publish): its token is the credential, signed in or out.
  const share = <Route path="/share/xiaohongshu/:token" element={<Suspense fallback={<Spin fullscreen />}><XiaohongshuShare /></Suspense>} />;
  if (!signedIn) {
    return (
      <Routes>
        {checkout}
        {share}
        <Route path="/register" element={<Register />} />
        <Route path="/setup" element={<Setup />} />
        <Route path="*" element={<Login />} />
      </Routes>
    );
  }
  const framed = loading && !me ? <Spin fullscreen /> : (
    <AppLayout dark={dark} onDark={onDark}>
      <Suspense fallback={<Spin style={{ display: 'block', margin: '80px auto' }} />}>
        <Routes>
          {ROUTES.map((r) => (
            <Route
              key={r.path}
              path={r.path}
              element={allowed(r, me?.role) ? <r.component /> : <Result status="403" title="403" subTitle={t('common.forbidden')} />}
            />
          ))}
          <Route path="/login" element={<Navigate to="/" replace />} />
          <Route path="/register" element={<Navigate to="/" replace />} />
          <Route path="*" element={<Result status="404" title="404" subTitle={t('common.notFound')} extra={<Link to="/">{t('common.backHome')}</Link>} />} />
        </Routes>
      </Suspense>
    </AppLayout>
  );
  return (
    <Routes>
      {checkout}
      {share}
      {/* An operator setup link opened while signed in: the page says so, outside the console's frame. */}
      <Route path="/setup" element={<Setup />} />
      <Route path="*" element={framed} />
    </Routes>
  );
}

function Themed() {
  const { locale } = useI18n();
  const [dark, setDark] = useState(() => localStorage.getItem('tollgate.theme') === 'dark');
  const onDark = (v: boolean) => {
    localStorage.setItem('tollgate.theme', v ? 'dark' : 'light');
    setDark(v);
  };
  const themeConfig = useMemo(
    () => ({ algorithm: dark ? theme.darkAlgorithm : theme.defaultAlgorithm, token: { colorPrimary: '#3056d3', motion: !prefersReducedMotion() } }),
    [dark],
  );
  return (
    <ConfigProvider locale={locale === 'en' ? enUS : zhCN} theme={themeConfig}>
      <AntApp>
        <ToastBridge />
        <BrowserRouter>
          <SessionProvider>
            <Pages dark={dark} onDark={onDark} />
          </SessionProvider>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}

/** Lets code outside React (the query cache) show AntD messages with the app's theme. */
function ToastBridge() {
  toast.attach(AntApp.useApp().message);
  return null;
}

export default function App() {
  return (
    <I18nProvider>
      <QueryClientProvider client={queryClient}>
        <Themed />
      </QueryClientProvider>
    </I18nProvider>
  );
}
