import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Result, Select, Space, Spin, Switch, theme, Typography, type ResultProps } from 'antd';
import { useMemo, useState, type ReactNode } from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import {
  completeSandboxCheckout, getSandboxCheckout, type SandboxCheckoutDone, type SandboxCheckoutOrder, type SandboxPayLink,
} from '../../api/sandbox-checkout.ts';
import { ApiError } from '../../api/client.ts';
import { useFormat, wholeCredits, yuan } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { safeReturnTo } from './returnTo.ts';

// The sandbox checkout: development's stand-in for Alipay's or WeChat Pay's payment page, opened by a sandbox order's
// payment_url (/pay/sandbox/{order}?payer=…&expires=…&signature=…[&return_to=…]). It works signed out — the signed
// link is the credential, passed on to the API — and signed in, outside the console's frame like a provider's page.

type Refusal = 'link' | 'notFound';
type Shown = 'success' | 'failed' | 'expired' | 'alreadyPaid' | 'refunded';

const RESULT_STATUS: Record<Shown, ResultProps['status']> = { success: 'success', failed: 'error', expired: 'warning', alreadyPaid: 'info', refunded: 'info' };

/** The result to show instead of the buttons; none while the order can still be paid. */
function shownResult(order: SandboxCheckoutOrder, outcome?: SandboxCheckoutDone['outcome']): Shown | undefined {
  if (order.status === 'pending') return undefined;
  if (order.status === 'paid') return outcome === 'paid' ? 'success' : 'alreadyPaid';
  return order.status;
}

const linkOf = (params: URLSearchParams): SandboxPayLink => ({
  payer: params.get('payer') ?? undefined,
  expires: params.get('expires') ?? undefined,
  signature: params.get('signature') ?? undefined,
});

