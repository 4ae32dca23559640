import { CheckOutlined, CopyOutlined } from '@ant-design/icons';
import { Button, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { Balance } from '../../api/buyer.ts';
import { toast } from '../../components/toast.ts';
import { money } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';

// Pieces the buyer pages share: a page title, a copy button, the colour of a status, what is owed.

export { PageTitle } from '../../components/PageTitle.tsx';

export function CopyButton({ text, testId, label, type = 'default' }: { text: string; testId?: string; label?: string; type?: 'default' | 'primary' }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      toast.success(t('common.copied'));
      setTimeout(() => setCopied(false), 2000);
    } catch {
      toast.error(t('buyer.copyFailed'));
    }
  };
  return (
    <Button type={type} icon={copied ? <CheckOutlined /> : <CopyOutlined />} onClick={() => void copy()} data-testid={testId} aria-label={label ?? t('common.copy')}>
      {label ?? t('common.copy')}
    </Button>
  );
}

const STATUS_COLORS: Record<string, string> = {
  success: 'success', paid: 'success', unused: 'success', active: 'success', enabled: 'success',
  error: 'error', failed: 'error', disabled: 'default', expired: 'default', used: 'default', refunded: 'purple',
  aborted: 'warning', pending: 'processing',
};

/** A status word in its colour, translated under `buyer.status.<status>`. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return <Tag color={STATUS_COLORS[status] ?? 'default'}>{t(`buyer.status.${status}`)}</Tag>;
}

/**
 * What the user owes, under the balance: for a prepaid user a gateway charge the balance could not cover, paid first
 * out of the next recharge (or any other credit); for a postpaid user the running bill. Nothing when nothing is owed.
 */
export function OwedNote({ balance }: { balance?: Pick<Balance, 'owed_amount' | 'billing_mode'> }) {
  const { t } = useI18n();
  if (!balance || !(balance.owed_amount > 0)) return null;
  return (
    <div data-testid="balance-owed" style={{ marginTop: 8 }}>
      <Typography.Text type={balance.billing_mode === 'prepaid' ? 'danger' : 'warning'} strong>
        {t('buyer.dash.owed', { amount: money(balance.owed_amount) })}
      </Typography.Text>
      <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
        {t(balance.billing_mode === 'prepaid' ? 'buyer.dash.owedPrepaid' : 'buyer.dash.owedPostpaid')}
      </Typography.Text>
    </div>
  );
}
