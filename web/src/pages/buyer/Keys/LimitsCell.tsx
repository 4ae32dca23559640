import { Space, Tag, Tooltip, Typography } from 'antd';
import type { ApiKey } from '../../../api/buyer.ts';
import { useFormat } from '../../../components/format.ts';
import { clippedTag } from '../../../components/ModelTag.tsx';
import { useI18n } from '../../../i18n/i18n.tsx';

// A key's limits in one cell of the keys table — its models, its addresses, its rate and its expiry — so the table
// fits a laptop screen with every column in view.

/** The first entries of an allow-list as tags (long model ids cut), the whole list on hover. */
function ListLine({ items, none }: { items: string[] | null; none: string }) {
  if (!items || items.length === 0) return <Typography.Text type="secondary">{none}</Typography.Text>;
  const shown = items.slice(0, 2);
  return (
    <Tooltip title={items.join(', ')}>
      <Space size={4} wrap style={{ maxWidth: '100%' }}>
        {shown.map((m) => <Tag key={m} style={clippedTag}>{m}</Tag>)}
        {items.length > shown.length && <Tag>+{items.length - shown.length}</Tag>}
      </Space>
    </Tooltip>
  );
}

export function LimitsCell({ apiKey: k }: { apiKey: ApiKey }) {
  const { t } = useI18n();
  const { dateTimeToMinute } = useFormat();
  const rate = k.rate_limit_rpm === null ? t('buyer.keys.unlimited') : t('buyer.keys.perMinute', { n: k.rate_limit_rpm });
  const expiry = k.expires_at ? t('buyer.keys.expiresOn', { date: dateTimeToMinute(k.expires_at) }) : t('buyer.keys.neverExpires');
  return (
    <Space orientation="vertical" size={2} style={{ maxWidth: '100%' }}>
      <ListLine items={k.allowed_models} none={t('buyer.keys.allModels')} />
      <ListLine items={k.allowed_ips} none={t('buyer.keys.anyIp')} />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>{`${rate} · ${expiry}`}</Typography.Text>
    </Space>
  );
}