/** The order, or why it may not be shown: those refusals are the page's to explain, in its language, not a toast's. */
async function loadCheckout(orderNo: string, link: SandboxPayLink): Promise<{ order: SandboxCheckoutOrder } | { refused: Refusal }> {
  try {
    return { order: await getSandboxCheckout(orderNo, link) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return { refused: 'link' };
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return { refused: 'notFound' };
    throw err;
  }
}

export default function SandboxCheckout({ dark, onDark }: { dark: boolean; onDark(v: boolean): void }) {
  const { t } = useI18n();
  const { orderNo = '' } = useParams();
  const [params] = useSearchParams();
  const link = useMemo(() => linkOf(params), [params]);
  const back = safeReturnTo(params.get('return_to'));
  const [done, setDone] = useState<SandboxCheckoutDone>();
  const loaded = useQuery({ queryKey: ['checkout', orderNo, link], queryFn: () => loadCheckout(orderNo, link) });
  const pay = useMutation({ mutationFn: (status: 'success' | 'failed') => completeSandboxCheckout(orderNo, link, status), onSuccess: setDone });

  const backButton = <Button type="primary" href={back} data-testid="checkout-back">{t('checkout.back')}</Button>;
  let body: ReactNode;
  if (loaded.isPending) body = <Spin style={{ display: 'block', margin: '48px auto' }} />;
  else if (!loaded.data) body = <Result status="error" title={t('checkout.refused.other')} extra={backButton} />;
  else if ('refused' in loaded.data) {
    const notFound = loaded.data.refused === 'notFound';
    body = (
      <Result
        status={notFound ? '404' : 'warning'}
        title={t(notFound ? 'checkout.refused.notFound' : 'checkout.refused.link')}
        subTitle={t(notFound ? 'checkout.refused.notFoundHint' : 'checkout.refused.linkHint')}
        extra={backButton}
        data-testid="checkout-refused"
      />
    );
  } else {
    const order = done ?? loaded.data.order;
    const shown = shownResult(order, done?.outcome);
    body = shown ? (
      <Result
        status={RESULT_STATUS[shown]}
        title={t(`checkout.result.${shown}`)}
        subTitle={t(`checkout.result.${shown}Hint`, { order: order.order_id, item: itemLabel(t, order) })}
        extra={backButton}
        data-testid="checkout-result"
        data-result={shown}
      />
    ) : (
      <>
        <OrderDetails order={order} />
        <Space orientation="vertical" style={{ width: '100%', marginTop: 16 }}>
          <Button type="primary" size="large" block loading={pay.isPending && pay.variables === 'success'} disabled={pay.isPending} onClick={() => pay.mutate('success')} data-testid="checkout-pay">
            {t('checkout.pay', { amount: order.amount.toFixed(2) })}
          </Button>
          <Button danger block loading={pay.isPending && pay.variables === 'failed'} disabled={pay.isPending} onClick={() => pay.mutate('failed')} data-testid="checkout-fail">
            {t('checkout.fail')}
          </Button>
        </Space>
      </>
    );
  }

  const method = loaded.data && 'order' in loaded.data ? t(`buyer.method.${loaded.data.order.payment_method}`) : undefined;
  return (
    <CheckoutFrame dark={dark} onDark={onDark}>
      <Alert
        type="warning"
        showIcon
        title={t('checkout.sandbox')}
        description={method && t('checkout.sandboxHint', { method })}
        style={{ marginBottom: 16 }}
        data-testid="checkout-sandbox"
      />
      {body}
    </CheckoutFrame>
  );
}

function itemLabel(t: ReturnType<typeof useI18n>['t'], order: SandboxCheckoutOrder): string {
  if (order.kind === 'membership') return t(`checkout.item.membership.${order.membership_type ?? 'monthly'}`);
  return t('checkout.item.recharge', { amount: order.original_amount.toFixed(2), credits: wholeCredits(order.credits - order.bonus_credits) });
}

function OrderDetails({ order }: { order: SandboxCheckoutOrder }) {
  const { t } = useI18n();
  const format = useFormat();
  const item = itemLabel(t, order);
  const items = [
    { key: 'order', label: t('checkout.orderNo'), children: <Typography.Text copyable>{order.order_id}</Typography.Text> },
    {
      key: 'item',
      label: t('checkout.item'),
      children: order.bonus_credits > 0 ? `${item} · ${t('checkout.bonus', { credits: wholeCredits(order.bonus_credits) })}` : item,
    },
    { key: 'method', label: t('checkout.method'), children: t('checkout.methodSandbox', { method: t(`buyer.method.${order.payment_method}`) }) },
    ...(order.discount > 0
      ? [
          { key: 'list', label: t('checkout.listPrice'), children: yuan(order.original_amount) },
          { key: 'discount', label: t('checkout.discount'), children: `−${yuan(order.discount)}` },
        ]
      : []),
    { key: 'amount', label: t('checkout.amount'), children: <Typography.Text strong style={{ fontSize: 20 }} data-testid="checkout-amount">{yuan(order.amount)}</Typography.Text> },
    { key: 'expires', label: t('checkout.expiresAt'), children: format.dateTime(order.expires_at) },
  ];
  return <Descriptions column={1} size="small" items={items} data-testid="checkout-order" />;
}

/** A centred card in the console's theme, with its language and light/dark switches (no menu: a provider's page). */
function CheckoutFrame({ dark, onDark, children }: { dark: boolean; onDark(v: boolean): void; children: ReactNode }) {
  const { t, locale, setLocale } = useI18n();
  const { token } = theme.useToken();
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', padding: 16, background: token.colorBgLayout }}>
      <Card style={{ width: '100%', maxWidth: 480 }}>
        <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
          <Typography.Title level={4} style={{ margin: 0 }}>{`${t('app.name')} · ${t('checkout.title')}`}</Typography.Title>
          <Space>
            <Select size="small" value={locale} onChange={setLocale} options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]} aria-label={t('common.language')} style={{ width: 96 }} />
            <Switch size="small" checked={dark} onChange={onDark} aria-label={t('common.theme')} />
          </Space>
        </Space>
        {children}
      </Card>
    </div>
  );
}
