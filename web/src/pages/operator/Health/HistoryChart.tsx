import type { EChartsOption } from 'echarts';
import { useMemo } from 'react';
import { Chart } from '../../../components/Chart.tsx';
import { useI18n } from '../../../i18n/i18n.tsx';

// Requests per refresh interval and resident memory over the minutes this page has been open.

export interface Point {
  at: number;
  /** Requests since the previous point (undefined for the first one). */
  requests?: number;
  serverErrors?: number;
  rssMb?: number;
}

export function HistoryChart({ points }: { points: Point[] }) {
  const { t } = useI18n();
  const option = useMemo<EChartsOption>(() => {
    const shown = points.filter((p) => p.requests !== undefined);
    const time = (at: number) => new Date(at).toLocaleTimeString();
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: shown.map((p) => time(p.at)) },
      yAxis: [
        { type: 'value', name: t('op.health.requestsAxis'), minInterval: 1 },
        { type: 'value', name: 'MB', splitLine: { show: false } },
      ],
      series: [
        { name: t('op.health.requestsSeries'), type: 'bar', data: shown.map((p) => p.requests ?? 0), itemStyle: { color: '#3056d3' } },
        { name: t('op.health.errorsSeries'), type: 'bar', data: shown.map((p) => p.serverErrors ?? 0), itemStyle: { color: '#cf1322' } },
        { name: t('op.health.memorySeries'), type: 'line', yAxisIndex: 1, smooth: true, data: shown.map((p) => p.rssMb ?? null) },
      ],
    };
  }, [points, t]);
  return <Chart option={option} height={260} empty={points.filter((p) => p.requests !== undefined).length === 0} />;
}
