import { useQuery } from '@tanstack/react-query';
import { Button, Card, Col, Empty, Row, Statistic, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { EChartsOption } from 'echarts';
import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { creditsToYuan, getBalance, getUsageDaily, type UsageTotals } from '../../api/buyer.ts';
import { useSession } from '../../auth/session.tsx';
import { Chart } from '../../components/Chart.tsx';
import { ModelTag } from '../../components/ModelTag.tsx';
import { columnsWidth } from '../../components/rows.ts';
import { balanceYuan, money, tokens, useFormat, wholeCredits } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { dailySeries, spendSince } from './Dashboard/spend.ts';
import { OwedNote, PageTitle } from './shared.tsx';

// The buyer's overview: balance and membership, what was spent today / in 7 and 30 days, spend per day, and
// requests and tokens per model — all from /credit/balance and one /usage/daily call (the last 30 days).

export default function Dashboard() {
  const { t } = useI18n();
  const { dateTime } = useFormat();
  const { me } = useSession();
  const balance = useQuery({ queryKey: ['buyer', 'balance'], queryFn: getBalance });
  const daily = useQuery({ queryKey: ['buyer', 'usage-daily'], queryFn: () => getUsageDaily() });

  const series = useMemo(() => (daily.data ? dailySeries(daily.data) : []), [daily.data]);
  const option = useMemo<EChartsOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      // ECharts 6 puts the legend at the bottom by default, over the axis labels.
      legend: { top: 0, data: [t('buyer.dash.cost'), t('buyer.dash.requests')] },
      grid: { left: 56, right: 48, top: 56, bottom: 32 },
      xAxis: { type: 'category', data: series.map((d) => d.date.slice(5)) },
      yAxis: [
        { type: 'value', name: '¥' },
        { type: 'value', name: t('buyer.dash.requests'), splitLine: { show: false } },
      ],
      series: [
        { name: t('buyer.dash.cost'), type: 'bar', data: series.map((d) => d.cost), itemStyle: { color: '#3056d3' } },
        { name: t('buyer.dash.requests'), type: 'line', yAxisIndex: 1, data: series.map((d) => d.requests), itemStyle: { color: '#f59e0b' } },
      ],
    }),
    [series, t],
  );

  const credits = balance.data?.credit_balance ?? me?.credit_balance;
  const isMember = balance.data?.is_member ?? me?.is_member;
  const memberType = balance.data?.membership_type ?? me?.membership_type;
  const memberEnd = balance.data?.membership_end_date ?? me?.membership_end_date;
  const stat = (days: number) => (daily.data ? money(spendSince(daily.data, days)) : '—');

  return (
    <>
      <PageTitle extra={<Typography.Text type="secondary">{me ? t('buyer.dash.hello', { name: me.username }) : null}</Typography.Text>}>
        {t('nav.dashboard')}
      </PageTitle>
      <Row gutter={[16, 16]}>
        <Col xs={24} md={12} xl={8}>
          <Card loading={balance.isLoading && credits === undefined} data-testid="balance-card">
            <Statistic title={t('buyer.dash.balance')} value={credits === undefined ? '—' : balanceYuan(creditsToYuan(credits))} />
            <Typography.Text type="secondary" data-testid="balance-credits">
              {credits === undefined ? '—' : t('common.credits', { credits: wholeCredits(credits) })}
            </Typography.Text>
            <OwedNote balance={balance.data} />
            <div style={{ marginTop: 12 }}>
              <Link to="/billing"><Button type="primary" size="small">{t('buyer.dash.recharge')}</Button></Link>
            </div>
          </Card>
        </Col>
        <Col xs={24} md={12} xl={8}>
          <Card loading={balance.isLoading && isMember === undefined}>
            <Statistic
              title={t('buyer.dash.membership')}
              value={isMember ? t(`buyer.plan.${memberType ?? 'monthly'}`) : t('buyer.dash.notMember')}
            />
            <Typography.Text type="secondary">
              {isMember ? t('buyer.dash.memberUntil', { date: dateTime(memberEnd) }) : t('buyer.dash.memberHint')}
            </Typography.Text>
            <div style={{ marginTop: 12 }}>
              <Link to="/billing"><Button size="small">{isMember ? t('buyer.dash.renew') : t('buyer.dash.join')}</Button></Link>
            </div>
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card loading={daily.isLoading}>
            <Row gutter={8}>
              <Col span={8}><Statistic title={t('buyer.dash.today')} value={stat(1)} styles={{ content: { fontSize: 18 } }} /></Col>
              <Col span={8}><Statistic title={t('buyer.dash.week')} value={stat(7)} styles={{ content: { fontSize: 18 } }} /></Col>
              <Col span={8}><Statistic title={t('buyer.dash.month')} value={stat(30)} styles={{ content: { fontSize: 18 } }} /></Col>
            </Row>
            <Typography.Text type="secondary" style={{ display: 'block', marginTop: 12 }}>{t('buyer.dash.spendNote')}</Typography.Text>
          </Card>
        </Col>
        <Col span={24}>
          <Card title={t('buyer.dash.dailySpend')} loading={daily.isLoading}>
            <Chart option={option} empty={!daily.data || daily.data.days.length === 0} />
          </Card>
        </Col>
        <Col span={24}>
          <ModelTable data={daily.data?.by_model} loading={daily.isLoading} />
        </Col>
      </Row>
    </>
  );
}

function ModelTable({ data, loading }: { data?: (UsageTotals & { model: string })[]; loading: boolean }) {
  const { t } = useI18n();
  const columns: ColumnsType<UsageTotals & { model: string }> = [
    { title: t('buyer.usage.model'), dataIndex: 'model', width: 260, render: (m: string) => <ModelTag model={m} /> },
    { title: t('buyer.dash.requests'), dataIndex: 'requests', align: 'right', width: 110, render: tokens },
    { title: t('buyer.usage.tokensIn'), dataIndex: 'prompt_tokens', align: 'right', width: 120, render: tokens },
    { title: t('buyer.usage.tokensOut'), dataIndex: 'completion_tokens', align: 'right', width: 120, render: tokens },
    { title: t('buyer.usage.cost'), dataIndex: 'cost', align: 'right', width: 110, render: money },
  ];
  return (
    <Card title={t('buyer.dash.byModel')} extra={<Link to="/usage">{t('buyer.dash.viewLog')}</Link>}>
      <Table
        rowKey="model"
        size="small"
        loading={loading}
        dataSource={data ?? []}
        pagination={false}
        scroll={{ x: columnsWidth(columns) }}
        tableLayout="fixed"
        locale={{ emptyText: <Empty description={t('buyer.dash.noUsage')} /> }}
        columns={columns}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>{t('buyer.dash.last30')}</Typography.Paragraph>
    </Card>
  );
}
