import { Empty, Spin } from 'antd';
import type { EChartsOption } from 'echarts';
import { useEffect, useRef, useState } from 'react';

// ECharts in a div, loaded on first use (its chunk is large) and resized with its container.
export function Chart({ option, height = 280, empty }: { option: EChartsOption; height?: number; empty?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (empty || !ref.current) return;
    let disposed = false;
    let chart: { setOption(o: EChartsOption): void; resize(): void; dispose(): void } | undefined;
    const observer = new ResizeObserver(() => chart?.resize());
    void import('echarts').then((echarts) => {
      if (disposed || !ref.current) return;
      chart = echarts.init(ref.current);
      chart.setOption(option);
      observer.observe(ref.current);
      setReady(true);
    });
    return () => {
      disposed = true;
      observer.disconnect();
      chart?.dispose();
    };
  }, [option, empty]);
  if (empty) return <Empty style={{ height, display: 'grid', placeContent: 'center' }} />;
  return (
    <Spin spinning={!ready}>
      <div ref={ref} style={{ height, width: '100%' }} />
    </Spin>
  );
}
