import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Flex, InputNumber, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { supplyApi, type BatchPriceResult, type SupplyPackage } from '../../../api/supply.ts';
import { yuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { StatusTag, useAttemptKey, validUnitPrice } from '../shared.tsx';

// New prices for the selected packages in one request. Each row is checked as you type (CNY per 1M tokens, ≥ 0,
// ≤ 4 decimals); the API answers per row, and each row then shows whether its change went through or why not.

type Prices = Record<number, { in: number | null; out: number | null }>;
type RowResult = { ok: true } | { ok: false; error_code: string; message: string };

function resultsOf(ids: number[], r: BatchPriceResult): Record<number, RowResult> {
  const failed = new Map(r.failures.map((f) => [f.package_id, f]));
  return Object.fromEntries(
    ids.map((id) => {
      const f = failed.get(id);
      return [id, f ? { ok: false, error_code: f.error_code, message: f.message } : { ok: true }];
    }),
  );
}

export function BatchPriceEditor({ packages, onDone }: { packages: SupplyPackage[]; onDone?(result: BatchPriceResult): void }) {
  const { t } = useI18n();
  const attempt = useAttemptKey();
  const [prices, setPrices] = useState<Prices>(() =>
    Object.fromEntries(packages.map((p) => [p.package_id, { in: p.price_per_1m_input, out: p.price_per_1m_output }])),
  );
  const [results, setResults] = useState<Record<number, RowResult>>({});
  const [summary, setSummary] = useState<BatchPriceResult>();

  const submit = useMutation({
    mutationFn: () =>
      supplyApi.batchPrice(
        packages.map((p) => ({ package_id: p.package_id, price_per_1m_input: prices[p.package_id]?.in as number, price_per_1m_output: prices[p.package_id]?.out as number })),
        attempt.get(),
      ),
    onSuccess: (r) => {
      attempt.reset();
      setSummary(r);
      setResults(resultsOf(packages.map((p) => p.package_id), r));
      onDone?.(r);
    },
  });

  const edit = (id: number, side: 'in' | 'out', v: number | null) => {
    attempt.reset();
    setSummary(undefined);
    setResults({});
    setPrices((all) => ({ ...all, [id]: { in: all[id]?.in ?? null, out: all[id]?.out ?? null, [side]: v } }));
  };
  const invalid = packages.filter((p) => !validUnitPrice(prices[p.package_id]?.in) || !validUnitPrice(prices[p.package_id]?.out));

  const priceCell = (p: SupplyPackage, side: 'in' | 'out') => {
    const v = prices[p.package_id]?.[side] ?? null;
    const bad = !validUnitPrice(v);
    const label = t(side === 'in' ? 'supply.packages.priceIn' : 'supply.packages.priceOut');
    return (
      <InputNumber
        data-testid={`batch-${side}-${p.package_id}`}
        aria-label={`${label} #${p.package_id}`}
        aria-invalid={bad}
        status={bad ? 'error' : undefined}
        prefix="¥"
        value={v}
        onChange={(n) => edit(p.package_id, side, typeof n === 'number' ? n : null)}
        style={{ width: 150 }}
      />
    );
  };

  return (
    <Flex vertical gap={12}>
      <Typography.Text type="secondary">{t('supply.packages.batchHint')}</Typography.Text>
      <Table<SupplyPackage>
        rowKey="package_id"
        size="small"
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={packages}
        columns={[
          { title: 'ID', dataIndex: 'package_id', width: 70 },
          { title: t('supply.packages.model'), dataIndex: 'model' },
          { title: t('common.status'), dataIndex: 'status', render: (s: string) => <StatusTag kind="package" value={s} /> },
          {
            title: t('supply.packages.currentPrice'),
            key: 'current',
            render: (_, p) => `${yuan(p.price_per_1m_input, 4)} / ${yuan(p.price_per_1m_output, 4)}`,
          },
          { title: t('supply.packages.priceIn'), key: 'in', render: (_, p) => priceCell(p, 'in') },
          { title: t('supply.packages.priceOut'), key: 'out', render: (_, p) => priceCell(p, 'out') },
          {
            title: t('supply.packages.batchResult'),
            key: 'result',
            render: (_, p) => {
              const r = results[p.package_id];
              if (!validUnitPrice(prices[p.package_id]?.in) || !validUnitPrice(prices[p.package_id]?.out)) {
                return <Typography.Text type="danger" data-testid={`batch-result-${p.package_id}`}>{t('supply.packages.priceInvalid')}</Typography.Text>;
              }
              if (!r) return '—';
              return r.ok ? (
                <Tag color="green" data-testid={`batch-result-${p.package_id}`}>{t('supply.packages.batchOk')}</Tag>
              ) : (
                <span data-testid={`batch-result-${p.package_id}`}>
                  <Tag color="red">{r.error_code}</Tag>
                  <Typography.Text type="danger">{r.message}</Typography.Text>
                </span>
              );
            },
          },
        ]}
      />
      {summary && (
        <Alert
          type={summary.failed_count === 0 ? 'success' : summary.success_count === 0 ? 'error' : 'warning'}
          showIcon
          title={t('supply.packages.batchSummary', { ok: summary.success_count, failed: summary.failed_count, total: summary.total })}
        />
      )}
      {invalid.length > 0 && <Alert type="error" showIcon title={t('supply.packages.batchInvalid', { n: invalid.length })} />}
      <Button data-testid="batch-price-submit" type="primary" disabled={invalid.length > 0 || packages.length === 0} loading={submit.isPending} onClick={() => submit.mutate()}>
        {t('supply.packages.batchSubmit', { n: packages.length })}
      </Button>
    </Flex>
  );
}
