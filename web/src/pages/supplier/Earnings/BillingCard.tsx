import { useQuery } from '@tanstack/react-query';
import { Card, Col, DatePicker, Empty, Row, Skeleton, Statistic } from 'antd';
import type { Dayjs } from 'dayjs';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { supplyApi, type SupplierBilling } from '../../../api/supply.ts';
import { Chart } from '../../../components/Chart.tsx';
import { percent, tokens, yuan } from '../../../components/format.ts';
import { useI18n } from '../../../i18n/i18n.tsx';
import { apiToday } from '../shared.tsx';

// The supplier's bill for a period (default: the last 30 days, in UTC+8 days as the API counts them): what buyers paid
// for the requests its packages served, the platform's fee, the net, and the split by platform (the /v1 API and the
// creator studio).

const DAY = 'YYYY-MM-DD';

function PlatformChart({ billing }: { billing: SupplierBilling }) {
  const { t } = useI18n();
  const option = useMemo<EChartsOption>(() => {
    const names = billing.by_platform.map((p) => t(`supply.platform.${p.platform}`));
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: [t('supply.billing.revenue'), t('supply.billing.orders')] },
      grid: { left: 16, right: 16, bottom: 8, top: 56, containLabel: true },
      xAxis: { type: 'category', data: names },
      yAxis: [
        { type: 'value', name: '¥' },
        // Right-aligned, the right axis's name runs inwards over the plot instead of off the card's edge.
        { type: 'value', name: t('supply.billing.orders'), minInterval: 1, nameTextStyle: { align: 'right' } },
      ],
      series: [
        { name: t('supply.billing.revenue'), type: 'bar', data: billing.by_platform.map((p) => p.revenue), barMaxWidth: 48 },
        { name: t('supply.billing.orders'), type: 'bar', yAxisIndex: 1, data: billing.by_platform.map((p) => p.orders), barMaxWidth: 48 },
      ],
    };
  }, [billing, t]);
  return <Chart option={option} height={260} empty={billing.summary.total_requests === 0} />;
}

export function BillingCard() {
  const { t } = useI18n();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [apiToday().subtract(29, 'day'), apiToday()]);
  const period = { start_date: range[0].format(DAY), end_date: range[1].format(DAY) };
  const billing = useQuery({ queryKey: ['supply', 'billing', period], queryFn: () => supplyApi.billing(period) });
  const s = billing.data?.summary;

  const stats: [string, string][] = s
    ? [
        ['revenue', yuan(s.total_revenue)],
        ['net', yuan(s.net_earnings)],
        ['fee', yuan(s.platform_fee)],
        ['orders', s.total_orders.toLocaleString()],
        ['requests', s.total_requests.toLocaleString()],
        ['usage', tokens(s.total_usage)],
        ['successRate', percent(s.avg_success_rate)],
      ]
    : [];

  return (
    <Card title={t('supply.billing.title')}>
      <div style={{ marginBottom: 16 }}>
        <DatePicker.RangePicker
          data-testid="billing-period"
          aria-label={t('supply.billing.period')}
          value={range}
          allowClear={false}
          disabledDate={(d) => d.isAfter(apiToday(), 'day')}
          presets={[
            { label: t('supply.billing.last7'), value: [apiToday().subtract(6, 'day'), apiToday()] },
            { label: t('supply.billing.last30'), value: [apiToday().subtract(29, 'day'), apiToday()] },
            { label: t('supply.billing.thisMonth'), value: [apiToday().startOf('month'), apiToday()] },
          ]}
          onChange={(v) => {
            if (v?.[0] && v[1]) setRange([v[0], v[1]]);
          }}
        />
      </div>
      {billing.isError ? (
        <Empty description={t('supply.billing.unavailable')} />
      ) : !billing.data ? (
        <Skeleton active />
      ) : (
        <>
          <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
            {stats.map(([key, value]) => (
              <Col xs={12} sm={8} lg={6} xl={3} key={key} style={{ minWidth: 130 }}>
                <Statistic title={t(`supply.billing.${key}`)} value={value} />
              </Col>
            ))}
          </Row>
          <PlatformChart billing={billing.data} />
        </>
      )}
    </Card>
  );
}
