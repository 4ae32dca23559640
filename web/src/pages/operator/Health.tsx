import { ReloadOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Col, Empty, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useMemo, useRef, useState } from 'react';
import { getLiveness, getMetricsText, getReadiness } from '../../api/operator.ts';
import { percent } from '../../components/format.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { HistoryChart, type Point } from './Health/HistoryChart.tsx';
import { duration, megabytes, parsePrometheus, summarize, type RouteCount } from './Health/metrics.ts';
import { PageTitle, StatusTag } from './shared.tsx';

// System health: liveness (`/healthz`), readiness (`/readyz`: the database answers), and a few numbers from
// `/metrics` — memory, uptime, event-loop lag, requests and errors, the busiest routes — refreshed every 10 s while
// the page is open, with the last minutes drawn as a chart.

const REFRESH_MS = 10_000;
const HISTORY = 30;

export default function Health() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const live = useQuery({ queryKey: ['operator', 'health', 'live'], queryFn: getLiveness, refetchInterval: REFRESH_MS });
  const ready = useQuery({ queryKey: ['operator', 'health', 'ready'], queryFn: getReadiness, refetchInterval: REFRESH_MS });
  const metrics = useQuery({ queryKey: ['operator', 'health', 'metrics'], queryFn: getMetricsText, refetchInterval: REFRESH_MS });
  const summary = useMemo(() => (metrics.data === undefined ? undefined : summarize(parsePrometheus(metrics.data))), [metrics.data]);

  const [points, setPoints] = useState<Point[]>([]);
  const last = useRef<{ requests: number; serverErrors: number }>(undefined);
  useEffect(() => {
    if (!summary) return;
    const prev = last.current;
    last.current = { requests: summary.requests, serverErrors: summary.serverErrors };
    // A restart resets the counters: start the deltas again rather than draw a negative bar.
    const restarted = prev !== undefined && summary.requests < prev.requests;
    const point: Point = {
      at: metrics.dataUpdatedAt,
      requests: prev && !restarted ? summary.requests - prev.requests : undefined,
      serverErrors: prev && !restarted ? summary.serverErrors - prev.serverErrors : undefined,
      rssMb: summary.rssBytes === undefined ? undefined : Math.round(summary.rssBytes / 1024 / 102.4) / 10,
    };
    setPoints((ps) => [...ps, point].slice(-HISTORY));
  }, [summary, metrics.dataUpdatedAt]);

  const uptime = summary?.startTimeSeconds === undefined ? undefined : Date.now() / 1000 - summary.startTimeSeconds;
  const errorRate = summary && summary.requests > 0 ? summary.serverErrors / summary.requests : undefined;
  const liveStatus = live.isError ? 'unavailable' : live.data?.status;
  const routeColumns: ColumnsType<RouteCount> = [
    {
      title: t('op.health.route'),
      key: 'route',
      // Routes are long unbroken paths: they wrap at any character so the counts beside them stay in the card.
      render: (_, r) => <Typography.Text code style={{ wordBreak: 'break-all' }}>{`${r.method} ${r.route}`}</Typography.Text>,
    },
    { title: t('op.health.count'), dataIndex: 'requests', align: 'right', render: (n: number) => n.toLocaleString() },
    { title: t('op.health.errors5xx'), dataIndex: 'errors', align: 'right', render: (n: number) => (n > 0 ? <Typography.Text type="danger">{n.toLocaleString()}</Typography.Text> : 0) },
  ];

  return (
    <>
      <PageTitle
        extra={
          <Space wrap>
            <Typography.Text type="secondary">
              {t('op.health.updated', { time: metrics.dataUpdatedAt ? new Date(metrics.dataUpdatedAt).toLocaleTimeString() : '—' })}
            </Typography.Text>
            <Button icon={<ReloadOutlined />} onClick={() => void queryClient.invalidateQueries({ queryKey: ['operator', 'health'] })} data-testid="health-refresh">
              {t('common.refresh')}
            </Button>
          </Space>
        }
      >
        {t('nav.health')}
      </PageTitle>
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={live.isLoading} data-testid="health-live">
            <Statistic title={t('op.health.liveness')} valueRender={() => (liveStatus ? <StatusTag status={liveStatus} /> : '—')} />
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={ready.isLoading} data-testid="health-ready">
            <Statistic
              title={t('op.health.readiness')}
              valueRender={() => (
                <Space>
                  {ready.data ? <StatusTag status={ready.data.status} /> : '—'}
                  {ready.data?.database && <Tag>{t(`op.health.db.${ready.data.database}`)}</Tag>}
                </Space>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={metrics.isLoading}>
            <Statistic title={t('op.health.uptime')} value={duration(uptime)} />
            <Typography.Text type="secondary">{summary?.nodeVersion ? `Node ${summary.nodeVersion}` : ''}</Typography.Text>
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={metrics.isLoading} data-testid="health-memory">
            <Statistic title={t('op.health.memory')} value={megabytes(summary?.rssBytes)} />
            <Typography.Text type="secondary">{t('op.health.heap', { used: megabytes(summary?.heapUsedBytes), total: megabytes(summary?.heapTotalBytes) })}</Typography.Text>
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={metrics.isLoading} data-testid="health-requests">
            <Statistic title={t('op.health.requests')} value={summary?.requests ?? 0} />
            <Typography.Text type="secondary">{t('op.health.requestsHint')}</Typography.Text>
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={metrics.isLoading}>
            <Statistic title={t('op.health.serverErrors')} value={summary?.serverErrors ?? 0} styles={{ content: { color: summary?.serverErrors ? '#cf1322' : undefined } }} />
            <Typography.Text type="secondary">{t('op.health.errorRate', { rate: percent(errorRate), client: summary?.clientErrors ?? 0 })}</Typography.Text>
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={metrics.isLoading}>
            <Statistic title={t('op.health.latency')} value={summary?.meanLatencySeconds === undefined ? '—' : `${(summary.meanLatencySeconds * 1000).toFixed(1)} ms`} />
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card loading={metrics.isLoading}>
            <Statistic title={t('op.health.lag')} value={summary?.eventLoopLagP99Seconds === undefined ? '—' : `${(summary.eventLoopLagP99Seconds * 1000).toFixed(1)} ms`} />
          </Card>
        </Col>
        <Col xs={24} xl={14}>
          <Card title={t('op.health.history')}>
            <HistoryChart points={points} />
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card title={t('op.health.routes')}>
            <Table
              rowKey={(r) => `${r.method} ${r.route}`}
              size="small"
              loading={metrics.isLoading}
              dataSource={summary?.routes ?? []}
              columns={routeColumns}
              pagination={false}
              locale={{ emptyText: <Empty description={t('op.health.noRequests')} /> }}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}
