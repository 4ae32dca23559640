import { CheckCircleFilled, CloseCircleFilled, ExclamationCircleFilled } from '@ant-design/icons';
import { Descriptions, Flex, Progress, Typography } from 'antd';
import type { CheckItem, VerifyResult } from '../../../api/supply.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { StatusTag } from '../shared.tsx';

// What a verification found: its verdict, the risk score (0 safe … 100 risky) and each check with its icon.

const ICONS: Record<CheckItem['result'], React.ReactNode> = {
  pass: <CheckCircleFilled style={{ color: '#52c41a' }} />,
  warn: <ExclamationCircleFilled style={{ color: '#faad14' }} />,
  fail: <CloseCircleFilled style={{ color: '#ff4d4f' }} />,
};

export const riskColor = (score: number) => (score < 30 ? '#52c41a' : score < 70 ? '#faad14' : '#ff4d4f');

export function RiskScore({ score, compact }: { score: number; compact?: boolean }) {
  const { t } = useI18n();
  return (
    <Progress
      percent={score}
      size={compact ? 'small' : undefined}
      strokeColor={riskColor(score)}
      status="normal"
      format={(p) => String(p)}
      aria-label={t('supply.accounts.riskScore')}
      style={compact ? { minWidth: 100, margin: 0 } : undefined}
    />
  );
}

export function CheckItems({ items }: { items: CheckItem[] }) {
  const { t } = useI18n();
  return (
    <ul style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label={t('supply.accounts.checks')}>
      {items.map((c) => (
        <li key={c.item} data-testid={`check-${c.item}`} data-result={c.result} style={{ padding: '6px 0' }}>
          <Flex gap={8} align="start">
            <span role="img" aria-label={t(`supply.check.result.${c.result}`)}>{ICONS[c.result]}</span>
            <div>
              <Typography.Text strong>{t(`supply.check.${c.item}`)}</Typography.Text>
              <br />
              <Typography.Text type="secondary">{c.message}</Typography.Text>
            </div>
          </Flex>
        </li>
      ))}
    </ul>
  );
}

export function VerifyResultView({ result }: { result: VerifyResult }) {
  const { t } = useI18n();
  return (
    <div data-testid="verify-result" data-status={result.verify_status}>
      <Descriptions
        size="small"
        column={1}
        bordered
        style={{ marginBottom: 12 }}
        items={[
          { key: 'status', label: t('supply.accounts.verifyStatus'), children: <StatusTag kind="verify" value={result.verify_status} /> },
          { key: 'risk', label: t('supply.accounts.riskScore'), children: <RiskScore score={result.risk_score} /> },
          ...(result.available_quota === undefined
            ? []
            : [{ key: 'quota', label: t('supply.accounts.availableQuota'), children: result.available_quota.toLocaleString() }]),
        ]}
      />
      <CheckItems items={result.check_items} />
    </div>
  );
}
