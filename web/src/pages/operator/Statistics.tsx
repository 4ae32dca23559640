import { ReloadOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Card, Col, DatePicker, Row, Space, Statistic, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import type { EChartsOption } from 'echarts';
import { useMemo, useState } from 'react';
import { getStatistics, lastBeijingDays, STATISTICS_MAX_DAYS, type Statistics as Figures } from '../../api/operations.ts';
import { Chart } from '../../components/Chart.tsx';
import { yuan } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { PageTitle } from './shared.tsx';

// The operators' figures over a range of Beijing days (the last 30 by default): users, revenue, credits sold, orders,
// members, paying users and conversion, and the new users and revenue of each day as charts.

const DAY = 'YYYY-MM-DD';

/** Revenue is money received minus refunds: a range can be negative, and reads "-¥3.00" then. */
const signedYuan = (v: number) => (v < 0 ? `-${yuan(-v)}` : yuan(v));
/** Whole credits (a refunded recharge takes its credits back, so the sum can be negative too). */
const credits = (v: number) => Math.round(v).toLocaleString('en-US');
/** The server's ratio has 4 decimals: a percent with 2 shows all of it. */
const conversion = (ratio: number) => `${(ratio * 100).toFixed(2)}%`;

interface Figure {
  key: keyof Figures;
  text(v: number): string;
  hint?: boolean;
}

const FIGURES: Figure[] = [
  { key: 'total_users', text: (v) => v.toLocaleString('en-US'), hint: true },
  { key: 'new_users', text: (v) => v.toLocaleString('en-US') },
  { key: 'total_revenue', text: signedYuan, hint: true },
  { key: 'total_credits_sold', text: credits, hint: true },
  { key: 'paid_orders', text: (v) => v.toLocaleString('en-US') },
  { key: 'active_members', text: (v) => v.toLocaleString('en-US'), hint: true },
  { key: 'paying_users', text: (v) => v.toLocaleString('en-US'), hint: true },
  { key: 'conversion_rate', text: conversion, hint: true },
];

export default function Statistics() {
  const { t } = useI18n();
  const [range, setRange] = useState(() => lastBeijingDays(30));
  const stats = useQuery({
    queryKey: ['operator', 'statistics', range.start_date, range.end_date],
    queryFn: () => getStatistics(range),
    placeholderData: keepPreviousData,
  });
  const daily = useMemo(() => stats.data?.daily ?? [], [stats.data]);
  const days = useMemo(() => daily.map((d) => d.date.slice(5)), [daily]);

  const newUsers = useMemo<EChartsOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 48, right: 24, top: 24, bottom: 32 },
      xAxis: { type: 'category', data: days },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: t('op.stats.new_users'), type: 'bar', data: daily.map((d) => d.new_users), itemStyle: { color: '#3056d3' } }],
    }),
    [daily, days, t],
  );
  const revenue = useMemo<EChartsOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      // ECharts 6 puts the legend at the bottom by default, over the axis labels.
      legend: { top: 0, data: [t('op.stats.revenueSeries'), t('op.stats.ordersSeries')] },
      grid: { left: 56, right: 48, top: 48, bottom: 32 },
      xAxis: { type: 'category', data: days },
      yAxis: [
        { type: 'value', name: '¥' },
        { type: 'value', name: t('op.stats.ordersSeries'), minInterval: 1, splitLine: { show: false } },
      ],
      series: [
        { name: t('op.stats.revenueSeries'), type: 'bar', data: daily.map((d) => d.revenue), itemStyle: { color: '#16a34a' } },
        { name: t('op.stats.ordersSeries'), type: 'line', yAxisIndex: 1, data: daily.map((d) => d.paid_orders), itemStyle: { color: '#f59e0b' } },
      ],
    }),
    [daily, days, t],
  );

  const presets = [7, 30, 90].map((n) => {
    const r = lastBeijingDays(n);
    return { label: t('op.stats.lastDays', { days: n }), value: [dayjs(r.start_date), dayjs(r.end_date)] as [Dayjs, Dayjs] };
  });
  // The server counts at most 366 days: once a first day is picked, days further than that from it are off.
  const tooFar = (d: Dayjs, info: { from?: Dayjs }) => info.from !== undefined && Math.abs(d.diff(info.from, 'day')) >= STATISTICS_MAX_DAYS;

  return (
    <>
      <PageTitle
        extra={
          <Space wrap>
            <DatePicker.RangePicker
              value={[dayjs(range.start_date), dayjs(range.end_date)]}
              allowClear={false}
              presets={presets}
              disabledDate={tooFar}
              onChange={(v) => {
                if (v?.[0] && v[1]) setRange({ start_date: v[0].format(DAY), end_date: v[1].format(DAY) });
              }}
              aria-label={t('op.stats.range')}
              data-testid="stats-range"
            />
            <Button icon={<ReloadOutlined />} onClick={() => void stats.refetch()} aria-label={t('common.refresh')} data-testid="stats-refresh" />
          </Space>
        }
      >
        {t('nav.statistics')}
      </PageTitle>
      <Typography.Paragraph type="secondary">{t('op.stats.note', { start: range.start_date, end: range.end_date })}</Typography.Paragraph>
      <Row gutter={[16, 16]}>
        {FIGURES.map((f) => (
          <Col xs={12} md={8} xl={6} key={f.key}>
            <Card size="small" loading={stats.isLoading} data-testid={`stat-${f.key}`}>
              <Statistic
                title={f.hint ? <Tooltip title={t(`op.stats.hint.${f.key}`)}><span style={{ cursor: 'help' }}>{t(`op.stats.${f.key}`)}</span></Tooltip> : t(`op.stats.${f.key}`)}
                value={stats.data ? f.text(stats.data[f.key] as number) : '—'}
                // Two cards a row on a phone: a long figure wraps rather than push the page sideways.
                styles={{ content: { fontSize: 20, overflowWrap: 'anywhere' } }}
              />
            </Card>
          </Col>
        ))}
        <Col xs={24} xl={12}>
          <Card title={t('op.stats.newUsersChart')} loading={stats.isLoading}>
            <Chart option={newUsers} height={260} empty={daily.length === 0} />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('op.stats.revenueChart')} loading={stats.isLoading}>
            <Chart option={revenue} height={260} empty={daily.length === 0} />
          </Card>
        </Col>
      </Row>
    </>
  );
}
